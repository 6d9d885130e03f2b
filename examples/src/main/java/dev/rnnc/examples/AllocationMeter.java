package dev.rnnc.examples;

import java.lang.management.ManagementFactory;

/** Heap bytes the current thread has allocated so far (HotSpot's per-thread counter), or 0 where unsupported. */
final class AllocationMeter {
  private static final com.sun.management.ThreadMXBean THREADS = threads();

  private AllocationMeter() {}

  static long allocatedBytes() {
    return THREADS == null ? 0 : THREADS.getCurrentThreadAllocatedBytes();
  }

  private static com.sun.management.ThreadMXBean threads() {
    return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
        && t.isThreadAllocatedMemorySupported() ? t : null;
  }
}
