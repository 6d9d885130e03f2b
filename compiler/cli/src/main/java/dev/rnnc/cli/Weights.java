package dev.rnnc.cli;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import java.io.PrintWriter;
import java.nio.file.Path;

/** Where a command's starting weights come from: a safetensors file, or PyTorch-style initialisation from a seed. */
final class Weights {
  private Weights() {}

  /**
   * Loads {@code file} (checked by name, shape, dtype and finiteness), or, when it is null, initialises from
   * {@code seed} and says so on {@code err}.
   */
  static ModelParameters loadOrInitialize(Path file, ModelConfig config, long seed, PrintWriter err) {
    if (file != null) {
      return ModelParameters.load(file, config);
    }
    err.println("rnnc: no --weights given: using weights initialised from seed " + seed);
    return ModelParameters.initialize(config, seed);
  }
}
