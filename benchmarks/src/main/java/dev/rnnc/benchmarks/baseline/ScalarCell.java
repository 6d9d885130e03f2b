package dev.rnnc.benchmarks.baseline;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;

/** One hand-written recurrent cell, stepped one input vector at a time (batch 1). */
public interface ScalarCell {

  /** Zeroes the state (the start of a new sequence). */
  void reset();

  /** Advances one step on {@code x[offset .. offset + inputSize)}. */
  void step(float[] x, int offset);

  /** The hidden state after the last step {@code [H]} (live; changes on the next step). */
  float[] hidden();

  /**
   * The cell for a single-layer, unidirectional, dense-input model, with its layer-0 weights.
   *
   * @throws IllegalArgumentException for models outside that shape or a GRU with the reset gate before the
   *     recurrent product (the baseline writes torch.nn.GRU's cell only)
   */
  static ScalarCell of(ModelParameters parameters) {
    ModelConfig config = parameters.config();
    if (config.layers() != 1 || config.bidirectional() || config.hasEmbedding()) {
      throw new IllegalArgumentException("the scalar baseline is a single-layer, unidirectional cell on dense input; "
          + "got " + config.layers() + " layer(s), bidirectional " + config.bidirectional() + ", embedding "
          + config.hasEmbedding());
    }
    return switch (config.cell()) {
      case LSTM -> new ScalarLstm(parameters);
      case GRU -> {
        if (config.gruReset() != ModelConfig.GruReset.AFTER) {
          throw new IllegalArgumentException("the scalar GRU baseline applies the reset gate after the recurrent "
              + "product (torch.nn.GRU); got gru_reset " + config.gruReset());
        }
        yield new ScalarGru(parameters);
      }
      case RNN -> new ScalarRnn(parameters);
    };
  }

  /** The logistic function in float, as a user would write it. */
  static float sigmoid(float v) {
    return 1f / (1f + (float) Math.exp(-v));
  }

  /** Hyperbolic tangent in float, through the JDK's double {@link Math#tanh}. */
  static float tanh(float v) {
    return (float) Math.tanh(v);
  }
}
