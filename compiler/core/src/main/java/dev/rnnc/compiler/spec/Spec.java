package dev.rnnc.compiler.spec;

import dev.rnnc.compiler.plan.WeightPrecision;
import dev.rnnc.runtime.ModelConfig;

/**
 * A parsed, validated spec: what to generate and under which name.
 *
 * @param sourceName  where the spec came from (its path, or the name given to {@link SpecParser#parse(String, String)})
 * @param modelName   simple name of the generated class
 * @param packageName package of the generated class
 * @param config      the model the spec describes
 * @param sha256      lowercase hex SHA-256 of the spec's bytes, so generated code can record what it came from
 * @param weights     how the generated class stores its weight matrices
 */
public record Spec(String sourceName, String modelName, String packageName, ModelConfig config, String sha256,
    WeightPrecision weights) implements ParsedSpec {

  /** A spec whose weights are stored as float32 (the default). */
  public Spec(String sourceName, String modelName, String packageName, ModelConfig config, String sha256) {
    this(sourceName, modelName, packageName, config, sha256, WeightPrecision.F32);
  }

  /** The generated class's fully qualified name, {@code package.Model}. */
  @Override
  public String qualifiedName() {
    return packageName + "." + modelName;
  }
}
