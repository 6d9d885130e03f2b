/**
 * The spec front end: reads a model spec (YAML) into a validated {@link dev.rnnc.runtime.ModelConfig}.
 *
 * <p>{@link dev.rnnc.compiler.spec.SpecParser} composes the YAML node tree with SnakeYAML Engine (so every
 * value keeps its line and column), checks every key, type, bound and cross-key rule, collects all problems
 * at once, and either returns a {@link dev.rnnc.compiler.spec.Spec} or throws a
 * {@link dev.rnnc.compiler.spec.SpecException} listing them as {@code file:line:column: message}. The
 * accepted keys and their bounds are listed in {@link dev.rnnc.compiler.spec.SpecSchema}.
 */
package dev.rnnc.compiler.spec;
