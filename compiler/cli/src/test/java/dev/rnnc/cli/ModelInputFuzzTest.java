package dev.rnnc.cli;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.DType;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing (Jazzer) of the CLI's input reader, {@link ModelInput}, which {@code rnnc run} and
 * {@code rnnc grad} use to check an input file against a model before anything runs.
 *
 * <p>The fuzzer builds input files from plausible parts (names run and grad know, every dtype, small shapes of
 * any rank, any values: NaN, huge ids, negative lengths) for three models. Reading must give either an
 * {@link RnncException} with a message or an input that the model accepts: the reference implementation then
 * runs forward (and computes gradients when a target was required) without any exception. The file is written
 * with rnnc's writer; the reader of raw bytes is fuzzed by the runtime's {@code SafeTensorsFuzzTest}. The
 * default test run replays the committed corpus ({@code src/test/resources/dev/rnnc/cli/ModelInputFuzzTestInputs/
 * read/}); {@code JAZZER_FUZZ=1} fuzzes (README, "Fuzzing").
 */
class ModelInputFuzzTest {
  private static final List<ModelConfig> MODELS = List.of(
      ModelConfig.builder(ModelConfig.Cell.LSTM).input(3).hidden(2).bidirectional(true)
          .mode(ModelConfig.Mode.MANY_TO_ONE).head(2, ModelConfig.HeadActivation.SIGMOID)
          .training(new ModelConfig.TrainingConfig(ModelConfig.Loss.BCE, 0, 0)).build(),
      ModelConfig.builder(ModelConfig.Cell.GRU).embedding(5, 2).hidden(2)
          .head(3, ModelConfig.HeadActivation.SOFTMAX)
          .training(new ModelConfig.TrainingConfig(ModelConfig.Loss.CROSS_ENTROPY, 0, 0)).build(),
      ModelConfig.builder(ModelConfig.Cell.RNN).input(1).hidden(1).layers(2)
          .training(new ModelConfig.TrainingConfig(ModelConfig.Loss.MSE, 0, 0)).build(),
      ModelConfig.builder(ModelConfig.Cell.LSTM).embedding(4, 1).hidden(1).build());
  private static final String[] NAMES = {"input", "tokens", "lengths", "h0", "c0", "target", "extra"};
  private static final Path FILE;

  static {
    try {
      FILE = Files.createTempFile("rnnc-fuzz-input", ".safetensors");
      FILE.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest
  void read(FuzzedDataProvider data) throws IOException {
    ModelConfig config = MODELS.get(data.consumeInt(0, MODELS.size() - 1));
    boolean needTarget = data.consumeBoolean();
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    int count = data.consumeInt(0, 6);
    for (int i = 0; i < count; i++) {
      tensors.put(data.pickValue(NAMES), tensor(data));
    }
    Files.write(FILE, SafeTensors.toBytes(tensors, Map.of()));
    ModelInput input;
    try {
      input = ModelInput.read(FILE, config, needTarget);
    } catch (RnncException e) {
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        throw new AssertionError("exception without a message", e);
      }
      return;
    }
    // Accepted means runnable: the model must take it without complaint.
    ReferenceModel model = new ReferenceModel(ModelParameters.initialize(config, 1), input.batch, input.steps);
    Batch batch = input.toBatch();
    if (needTarget && config.training() != null) {
      model.computeGradients(batch);
    } else if (config.hasEmbedding()) {
      model.forwardTokens(input.tokens, input.batch, input.steps, input.lengths, input.h0, input.c0);
    } else {
      model.forward(input.input, input.batch, input.steps, input.lengths, input.h0, input.c0);
    }
  }

  /** A tensor of any dtype and rank 0..4 with dimensions 0..5 and arbitrary (or, half the time, small) values. */
  private static Tensor tensor(FuzzedDataProvider data) {
    DType dtype = data.pickValue(DType.values());
    int[] shape = new int[data.consumeInt(0, 4)];
    int n = 1;
    for (int d = 0; d < shape.length; d++) {
      shape[d] = data.consumeInt(0, 5);
      n *= shape[d];
    }
    boolean small = data.consumeBoolean();
    return switch (dtype) {
      case F32 -> {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
          values[i] = small ? data.consumeInt(-2, 2) : data.consumeFloat();
        }
        yield Tensor.ofFloats(shape, values);
      }
      case F64 -> {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
          values[i] = small ? data.consumeInt(-2, 2) : data.consumeDouble();
        }
        yield Tensor.ofDoubles(shape, values);
      }
      case I64 -> {
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
          values[i] = small ? data.consumeInt(-1, 6) : data.consumeLong();
        }
        yield Tensor.ofLongs(shape, values);
      }
      case I32 -> {
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
          values[i] = small ? data.consumeInt(-1, 6) : data.consumeInt();
        }
        yield Tensor.ofInts(shape, values);
      }
    };
  }
}
