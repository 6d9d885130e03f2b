package dev.rnnc.cli;

import dev.rnnc.compiler.spec.Seq2SeqSpec;
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

  private Seq2SeqLoader(Seq2SeqSpec spec, boolean reference) {
    this.spec = spec;
    this.reference = reference;
  }

  /**
   * @param reference {@code --reference}: the double-precision reference implementation
   * @param scalar    {@code --scalar}: the generated class's scalar kernels
   */
  static Seq2SeqLoader of(Seq2SeqSpec spec, boolean reference, boolean scalar) {
    if (scalar && !GENERATED_AVAILABLE) {
      throw new RnncException("--scalar selects generated kernels, but " + spec.sourceName() + " is an encoder–decoder,"
          + " which this version runs on the reference implementation only");
    }
    return new Seq2SeqLoader(spec, reference);
  }

  /**
   * SWITCH POINT (generated encoder–decoder class): false while the loader API that compiles and instantiates the
   * generated {@code Seq2SeqModel} class is not merged. When it is, set this to true and make the marked line in
   * {@link #newInstance} return the generated instance; {@code --reference} keeps the adapter.
   */
  static final boolean GENERATED_AVAILABLE = false;

  Seq2SeqSpec spec() {
    return spec;
  }

  Seq2SeqConfig config() {
    return spec.config();
  }

  /** What runs: the generated class's name, or the reference adapter's. */
  String implementation() {
    return reference || !GENERATED_AVAILABLE ? ReferenceSeq2SeqModel.class.getName() + " (reference)"
        : spec.packageName() + "." + spec.modelName();
  }

  /**
   * A new instance holding {@code maxBatch} sequences of at most {@code maxLength} source and target steps, and
   * {@code maxRows} decoder rows (max batch × the widest beam).
   */
  Seq2SeqModel newInstance(Seq2SeqParameters parameters, int maxBatch, int maxLength, int maxRows) {
    if (reference || !GENERATED_AVAILABLE) {
      return new ReferenceSeq2SeqModel(parameters, maxBatch, maxLength, maxRows);
    }
    // SWITCH POINT: return the generated class's instance here, e.g.
    //   RnnModels.builder().noDiskCache().build().seq2seqClass(spec).newInstance(parameters, maxBatch, maxLength, maxRows)
    return new ReferenceSeq2SeqModel(parameters, maxBatch, maxLength, maxRows);
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
