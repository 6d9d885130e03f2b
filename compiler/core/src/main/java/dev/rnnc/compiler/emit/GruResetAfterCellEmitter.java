package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.BackwardKernels.v;
import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.FLOAT_VECTOR;
import static dev.rnnc.compiler.emit.Types.MEMORY_SEGMENT;
import static dev.rnnc.compiler.emit.Types.PACKING;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.Member;
import dev.rnnc.compiler.plan.ModelPlan;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * GRU as torch.nn.GRU (reset after): n = tanh(W_in·x + b_in + r*(W_hn·h + b_hn)), h' = (1-z)*n + z*h. The r and
 * z rows add both products; the n row keeps W_hn·h + b_hn apart (in the gate workspace at 3H) because r scales it.
 */
final class GruResetAfterCellEmitter implements CellEmitter {

  @Override
  public boolean hasCellState() {
    return false;
  }

  @Override
  public List<KernelEmitter.CellKernel> kernels() {
    return List.of(new KernelEmitter.CellKernel("gruCell",
        "GRU update (reset after, as torch.nn.GRU): g holds [r z] pre-activations and, at 3H, W_hn·h + b_hn;\n"
            + "x holds the input projection (n part at 2H). Leaves r, z, n in g[0, 3H).\n",
        List.of("g", "x", "h"),
        KernelEmitter.ranges("sigmoid", "0", "2 * HIDDEN"),
        CodeBlock.builder()
            .addStatement("float n = tanh(Math.fma(g[gOff + j], g[gOff + 3 * HIDDEN + j], x[xOff + 2 * HIDDEN + j]))")
            .addStatement("g[gOff + 2 * HIDDEN + j] = n")
            .addStatement("h[hOff + j] = Math.fma(g[gOff + HIDDEN + j], h[hOff + j] - n, n)")
            .build(),
        new VectorCode()
            .tanh("n", v("g", "gOff + j") + ".fma(" + v("g", "gOff + 3 * HIDDEN + j") + ", "
                + v("x", "xOff + 2 * HIDDEN + j") + ")")
            .statement("n.intoArray(g, gOff + 2 * HIDDEN + j)")
            .statement(v("g", "gOff + HIDDEN + j") + ".fma(" + v("h", "hOff + j") + ".sub(n), n).intoArray(h, hOff + j)")
            .build()));
  }

  @Override
  public List<BackwardKernels.Kernel> backwardKernels() {
    return List.of(new BackwardKernels.Kernel("gruBackward",
        "GRU (reset after): h = n + z·(h_prev - n), n = tanh(x_n + r·(W_hn·h_prev + b_hn)).\n"
            + "Input side gets [dr dz dn]; the recurrent side [dr dz dn·r]; dhDirect = dh·z.\n",
        Params.of("[]a", "g", "[]hp", "hpOff", "[]dh", "[]dhDirect", "d", "[]dG", "[]dGh", "dg"),
        CodeBlock.builder()
            .addStatement("float r = a[g + j]")
            .addStatement("float z = a[g + HIDDEN + j]")
            .addStatement("float n = a[g + 2 * HIDDEN + j]")
            .addStatement("float nh = a[g + 3 * HIDDEN + j]")
            .addStatement("float dhj = dh[d + j]")
            .addStatement("float dan = dhj * (1f - z) * (1f - n * n)")
            .addStatement("float dar = dan * nh * r * (1f - r)")
            .addStatement("float daz = dhj * (hp[hpOff + j] - n) * z * (1f - z)")
            .addStatement("dG[dg + j] = dar")
            .addStatement("dG[dg + HIDDEN + j] = daz")
            .addStatement("dG[dg + 2 * HIDDEN + j] = dan")
            .addStatement("dGh[dg + j] = dar")
            .addStatement("dGh[dg + HIDDEN + j] = daz")
            .addStatement("dGh[dg + 2 * HIDDEN + j] = dan * r")
            .addStatement("dhDirect[d + j] = dhj * z")
            .build(),
        new VectorCode()
            .let("one", "FloatVector.broadcast(S, 1f)")
            .let("r", v("a", "g + j"))
            .let("z", v("a", "g + HIDDEN + j"))
            .let("n", v("a", "g + 2 * HIDDEN + j"))
            .let("nh", v("a", "g + 3 * HIDDEN + j"))
            .let("dhj", v("dh", "d + j"))
            .let("dan", "dhj.mul(one.sub(z)).mul(one.sub(n.mul(n)))")
            .let("dar", "dan.mul(nh).mul(r).mul(one.sub(r))")
            .let("daz", "dhj.mul(" + v("hp", "hpOff + j") + ".sub(n)).mul(z).mul(one.sub(z))")
            .statement("dar.intoArray(dG, dg + j)")
            .statement("daz.intoArray(dG, dg + HIDDEN + j)")
            .statement("dan.intoArray(dG, dg + 2 * HIDDEN + j)")
            .statement("dar.intoArray(dGh, dg + j)")
            .statement("daz.intoArray(dGh, dg + HIDDEN + j)")
            .statement("dan.mul(r).intoArray(dGh, dg + 2 * HIDDEN + j)")
            .statement("dhj.mul(z).intoArray(dhDirect, d + j)")
            .build()));
  }

