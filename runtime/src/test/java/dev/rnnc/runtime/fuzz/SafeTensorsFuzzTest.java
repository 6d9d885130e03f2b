package dev.rnnc.runtime.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;

/**
 * Coverage-guided fuzzing (Jazzer) of the safetensors reader and of loading parameters from what it read.
 *
 * <p>Any bytes must give either a file or an {@link RnncException} with a message; anything else (an
 * out-of-memory error from a size taken on trust, an index error, a hang) is a bug. A file that was read must
 * survive a write and a second read unchanged. The default test run replays the committed corpus
 * ({@code src/test/resources/dev/rnnc/runtime/fuzz/SafeTensorsFuzzTestInputs/read/}: valid files, the inputs
 * that found bugs, inputs from earlier fuzzing runs); {@code JAZZER_FUZZ=1} fuzzes (see the README's
 * "Fuzzing" section).
 */
class SafeTensorsFuzzTest {
  /** A model small enough that fuzzed tensors can fit it: RNN 2 → 2 with a head of 1. */
  private static final ModelConfig CONFIG = ModelConfig.builder(ModelConfig.Cell.RNN)
      .input(2).hidden(2).head(1, ModelConfig.HeadActivation.LINEAR).build();

  @FuzzTest
  @DictionaryEntries({"\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"",
      "\"F64\"", "\"I64\"", "\"I32\"", "\"rnn.weight_ih_l0\"", "\"rnn.weight_hh_l0\"", "\"rnn.bias_ih_l0\"",
      "\"rnn.bias_hh_l0\"", "\"head.weight\"", "\"head.bias\"", "\\u00e9", "1e308", "-0", "[]", "{}"})
  void read(byte[] bytes) {
    SafeTensorsFile file;
    try {
      file = SafeTensors.read("fuzz.safetensors", bytes);
    } catch (RnncException e) {
      FuzzChecks.requireMessage(e);
      return;
    }
    SafeTensorsFile again = SafeTensors.read("rewritten.safetensors", SafeTensors.toBytes(file.tensors(), file.metadata()));
    if (!again.equals(file)) {
      throw new AssertionError("write and re-read changed the file: " + file + " became " + again);
    }
    try {
      ModelParameters.fromTensors(file.tensors(), CONFIG, "fuzz.safetensors");
    } catch (RnncException e) {
      FuzzChecks.requireMessage(e);
    }
  }
}
