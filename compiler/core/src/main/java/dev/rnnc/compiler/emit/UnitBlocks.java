package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.MEMORY_SEGMENT;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
import java.util.List;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * The unit-blocked streaming step's sweep over the blocks of hidden units ({@code Packing.unitBlock}), shared by the
 * cells that have one ({@link dev.rnnc.compiler.plan.LayerRun#unitStep}): blocks of two vectors of units through the
 * cell's kernel of {@code 2 × gates} panels, then at most one block of one vector through its kernel of
 * {@code gates} panels, then the units past the whole vectors through its {@code Rest} kernel (the one-vector kernel
 * on copies, so every vector it loads and stores is in bounds); in reverse order when asked (the step alternates, so
 * it starts on the weights the step before touched last).
 */
final class UnitBlocks {
  private UnitBlocks() {}

  /**
   * {@code static void name(MemorySegment w, params..., float[] scratch, boolean reversed)}; {@code params} must
   * include {@code cols}, the packed matrix's columns. Kernels are called as {@code kernel + panels(w, o, params...,
   * u)} and {@code kernel + "Rest"(w, o, params..., u, units, scratch)}.
   */
  static MethodSpec sweep(String name, CodeBlock doc, String kernel, int gates, List<ParameterSpec> params) {
    String args = params.stream().map(p -> p.name()).collect(Collectors.joining(", "));
    int pair = 2 * gates;
    String rest = kernel + "Rest(w, restAt, " + args + ", u + singles * L, rest, scratch)";
    String single = kernel + gates + "(w, o, " + args + ", u)";
    return MethodSpec.methodBuilder(name).addModifiers(Modifier.STATIC)
        .addJavadoc(doc)
        .addParameter(MEMORY_SEGMENT, "w").addParameters(params)
        .addParameter(Types.FLOATS, "scratch").addParameter(boolean.class, "reversed")
        .addStatement("int pairs = HIDDEN / (2 * L)")
        .addStatement("int singles = (HIDDEN - pairs * 2 * L) / L")
        .addStatement("int rest = HIDDEN - pairs * 2 * L - singles * L")
        .addStatement("long pairBytes = $LL * PANEL_BYTES * cols", pair)
        .addStatement("int u = pairs * 2 * L")
        .addStatement("long o = pairs * pairBytes")
        .addStatement("long restAt = o + singles * $LL * PANEL_BYTES * cols", gates)
        .beginControlFlow("if (reversed)")
        .beginControlFlow("if (rest > 0)").addStatement(rest).endControlFlow()
        .beginControlFlow("if (singles > 0)").addStatement(single).endControlFlow()
        .endControlFlow()
        .beginControlFlow("for (int b = 0; b < pairs; b++)")
        .addStatement("int at = reversed ? pairs - 1 - b : b")
        .addStatement("$L$L(w, at * pairBytes, $L, at * 2 * L)", kernel, pair, args)
        .endControlFlow()
        .beginControlFlow("if (!reversed)")
        .beginControlFlow("if (singles > 0)").addStatement(single).endControlFlow()
        .beginControlFlow("if (rest > 0)").addStatement(rest).endControlFlow()
        .endControlFlow()
        .build();
  }
}
