package dev.rnnc.cli;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times a call repeatedly on the current thread: a warm-up (so C2 has compiled the hot code), then a measured
 * loop recording the time of every group of {@code group} calls with {@link System#nanoTime}, and the bytes the
 * thread allocated over the measured loop ({@code com.sun.management.ThreadMXBean}). The loop itself allocates
 * nothing: samples go into an array sized before it starts.
 */
final class Measurement {
  /** The measured call. */
  @FunctionalInterface
  interface Call {
    void run();
  }

  /** Most samples kept; the loop ends early when they are all taken. */
  static final int MAX_SAMPLES = 1 << 20;

  /** Calls per timed group are chosen so a group lasts at least this long (nanoTime costs ~20 ns). */
  private static final long MIN_GROUP_NANOS = 2_000;

  private final long[] samples;
  private int count;
  private int group = 1;
  private long calls;
  private long allocatedBytes = -1;
  private long warmupCalls;
  private double measuredSeconds;

  Measurement() {
    this.samples = new long[MAX_SAMPLES];
  }

  /**
   * Warms up for {@code warmupSeconds} (at least one call), then measures for {@code seconds} (at least one
   * group).
   */
  void run(Call call, double warmupSeconds, double seconds) {
    long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
    long warmupStart = System.nanoTime();
    do {
      call.run();
      warmupCalls++;
    } while (System.nanoTime() < warmupEnd);
    double nanosPerCall = (System.nanoTime() - warmupStart) / (double) warmupCalls;
    group = (int) Math.max(1, Math.min(1000, Math.ceil(MIN_GROUP_NANOS / Math.max(nanosPerCall, 1))));

    com.sun.management.ThreadMXBean threads = threadBean();
    long threadId = Thread.currentThread().threadId();
    long allocatedBefore = threads == null ? -1 : threads.getThreadAllocatedBytes(threadId);
    long begin = System.nanoTime();
    long end = begin + (long) (seconds * 1e9);
    int g = group;
    long[] out = samples;
    int n = 0;
    long now = begin;
    do {
      long t0 = System.nanoTime();
      for (int i = 0; i < g; i++) {
        call.run();
      }
      now = System.nanoTime();
      out[n++] = now - t0;
    } while (now < end && n < out.length);
    measuredSeconds = (now - begin) * 1e-9;
    if (threads != null) {
      allocatedBytes = threads.getThreadAllocatedBytes(threadId) - allocatedBefore;
    }
    count = n;
    calls = (long) n * g;
    Arrays.sort(samples, 0, count);
  }

  private static com.sun.management.ThreadMXBean threadBean() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
        && bean.isThreadAllocatedMemorySupported()) {
      if (!bean.isThreadAllocatedMemoryEnabled()) {
        bean.setThreadAllocatedMemoryEnabled(true);
      }
      return bean;
    }
    return null;
  }

  /** The {@code q}-quantile (0..1) of the time of one call, in nanoseconds (nearest rank over the groups). */
  double quantileNanos(double q) {
    int index = (int) Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
    return samples[index] / (double) group;
  }

  /** Calls measured. */
  long calls() {
    return calls;
  }

  long warmupCalls() {
    return warmupCalls;
  }

  /** Calls per timed group. */
  int group() {
    return group;
  }

  double measuredSeconds() {
    return measuredSeconds;
  }

  /** Bytes allocated by this thread over the measured loop, or -1 when the JVM cannot tell. */
  long allocatedBytes() {
    return allocatedBytes;
  }
}
