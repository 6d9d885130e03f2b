package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.BackwardKernels.v;
import static dev.rnnc.compiler.emit.Types.PACKING;
import static dev.rnnc.compiler.emit.Types.VECTOR_OPERATORS;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.Member;
import java.util.List;

/** Vanilla RNN (torch.nn.RNN): h' = act(W_ih·x + b_ih + W_hh·h + b_hh), act tanh or relu. */
final class RnnCellEmitter implements CellEmitter {
  private final boolean relu;

  RnnCellEmitter(boolean relu) {
    this.relu = relu;
  }

  @Override
  public boolean hasCellState() {
    return false;
  }

  @Override
  public List<KernelEmitter.CellKernel> kernels() {
    return List.of(new KernelEmitter.CellKernel("rnnCell",
        "Vanilla RNN update: h = " + (relu ? "relu" : "tanh") + "(pre-activation), also kept in g.\n",
        List.of("g", "h"),
        relu ? KernelEmitter.ranges() : KernelEmitter.ranges("tanh", "0", "HIDDEN"),
        relu
            ? CodeBlock.builder()
                .addStatement("float a = Math.max(0f, g[gOff + j])")
                .addStatement("g[gOff + j] = a")
                .addStatement("h[hOff + j] = a")
                .build()
            : CodeBlock.builder().addStatement("h[hOff + j] = g[gOff + j]").build(),
        relu
            ? new VectorCode()
                .let("a", v("g", "gOff + j") + ".max(0f)")
                .statement("a.intoArray(g, gOff + j)")
                .statement("a.intoArray(h, hOff + j)")
                .build()
            : new VectorCode().statement(v("g", "gOff + j") + ".intoArray(h, hOff + j)").build()));
  }

  @Override
  public List<BackwardKernels.Kernel> backwardKernels() {
    VectorCode vector = new VectorCode()
        .let("av", v("a", "g + j"))
        .let("dhj", v("dh", "d + j"));
    if (relu) {
      vector.statement("FloatVector.zero(S).blend(dhj, av.compare($T.GT, 0f)).intoArray(dG, dg + j)", VECTOR_OPERATORS);
    } else {
      vector.statement("dhj.mul(FloatVector.broadcast(S, 1f).sub(av.mul(av))).intoArray(dG, dg + j)");
    }
    return List.of(new BackwardKernels.Kernel("rnnBackward",
        "RNN: through the activation's derivative, computed from its output.\n",
        Params.of("[]a", "g", "[]dh", "d", "[]dG", "dg"),
        CodeBlock.builder()
            .addStatement("float av = a[g + j]")
            .addStatement(relu ? "dG[dg + j] = av > 0f ? dh[d + j] : 0f" : "dG[dg + j] = dh[d + j] * (1f - av * av)")
            .build(),
        vector.build()));
  }

  @Override
  public void recurrentStep(MethodSpec.Builder m, LayerRun run, Group group) {
    m.addStatement("$L(weights.$N, GATE_ROWS, HIDDEN, h, $L, gx, $L, g, $L)", group.matvec(), run.name(Member.HH),
        group.offsets("h"), group.offsets("gx"), group.offsets("g"));
    for (String s : group.offsets()) {
      fusedUpdate(m, run, "g", "g" + s, null, null, "h", "h" + s);
    }
  }

  @Override
  public void fusedUpdate(MethodSpec.Builder m, LayerRun run, String g, String gOff, String c, String cOff, String h,
      String hOff) {
    m.addStatement("rnnCell($L, $L, $L, $L)", g, gOff, h, hOff);
  }

  @Override
  public void inputBias(MethodSpec.Builder m) {
    foldBothBiases(m);
  }

  /** Cells whose every gate adds b_ih and b_hh unscaled fold them into one bias. */
  static void foldBothBiases(MethodSpec.Builder m) {
    m.addJavadoc("Every gate adds both biases unscaled, so they fold into one.\n");
    m.addStatement("$T.sumInto(out, bih, 0, bhh, 0, GATE_ROWS)", PACKING);
  }

  @Override
  public void backwardUpdate(MethodSpec.Builder m, LayerRun run, String b, String x) {
    m.addStatement("rnnBackward(gateStore, g$L, dh, d$L, dGates, dg$L)", x, x, x);
  }

  @Override
  public void backwardProduct(MethodSpec.Builder m, LayerRun run, Group group) {
    backwardThroughHh(m, run, group);
  }

  /** dh = W_hh^T · dGates for cells whose step is one product with W_hh. */
  static void backwardThroughHh(MethodSpec.Builder m, LayerRun run, Group group) {
    m.addStatement("$L(weights.$N, STATE, GATE_ROWS, dGates, $L, zeros, $L, dh, $L)", group.matvec(),
        run.name(Member.HH_T), group.locals("dg", ""), group.zeros(), group.locals("d", ""));
  }

  @Override
  public void recurrentGradients(MethodSpec.Builder m, LayerRun run) {
    hhGradients(m, run);
  }

  /** dW_hh = dGates^T · h_prev and db_hh = Σ dGates over every valid step. */
  static void hhGradients(MethodSpec.Builder m, LayerRun run) {
    m.addStatement("outerAccumulate(dGates, 0, GX_STRIDE, hPrev, 0, STATE, validRows, validCount, GATE_ROWS, STATE, "
        + "$N, 0)", run.name(Member.GRAD_WHH));
    m.addStatement("sumRows(dGates, 0, GX_STRIDE, validRows, validCount, GATE_ROWS, $N)", run.name(Member.GRAD_BHH));
  }
}
