package dev.rnnc.compiler;

/**
 * Code that rnnc generated is wrong: javac rejected it, or the verifier found a construct that must not
 * appear in it (an allocation in a hot loop, a method too large to be JIT-compiled...).
 *
 * <p>This is a bug in rnnc, never a problem with the user's spec, which is why it is not a
 * {@link dev.rnnc.runtime.RnncException}: its message is meant for rnnc's developers and lists every
 * problem found, with enough context (file, line, method) to find the emitter at fault.
 */
public class GeneratedCodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GeneratedCodeException(String message) {
    super(message);
  }

  public GeneratedCodeException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * The first line of the message, without its trailing colon: what failed, for a one-line report to a
   * user ({@code "rnnc bug: generated code for m.yaml breaks its own rules (2 violations)"}); the lines
   * after it list the problems for rnnc's developers.
   */
  public String summary() {
    String message = String.valueOf(getMessage()).strip();
    int end = message.indexOf('\n');
    String first = (end < 0 ? message : message.substring(0, end)).strip();
    return first.endsWith(":") ? first.substring(0, first.length() - 1) : first;
  }
}
