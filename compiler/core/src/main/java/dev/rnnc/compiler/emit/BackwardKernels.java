package dev.rnnc.compiler.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * How a cell's elementwise backward kernels ({@link CellEmitter#backwardKernels()}, from dh and dc to the gate
 * pre-activation gradients) are emitted: a vector body and the same math in scalar form (the fallback, and the
 * tail of the vector loop). Arrays: {@code a} the stored activated gates at {@code g}, {@code dh}/{@code dc} per-sequence
 * carries at {@code d}, {@code dG} the gate gradients at {@code dg}.
 */
final class BackwardKernels {
  private BackwardKernels() {}

  /** One kernel: name, documentation, parameters, and per-unit (index j) scalar and per-vector bodies. */
  record Kernel(String name, String doc, List<ParameterSpec> parameters, CodeBlock scalar, CodeBlock vector) {}

  /** {@code FloatVector.fromArray(S, array, index)}. */
  static String v(String array, String index) {
    return "FloatVector.fromArray(S, " + array + ", " + index + ")";
  }

  /** The scalar kernel: the unit body over every hidden unit. */
  static MethodSpec scalar(Kernel k) {
    return MethodSpec.methodBuilder(k.name()).addModifiers(Modifier.STATIC)
        .addJavadoc(k.doc())
        .addParameters(k.parameters())
        .beginControlFlow("for (int j = 0; j < HIDDEN; j++)")
        .addCode(k.scalar())
        .endControlFlow()
        .build();
  }

  /** The vector kernel: whole vectors, then the scalar body for the tail. */
  static MethodSpec vector(Kernel k) {
    return MethodSpec.methodBuilder(k.name()).addModifiers(Modifier.STATIC)
        .addJavadoc(k.doc())
        .addParameters(k.parameters())
        .addStatement("int j = 0")
        .beginControlFlow("for (; j < HIDDEN_BOUND; j += L)")
        .addCode(k.vector())
        .endControlFlow()
        .beginControlFlow("for (; j < HIDDEN; j++)")
        .addCode(k.scalar())
        .endControlFlow()
        .build();
  }
}
