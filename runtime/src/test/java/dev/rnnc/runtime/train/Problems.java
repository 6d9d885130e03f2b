package dev.rnnc.runtime.train;

import dev.rnnc.runtime.ModelConfig;
import java.util.SplittableRandom;

/** Small learnable problems for trainer tests. */
final class Problems {
  private Problems() {}

  /** A GRU/LSTM classifier over one-hot inputs of 2 classes; targets are given per step. */
  static ModelConfig echoConfig(ModelConfig.Cell cell, int steps, int batch, int truncate) {
    return new ModelConfig(cell, null, null, 2, 0, 8, 1, false, ModelConfig.Mode.MANY_TO_MANY, 2,
        ModelConfig.HeadActivation.SOFTMAX, steps, batch,
        new ModelConfig.TrainingConfig(ModelConfig.Loss.CROSS_ENTROPY, 0, truncate));
  }

  /**
   * "Say the previous symbol": random one-hot inputs, target at step t is the class of input t-1 (class 0 at t=0).
   * Needs the recurrent state, so a working trainer must learn the recurrence, not just the head.
   *
   * @param ragged whether sequences get random lengths in 2..steps
   */
  static Dataset echo(ModelConfig config, int size, int steps, long seed, boolean ragged) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] input = new float[size * steps * 2];
    int[] targets = new int[size * steps];
    int[] lengths = ragged ? new int[size] : null;
    for (int n = 0; n < size; n++) {
      int previous = 0;
      for (int t = 0; t < steps; t++) {
        int symbol = random.nextInt(2);
        input[(n * steps + t) * 2 + symbol] = 1f;
        targets[n * steps + t] = previous;
        previous = symbol;
      }
      if (ragged) {
        lengths[n] = 2 + random.nextInt(steps - 1);
      }
    }
    return new Dataset(config, size, steps, input, null, lengths, targets, null, null, null);
  }
}
