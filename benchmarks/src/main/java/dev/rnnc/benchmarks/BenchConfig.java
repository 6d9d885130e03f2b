package dev.rnnc.benchmarks;

import dev.rnnc.benchmarks.models.Gru16x64;
import dev.rnnc.benchmarks.models.Gru64x128;
import dev.rnnc.benchmarks.models.Lstm1x32;
import dev.rnnc.benchmarks.models.Lstm256x512;
import dev.rnnc.benchmarks.models.Lstm64x128;
import dev.rnnc.benchmarks.models.Rnn64x128;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;

/**
 * The inference configurations (single layer, unidirectional, no head, batch 1), one generated class each
 * from {@code src/main/rnnc/<lower-case name>.yaml}. JMH fills an enum {@code @Param} with every constant.
 *
 * <p>Each switch names the generated classes, but a class is loaded and initialised only when its branch
 * runs, so a fork benchmarking one configuration loads exactly one generated class.
 */
public enum BenchConfig {
  LSTM_1_32,
  GRU_16_64,
  LSTM_64_128,
  LSTM_256_512,
  GRU_64_128,
  RNN_64_128;

  /** Seed of the parameters and inputs: every implementation in every fork sees the same numbers. */
  static final long SEED = 20_261_101L;

  /** The generated class's model, with the spec's limits (batch 1, up to 128 steps). */
  public ModelConfig modelConfig() {
    return switch (this) {
      case LSTM_1_32 -> Lstm1x32.CONFIG;
      case GRU_16_64 -> Gru16x64.CONFIG;
      case LSTM_64_128 -> Lstm64x128.CONFIG;
      case LSTM_256_512 -> Lstm256x512.CONFIG;
      case GRU_64_128 -> Gru64x128.CONFIG;
      case RNN_64_128 -> Rnn64x128.CONFIG;
    };
  }

  /** PyTorch-style initial parameters, the same in every fork. */
  public ModelParameters parameters() {
    return ModelParameters.initialize(modelConfig(), SEED);
  }

  /** A new instance of the generated class over {@code parameters}, seen through the runtime interface. */
  public RnnModel generated(ModelParameters parameters) {
    return switch (this) {
      case LSTM_1_32 -> new Lstm1x32(parameters);
      case GRU_16_64 -> new Gru16x64(parameters);
      case LSTM_64_128 -> new Lstm64x128(parameters);
      case LSTM_256_512 -> new Lstm256x512(parameters);
      case GRU_64_128 -> new Gru64x128(parameters);
      case RNN_64_128 -> new Rnn64x128(parameters);
    };
  }

  /** The generated class's streaming side (every configuration here is unidirectional, so it has one). */
  public StreamingModel generatedStreaming(ModelParameters parameters) {
    RnnModel model = generated(parameters);
    if (!(model instanceof StreamingModel streaming)) {
      throw new IllegalStateException(model.getClass().getName() + " has no streaming API; is its spec bidirectional?");
    }
    return streaming;
  }
}
