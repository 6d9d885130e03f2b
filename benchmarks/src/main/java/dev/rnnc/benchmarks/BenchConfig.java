package dev.rnnc.benchmarks;

import dev.rnnc.benchmarks.models.Gru16x64;
import dev.rnnc.benchmarks.models.Gru64x128;
import dev.rnnc.benchmarks.models.Lstm1x32;
import dev.rnnc.benchmarks.models.Lstm256x512;
import dev.rnnc.benchmarks.models.Lstm256x512Bf16;
import dev.rnnc.benchmarks.models.Lstm512x1024;
import dev.rnnc.benchmarks.models.Lstm512x1024Bf16;
import dev.rnnc.benchmarks.models.Lstm64x128;
import dev.rnnc.benchmarks.models.Lstm64x128Bf16;
import dev.rnnc.benchmarks.models.Rnn64x128;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.PackedWeights;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;

/**
 * The inference configurations (single layer, unidirectional, no head, batch 1), one generated class each
 * from {@code src/main/rnnc/<lower-case name>.yaml}. JMH fills an enum {@code @Param} with every constant.
 * The {@code _BF16} constants are the same models compiled with {@code weights: bf16} (weight matrices stored as
 * bfloat16); they take the same parameters as their float32 twins, so both compute from the same numbers.
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
  RNN_64_128,
  LSTM_512_1024,
  LSTM_64_128_BF16,
  LSTM_256_512_BF16,
  LSTM_512_1024_BF16;

  /** Seed of the parameters and inputs: every implementation in every fork sees the same numbers. */
  static final long SEED = 20_261_101L;

  /** The generated class's model, with the spec's limits (up to 128 steps; batch 1, or 64 for the LSTMs from 64→128 up). */
  public ModelConfig modelConfig() {
    return switch (this) {
      case LSTM_1_32 -> Lstm1x32.CONFIG;
      case GRU_16_64 -> Gru16x64.CONFIG;
      case LSTM_64_128 -> Lstm64x128.CONFIG;
      case LSTM_256_512 -> Lstm256x512.CONFIG;
      case GRU_64_128 -> Gru64x128.CONFIG;
      case RNN_64_128 -> Rnn64x128.CONFIG;
      case LSTM_512_1024 -> Lstm512x1024.CONFIG;
      case LSTM_64_128_BF16 -> Lstm64x128Bf16.CONFIG;
      case LSTM_256_512_BF16 -> Lstm256x512Bf16.CONFIG;
      case LSTM_512_1024_BF16 -> Lstm512x1024Bf16.CONFIG;
    };
  }

  /** PyTorch-style initial parameters, the same in every fork (and the same for a model and its bf16 twin). */
  public ModelParameters parameters() {
    return ModelParameters.initialize(modelConfig(), SEED);
  }

  /** Whether the generated class stores its weight matrices as bfloat16 ({@code weights: bf16}). */
  public boolean bf16() {
    return name().endsWith("_BF16");
  }

  /**
   * The parameters the generated class actually computes with: {@code parameters} themselves, or for a bf16 class
   * a copy with the weight matrices ({@code weight_ih}, {@code weight_hh}) rounded to bfloat16 as the class rounds
   * them on load. The setup checks hold a generated class to the reference model on these, at float tolerances.
   */
  public ModelParameters effectiveParameters(ModelParameters parameters) {
    if (!bf16()) {
      return parameters;
    }
    ModelParameters rounded = parameters.copy();
    int roundedMatrices = 0;
    for (String name : rounded.names()) {
      if (name.contains("weight_ih") || name.contains("weight_hh")) { // e.g. rnn.weight_ih_l0
        float[] values = rounded.get(name);
        for (int k = 0; k < values.length; k++) {
          values[k] = PackedWeights.fromBf16(PackedWeights.toBf16(values[k]));
        }
        roundedMatrices++;
      }
    }
    if (roundedMatrices != 2) {
      throw new IllegalStateException(this + ": expected weight_ih and weight_hh among " + rounded.names());
    }
    return rounded;
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
      case LSTM_512_1024 -> new Lstm512x1024(parameters);
      case LSTM_64_128_BF16 -> new Lstm64x128Bf16(parameters);
      case LSTM_256_512_BF16 -> new Lstm256x512Bf16(parameters);
      case LSTM_512_1024_BF16 -> new Lstm512x1024Bf16(parameters);
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
