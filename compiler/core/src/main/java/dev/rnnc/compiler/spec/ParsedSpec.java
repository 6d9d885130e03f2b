package dev.rnnc.compiler.spec;

/**
 * What {@link SpecParser#parseAny} returns: a single-stack {@link Spec} or an encoder–decoder {@link Seq2SeqSpec}.
 */
public sealed interface ParsedSpec permits Spec, Seq2SeqSpec {
  /** Where the spec came from. */
  String sourceName();

  /** Simple name of the generated class. */
  String modelName();

  /** Package of the generated class. */
  String packageName();

  /** Lowercase hex SHA-256 of the spec's bytes. */
  String sha256();

  /** The generated class's fully qualified name, {@code package.Model}. */
  default String qualifiedName() {
    return packageName() + "." + modelName();
  }
}
