package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.BackwardKernels.v;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.Member;
import java.util.List;

/**
 * GRU as Cho et al. 2014 (reset before): n = tanh(W_in·x + b_in + W_hn·(r*h) + b_hn). A step takes two phases:
 * r and z first, then the product of W_hn with r*h.
 */
final class GruResetBeforeCellEmitter implements CellEmitter {

  @Override
  public boolean hasCellState() {
    return false;
  }

  @Override
  public List<KernelEmitter.CellKernel> kernels() {
    return List.of(
        new KernelEmitter.CellKernel("gruGates",
            "GRU (reset before) first phase: activates r and z in g[0, 2H) and writes r*h to rh for W_hn·(r*h).\n",
            List.of("g", "h", "rh"),
            KernelEmitter.ranges("sigmoid", "0", "2 * HIDDEN"),
            CodeBlock.builder().addStatement("rh[rhOff + j] = g[gOff + j] * h[hOff + j]").build(),
            new VectorCode().statement(v("g", "gOff + j") + ".mul(" + v("h", "hOff + j") + ").intoArray(rh, rhOff + j)")
                .build()),
        new KernelEmitter.CellKernel("gruCell",
            "GRU (reset before) second phase: n = tanh(pre-activation at 2H), h = (1 - z)*n + z*h; leaves n in g.\n",
            List.of("g", "h"),
            KernelEmitter.ranges("tanh", "2 * HIDDEN", "HIDDEN"),
            CodeBlock.builder()
                .addStatement("float n = g[gOff + 2 * HIDDEN + j]")
                .addStatement("h[hOff + j] = Math.fma(g[gOff + HIDDEN + j], h[hOff + j] - n, n)")
                .build(),
            new VectorCode()
                .let("n", v("g", "gOff + 2 * HIDDEN + j"))
                .statement(v("g", "gOff + HIDDEN + j") + ".fma(" + v("h", "hOff + j") + ".sub(n), n).intoArray(h, hOff + j)")
                .build()));
  }

  @Override
  public List<BackwardKernels.Kernel> backwardKernels() {
    return List.of(
        new BackwardKernels.Kernel("gruBackwardCandidate",
            "GRU (reset before), first half: dz and dn (the candidate's pre-activation gradient).\n",
            Params.of("[]a", "g", "[]hp", "hpOff", "[]dh", "d", "[]dG", "dg"),
            CodeBlock.builder()
                .addStatement("float z = a[g + HIDDEN + j]")
                .addStatement("float n = a[g + 2 * HIDDEN + j]")
                .addStatement("float dhj = dh[d + j]")
                .addStatement("dG[dg + HIDDEN + j] = dhj * (hp[hpOff + j] - n) * z * (1f - z)")
                .addStatement("dG[dg + 2 * HIDDEN + j] = dhj * (1f - z) * (1f - n * n)")
                .build(),
            new VectorCode()
                .let("one", "FloatVector.broadcast(S, 1f)")
                .let("z", v("a", "g + HIDDEN + j"))
                .let("n", v("a", "g + 2 * HIDDEN + j"))
                .let("dhj", v("dh", "d + j"))
                .statement("dhj.mul(" + v("hp", "hpOff + j") + ".sub(n)).mul(z).mul(one.sub(z)).intoArray(dG, dg + HIDDEN + j)")
                .statement("dhj.mul(one.sub(z)).mul(one.sub(n.mul(n))).intoArray(dG, dg + 2 * HIDDEN + j)")
                .build()),
        new BackwardKernels.Kernel("gruBackwardReset",
            "GRU (reset before), second half: with resetGrad = W_hn^T·dn = d(r·h_prev), dr and the direct dh_prev\n"
                + "part dh·z + resetGrad·r; also keeps r·h_prev for dW_hn.\n",
            Params.of("[]a", "g", "[]hp", "hpOff", "[]dh", "[]resetGrad", "[]dhDirect", "d", "[]dG", "dg", "[]rhPrev"),
            CodeBlock.builder()
                .addStatement("float r = a[g + j]")
                .addStatement("float z = a[g + HIDDEN + j]")
                .addStatement("float h = hp[hpOff + j]")
                .addStatement("float rg = resetGrad[d + j]")
                .addStatement("dG[dg + j] = rg * h * r * (1f - r)")
                .addStatement("dhDirect[d + j] = dh[d + j] * z + rg * r")
                .addStatement("rhPrev[hpOff + j] = r * h")
                .build(),
            new VectorCode()
                .let("r", v("a", "g + j"))
                .let("z", v("a", "g + HIDDEN + j"))
                .let("h", v("hp", "hpOff + j"))
                .let("rg", v("resetGrad", "d + j"))
                .statement("rg.mul(h).mul(r).mul(FloatVector.broadcast(S, 1f).sub(r)).intoArray(dG, dg + j)")
                .statement(v("dh", "d + j") + ".mul(z).add(rg.mul(r)).intoArray(dhDirect, d + j)")
                .statement("r.mul(h).intoArray(rhPrev, hpOff + j)")
                .build()));
  }