  @Override
  public void recurrentStep(MethodSpec.Builder m, LayerRun run, Group group) {
    m.addStatement("Weights w = weights")
        .addStatement("$L(w.$N, 2 * HIDDEN, HIDDEN, h, $L, gx, $L, g, $L)", group.matvec(), run.name(Member.HH_RZ),
            group.offsets("h"), group.offsets("gx"), group.offsets("g"))
        .addStatement("$L(w.$N, HIDDEN, HIDDEN, h, $L, w.$N, $L, g, $L)", group.matvec(), run.name(Member.HH_N),
            group.offsets("h"), run.name(Member.BHN), group.zeros(), group.offsets("g", "3 * HIDDEN"));
    for (String s : group.offsets()) {
      m.addStatement("gruCell(g, g$L, gx, gx$L, h, h$L)", s, s, s);
    }
  }

  /**
   * [r z] = b + [W_ih | W_hh]·[x; h] into the gates, x_n = b_in + W_in·x into the projection's n part and
   * b_hn + W_hn·h at 3H: the chains of the unfused step (bias, then x's columns, then h's), one sweep fewer.
   */
  @Override
  public void fusedRzStep(MethodSpec.Builder m, LayerRun run, String in, String state) {
    CodeBlock rz = CodeBlock.of("matvec(w.$N, 2 * HIDDEN, $L + STATE, stepInput, 0, w.$N, 0, gates, 0);\n",
        run.name(Member.STEP_FUSED), in, run.name(Member.IH_BIAS));
    CodeBlock inputN = CodeBlock.of("matvec(w.$N, HIDDEN, $L, stepInput, 0, w.$N, 2 * HIDDEN, stepProjection, "
        + "2 * HIDDEN);\n", run.name(Member.IH_N), in, run.name(Member.IH_BIAS));
    CodeBlock hiddenN = CodeBlock.of("matvec(w.$N, HIDDEN, HIDDEN, stepInput, $L, w.$N, 0, gates, 3 * HIDDEN);\n",
        run.name(Member.HH_N), in, run.name(Member.BHN));
    m.addComment("every other step the three products run in reverse order: the weights the step before touched")
        .addComment("last are then still in the L1 cache (the sums are the same in either order)")
        .beginControlFlow("if (stepReversed)")
        .addCode(hiddenN).addCode(inputN).addCode(rz)
        .nextControlFlow("else")
        .addCode(rz).addCode(inputN).addCode(hiddenN)
        .endControlFlow()
        .addStatement("gruCell(gates, 0, stepProjection, 0, stepState, $L)", state);
  }

  @Override
  public List<MethodSpec> unitStepKernels(ModelPlan plan) {
    CodeBlock doc = CodeBlock.of("One GRU step from [x; h] in {@code x} ({@code in} floats of x, {@code cols} in all) "
        + "through weights\npacked unit-blocked ({@link $T#packUnitsInto}; the n rows hold W_in over x's columns and "
        + "W_hn over h's)\nand biases in their row order: each block's r, z, W_in·x + b_in and W_hn·h + b_hn are "
        + "accumulated and\nturned into its h (at {@code hOff}, in place) while still in registers. Every output is "
        + "the same chain\nof fused multiply-adds as the three products and the cell kernel's, so the results equal "
        + "theirs.\n{@code scratch} (1 vector) holds the h of the units past whole vectors.\n", PACKING);
    return List.of(UnitBlocks.sweep("gruStep", doc, "gruUnits", 3, 2, Params.of("in", "cols", "[]x", "[]bias", "[]h",
        "hOff")), unitBlock(plan, 2), unitBlock(plan, 1), unitRest());
  }

