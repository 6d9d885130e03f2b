package dev.rnnc.examples;

import java.util.Arrays;

/** Percentiles of measured latencies (nanoseconds), by the nearest-rank method. */
final class Latencies {
  private final long[] sorted;

  Latencies(long[] nanos, int from, int to) {
    this.sorted = Arrays.copyOfRange(nanos, from, to);
    Arrays.sort(sorted);
  }

  /** The {@code p}-th percentile, 0 < p <= 100. */
  long percentile(double p) {
    int rank = (int) Math.ceil(p / 100 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  int count() {
    return sorted.length;
  }
}
