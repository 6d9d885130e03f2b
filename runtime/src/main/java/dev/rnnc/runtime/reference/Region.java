package dev.rnnc.runtime.reference;

/**
 * The part of the workspaces one call uses: {@code batch} sequences padded to {@code steps}, each with its
 * own valid length. Per-step arrays are laid out compactly for this call, row {@code b * steps + t}.
 * Mutable so a call need not allocate.
 */
final class Region {
  int batch;
  int steps;
  private int[] lengths;

  void set(int batch, int steps, int[] lengths) {
    this.batch = batch;
    this.steps = steps;
    this.lengths = lengths;
  }

  /** Valid steps of sequence {@code b}. */
  int length(int b) {
    return lengths == null ? steps : lengths[b];
  }

  /** Row of step {@code t} of sequence {@code b} in a per-step array. */
  int row(int b, int t) {
    return b * steps + t;
  }

  boolean valid(int b, int t) {
    return t < length(b);
  }

  /** Number of valid (sequence, step) positions. */
  int validSteps() {
    int n = 0;
    for (int b = 0; b < batch; b++) {
      n += length(b);
    }
    return n;
  }
}
