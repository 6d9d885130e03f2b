package dev.rnnc.runtime;

/**
 * A problem with what the user gave rnnc (a file, a shape, a value), with a message meant for that user.
 * Tools print the message alone, without a stack trace, and exit with status 1.
 */
public class RnncException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RnncException(String message) {
    super(message);
  }

  public RnncException(String message, Throwable cause) {
    super(message, cause);
  }
}
