package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.BackwardKernels.v;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.FLOAT_VECTOR;
import static dev.rnnc.compiler.emit.Types.MEMORY_SEGMENT;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.Member;
import dev.rnnc.compiler.plan.ModelPlan;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * LSTM (torch.nn.LSTM): gates i, f, g, o; c' = f*c + i*g, h' = o*tanh(c'). Two variants compose with it:
 * <ul>
 *   <li>a projection ({@code proj_size = P}): h' = W_hr·(o*tanh(c')), P wide; the cell output o*tanh(c') goes to a
 *       scratch, one product with W_hr per sweep (for all sequences of the group) makes h;</li>
 *   <li>peepholes (ONNX): i and f see P_i*c and P_f*c of the previous c, o sees P_o*c' of the new one.</li>
 * </ul>
 */
final class LstmCellEmitter implements CellEmitter {
  private final boolean projection;
  private final boolean peepholes;

  LstmCellEmitter(boolean projection, boolean peepholes) {
    this.projection = projection;
    this.peepholes = peepholes;
  }

  @Override
  public boolean hasCellState() {
    return true;
  }

  private String update() {
    return peepholes ? "lstmPeepholeCell" : "lstmCell";
  }

  private String backward() {
    return peepholes ? "lstmPeepholeBackward" : "lstmBackward";
  }

  @Override
  public List<KernelEmitter.CellKernel> kernels() {
    if (!peepholes) {
      return List.of(new KernelEmitter.CellKernel("lstmCell",
          "LSTM update from pre-activation gates [i f g o] in g: activates them in place, c = f*c + i*g, h = o*tanh(c).\n",
          List.of("g", "c", "h"),
          KernelEmitter.ranges("sigmoid", "0", "2 * HIDDEN", "tanh", "2 * HIDDEN", "HIDDEN", "sigmoid", "3 * HIDDEN",
              "HIDDEN"),
          CodeBlock.builder()
              .addStatement("float cn = Math.fma(g[gOff + HIDDEN + j], c[cOff + j], g[gOff + j] * g[gOff + 2 * HIDDEN + j])")
              .addStatement("c[cOff + j] = cn")
              .addStatement("h[hOff + j] = g[gOff + 3 * HIDDEN + j] * tanh(cn)")
              .build(),
          new VectorCode()
              .let("cn", v("g", "gOff + HIDDEN + j") + ".fma(" + v("c", "cOff + j") + ", " + v("g", "gOff + j")
                  + ".mul(" + v("g", "gOff + 2 * HIDDEN + j") + "))")
              .statement("cn.intoArray(c, cOff + j)")
              .tanh("tc", "cn")
              .statement(v("g", "gOff + 3 * HIDDEN + j") + ".mul(tc).intoArray(h, hOff + j)")
              .build()));
    }
    return List.of(
        new KernelEmitter.CellKernel("peepholeGates",
            "Peepholes into the i and f pre-activations: g_i += P_i*c, g_f += P_f*c (the previous c).\n",
            List.of("g", "c", "p"),
            KernelEmitter.ranges(),
            CodeBlock.builder()
                .addStatement("g[gOff + j] = Math.fma(p[pOff + j], c[cOff + j], g[gOff + j])")
                .addStatement("g[gOff + HIDDEN + j] = Math.fma(p[pOff + HIDDEN + j], c[cOff + j], g[gOff + HIDDEN + j])")
                .build(),
            new VectorCode()
                .let("cv", v("c", "cOff + j"))
                .statement(v("p", "pOff + j") + ".fma(cv, " + v("g", "gOff + j") + ").intoArray(g, gOff + j)")
                .statement(v("p", "pOff + HIDDEN + j") + ".fma(cv, " + v("g", "gOff + HIDDEN + j")
                    + ").intoArray(g, gOff + HIDDEN + j)")
                .build()),
        new KernelEmitter.CellKernel("lstmPeepholeCell",
            "LSTM update with peepholes from pre-activations [i f g o] (i, f already holding their peephole terms):\n"
                + "c = f*c + i*g, o = σ(o + P_o*c) with the new c, h = o*tanh(c); leaves the activated gates in g.\n",
            List.of("g", "c", "h", "p"),
            KernelEmitter.ranges("sigmoid", "0", "2 * HIDDEN", "tanh", "2 * HIDDEN", "HIDDEN"),
            CodeBlock.builder()
                .addStatement("float cn = Math.fma(g[gOff + HIDDEN + j], c[cOff + j], g[gOff + j] * g[gOff + 2 * HIDDEN + j])")
                .addStatement("c[cOff + j] = cn")
                .addStatement("float o = sigmoid(Math.fma(p[pOff + 2 * HIDDEN + j], cn, g[gOff + 3 * HIDDEN + j]))")
                .addStatement("g[gOff + 3 * HIDDEN + j] = o")
                .addStatement("h[hOff + j] = o * tanh(cn)")
                .build(),
            new VectorCode()
                .let("cn", v("g", "gOff + HIDDEN + j") + ".fma(" + v("c", "cOff + j") + ", " + v("g", "gOff + j")
                    + ".mul(" + v("g", "gOff + 2 * HIDDEN + j") + "))")
                .statement("cn.intoArray(c, cOff + j)")
                .sigmoid("o", v("p", "pOff + 2 * HIDDEN + j") + ".fma(cn, " + v("g", "gOff + 3 * HIDDEN + j") + ")")
                .statement("o.intoArray(g, gOff + 3 * HIDDEN + j)")
                .tanh("tc", "cn")
                .statement("o.mul(tc).intoArray(h, hOff + j)")
                .build()));
  }

  @Override
  public List<BackwardKernels.Kernel> backwardKernels() {
    List<String> parameters = new ArrayList<>(List.of("[]a", "g", "[]cs", "cOff", "[]cp", "cpOff", "[]dh", "[]dc", "d",
        "[]dG", "dg"));
    if (peepholes) {
      parameters.addAll(List.of("[]p", "[]dp"));
    }
    if (projection) {
      parameters.addAll(List.of("[]m", "mOff"));
    }
    CodeBlock.Builder scalar = CodeBlock.builder()
        .addStatement("float i = a[g + j]")
        .addStatement("float f = a[g + HIDDEN + j]")
        .addStatement("float gg = a[g + 2 * HIDDEN + j]")
        .addStatement("float o = a[g + 3 * HIDDEN + j]")
        .addStatement("float tc = Scalar.tanh(cs[cOff + j])")
        .addStatement("float dhj = dh[d + j]");
    VectorCode vector = new VectorCode()
        .let("one", "FloatVector.broadcast(S, 1f)")
        .let("i", v("a", "g + j"))
        .let("f", v("a", "g + HIDDEN + j"))
        .let("gg", v("a", "g + 2 * HIDDEN + j"))
        .let("o", v("a", "g + 3 * HIDDEN + j"))
        .tanh("tc", v("cs", "cOff + j"))
        .let("dhj", v("dh", "d + j"));
    if (!peepholes) {
      scalar.addStatement("float dcj = dc[d + j] + dhj * o * (1f - tc * tc)")
          .addStatement("dG[dg + j] = dcj * gg * i * (1f - i)")
          .addStatement("dG[dg + HIDDEN + j] = dcj * cp[cpOff + j] * f * (1f - f)")
          .addStatement("dG[dg + 2 * HIDDEN + j] = dcj * i * (1f - gg * gg)")
          .addStatement("dG[dg + 3 * HIDDEN + j] = dhj * tc * o * (1f - o)")
          .addStatement("dc[d + j] = dcj * f");
      vector.let("dcj", v("dc", "d + j") + ".add(dhj.mul(o).mul(one.sub(tc.mul(tc))))")
          .statement("dcj.mul(gg).mul(i).mul(one.sub(i)).intoArray(dG, dg + j)")
          .statement("dcj.mul(" + v("cp", "cpOff + j") + ").mul(f).mul(one.sub(f)).intoArray(dG, dg + HIDDEN + j)")
          .statement("dcj.mul(i).mul(one.sub(gg.mul(gg))).intoArray(dG, dg + 2 * HIDDEN + j)")
          .statement("dhj.mul(tc).mul(o).mul(one.sub(o)).intoArray(dG, dg + 3 * HIDDEN + j)")
          .statement("dcj.mul(f).intoArray(dc, d + j)");
    } else {
      scalar.addStatement("float c = cs[cOff + j]")
          .addStatement("float c0 = cp[cpOff + j]")
          .addStatement("float dao = dhj * tc * o * (1f - o)")
          .addStatement("float dcj = dc[d + j] + dhj * o * (1f - tc * tc) + dao * p[2 * HIDDEN + j]")
          .addStatement("float dai = dcj * gg * i * (1f - i)")
          .addStatement("float daf = dcj * c0 * f * (1f - f)")
          .addStatement("dG[dg + j] = dai")
          .addStatement("dG[dg + HIDDEN + j] = daf")
          .addStatement("dG[dg + 2 * HIDDEN + j] = dcj * i * (1f - gg * gg)")
          .addStatement("dG[dg + 3 * HIDDEN + j] = dao")
          .addStatement("dc[d + j] = dcj * f + dai * p[j] + daf * p[HIDDEN + j]")
          .addStatement("dp[j] += dai * c0")
          .addStatement("dp[HIDDEN + j] += daf * c0")
          .addStatement("dp[2 * HIDDEN + j] += dao * c");
      vector.let("c", v("cs", "cOff + j"))
          .let("c0", v("cp", "cpOff + j"))
          .let("dao", "dhj.mul(tc).mul(o).mul(one.sub(o))")
          .let("dcj", v("dc", "d + j") + ".add(dhj.mul(o).mul(one.sub(tc.mul(tc)))).add(dao.mul("
              + v("p", "2 * HIDDEN + j") + "))")
          .let("dai", "dcj.mul(gg).mul(i).mul(one.sub(i))")
          .let("daf", "dcj.mul(c0).mul(f).mul(one.sub(f))")
          .statement("dai.intoArray(dG, dg + j)")
          .statement("daf.intoArray(dG, dg + HIDDEN + j)")
          .statement("dcj.mul(i).mul(one.sub(gg.mul(gg))).intoArray(dG, dg + 2 * HIDDEN + j)")
          .statement("dao.intoArray(dG, dg + 3 * HIDDEN + j)")
          .statement("dcj.mul(f).add(dai.mul(" + v("p", "j") + ")).add(daf.mul(" + v("p", "HIDDEN + j")
              + ")).intoArray(dc, d + j)")
          .statement(v("dp", "j") + ".add(dai.mul(c0)).intoArray(dp, j)")
          .statement(v("dp", "HIDDEN + j") + ".add(daf.mul(c0)).intoArray(dp, HIDDEN + j)")
          .statement(v("dp", "2 * HIDDEN + j") + ".add(dao.mul(c)).intoArray(dp, 2 * HIDDEN + j)");
    }
    if (projection) {
      scalar.addStatement("m[mOff + j] = o * tc");
      vector.statement("o.mul(tc).intoArray(m, mOff + j)");
    }
    String doc = "LSTM" + (peepholes ? " with peepholes" : "") + ": dc += dh·o·(1 - tanh²c)"
        + (peepholes ? " + d(o)·P_o" : "") + "; gate gradients through σ' and tanh'; dc ← dc·f"
        + (peepholes ? " + d(i)·P_i + d(f)·P_f; dP accumulated" : "") + " for the step before"
        + (projection ? "; keeps o·tanh(c) for dW_hr" : "") + ".\n";
    return List.of(new BackwardKernels.Kernel(backward(), doc, Params.of(parameters.toArray(String[]::new)),
        scalar.build(), vector.build()));
  }

  @Override
  public void recurrentStep(MethodSpec.Builder m, LayerRun run, Group group) {
    m.addStatement("$L(weights.$N, GATE_ROWS, STATE, h, $L, gx, $L, g, $L)", group.matvec(), run.name(Member.HH),
        group.offsets("h"), group.offsets("gx"), group.offsets("g"));
    List<String> offsets = group.offsets();
    for (int k = 0; k < offsets.size(); k++) {
      String s = offsets.get(k);
      cellUpdate(m, run, "g", "g" + s, "c", "c" + s, projection ? "cellOutput" : "h",
          projection ? Fold.times(k, "HIDDEN_STRIDE") : "h" + s);
    }
    if (projection) {
      m.addStatement("$L(weights.$N, STATE, HIDDEN, cellOutput, $L, zeroState, $L, projected, $L)", group.matvec(),
          run.name(Member.HR), group.slots("HIDDEN_STRIDE"), group.zeros(), group.slots("STATE_STRIDE"));
      for (int k = 0; k < offsets.size(); k++) {
        m.addStatement("System.arraycopy(projected, $L, h, h$L, STATE)", Fold.times(k, "STATE_STRIDE"), offsets.get(k));
      }
    }
  }

  /** Peepholes (when present), then the update of c and of h (or of the cell output that the projection reads). */
  private void cellUpdate(MethodSpec.Builder m, LayerRun run, String g, String gOff, String c, String cOff, String h,
      String hOff) {
    if (peepholes) {
      m.addStatement("peepholeGates($L, $L, $L, $L, weights.$N, 0)", g, gOff, c, cOff, run.name(Member.PEEP));
      m.addStatement("lstmPeepholeCell($L, $L, $L, $L, $L, $L, weights.$N, 0)", g, gOff, c, cOff, h, hOff,
          run.name(Member.PEEP));
    } else {
      m.addStatement("lstmCell($L, $L, $L, $L, $L, $L)", g, gOff, c, cOff, h, hOff);
    }
  }

  @Override
  public void fusedUpdate(MethodSpec.Builder m, LayerRun run, String g, String gOff, String c, String cOff, String h,
      String hOff) {
    if (!projection) {
      cellUpdate(m, run, g, gOff, c, cOff, h, hOff);
      return;
    }
    cellUpdate(m, run, g, gOff, c, cOff, "cellOutput", "0");
    m.addStatement("matvec(weights.$N, STATE, HIDDEN, cellOutput, 0, zeroState, 0, projected, 0)", run.name(Member.HR))
        .addStatement("System.arraycopy(projected, 0, $L, $L, STATE)", h, hOff);
  }

  @Override
  public List<MethodSpec> unitStepKernels(ModelPlan plan) {
    return List.of(unitStepSweep(), unitBlock(plan, 8), unitBlock(plan, 4), unitRest());
  }

  @Override
  public void unitStep(MethodSpec.Builder m, LayerRun run, String in, String state, String cellState) {
    m.addStatement("Vec.lstmStep(w.$N.segment(), $L + STATE, stepInput, w.$N, stepCell, $L, $L, $L$L, gates, "
        + "stepReversed)",
        run.name(Member.STEP_UNITS), in, run.name(Member.STEP_UNITS_BIAS), cellState,
        projection ? "cellOutput" : "stepState", projection ? "0" : state,
        peepholes ? ", w." + run.name(Member.STEP_UNITS_PEEP) : "");
    if (projection) {
      m.addStatement("matvec(w.$N, STATE, HIDDEN, cellOutput, 0, zeroState, 0, projected, 0)", run.name(Member.HR))
          .addStatement("System.arraycopy(projected, 0, stepState, $L, STATE)", state);
    }
  }

  /** The unit-blocked step's sweep ({@link UnitBlocks#sweep}) over this cell's kernels. */
  private MethodSpec unitStepSweep() {
    List<String> params = new ArrayList<>(List.of("cols", "[]x", "[]bias", "[]c", "cOff", "[]h", "hOff"));
    if (peepholes) {
      params.add("[]p");
    }
    return UnitBlocks.sweep("lstmStep", CodeBlock.of("One LSTM step from [x; h] in {@code x} ({@code cols} floats) "
        + "through weights packed unit-blocked\n({@link $T#packUnitsInto}) and biases in their row order: each block's "
        + "gates are accumulated, activated\nand turned into its c and h (written at {@code cOff} and {@code hOff}) "
        + "while still in registers.\nEvery output is the same chain of fused multiply-adds as {@code matvec} and the "
        + "cell kernel's, so\nthe results equal theirs. {@code scratch} (2 vectors) holds the c and h of the units "
        + "past whole vectors.\n", Types.PACKING), "lstmUnits", 4, 2, Params.of(params.toArray(String[]::new)));
  }

  /**
   * Kernel for one whole block of {@code panels} panels (four gates of {@code panels / 4} vectors of units each)
   * starting at unit {@code u}. No masks: C1, which compiles every method on its way to C2, runs out of virtual
   * registers on the masked forms of these kernels, and the method then runs slowly (and allocates) until C2 gets to
   * it; the units past the whole vectors go through {@code lstmUnitsRest}.
   */
  private MethodSpec unitBlock(ModelPlan plan, int panels) {
    int per = panels / 4;
    MethodSpec.Builder m = MethodSpec.methodBuilder("lstmUnits" + panels).addModifiers(Modifier.STATIC)
        .addJavadoc("The units [u, u + $L) of a block of $L panels (gates i, f, g, o of $L vector(s) of units each)\n"
            + "at byte offset {@code o}: accumulated over [x; h] from the biases, then activated and turned into c and\n"
            + "h in registers.\n", per == 1 ? "L" : Fold.times(per, "L"), panels, per)
        .addParameter(MEMORY_SEGMENT, "w").addParameter(long.class, "o").addParameter(int.class, "cols")
        .addParameter(FLOATS, "x").addParameter(FLOATS, "bias").addParameter(FLOATS, "c").addParameter(int.class, "cOff")
        .addParameter(FLOATS, "h").addParameter(int.class, "hOff");
    if (peepholes) {
      m.addParameter(FLOATS, "p");
    }
    m.addParameter(int.class, "u");
    m.addComment("the block's biases start at row 4·u: every block before it has 4 rows per unit");
    for (int k = 0; k < panels; k++) {
      m.addStatement("$T a$L = $T.fromArray(S, bias, 4 * u$L)", FLOAT_VECTOR, k, FLOAT_VECTOR,
          k == 0 ? "" : " + " + Fold.times(k, "L"));
    }
    m.beginControlFlow("for (int col = 0; col < cols; col++, o += $L)", Fold.times(panels, "PANEL_BYTES"))
        .addStatement("$T xc = $T.broadcast(S, x[col])", FLOAT_VECTOR, FLOAT_VECTOR);
    for (int k = 0; k < panels; k++) {
      m.addStatement("a$L = $L.fma(xc, a$L)", k,
          KernelEmitter.weightLoad(plan, k == 0 ? "o" : "o + " + Fold.times(k, "PANEL_BYTES")), k);
    }
    m.endControlFlow();
    for (int s = 0; s < per; s++) {
      String at = s == 0 ? "u" : "u + " + Fold.times(s, "L");
      VectorCode v = new VectorCode();
      String cPrev = v("c", "cOff + " + at);
      String ai = "a" + s;
      String af = "a" + (per + s);
      if (peepholes) {
        v.let("cp" + s, cPrev);
        cPrev = "cp" + s;
        ai = v("p", at) + ".fma(cp" + s + ", a" + s + ")";
        af = v("p", "HIDDEN_STRIDE + " + at) + ".fma(cp" + s + ", a" + (per + s) + ")";
      }
      v.sigmoid("i" + s, ai).sigmoid("f" + s, af).tanh("g" + s, "a" + (2 * per + s));
      if (!peepholes) {
        v.sigmoid("o" + s, "a" + (3 * per + s));
      }
      v.let("cn" + s, "f" + s + ".fma(" + cPrev + ", i" + s + ".mul(g" + s + "))")
          .statement("cn" + s + ".intoArray(c, cOff + " + at + ")");
      if (peepholes) {
        v.sigmoid("o" + s, v("p", "2 * HIDDEN_STRIDE + " + at) + ".fma(cn" + s
            + ", a" + (3 * per + s) + ")");
      }
      v.tanh("tc" + s, "cn" + s).statement("o" + s + ".mul(tc" + s + ").intoArray(h, hOff + " + at + ")");
      m.addCode(v.build());
    }
    return m.build();
  }

  /**
   * The units past the whole vectors, through {@code lstmUnits4} on copies: their c in {@code scratch[0, L)}, their
   * new h in {@code scratch[L, 2L)}, so every vector the kernel loads and stores is in bounds (the lanes past the real
   * units compute on padding and are not copied back). Copies instead of masks: C1 runs out of registers on masks.
   */
  private MethodSpec unitRest() {
    String p = peepholes ? ", p" : "";
    MethodSpec.Builder m = MethodSpec.methodBuilder("lstmUnitsRest").addModifiers(Modifier.STATIC)
        .addJavadoc("The last {@code units} (fewer than L) hidden units from unit {@code u}, through {@code lstmUnits4}\n"
            + "with their c and h in {@code scratch} (2 vectors).\n")
        .addParameter(MEMORY_SEGMENT, "w").addParameter(long.class, "o").addParameter(int.class, "cols")
        .addParameter(FLOATS, "x").addParameter(FLOATS, "bias").addParameter(FLOATS, "c").addParameter(int.class, "cOff")
        .addParameter(FLOATS, "h").addParameter(int.class, "hOff");
    if (peepholes) {
      m.addParameter(FLOATS, "p");
    }
    return m.addParameter(int.class, "u").addParameter(int.class, "units").addParameter(FLOATS, "scratch")
        .addStatement("System.arraycopy(c, cOff + u, scratch, 0, units)")
        .addStatement("lstmUnits4(w, o, cols, x, bias, scratch, -u, scratch, L - u$L, u)", p)
        .addStatement("System.arraycopy(scratch, 0, c, cOff + u, units)")
        .addStatement("System.arraycopy(scratch, L, h, hOff + u, units)")
        .build();
  }

  @Override
  public void inputBias(MethodSpec.Builder m) {
    RnnCellEmitter.foldBothBiases(m);
  }

  @Override
  public void backwardUpdate(MethodSpec.Builder m, LayerRun run, String b, String x) {
    int i = run.stateIndex();
    String dh = "dh";
    if (projection) {
      m.addComment("h = W_hr·m: keep dh for dW_hr, and dm = W_hr^T·dh is what the cell sees")
          .addStatement("System.arraycopy(dh, d$L, dhStore, row$L * STATE, STATE)", x, x)
          .addStatement("matvec(weights.$N, HIDDEN, STATE, dh, d$L, zeros, 0, dCellOutput, d$L)", run.name(Member.HR_T),
              x, x);
      dh = "dCellOutput";
    }
    StringBuilder extra = new StringBuilder();
    if (peepholes) {
      extra.append(", weights.").append(run.name(Member.PEEP)).append(", ").append(run.name(Member.GRAD_WPH));
    }
    if (projection) {
      extra.append(", cellOutputs, row").append(x).append(" * HIDDEN");
    }
    m.addStatement("$L(gateStore, g$L, cellStore, $L, s == 0 ? c0Store : cellStore, s == 0 ? $L : $L, $L, dc, d$L, "
        + "dGates, dg$L$L)", backward(), x, Fold.store(i, "row" + x), Fold.state(i, b, "HIDDEN"),
        Fold.store(i, "prev" + x), dh, x, x, extra);
  }

  @Override
  public void backwardProduct(MethodSpec.Builder m, LayerRun run, Group group) {
    RnnCellEmitter.backwardThroughHh(m, run, group);
  }

  @Override
  public void recurrentGradients(MethodSpec.Builder m, LayerRun run) {
    RnnCellEmitter.hhGradients(m, run);
    if (projection) {
      m.addStatement("outerAccumulate(dhStore, 0, STATE, cellOutputs, 0, HIDDEN, validRows, validCount, STATE, HIDDEN, "
          + "$N, 0)", run.name(Member.GRAD_WHR));
    }
  }
}
