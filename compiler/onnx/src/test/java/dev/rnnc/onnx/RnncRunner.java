package dev.rnnc.onnx;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.Map;

/**
 * Runs an imported model the way {@code rnnc run} does: the imported spec text parsed by the compiler's front
 * end, its class generated and compiled in memory, instantiated with the imported weights.
 */
final class RnncRunner {
  private static InMemoryJavaCompiler javac;

  private RnncRunner() {}

  private static synchronized InMemoryJavaCompiler javac() {
    if (javac == null) {
      javac = new InMemoryJavaCompiler();
    }
    return javac;
  }

  /** The generated class for the imported spec, loaded and instantiated with the imported parameters. */
  static RnnModel generated(ImportedModel imported, int maxBatch, int maxLength) {
    Spec spec = SpecParser.parse(imported.modelName() + ".yaml", imported.specYaml());
    RnnCompiler.GeneratedSource source = new RnnCompiler().compile(spec);
    Class<?> type = javac().compile(Map.of(source.qualifiedName(), source.source())).load(source.qualifiedName());
    try {
      Class<?> weights = Class.forName(type.getName() + "$Weights", true, type.getClassLoader());
      Object shared = weights.getConstructor(ModelParameters.class).newInstance(imported.parameters());
      return (RnnModel) type.getConstructor(weights, int.class, int.class).newInstance(shared, maxBatch, maxLength);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot instantiate " + type.getName(), e);
    }
  }

  /** The runtime's double-precision reference implementation with the imported parameters. */
  static RnnModel reference(ImportedModel imported, int maxBatch, int maxLength) {
    return new ReferenceModel(imported.parameters(), maxBatch, maxLength);
  }
}
