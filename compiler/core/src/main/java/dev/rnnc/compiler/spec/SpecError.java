package dev.rnnc.compiler.spec;

/**
 * One problem found in a spec, located at the key or value it concerns.
 *
 * @param file    the spec's source name (usually its path)
 * @param line    1-based line
 * @param column  1-based column
 * @param message what is wrong, phrased for the user
 */
public record SpecError(String file, int line, int column, String message) {

  /** {@code file:line:column: message}, the format compilers and editors recognise. */
  @Override
  public String toString() {
    return file + ":" + line + ":" + column + ": " + message;
  }
}
