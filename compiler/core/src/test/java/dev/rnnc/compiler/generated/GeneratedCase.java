package dev.rnnc.compiler.generated;

import dev.rnnc.compiler.emit.GeneratedModels;
import dev.rnnc.compiler.emit.GeneratedModels.Compiled;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.ArrayList;
import java.util.List;

/**
 * One generated class under test with its spec text and PyTorch-default-initialised parameters.
 *
 * @param yaml       the spec text (its first line names the generator seed)
 * @param compiled   the compiled class
 * @param parameters parameters both the generated and the reference model run on
 */
record GeneratedCase(String yaml, Compiled compiled, ModelParameters parameters) {
  /** Specs per javac run: javac's fixed cost per run is large, its cost per class small. */
  static final int SPECS_PER_JAVAC_RUN = 40;

  /** Compiles {@code specs} in batches; parameters are initialised from {@code parameterSeed} + index. */
  static List<GeneratedCase> compile(List<String> specs, boolean vectorKernels, long parameterSeed) {
    List<GeneratedCase> cases = new ArrayList<>();
    for (int from = 0; from < specs.size(); from += SPECS_PER_JAVAC_RUN) {
      List<String> batch = specs.subList(from, Math.min(specs.size(), from + SPECS_PER_JAVAC_RUN));
      List<Compiled> compiled = GeneratedModels.compile(batch, vectorKernels);
      for (int i = 0; i < batch.size(); i++) {
        ModelConfig config = compiled.get(i).spec().config();
        cases.add(new GeneratedCase(batch.get(i), compiled.get(i),
            ModelParameters.initialize(config, parameterSeed + from + i)));
      }
    }
    return cases;
  }

  ModelConfig config() {
    return compiled.spec().config();
  }

  /** A new generated instance with the spec's limits. */
  RnnModel generated() {
    return (RnnModel) compiled.instantiate(parameters);
  }

  /** A new reference model with the spec's limits. */
  ReferenceModel reference() {
    return new ReferenceModel(parameters);
  }

  /** The spec's first line, for test names. */
  String name() {
    return yaml.lines().findFirst().orElse("").replace("# ", "") + " (" + compiled.spec().modelName() + ")";
  }

  /** Everything needed to reproduce a failure. */
  String context() {
    return "--- spec (" + compiled.type().getName() + ", vector kernels " + compiled.usesVectorKernels()
        + ") ---\n" + yaml + "---";
  }
}