  @Override
  public void recurrentStep(MethodSpec.Builder m, LayerRun run, Group group) {
    m.addStatement("Weights w = weights")
        .addStatement("$L(w.$N, 2 * HIDDEN, HIDDEN, h, $L, gx, $L, g, $L)", group.matvec(), run.name(Member.HH_RZ),
            group.offsets("h"), group.offsets("gx"), group.offsets("g"));
    List<String> offsets = group.offsets();
    for (int k = 0; k < offsets.size(); k++) {
      String s = offsets.get(k);
      m.addStatement("gruGates(g, g$L, h, h$L, resetHidden, $L)", s, s, Fold.times(k, "HIDDEN_STRIDE"));
    }
    m.addStatement("$L(w.$N, HIDDEN, HIDDEN, resetHidden, $L, gx, $L, g, $L)", group.matvec(), run.name(Member.HH_N),
        group.slots("HIDDEN_STRIDE"), group.offsets("gx", "2 * HIDDEN"), group.offsets("g", "2 * HIDDEN"));
    for (String s : offsets) {
      m.addStatement("gruCell(g, g$L, h, h$L)", s, s);
    }
  }

  /**
   * [r z] = b + [W_ih | W_hh]·[x; h] into the gates, x_n = b_n + W_in·x into the projection's n part, then r·h
   * and n's pre-activation x_n + W_hn·(r·h): the chains of the unfused step, one sweep fewer.
   */
  @Override
  public void fusedRzStep(MethodSpec.Builder m, LayerRun run, String in, String state) {
    m.addStatement("matvec(w.$N, 2 * HIDDEN, $L + STATE, stepInput, 0, w.$N, 0, gates, 0)", run.name(Member.STEP_FUSED),
            in, run.name(Member.IH_BIAS))
        .addStatement("matvec(w.$N, HIDDEN, $L, stepInput, 0, w.$N, 2 * HIDDEN, stepProjection, 2 * HIDDEN)",
            run.name(Member.IH_N), in, run.name(Member.IH_BIAS))
        .addStatement("gruGates(gates, 0, stepState, $L, resetHidden, 0)", state)
        .addStatement("matvec(w.$N, HIDDEN, HIDDEN, resetHidden, 0, stepProjection, 2 * HIDDEN, gates, 2 * HIDDEN)",
            run.name(Member.HH_N))
        .addStatement("gruCell(gates, 0, stepState, $L)", state);
  }

  @Override
  public void inputBias(MethodSpec.Builder m) {
    RnnCellEmitter.foldBothBiases(m);
  }

  @Override
  public void backwardUpdate(MethodSpec.Builder m, LayerRun run, String b, String x) {
    m.addStatement("gruBackwardCandidate(gateStore, g$L, hPrev, row$L * HIDDEN, dh, d$L, dGates, dg$L)", x, x, x, x);
  }

  @Override
  public void backwardProduct(MethodSpec.Builder m, LayerRun run, Group group) {
    m.addStatement("$L(weights.$N, HIDDEN, HIDDEN, dGates, $L, zeros, $L, resetGrad, $L)", group.matvec(),
        run.name(Member.HH_N_T), group.locals("dg", " + 2 * HIDDEN"), group.zeros(), group.locals("d", ""));
    for (String x : group.locals()) {
      m.addStatement("gruBackwardReset(gateStore, g$L, hPrev, row$L * HIDDEN, dh, resetGrad, dhDirect, d$L, dGates, "
          + "dg$L, rhPrev)", x, x, x, x);
    }
    m.addStatement("$L(weights.$N, HIDDEN, 2 * HIDDEN, dGates, $L, dhDirect, $L, dh, $L)", group.matvec(),
        run.name(Member.HH_RZ_T), group.locals("dg", ""), group.locals("d", ""), group.locals("d", ""));
  }

  @Override
  public void recurrentGradients(MethodSpec.Builder m, LayerRun run) {
    String whh = run.name(Member.GRAD_WHH);
    m.addStatement("outerAccumulate(dGates, 0, GX_STRIDE, hPrev, 0, HIDDEN, validRows, validCount, 2 * HIDDEN, HIDDEN, "
        + "$N, 0)", whh);
    m.addStatement("outerAccumulate(dGates, 2 * HIDDEN, GX_STRIDE, rhPrev, 0, HIDDEN, validRows, validCount, HIDDEN, "
        + "HIDDEN, $N, 2 * HIDDEN * HIDDEN)", whh);
    m.addStatement("sumRows(dGates, 0, GX_STRIDE, validRows, validCount, GATE_ROWS, $N)", run.name(Member.GRAD_BHH));
  }
}
