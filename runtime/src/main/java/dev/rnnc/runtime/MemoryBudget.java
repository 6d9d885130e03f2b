package dev.rnnc.runtime;

/**
 * Refuses an allocation that this JVM cannot hold before it is attempted, with the sizes in the message: a model
 * constructed at limits too large for the heap, or a weights file larger than the memory left, ends in a clear
 * {@link RnncException} instead of an {@link OutOfMemoryError} part-way through (which may hit another thread).
 */
public final class MemoryBudget {
  private static final long MIB = 1L << 20;

  private MemoryBudget() {}

  /**
   * Checks that {@code bytes} more fit in the heap: its maximum ({@code -Xmx}) less what is in use now. When they do
   * not, garbage may be all that stands in the way, so a collection is asked for once and the check repeated.
   *
   * @param what  what is about to be allocated, for the message ("CharLstm workspaces at max_batch 32 × ...")
   * @param bytes how many bytes it needs
   * @throws RnncException when the heap cannot hold them
   */
  public static void require(String what, long bytes) {
    if (bytes <= available()) {
      return;
    }
    System.gc();
    long available = available();
    if (bytes > available) {
      Runtime runtime = Runtime.getRuntime();
      throw new RnncException(what + " needs " + mebibytes(bytes) + " MiB, but this JVM has " + mebibytes(available)
          + " MiB free of its " + mebibytes(runtime.maxMemory()) + " MiB heap; raise -Xmx"
          + " (e.g. RNNC_JAVA_OPTS=-Xmx" + Math.max(1, (bytes + runtime.maxMemory()) / (1L << 30) + 1) + "g for the rnnc"
          + " command) or lower the sizes");
    }
  }

  /** Bytes the heap can still grow by: its maximum less what is allocated now. */
  public static long available() {
    Runtime runtime = Runtime.getRuntime();
    long max = runtime.maxMemory();
    if (max == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    return max - (runtime.totalMemory() - runtime.freeMemory());
  }

  private static String mebibytes(long bytes) {
    return String.format(java.util.Locale.ROOT, "%,.1f", bytes / (double) MIB);
  }
}
