package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOAT_VECTOR;
import static dev.rnnc.compiler.emit.Types.VECTOR_OPERATORS;

import com.palantir.javapoet.CodeBlock;

/**
 * Builds vector kernel bodies with the activations written out inline. A helper method taking or
 * returning a {@code FloatVector} is only free when the JIT inlines it; once such a helper is compiled on
 * its own it can grow past the inlining limits, and every vector crossing the call is then boxed — an
 * allocation per call on the hot path. Emitting the arithmetic in place removes that risk.
 */
final class VectorCode {
  private final CodeBlock.Builder code = CodeBlock.builder();

  /** {@code FloatVector name = expression;} */
  VectorCode let(String name, String expression) {
    code.addStatement("$T $L = $L", FLOAT_VECTOR, name, expression);
    return this;
  }

  /** A plain statement. */
  VectorCode statement(String statement) {
    code.addStatement("$L", statement);
    return this;
  }

  /** A statement with JavaPoet placeholders ({@code $T} for types, so they are imported). */
  VectorCode statement(String format, Object... args) {
    code.addStatement(format, args);
    return this;
  }

  /** {@code name = tanh(input)} with the clamped rational approximation of {@link KernelEmitter}. */
  VectorCode tanh(String name, String input) {
    String x = name + "X";
    String x2 = name + "X2";
    String p = name + "P";
    String q = name + "Q";
    float[] num = KernelEmitter.TANH_P;
    float[] den = KernelEmitter.TANH_Q;
    // the clamp as compare-and-blend, not max/min: equal for every input (NaN stays NaN, the bounds are not 0),
    // and 2 instructions each where Java's NaN- and -0-exact max/min compile to 5-6
    let(x + "In", "(" + input + ")");
    code.addStatement("$T $L = $LIn.blend($T.broadcast(S, TANH_CLAMP), $LIn.compare($T.GT, TANH_CLAMP))",
        FLOAT_VECTOR, x, x, FLOAT_VECTOR, x, VECTOR_OPERATORS);
    code.addStatement("$L = $L.blend($T.broadcast(S, -TANH_CLAMP), $L.compare($T.LT, -TANH_CLAMP))",
        x, x, FLOAT_VECTOR, x, VECTOR_OPERATORS);
    let(x2, x + ".mul(" + x + ")");
    let(p, x2 + ".fma(" + literal(num[0]) + ", " + literal(num[1]) + ")");
    for (int k = 2; k < num.length; k++) {
      code.addStatement("$L = $L.fma($L, $T.broadcast(S, $L))", p, x2, p, FLOAT_VECTOR, literal(num[k]));
    }
    let(q, x2 + ".fma(" + literal(den[0]) + ", " + literal(den[1]) + ")");
    for (int k = 2; k < den.length; k++) {
      code.addStatement("$L = $L.fma($L, $T.broadcast(S, $L))", q, x2, q, FLOAT_VECTOR, literal(den[k]));
    }
    return let(name, x + ".mul(" + p + ").div(" + q + ")");
  }

  /** {@code name = sigmoid(input) = 0.5 + 0.5·tanh(input / 2)}. */
  VectorCode sigmoid(String name, String input) {
    tanh(name + "T", "(" + input + ").mul(0.5f)");
    return let(name, name + "T.fma(0.5f, 0.5f)");
  }

  CodeBlock build() {
    return code.build();
  }

  private static String literal(float value) {
    return Float.toString(value) + "f";
  }
}
