package dev.rnnc.benchmarks;

import java.util.SplittableRandom;

/** Deterministic benchmark data. */
final class Inputs {
  private Inputs() {}

  /** {@code count} values uniform in [-1, 1), the same for the same seed. */
  static float[] uniform(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[count];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextFloat(-1f, 1f);
    }
    return values;
  }

  /** {@code count} class ids uniform in [0, classes). */
  static int[] classes(int count, int classes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] values = new int[count];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextInt(classes);
    }
    return values;
  }
}
