package dev.rnnc.benchmarks;

/**
 * The forked JVMs' extra options, appended to the launching JVM's own ({@code @Fork(jvmArgsAppend = ...)}).
 * The Vector API module is what the generated kernels need (without it they fall back to scalar code, which
 * {@link Agreement#requireVectorKernels} refuses to time); ParallelGC keeps GC barriers out of the way.
 * {@code -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0} is deliberately not here: it drops the Vector
 * API's bounds checks, so it is measured separately ({@code run.sh --no-oob-check}).
 */
final class ForkArgs {
  private ForkArgs() {}

  static final String VECTOR_MODULE = "--add-modules=jdk.incubator.vector";
  static final String GC = "-XX:+UseParallelGC";
}
