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
 * cells that have one ({@link dev.rnnc.compiler.plan.LayerRun#unitStep}): blocks of {@code UNIT_VECTORS} vectors of
 * units ({@link dev.rnnc.compiler.plan.Blocking#unitVectors}) through the cell's kernel of {@code UNIT_VECTORS × gates}
 * panels, then the whole vectors left one by one through its kernel of {@code gates} panels, then the units past the whole vectors through its {@code Rest} kernel (the one-vector kernel
 * on copies, so every vector it loads and stores is in bounds); in reverse order when asked (the step alternates, so
 * it starts on the weights the step before touched last).
 */
final class UnitBlocks {
  private UnitBlocks() {}

  /**
   * {@code static void name(MemorySegment w, params..., float[] scratch, boolean reversed)}; {@code params} must
   * include {@code cols}, the packed matrix's columns. Kernels are called as {@code kernel + panels(w, o, params...,
   * u)} and {@code kernel + "Rest"(w, o, params..., u, units, scratch)}; whole blocks hold {@code UNIT_VECTORS}
   * vectors of units.
   */
  static MethodSpec sweep(String name, CodeBlock doc, String kernel, int gates, int vectors, List<ParameterSpec> params) {
    String args = params.stream().map(p -> p.name()).collect(Collectors.joining(", "));
    String rest = kernel + "Rest(w, o + singles * singleBytes, " + args + ", u + singles * L, rest, scratch)";
    String single = kernel + gates + "(w, o + q * singleBytes, " + args + ", u + q * L)";
    return MethodSpec.methodBuilder(name).addModifiers(Modifier.STATIC)
        .addJavadoc(doc)
        .addParameter(MEMORY_SEGMENT, "w").addParameters(params)
        .addParameter(Types.FLOATS, "scratch").addParameter(boolean.class, "reversed")
        .addStatement("int blocks = HIDDEN / (UNIT_VECTORS * L)")
        .addStatement("int singles = (HIDDEN - blocks * UNIT_VECTORS * L) / L")
        .addStatement("int rest = HIDDEN - (blocks * UNIT_VECTORS + singles) * L")
        .addStatement("long singleBytes = $LL * PANEL_BYTES * cols", gates)
        .addStatement("long blockBytes = UNIT_VECTORS * singleBytes")
        .addStatement("int u = blocks * UNIT_VECTORS * L")
        .addStatement("long o = blocks * blockBytes")
        .beginControlFlow("if (reversed)")
        .beginControlFlow("if (rest > 0)").addStatement(rest).endControlFlow()
        .beginControlFlow("for (int q = singles - 1; q >= 0; q--)").addStatement(single).endControlFlow()
        .endControlFlow()
        .beginControlFlow("for (int b = 0; b < blocks; b++)")
        .addStatement("int at = reversed ? blocks - 1 - b : b")
        .addStatement("$L$L(w, at * blockBytes, $L, at * UNIT_VECTORS * L)", kernel, vectors * gates, args)
        .endControlFlow()
        .beginControlFlow("if (!reversed)")
        .beginControlFlow("for (int q = 0; q < singles; q++)").addStatement(single).endControlFlow()
        .beginControlFlow("if (rest > 0)").addStatement(rest).endControlFlow()
        .endControlFlow()
        .build();
  }
}