  @Override
  public void unitStep(MethodSpec.Builder m, LayerRun run, String in, String state, String cellState) {
    m.addStatement("Vec.gruStep(w.$N.segment(), $L, $L + STATE, stepInput, w.$N, stepState, $L, gates, stepReversed)",
        run.name(Member.STEP_UNITS), in, in, run.name(Member.STEP_UNITS_BIAS), state);
  }

  /**
   * Kernel for one whole block of {@code per} vectors of units starting at unit {@code u}: r, z and the input side of n
   * over x's columns, then r, z and the recurrent side of n over h's ({@code 3 × per} panels per column).
   */
  private MethodSpec unitBlock(ModelPlan plan, int per) {
    int panels = 3 * per;
    MethodSpec.Builder m = MethodSpec.methodBuilder("gruUnits" + panels).addModifiers(Modifier.STATIC)
        .addJavadoc("The units [u, u + $L) of a block of $L panels per column (r, z, n of $L vector(s) of units each) at\n"
            + "byte offset {@code o}: accumulated from the biases, n's input and recurrent sides apart, then activated\n"
            + "and turned into h in registers.\n", per == 1 ? "L" : Fold.times(per, "L"), panels, per)
        .addParameter(MEMORY_SEGMENT, "w").addParameter(long.class, "o").addParameter(int.class, "in")
        .addParameter(int.class, "cols").addParameter(FLOATS, "x").addParameter(FLOATS, "bias")
        .addParameter(FLOATS, "h").addParameter(int.class, "hOff").addParameter(int.class, "u")
        .addComment("the block's biases start at 4·u (every block before it has 4 per unit): r, z, input n, recurrent n");
    String[] slot = {"r", "z", "xn", "hn"};
    for (int q = 0; q < 4; q++) {
      for (int k = 0; k < per; k++) {
        int at = q * per + k;
        m.addStatement("$T $L$L = $T.fromArray(S, bias, 4 * u$L)", FLOAT_VECTOR, slot[q], k, FLOAT_VECTOR,
            at == 0 ? "" : " + " + Fold.times(at, "L"));
      }
    }
    m.addStatement("int col = 0");
    for (String side : new String[] {"xn", "hn"}) {
      m.beginControlFlow(side.equals("xn") ? "for (; col < in; col++, o += $L)" : "for (; col < cols; col++, o += $L)",
              Fold.times(panels, "PANEL_BYTES"))
          .addStatement("$T xc = $T.broadcast(S, x[col])", FLOAT_VECTOR, FLOAT_VECTOR);
      String[] rows = {"r", "z", side};
      for (int q = 0; q < 3; q++) {
        for (int k = 0; k < per; k++) {
          int panel = q * per + k;
          m.addStatement("$L$L = $L.fma(xc, $L$L)", rows[q], k,
              KernelEmitter.weightLoad(plan, panel == 0 ? "o" : "o + " + Fold.times(panel, "PANEL_BYTES")), rows[q], k);
        }
      }
      m.endControlFlow();
    }
    for (int s = 0; s < per; s++) {
      String at = s == 0 ? "u" : "u + " + Fold.times(s, "L");
      m.addCode(new VectorCode()
          .sigmoid("rs" + s, "r" + s)
          .sigmoid("zs" + s, "z" + s)
          .tanh("n" + s, "rs" + s + ".fma(hn" + s + ", xn" + s + ")")
          .statement("zs" + s + ".fma(" + v("h", "hOff + " + at) + ".sub(n" + s + "), n" + s
              + ").intoArray(h, hOff + " + at + ")")
          .build());
    }
    return m.build();
  }

  /** The units past the whole vectors through {@code gruUnits3} on a copy of their h in {@code scratch[0, L)}. */
  private MethodSpec unitRest() {
    return MethodSpec.methodBuilder("gruUnitsRest").addModifiers(Modifier.STATIC)
        .addJavadoc("The last {@code units} (fewer than L) hidden units from unit {@code u}, through {@code gruUnits3}\n"
            + "with their h in {@code scratch} (1 vector), so every vector it loads and stores is in bounds.\n")
        .addParameter(MEMORY_SEGMENT, "w").addParameter(long.class, "o").addParameter(int.class, "in")
        .addParameter(int.class, "cols").addParameter(FLOATS, "x").addParameter(FLOATS, "bias")
        .addParameter(FLOATS, "h").addParameter(int.class, "hOff").addParameter(int.class, "u")
        .addParameter(int.class, "units").addParameter(FLOATS, "scratch")
        .addStatement("System.arraycopy(h, hOff + u, scratch, 0, units)")
        .addStatement("gruUnits3(w, o, in, cols, x, bias, scratch, -u, u)")
        .addStatement("System.arraycopy(scratch, 0, h, hOff + u, units)")
        .build();
  }

