package dev.rnnc.runtime.fuzz;

/** What every harness asks of an expected exception: a message a user can act on. */
final class FuzzChecks {
  private FuzzChecks() {}

  static void requireMessage(RuntimeException e) {
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      throw new AssertionError("exception without a message", e);
    }
  }
}
