package dev.rnnc.examples;

import java.util.SplittableRandom;

/** A generated sensor signal: three sines of different periods plus Gaussian noise. */
final class Signal {
  static final double NOISE = 0.05;

  private Signal() {}

  /** Noise-free value at time {@code t}. */
  static double clean(double t) {
    return Math.sin(2 * Math.PI * t / 50) + 0.5 * Math.sin(2 * Math.PI * t / 17 + 1) + 0.3 * Math.sin(2 * Math.PI * t / 93);
  }

  /** {@code length} noisy samples starting at time {@code start}. */
  static float[] samples(long start, int length, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[length];
    for (int i = 0; i < length; i++) {
      x[i] = (float) (clean(start + i) + NOISE * random.nextGaussian());
    }
    return x;
  }
}
