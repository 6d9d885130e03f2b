package dev.rnnc.onnx;

import dev.rnnc.runtime.RnncException;

/**
 * A problem with an ONNX file or with what its graph asks for: one line saying what and where (file, node,
 * op type), printed by the CLI as a user error. Nothing is written when an import fails with one.
 */
public class OnnxException extends RnncException {
  private static final long serialVersionUID = 1L;

  public OnnxException(String message) {
    super(message);
  }

  public OnnxException(String message, Throwable cause) {
    super(message, cause);
  }
}
