package dev.rnnc.cli;

import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.loader.RnnModels;
import dev.rnnc.loader.Seq2SeqModelClass;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.reference.ReferenceSeq2SeqModel;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The one place the CLI makes encoder–decoder instances ({@link Seq2SeqModel}), the sibling of {@link ModelLoader}
 * for specs with {@code encoder:} and {@code decoder:} sections. Every command (run, grad, train, bench, translate)
 * asks this class, so which implementation they get is decided in {@link #newInstance} alone.
 */
final class Seq2SeqLoader {
  private final Seq2SeqSpec spec;
  private final boolean reference;
  private final boolean scalar;
  /** The generated class, compiled on first use (never with the reference implementation). */
  private Seq2SeqModelClass type;

  private Seq2SeqLoader(Seq2SeqSpec spec, boolean reference, boolean scalar) {
    this.spec = spec;
    this.reference = reference;
    this.scalar = scalar;
  }

  /**
   * @param reference {@code --reference}: the double-precision reference implementation
   * @param scalar    {@code --scalar}: the generated class's scalar kernels
   */
  static Seq2SeqLoader of(Seq2SeqSpec spec, boolean reference, boolean scalar) {
    if (scalar && reference) {
      throw new RnncException("--scalar selects the generated class's scalar kernels; --reference runs the reference"
          + " implementation instead: give one of them");
    }
    return new Seq2SeqLoader(spec, reference, scalar);
  }

  Seq2SeqSpec spec() {
    return spec;
  }

  Seq2SeqConfig config() {
    return spec.config();
  }

  /** What runs: the generated class's name, or the reference adapter's. */
  String implementation() {
    return reference ? ReferenceSeq2SeqModel.class.getName() + " (reference)"
        : spec.packageName() + "." + spec.modelName();
  }

  /**
   * A new instance holding {@code maxBatch} sequences of at most {@code maxLength} source and target steps, and
   * {@code maxRows} decoder rows (max batch × the widest beam).
   */
  Seq2SeqModel newInstance(Seq2SeqParameters parameters, int maxBatch, int maxLength, int maxRows) {
    if (reference) {
      return new ReferenceSeq2SeqModel(parameters, maxBatch, maxLength, maxRows);
    }
    if (type == null) {
      // The CLI compiles afresh (no disk cache), as for single-stack specs.
      type = RnnModels.builder().noDiskCache().scalarKernels(scalar).build().seq2seqClass(spec);
    }
    return type.newInstance(parameters, maxBatch, maxLength, maxRows);
  }

  /** Loads {@code file} (checked), or initialises from {@code seed} and says so on {@code err}. */
  Seq2SeqParameters weights(Path file, long seed, PrintWriter err) {
    if (file != null) {
      return Seq2SeqParameters.load(file, config());
    }
    err.println("rnnc: no --weights given: using weights initialised from seed " + seed);
    return Seq2SeqParameters.initialize(config(), seed);
  }
}
