package dev.rnnc.compiler.verify;

/**
 * One thing generated code must not contain, found by {@link CodeVerifier}.
 *
 * @param kind      what was found
 * @param layer     which check found it; one construct may be reported by both
 * @param className binary name without the package ({@code Outer$Inner})
 * @param method    the method's name
 * @param message   what and where (source line when known)
 */
public record Violation(Kind kind, Layer layer, String className, String method, String message) {

  /** The kinds of construct the verifier rejects. */
  public enum Kind {
    /** Object creation in a hot method. */
    NEW_OBJECT,
    /** Array creation in a hot method. */
    NEW_ARRAY,
    /** Lambda expression in a hot method. */
    LAMBDA,
    /** Method reference in a hot method. */
    METHOD_REFERENCE,
    /** Use of {@code java.util.stream} in a hot method. */
    STREAM,
    /** String concatenation or a String/StringBuilder method call in a hot method. */
    STRING,
    /** Boxing or a boxed type in a hot method. */
    BOXING,
    /** Any method whose bytecode is too large for HotSpot to JIT-compile. */
    HUGE_METHOD,
    /** {@code invokedynamic} in a hot method (lambdas, method references, string concatenation...). */
    INVOKEDYNAMIC,
    /**
     * A method through which one compilation could gather too much Vector API work by inlining (see
     * {@link BytecodeChecker#checkInlinedVectorWork}).
     */
    INLINED_VECTOR_WORK
  }

  /** Which layer of the verifier found the violation. */
  public enum Layer {
    SOURCE,
    BYTECODE
  }

  /** {@code Class.method: message}. */
  @Override
  public String toString() {
    return className + "." + method + ": " + message;
  }
}
