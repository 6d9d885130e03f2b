package dev.rnnc.flink;

import java.util.SplittableRandom;

/**
 * Deterministic readings of many sensors: each sensor a sum of sines with its own phase and period, plus noise,
 * with a rare spike (the anomalies the job should score high). Reading {@code i} of a stream interleaving
 * {@code sensors} sensors is reading {@code i / sensors} of sensor {@code i % sensors}, so any prefix of the
 * stream is reproducible from its index alone (which Flink's generator source checkpoints).
 */
public final class SensorSignals {
  static final double NOISE = 0.05;

  private SensorSignals() {}

  /** Noise-free value of sensor {@code sensor} at step {@code t}. */
  static double clean(int sensor, double t) {
    double phase = 0.37 * sensor;
    double stretch = 1 + 0.1 * (sensor % 5);
    return Math.sin(2 * Math.PI * t / (50 * stretch) + phase) + 0.5 * Math.sin(2 * Math.PI * t / 17 + 1 + phase)
        + 0.3 * Math.sin(2 * Math.PI * t / 93);
  }

  /** Reading {@code t} of sensor {@code sensor}: the clean value, noise, and now and then a spike. */
  public static float value(int sensor, long t, long seed) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (sensor * 1_000_003L + t));
    double noise = NOISE * random.nextGaussian();
    double spike = random.nextInt(500) == 0 ? (random.nextBoolean() ? 2.5 : -2.5) : 0;
    return (float) (clean(sensor, t) + noise + spike);
  }

  /** Element {@code index} of the interleaved stream of {@code sensors} sensors. */
  public static SensorReading reading(long index, int sensors, long seed) {
    int sensor = (int) (index % sensors);
    long t = index / sensors;
    return new SensorReading("sensor-" + sensor, t, value(sensor, t, seed));
  }

  /** {@code length} consecutive readings of one sensor from step {@code start}, as training input. */
  static float[] series(int sensor, long start, int length, long seed) {
    float[] x = new float[length];
    for (int i = 0; i < length; i++) {
      x[i] = value(sensor, start + i, seed);
    }
    return x;
  }
}
