/**
 * The rnnc Maven plugin: goal {@code rnnc:generate} turns the specs of a project into model classes under
 * {@code target/generated-sources/rnnc}, regenerating only what changed ({@link dev.rnnc.maven.IncrementalGenerator})
 * and reporting spec problems as {@code file:line:column: message} lines.
 */
package dev.rnnc.maven;