  @Override
  public boolean alternatesStepOrder() {
    return true;
  }

  /** n = tanh(x_n + r·(W_hn·h + b_hn)): the projections stay apart from the recurrent products, which r scales. */
  @Override
  public boolean projectsIntoGates() {
    return false;
  }

  /**
   * [r z] rows: gx + W_hh_rz·h (whole panels of 2H rows, so they need rows of their own: written in place they
   * would overwrite the start of gx's n part); at 3H: b_hn + W_hn·h.
   */
  @Override
  public void batchedProducts(MethodSpec.Builder m, LayerRun run, String hBase, String g, String gRows, String gStride,
      String gBase) {
    // init rows are the y rows (gRows): the projections are row running[i] of inputProjection, so gRows is running;
    // projected ahead (forward runs only), sequence b's row of step s is b * steps + s, so the init stride is
    // steps rows and the base s rows
    String init = "inputProjection, GX_STRIDE, 0";
    if (run.projectsAhead()) {
      init = "inputProjection, ahead ? steps * GX_STRIDE : GX_STRIDE, ahead ? s * GX_STRIDE : 0";
    }
    m.addStatement("rowsProduct(w.$N, 2 * HIDDEN, STATE, hN, running, STATE, $L, $L, $L, $L, $L, $L, count, "
            + "productPanel)", run.name(Member.HH_RZ), hBase, init, g, gRows, gStride, gBase)
        .addStatement("rowsProduct(w.$N, HIDDEN, STATE, hN, running, STATE, $L, w.$N, 0, 0, $L, $L, $L, $L, count, "
            + "productPanel)", run.name(Member.HH_N), hBase, run.name(Member.BHN), g, gRows, gStride,
            Fold.plus(gBase, "3 * HIDDEN"));
  }

  @Override
  public void batchedUpdate(MethodSpec.Builder m, LayerRun run, String g, String gOff, String c, String cOff, String h,
      String hOff) {
    m.addStatement("gruCell($L, $L, inputProjection, $L * GX_STRIDE, $L, $L)", g, gOff,
        run.projectsAhead() ? "(ahead ? row : b)" : "b", h, hOff);
  }

  @Override
  public void inputBias(MethodSpec.Builder m) {
    m.addJavadoc("r and z rows: b_ih + b_hh; n rows: b_in only, because b_hn is scaled by r.\n");
    m.addStatement("$T.sumInto(out, bih, 0, bhh, 0, 2 * HIDDEN)", PACKING);
    m.addStatement("System.arraycopy(bih, 2 * HIDDEN, out, 2 * HIDDEN, HIDDEN)");
  }

  @Override
  public void backwardUpdate(MethodSpec.Builder m, LayerRun run, String b, String x) {
    m.addStatement("gruBackward(gateStore, g$L, hPrev, row$L * HIDDEN, dh, dhDirect, d$L, dGates, dGatesHh, dg$L)",
        x, x, x, x);
  }

  @Override
  public void backwardProduct(MethodSpec.Builder m, LayerRun run, Group group) {
    m.addStatement("$L(weights.$N, HIDDEN, GATE_ROWS, dGatesHh, $L, dhDirect, $L, dh, $L)", group.matvec(),
        run.name(Member.HH_T), group.locals("dg", ""), group.locals("d", ""), group.locals("d", ""));
  }

  @Override
  public void recurrentGradients(MethodSpec.Builder m, LayerRun run) {
    m.addStatement("outerAccumulate(dGatesHh, 0, GX_STRIDE, hPrev, 0, HIDDEN, validRows, validCount, GATE_ROWS, "
        + "HIDDEN, $N, 0)", run.name(Member.GRAD_WHH));
    m.addStatement("sumRows(dGatesHh, 0, GX_STRIDE, validRows, validCount, GATE_ROWS, $N)", run.name(Member.GRAD_BHH));
  }
}
