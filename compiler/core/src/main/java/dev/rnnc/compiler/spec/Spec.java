package dev.rnnc.compiler.spec;

import dev.rnnc.runtime.ModelConfig;

/**
 * A parsed, validated spec: what to generate and under which name.
 *
 * @param sourceName  where the spec came from (its path, or the name given to {@link SpecParser#parse(String, String)})
 * @param modelName   simple name of the generated class
 * @param packageName package of the generated class
 * @param config      the model the spec describes
 * @param sha256      lowercase hex SHA-256 of the spec's bytes, so generated code can record what it came from
 */
public record Spec(String sourceName, String modelName, String packageName, ModelConfig config, String sha256)
    implements ParsedSpec {

  /** The generated class's fully qualified name, {@code package.Model}. */
  @Override
  public String qualifiedName() {
    return packageName + "." + modelName;
  }
}
