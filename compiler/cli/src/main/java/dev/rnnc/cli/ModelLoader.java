package dev.rnnc.cli;

import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.loader.ModelClass;
import dev.rnnc.loader.RnnModels;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.nio.file.Path;

/**
 * A spec turned into something that makes model instances: its generated class compiled in memory and loaded,
 * or, with {@code --reference}, the runtime's double-precision {@link ReferenceModel} (slow, but the yardstick
 * the generated code is tested against, and trainable even when the generated class is not).
 */
final class ModelLoader {
  private final Spec spec;
  private final boolean reference;
  private final boolean scalar;
  /** The generated class, compiled on first use (null with the reference implementation). */
  private ModelClass type;

  private ModelLoader(Spec spec, boolean reference, boolean scalar) {
    this.spec = spec;
    this.reference = reference;
    this.scalar = scalar;
  }

  /**
   * Parses {@code specFile}; the generated class is compiled only when first needed, so that commands can
   * check their other inputs first and fail fast.
   *
   * @param reference use the reference implementation instead of generated code
   * @param scalar    load the generated class with its scalar kernels instead of the Vector API ones
   */
  static ModelLoader load(Path specFile, boolean reference, boolean scalar) {
    return new ModelLoader(SpecParser.parse(specFile), reference, scalar);
  }

  /** Like {@link #load(Path, boolean, boolean)}, for a spec parsed elsewhere (a built-in one, for example). */
  static ModelLoader of(Spec spec, boolean reference, boolean scalar) {
    return new ModelLoader(spec, reference, scalar);
  }

  /** Compiles and loads the generated class if that has not been done yet. */
  private void compile() {
    if (reference || type != null) {
      return;
    }
    // The CLI compiles afresh (no disk cache): its commands report javac's time and must not write to ~/.cache.
    type = RnnModels.builder().noDiskCache().scalarKernels(scalar).build().modelClass(spec);
  }

  Spec spec() {
    return spec;
  }

  /** Compiles the generated class if needed; returns how long generating its source took, in nanoseconds. */
  long generationNanos() {
    compile();
    return type == null ? 0 : type.generationNanos();
  }

  /** Compiles the generated class if needed; returns how long javac and loading it took, in nanoseconds. */
  long javacNanos() {
    compile();
    return type == null ? 0 : type.compileNanos();
  }

  ModelConfig config() {
    return spec.config();
  }

  /** The generated class's name, or the reference model's. */
  String implementation() {
    compile();
    return type == null ? ReferenceModel.class.getName() + " (reference)" : type.type().getName();
  }

  /** Whether instances implement {@link TrainableModel}. */
  boolean trainable() {
    compile();
    return type == null || type.trainable();
  }

  /** Whether instances implement {@link StreamingModel}. */
  boolean streaming() {
    compile();
    return type == null ? !config().bidirectional() : type.streaming();
  }

  /** A new instance holding at most {@code maxBatch} sequences of {@code maxLength} steps. */
  RnnModel newInstance(ModelParameters parameters, int maxBatch, int maxLength) {
    compile();
    if (type == null) {
      return new ReferenceModel(parameters, maxBatch, maxLength);
    }
    return type.newInstance(parameters, maxBatch, maxLength);
  }

  /** A trainable instance, or a clear error when the spec has no training section. */
  TrainableModel newTrainable(ModelParameters parameters, int maxBatch, int maxLength) {
    if (config().training() == null) {
      throw new RnncException(spec.sourceName() + ": spec has no training section (add one with at least"
          + " 'loss:' to compute gradients or train)");
    }
    if (!trainable()) {
      throw new RnncException(spec.sourceName() + ": the generated class " + type.type().getName()
          + " does not implement training in this version of rnnc; run with --reference to use the reference"
          + " implementation");
    }
    return (TrainableModel) newInstance(parameters, maxBatch, maxLength);
  }
}
