package dev.rnnc.cli;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times a call repeatedly on the current thread: a warm-up until the JIT has settled, then a measured loop
 * recording the time of every group of {@code group} calls with {@link System#nanoTime}, and the bytes the
 * thread allocated over the measured loop ({@code com.sun.management.ThreadMXBean}). The loop itself allocates
 * nothing: samples go into an array sized before it starts.
 *
 * <p>Warm-up runs in windows of {@link #WINDOW_NANOS} (and at least {@link #WINDOW_CALLS} calls) for at least
 * the minimum warm-up time, and then until it has <em>settled</em>: two windows in a row in which the JIT
 * compiled nothing worth counting (compilation time added &lt; 1 % of the window, from
 * {@link java.lang.management.CompilationMXBean}) and whose time per call and bytes allocated per call agree
 * with the window before within 10 %. A fixed warm-up is too short for big generated methods (C2 compiles a
 * training iteration's methods for seconds, and until it has, escape analysis has not removed the temporary
 * objects of the interpreted and C1 code) and needlessly long for small ones. If the warm-up has not settled
 * by the cap, measuring starts anyway and {@link #settled()} says so.
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

  /** Length of one warm-up window. */
  static final long WINDOW_NANOS = 200_000_000L;

  /** Fewest calls in one warm-up window (slow calls make a window longer). */
  static final int WINDOW_CALLS = 3;

  /** Windows in a row that must agree with their predecessor. */
  private static final int STABLE_WINDOWS = 2;

  /** Relative difference two windows may have and still count as stable. */
  private static final double TOLERANCE = 0.10;

  private final long[] samples;
  private int count;
  private int group = 1;
  private long calls;
  private long allocatedBytes = -1;
  private long warmupCalls;
  private double warmupSeconds;
  private double lastWindowNanos = -1;
  private boolean settled;
  private double measuredSeconds;

  Measurement() {
    this.samples = new long[MAX_SAMPLES];
  }

  /**
   * Warms up for at least {@code minWarmupSeconds} and until settled or {@code maxWarmupSeconds} have passed,
   * then measures for {@code seconds} (at least one group).
   */
  void run(Call call, double minWarmupSeconds, double maxWarmupSeconds, double seconds) {
    com.sun.management.ThreadMXBean threads = threadBean();
    long threadId = Thread.currentThread().threadId();
    warmUp(call, minWarmupSeconds, maxWarmupSeconds, threads, threadId);
    // the last warm-up window's time per call (the whole warm-up's average counts the interpreter and the JIT's
    // work too, and made groups of 2 calls where 4 were meant)
    double nanosPerCall = lastWindowNanos > 0 ? lastWindowNanos : warmupSeconds * 1e9 / warmupCalls;
    group = (int) Math.max(1, Math.min(1000, Math.ceil(MIN_GROUP_NANOS / Math.max(nanosPerCall, 1))));

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

  private void warmUp(Call call, double minSeconds, double maxSeconds, com.sun.management.ThreadMXBean threads,
      long threadId) {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
    long start = System.nanoTime();
    long minEnd = start + (long) (minSeconds * 1e9);
    long maxEnd = start + (long) (Math.max(minSeconds, maxSeconds) * 1e9);
    double previousNanos = -1;
    double previousBytes = -1;
    int stable = 0;
    long now;
    do {
      long windowStart = System.nanoTime();
      long jitBefore = jitTimed ? jit.getTotalCompilationTime() : 0;
      long bytesBefore = threads == null ? 0 : threads.getThreadAllocatedBytes(threadId);
      long windowEnd = windowStart + Math.min(WINDOW_NANOS, Math.max(1, maxEnd - windowStart));
      int n = 0;
      do {
        call.run();
        n++;
        now = System.nanoTime();
      } while (now < windowEnd || n < WINDOW_CALLS && now < maxEnd);
      warmupCalls += n;
      double nanos = (now - windowStart) / (double) n;
      double bytes = threads == null ? 0 : (threads.getThreadAllocatedBytes(threadId) - bytesBefore) / (double) n;
      long jitMillis = jitTimed ? jit.getTotalCompilationTime() - jitBefore : 0;
      boolean quietJit = jitMillis * 1e6 < 0.01 * (now - windowStart);
      boolean same = previousNanos > 0 && close(nanos, previousNanos) && (close(bytes, previousBytes)
          || Math.abs(bytes - previousBytes) < 1);
      stable = quietJit && same ? stable + 1 : 0;
      previousNanos = nanos;
      lastWindowNanos = nanos;
      previousBytes = bytes;
      settled = stable >= STABLE_WINDOWS;
    } while (now < maxEnd && (now < minEnd || !settled));
    warmupSeconds = (now - start) * 1e-9;
  }

  private static boolean close(double a, double b) {
    return Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
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

  /** How long the warm-up took. */
  double warmupSeconds() {
    return warmupSeconds;
  }

  /** Whether the warm-up settled before its cap (see the class comment). */
  boolean settled() {
    return settled;
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
