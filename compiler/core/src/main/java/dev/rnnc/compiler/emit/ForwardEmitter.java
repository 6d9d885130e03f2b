package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.INTS;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.ModelPlan.LayerRun;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import javax.lang.model.element.Modifier;

/**
 * Emits inference: the whole-sequence forward pass over a padded batch and the streaming step.
 *
 * <p>Per layer and direction the forward pass first projects the input of every valid step (one
 * matrix–vector product per step against the same weights, ahead of the recurrence), then runs the
 * recurrence, which only multiplies by the recurrent weights. The running state lives directly in
 * {@code hN}/{@code cN}, so the final states need no copy.
 */
final class ForwardEmitter {
  private final ModelPlan plan;
  private final ModelConfig config;

  ForwardEmitter(ModelPlan plan) {
    this.plan = plan;
    this.config = plan.config();
  }

  static String runMethod(LayerRun run) {
    return "run" + run.suffix();
  }

  static String cellMethod(LayerRun run) {
    return "cell" + run.suffix();
  }

  /** Where layer {@code layer} writes its per-step output. */
  static String layerOutput(ModelPlan plan, int layer) {
    return layer == plan.config().layers() - 1 ? "output" : "layerOutput" + layer;
  }

  /** Where layer {@code layer} reads its per-step input (dropout, when training, reads through its own buffer). */
  static String layerInput(ModelPlan plan, int layer) {
    return layer == 0 ? "in" : "layerOutput" + (layer - 1);
  }

  void emit(TypeSpec.Builder type) {
    type.addMethod(forward());
    type.addMethod(forwardTokens());
    type.addMethod(begin());
    type.addMethod(loadInitialState());
    type.addMethod(runLayers());
    for (LayerRun run : plan.runs()) {
      type.addMethod(cell(run));
      type.addMethod(cellPair(run));
      type.addMethod(runLayer(run));
      type.addMethod(stepOne(run));
      type.addMethod(stepPair(run));
      if (quads(plan)) {
        type.addMethod(cellQuad(run));
        type.addMethod(stepQuad(run));
      }
    }
    type.addMethod(finish());
    if (config.hasHead()) {
      type.addMethod(head());
      type.addMethod(headActivation());
    }
    if (plan.streaming()) {
      emitStreaming(type);
    }
  }

  // -------------------------------------------------------------------------------------- whole sequences

  private MethodSpec forward() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("forward").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addParameter(FLOATS, "input").addParameter(int.class, "batch").addParameter(int.class, "steps")
        .addParameter(INTS, "lengths").addParameter(FLOATS, "h0").addParameter(FLOATS, "c0");
    if (config.hasEmbedding()) {
      m.addStatement("throw new IllegalArgumentException($S)",
          "this model reads token ids (it has an embedding): call forwardTokens");
      return m.build();
    }
    m.addStatement("begin(batch, steps, lengths)");
    m.addStatement("requireLength($S, input, batch * steps * INPUT_SIZE)", "input");
    m.addStatement("loadInitialState(h0, c0)");
    m.addStatement("runLayers(input)");
    return m.build();
  }

  private MethodSpec forwardTokens() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("forwardTokens").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addParameter(INTS, "tokens").addParameter(int.class, "batch").addParameter(int.class, "steps")
        .addParameter(INTS, "lengths").addParameter(FLOATS, "h0").addParameter(FLOATS, "c0");
    if (!config.hasEmbedding()) {
      m.addStatement("throw new IllegalArgumentException($S)",
          "this model reads dense features (it has no embedding): call forward");
      return m.build();
    }
    m.addStatement("begin(batch, steps, lengths)");
    m.addStatement("requireLength($S, tokens, batch * steps)", "tokens");
    m.addStatement("embed(tokens, batch, steps)");
    m.addStatement("loadInitialState(h0, c0)");
    m.addStatement("runLayers(embedded)");
    return m.build();
  }

  private MethodSpec begin() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("begin").addModifiers(Modifier.PRIVATE)
        .addJavadoc("Validates a call's sizes and lengths and lists its valid rows; touches no result or state.\n")
        .addParameter(int.class, "batch").addParameter(int.class, "steps").addParameter(INTS, "lengths")
        .beginControlFlow("if (batch < 1 || batch > maxBatch)")
        .addStatement("throw new IllegalArgumentException(\"batch must be in [1, \" + maxBatch + \"], got \" + batch)")
        .endControlFlow()
        .beginControlFlow("if (steps < 1 || steps > maxLength)")
        .addStatement("throw new IllegalArgumentException(\"steps must be in [1, \" + maxLength + \"], got \" + steps)")
        .endControlFlow()
        .beginControlFlow("if (lengths == null)")
        .addStatement("java.util.Arrays.fill(this.lengths, 0, batch, steps)")
        .nextControlFlow("else")
        .addStatement("requireLength($S, lengths, batch)", "lengths")
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .beginControlFlow("if (lengths[b] < 1 || lengths[b] > steps)")
        .addStatement("throw new IllegalArgumentException(\"lengths[\" + b + \"] must be in [1, \" + steps + \"], got \" + lengths[b])")
        .endControlFlow()
        .addStatement("this.lengths[b] = lengths[b]")
        .endControlFlow()
        .endControlFlow()
        .addStatement("this.batch = batch")
        .addStatement("this.steps = steps")
        .addStatement("int count = 0")
        .addStatement("int longest = 0")
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .addStatement("int len = this.lengths[b]")
        .addStatement("longest = Math.max(longest, len)")
        .beginControlFlow("for (int t = 0; t < len; t++)")
        .addStatement("validRows[count++] = b * steps + t")
        .endControlFlow()
        .endControlFlow()
        .addStatement("this.validCount = count")
        .addStatement("this.longest = longest");
    return m.build();
  }

  private MethodSpec loadInitialState() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("loadInitialState").addModifiers(Modifier.PRIVATE)
        .addJavadoc("Loads h0/c0 (or zeros) into hN/cN, which then carry the running state.\n")
        .addParameter(FLOATS, "h0").addParameter(FLOATS, "c0")
        .addStatement("int stateSize = LAYERS * DIRECTIONS * batch * HIDDEN");
    if (plan.isLstm()) {
      m.beginControlFlow("if (c0 != null)")
          .addStatement("requireLength($S, c0, stateSize)", "c0")
          .endControlFlow();
    } else {
      m.beginControlFlow("if (c0 != null)")
          .addStatement("throw new IllegalArgumentException($S)", "c0 is only for LSTM models")
          .endControlFlow();
    }
    m.addStatement("loadState($S, h0, hN, stateSize)", "h0");
    if (plan.isLstm()) {
      m.addStatement("loadState($S, c0, cN, stateSize)", "c0");
    }
    return m.build();
  }

  private MethodSpec runLayers() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("runLayers").addModifiers(Modifier.PRIVATE)
        .addParameter(FLOATS, "in");
    for (LayerRun run : plan.runs()) {
      m.addStatement("$L($L, $L)", runMethod(run), layerInput(plan, run.layer()), layerOutput(plan, run.layer()));
    }
    m.addStatement("finish()");
    return m.build();
  }

  /** One recurrent step of one layer and direction: recurrent products plus the cell update. */
  private MethodSpec cell(LayerRun run) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(cellMethod(run))
        .addModifiers(Modifier.PRIVATE)
        .addJavadoc("One step of layer $L$L: h, c updated in place; gx holds this step's input projection;\n"
            + "g receives the activated gates.\n", run.layer(), run.reverse() ? " (reverse)" : "")
        .addParameter(FLOATS, "h").addParameter(int.class, "hOff")
        .addParameter(FLOATS, "c").addParameter(int.class, "cOff")
        .addParameter(FLOATS, "gx").addParameter(int.class, "gxOff")
        .addParameter(FLOATS, "g").addParameter(int.class, "gOff")
        .addStatement("Weights w = weights");
    if (plan.isLstm()) {
      m.addStatement("matvec(w.$L, GATE_ROWS, HIDDEN, h, hOff, gx, gxOff, g, gOff)", WeightsEmitter.hh(run));
      m.addStatement("lstmCell(g, gOff, c, cOff, h, hOff)");
    } else if (!plan.isGru()) {
      m.addStatement("matvec(w.$L, GATE_ROWS, HIDDEN, h, hOff, gx, gxOff, g, gOff)", WeightsEmitter.hh(run));
      m.addStatement("rnnCell(g, gOff, h, hOff)");
    } else if (!plan.isGruResetBefore()) {
      m.addStatement("matvec(w.$L, 2 * HIDDEN, HIDDEN, h, hOff, gx, gxOff, g, gOff)", WeightsEmitter.hhRz(run));
      m.addStatement("matvec(w.$L, HIDDEN, HIDDEN, h, hOff, w.$L, 0, g, gOff + 3 * HIDDEN)",
          WeightsEmitter.hhN(run), WeightsEmitter.bhn(run));
      m.addStatement("gruCell(g, gOff, gx, gxOff, h, hOff)");
    } else {
      m.addStatement("matvec(w.$L, 2 * HIDDEN, HIDDEN, h, hOff, gx, gxOff, g, gOff)", WeightsEmitter.hhRz(run));
      m.addStatement("gruGates(g, gOff, h, hOff, resetHidden, 0)");
      m.addStatement("matvec(w.$L, HIDDEN, HIDDEN, resetHidden, 0, gx, gxOff + 2 * HIDDEN, g, gOff + 2 * HIDDEN)",
          WeightsEmitter.hhN(run));
      m.addStatement("gruCell(g, gOff, h, hOff)");
    }
    return m.build();
  }

  static String stepOneMethod(LayerRun run) {
    return "stepOne" + run.suffix();
  }

  static String stepPairMethod(LayerRun run) {
    return "stepPair" + run.suffix();
  }

  static String stepQuadMethod(LayerRun run) {
    return "stepQuad" + run.suffix();
  }

  static String cellQuadMethod(LayerRun run) {
    return "cellQuad" + run.suffix();
  }

  /** Whether the recurrence also runs four sequences per sweep (cells whose step is one matrix product). */
  static boolean quads(ModelPlan plan) {
    return !plan.isGru();
  }

  static String cellPairMethod(LayerRun run) {
    return "cellPair" + run.suffix();
  }

  /** Two sequences' steps of one layer and direction in one sweep over the recurrent weights. */
  private MethodSpec cellPair(LayerRun run) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(cellPairMethod(run))
        .addModifiers(Modifier.PRIVATE)
        .addJavadoc("$L for two sequences at once: each recurrent weight is loaded once for both.\n", cellMethod(run))
        .addParameter(FLOATS, "h").addParameter(int.class, "hA").addParameter(int.class, "hB")
        .addParameter(FLOATS, "c").addParameter(int.class, "cA").addParameter(int.class, "cB")
        .addParameter(FLOATS, "gx").addParameter(int.class, "gxA").addParameter(int.class, "gxB")
        .addParameter(FLOATS, "g").addParameter(int.class, "gA").addParameter(int.class, "gB")
        .addStatement("Weights w = weights");
    if (plan.isLstm() || !plan.isGru()) {
      m.addStatement("matvec2(w.$L, GATE_ROWS, HIDDEN, h, hA, hB, gx, gxA, gxB, g, gA, gB)", WeightsEmitter.hh(run));
      String kernel = plan.isLstm() ? "lstmCell" : "rnnCell";
      String state = plan.isLstm() ? "c, cA, " : "";
      String stateB = plan.isLstm() ? "c, cB, " : "";
      m.addStatement("$L(g, gA, $Lh, hA)", kernel, state);
      m.addStatement("$L(g, gB, $Lh, hB)", kernel, stateB);
    } else if (!plan.isGruResetBefore()) {
      m.addStatement("matvec2(w.$L, 2 * HIDDEN, HIDDEN, h, hA, hB, gx, gxA, gxB, g, gA, gB)", WeightsEmitter.hhRz(run));
      m.addStatement("matvec2(w.$L, HIDDEN, HIDDEN, h, hA, hB, w.$L, 0, 0, g, gA + 3 * HIDDEN, gB + 3 * HIDDEN)",
          WeightsEmitter.hhN(run), WeightsEmitter.bhn(run));
      m.addStatement("gruCell(g, gA, gx, gxA, h, hA)");
      m.addStatement("gruCell(g, gB, gx, gxB, h, hB)");
    } else {
      m.addStatement("matvec2(w.$L, 2 * HIDDEN, HIDDEN, h, hA, hB, gx, gxA, gxB, g, gA, gB)", WeightsEmitter.hhRz(run));
      m.addStatement("gruGates(g, gA, h, hA, resetHidden, 0)");
      m.addStatement("gruGates(g, gB, h, hB, resetHidden, HIDDEN_STRIDE)");
      m.addStatement("matvec2(w.$L, HIDDEN, HIDDEN, resetHidden, 0, HIDDEN_STRIDE, gx, gxA + 2 * HIDDEN, gxB + 2 * HIDDEN, "
          + "g, gA + 2 * HIDDEN, gB + 2 * HIDDEN)", WeightsEmitter.hhN(run));
      m.addStatement("gruCell(g, gA, h, hA)");
      m.addStatement("gruCell(g, gB, h, hB)");
    }
    return m.build();
  }

  /** Four sequences' steps of one layer and direction in one sweep over the recurrent weights. */
  private MethodSpec cellQuad(LayerRun run) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(cellQuadMethod(run)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("$L for four sequences at once: each recurrent weight is loaded once for all four.\n", cellMethod(run));
    for (String array : new String[] {"h", "c", "gx", "g"}) {
      m.addParameter(FLOATS, array);
      for (String q : KernelEmitter.QUAD) {
        m.addParameter(int.class, array + q);
      }
    }
    m.addStatement("matvec4(weights.$L, GATE_ROWS, HIDDEN, h, h0, h1, h2, h3, gx, gx0, gx1, gx2, gx3, g, g0, g1, g2, g3)",
        WeightsEmitter.hh(run));
    for (String q : KernelEmitter.QUAD) {
      if (plan.isLstm()) {
        m.addStatement("lstmCell(g, g$L, c, c$L, h, h$L)", q, q, q);
      } else {
        m.addStatement("rnnCell(g, g$L, h, h$L)", q, q);
      }
    }
    return m.build();
  }

  /** Step s (in processing order) of four sequences together. */
  private MethodSpec stepQuad(LayerRun run) {
    int stateIndex = run.stateIndex(config.directions());
    String dirOffset = run.reverse() ? "HIDDEN" : "0";
    MethodSpec.Builder m = MethodSpec.methodBuilder(stepQuadMethod(run)).addModifiers(Modifier.PRIVATE);
    for (String q : KernelEmitter.QUAD) {
      m.addParameter(int.class, "b" + q);
    }
    m.addParameter(int.class, "s").addParameter(FLOATS, "out");
    for (String q : KernelEmitter.QUAD) {
      m.addStatement("int row$L = $L", q, rowOf(run, "b" + q, "s"));
      m.addStatement("int state$L = ($L * batch + b$L) * HIDDEN", q, stateIndex, q);
    }
    String cellArgs = "hN, state0, state1, state2, state3, cN, state0, state1, state2, state3, inputProjection, "
        + "row0 * GX_STRIDE, row1 * GX_STRIDE, row2 * GX_STRIDE, row3 * GX_STRIDE, ";
    String scratch = "gates, 0, GATE_STRIDE, 2 * GATE_STRIDE, 3 * GATE_STRIDE";
    if (!plan.training()) {
      m.addStatement("$L($L$L)", cellQuadMethod(run), cellArgs, scratch);
    } else {
      m.beginControlFlow("if (training)")
          .addStatement("$L($Lgate Store)".replace("gate Store", "gateStore, gateOffset(" + stateIndex + ", row0), gateOffset("
              + stateIndex + ", row1), gateOffset(" + stateIndex + ", row2), gateOffset(" + stateIndex + ", row3)"),
              cellQuadMethod(run), cellArgs);
      if (plan.isLstm()) {
        for (String q : KernelEmitter.QUAD) {
          m.addStatement("System.arraycopy(cN, state$L, cellStore, ($L * maxRows + row$L) * HIDDEN, HIDDEN)", q, stateIndex, q);
        }
      }
      m.nextControlFlow("else")
          .addStatement("$L($L$L)", cellQuadMethod(run), cellArgs, scratch)
          .endControlFlow();
    }
    for (String q : KernelEmitter.QUAD) {
      m.addStatement("System.arraycopy(hN, state$L, out, row$L * FEATURES + $L, HIDDEN)", q, q, dirOffset);
    }
    return m.build();
  }

  /**
   * The whole sequence of one layer and direction, step-major so that the sequences still running at a
   * step go through the recurrent weights several at a time.
   */
  private MethodSpec runLayer(LayerRun run) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(runMethod(run)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("Layer $L$L over the batch: the input projections of all valid steps first (two steps per sweep\n"
            + "over W_ih), then the recurrence, step by step, two running sequences per sweep over W_hh.\n",
            run.layer(), run.reverse() ? ", backwards in time from each sequence's last valid step" : "")
        .addParameter(FLOATS, "in").addParameter(FLOATS, "out")
        .addStatement("Weights w = weights")
        .addStatement("int k = 0")
        .beginControlFlow("for (; k + 3 < validCount; k += 4)")
        .addStatement("int a = validRows[k]")
        .addStatement("int b = validRows[k + 1]")
        .addStatement("int c = validRows[k + 2]")
        .addStatement("int d = validRows[k + 3]")
        .addStatement("matvec4(w.$L, GATE_ROWS, $L, in, a * $L, b * $L, c * $L, d * $L, w.$L, 0, 0, 0, 0, inputProjection, "
            + "a * GX_STRIDE, b * GX_STRIDE, c * GX_STRIDE, d * GX_STRIDE)", WeightsEmitter.ih(run), run.inputSize(),
            run.inputSize(), run.inputSize(), run.inputSize(), run.inputSize(), WeightsEmitter.ihBias(run))
        .endControlFlow()
        .beginControlFlow("for (; k + 1 < validCount; k += 2)")
        .addStatement("int a = validRows[k]")
        .addStatement("int b = validRows[k + 1]")
        .addStatement("matvec2(w.$L, GATE_ROWS, $L, in, a * $L, b * $L, w.$L, 0, 0, inputProjection, a * GX_STRIDE, "
            + "b * GX_STRIDE)", WeightsEmitter.ih(run), run.inputSize(), run.inputSize(), run.inputSize(),
            WeightsEmitter.ihBias(run))
        .endControlFlow()
        .beginControlFlow("if (k < validCount)")
        .addStatement("int a = validRows[k]")
        .addStatement("matvec(w.$L, GATE_ROWS, $L, in, a * $L, w.$L, 0, inputProjection, a * GX_STRIDE)",
            WeightsEmitter.ih(run), run.inputSize(), run.inputSize(), WeightsEmitter.ihBias(run))
        .endControlFlow()
        .beginControlFlow("for (int s = 0; s < longest; s++)");
    emitRunningGroups(m, quads(plan) ? stepQuadMethod(run) : null, stepPairMethod(run), stepOneMethod(run), "out");
    m.endControlFlow();
    return m.build();
  }

  /**
   * Inside a loop over processing step {@code s}: lists the sequences still running at {@code s} and calls
   * {@code quad(a, b, c, d, s, args)} for them four at a time (when given), then {@code pair(a, b, s, args)}
   * two at a time, and {@code one(b, s, args)} for an odd one out.
   */
  static void emitRunningGroups(MethodSpec.Builder m, String quad, String pair, String one, String args) {
    m.addStatement("int count = 0")
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .beginControlFlow("if (lengths[b] > s)")
        .addStatement("running[count++] = b")
        .endControlFlow()
        .endControlFlow()
        .addStatement("int i = 0");
    if (quad != null) {
      m.beginControlFlow("for (; i + 3 < count; i += 4)")
          .addStatement("$L(running[i], running[i + 1], running[i + 2], running[i + 3], s, $L)", quad, args)
          .endControlFlow();
    }
    m.beginControlFlow("for (; i + 1 < count; i += 2)")
        .addStatement("$L(running[i], running[i + 1], s, $L)", pair, args)
        .endControlFlow()
        .beginControlFlow("if (i < count)")
        .addStatement("$L(running[i], s, $L)", one, args)
        .endControlFlow();
  }

  private String rowOf(LayerRun run, String b, String s) {
    return run.reverse()
        ? b + " * steps + lengths[" + b + "] - 1 - " + s
        : b + " * steps + " + s;
  }

  /** Step s (in processing order) of sequence b. */
  private MethodSpec stepOne(LayerRun run) {
    int stateIndex = run.stateIndex(config.directions());
    MethodSpec.Builder m = MethodSpec.methodBuilder(stepOneMethod(run)).addModifiers(Modifier.PRIVATE)
        .addParameter(int.class, "b").addParameter(int.class, "s").addParameter(FLOATS, "out")
        .addStatement("int row = $L", rowOf(run, "b", "s"))
        .addStatement("int state = ($L * batch + b) * HIDDEN", stateIndex);
    if (!plan.training()) {
      m.addStatement("$L(hN, state, cN, state, inputProjection, row * GX_STRIDE, gates, 0)", cellMethod(run));
    } else {
      m.addStatement("$L(hN, state, cN, state, inputProjection, row * GX_STRIDE, training ? gateStore : gates, "
          + "training ? gateOffset($L, row) : 0)", cellMethod(run), stateIndex);
      if (plan.isLstm()) {
        m.beginControlFlow("if (training)")
            .addStatement("System.arraycopy(cN, state, cellStore, ($L * maxRows + row) * HIDDEN, HIDDEN)", stateIndex)
            .endControlFlow();
      }
    }
    m.addStatement("System.arraycopy(hN, state, out, row * FEATURES + $L, HIDDEN)", run.reverse() ? "HIDDEN" : "0");
    return m.build();
  }

  /** Step s (in processing order) of sequences a and b together. */
  private MethodSpec stepPair(LayerRun run) {
    int stateIndex = run.stateIndex(config.directions());
    String dirOffset = run.reverse() ? "HIDDEN" : "0";
    MethodSpec.Builder m = MethodSpec.methodBuilder(stepPairMethod(run)).addModifiers(Modifier.PRIVATE)
        .addParameter(int.class, "a").addParameter(int.class, "b").addParameter(int.class, "s")
        .addParameter(FLOATS, "out")
        .addStatement("int rowA = $L", rowOf(run, "a", "s"))
        .addStatement("int rowB = $L", rowOf(run, "b", "s"))
        .addStatement("int stateA = ($L * batch + a) * HIDDEN", stateIndex)
        .addStatement("int stateB = ($L * batch + b) * HIDDEN", stateIndex);
    if (!plan.training()) {
      m.addStatement("$L(hN, stateA, stateB, cN, stateA, stateB, inputProjection, rowA * GX_STRIDE, rowB * GX_STRIDE, "
          + "gates, 0, GATE_STRIDE)", cellPairMethod(run));
    } else {
      m.beginControlFlow("if (training)")
          .addStatement("$L(hN, stateA, stateB, cN, stateA, stateB, inputProjection, rowA * GX_STRIDE, rowB * GX_STRIDE, "
              + "gateStore, gateOffset($L, rowA), gateOffset($L, rowB))", cellPairMethod(run), stateIndex, stateIndex);
      if (plan.isLstm()) {
        m.addStatement("System.arraycopy(cN, stateA, cellStore, ($L * maxRows + rowA) * HIDDEN, HIDDEN)", stateIndex)
            .addStatement("System.arraycopy(cN, stateB, cellStore, ($L * maxRows + rowB) * HIDDEN, HIDDEN)", stateIndex);
      }
      m.nextControlFlow("else")
          .addStatement("$L(hN, stateA, stateB, cN, stateA, stateB, inputProjection, rowA * GX_STRIDE, rowB * GX_STRIDE, "
              + "gates, 0, GATE_STRIDE)", cellPairMethod(run))
          .endControlFlow();
    }
    m.addStatement("System.arraycopy(hN, stateA, out, rowA * FEATURES + $L, HIDDEN)", dirOffset)
        .addStatement("System.arraycopy(hN, stateB, out, rowB * FEATURES + $L, HIDDEN)", dirOffset);
    return m.build();
  }

  private MethodSpec finish() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("finish").addModifiers(Modifier.PRIVATE)
        .addJavadoc("Zeroes the output at padded steps (as pad_packed_sequence), then features and head.\n")
        .addStatement("int batch = this.batch")
        .addStatement("int steps = this.steps")
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .addStatement("java.util.Arrays.fill(output, (b * steps + lengths[b]) * FEATURES, (b + 1) * steps * FEATURES, 0f)")
        .endControlFlow();
    boolean manyToOne = config.mode() == ModelConfig.Mode.MANY_TO_ONE;
    if (manyToOne) {
      m.beginControlFlow("for (int b = 0; b < batch; b++)");
      for (LayerRun run : plan.lastLayerRuns()) {
        m.addStatement("System.arraycopy(hN, ($L * batch + b) * HIDDEN, features, b * FEATURES + $L, HIDDEN)",
            run.stateIndex(config.directions()), run.reverse() ? "HIDDEN" : "0");
      }
      m.endControlFlow();
    }
    if (config.hasHead()) {
      if (manyToOne) {
        m.beginControlFlow("for (int b = 0; b < batch; b++)")
            .addStatement("head(features, b * FEATURES, logits, b * HEAD_SIZE, prediction, b * HEAD_SIZE)")
            .endControlFlow();
      } else {
        m.addComment("the head over every valid step, two steps per sweep over head.weight")
            .addStatement("int k = 0")
            .beginControlFlow("for (; k + 1 < validCount; k += 2)")
            .addStatement("int a = validRows[k]")
            .addStatement("int c = validRows[k + 1]")
            .addStatement("matvec2(weights.headWeight, HEAD_SIZE, FEATURES, output, a * FEATURES, c * FEATURES, "
                + "weights.headBias, 0, 0, headScratch, 0, HEAD_STRIDE)")
            .addStatement("headActivation(0, logits, a * HEAD_SIZE, prediction, a * HEAD_SIZE)")
            .addStatement("headActivation(HEAD_STRIDE, logits, c * HEAD_SIZE, prediction, c * HEAD_SIZE)")
            .endControlFlow()
            .beginControlFlow("if (k < validCount)")
            .addStatement("int a = validRows[k]")
            .addStatement("head(output, a * FEATURES, logits, a * HEAD_SIZE, prediction, a * HEAD_SIZE)")
            .endControlFlow();
        m.beginControlFlow("for (int b = 0; b < batch; b++)")
            .addStatement("int len = lengths[b]")
            .addStatement("java.util.Arrays.fill(logits, (b * steps + len) * HEAD_SIZE, (b + 1) * steps * HEAD_SIZE, 0f)")
            .addStatement("java.util.Arrays.fill(prediction, (b * steps + len) * HEAD_SIZE, (b + 1) * steps * HEAD_SIZE, 0f)")
            .endControlFlow();
      }
    }
    return m.build();
  }

  private MethodSpec head() {
    return MethodSpec.methodBuilder("head").addModifiers(Modifier.PRIVATE)
        .addJavadoc("logits = head.weight·f + head.bias, prediction = $L(logits).\n",
            config.headActivation().name().toLowerCase(java.util.Locale.ROOT))
        .addParameter(FLOATS, "f").addParameter(int.class, "fOff")
        .addParameter(FLOATS, "logits").addParameter(int.class, "lOff")
        .addParameter(FLOATS, "prediction").addParameter(int.class, "pOff")
        .addStatement("matvec(weights.headWeight, HEAD_SIZE, FEATURES, f, fOff, weights.headBias, 0, headScratch, 0)")
        .addStatement("headActivation(0, logits, lOff, prediction, pOff)")
        .build();
  }

  private MethodSpec headActivation() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("headActivation").addModifiers(Modifier.PRIVATE)
        .addJavadoc("Copies the logits from headScratch[s, s + HEAD_SIZE) out and applies the head's activation.\n")
        .addParameter(int.class, "s")
        .addParameter(FLOATS, "logits").addParameter(int.class, "lOff")
        .addParameter(FLOATS, "prediction").addParameter(int.class, "pOff")
        .addStatement("float[] z = headScratch")
        .addStatement("System.arraycopy(z, s, logits, lOff, HEAD_SIZE)");
    HeadActivation activation = config.headActivation();
    if (activation == HeadActivation.LINEAR) {
      m.addStatement("System.arraycopy(z, s, prediction, pOff, HEAD_SIZE)");
    } else if (activation == HeadActivation.SIGMOID) {
      m.beginControlFlow("for (int k = 0; k < HEAD_SIZE; k++)")
          .addStatement("prediction[pOff + k] = Scalar.sigmoid(z[s + k])")
          .endControlFlow();
    } else {
      if (BackwardEmitter.fusedCrossEntropy(plan)) {
        m.addStatement("logSumExp[pOff / HEAD_SIZE] = softmax(z, s, prediction, pOff)");
      } else {
        m.addStatement("softmax(z, s, prediction, pOff)");
      }
    }
    return m.build();
  }

  // -------------------------------------------------------------------------------------------- streaming

  private void emitStreaming(TypeSpec.Builder type) {
    MethodSpec.Builder reset = MethodSpec.methodBuilder("resetState").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addStatement("java.util.Arrays.fill(stepState, 0f)");
    if (plan.isLstm()) {
      reset.addStatement("java.util.Arrays.fill(stepCell, 0f)");
    }
    type.addMethod(reset.build());
    MethodSpec.Builder setState = MethodSpec.methodBuilder("setState").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addParameter(FLOATS, "h0").addParameter(FLOATS, "c0")
        .addStatement("loadState($S, h0, stepState, LAYERS * HIDDEN)", "h0");
    if (plan.isLstm()) {
      setState.addStatement("loadState($S, c0, stepCell, LAYERS * HIDDEN)", "c0");
    }
    type.addMethod(setState.build());

    MethodSpec.Builder step = MethodSpec.methodBuilder("step").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addParameter(FLOATS, "x").addParameter(int.class, "offset");
    if (config.hasEmbedding()) {
      step.addStatement("throw new IllegalArgumentException($S)",
          "this model reads token ids (it has an embedding): call stepToken");
    } else {
      step.beginControlFlow("if (offset < 0 || offset > x.length - INPUT_SIZE)")
          .addStatement("throw new IllegalArgumentException(\"x needs INPUT_SIZE = \" + INPUT_SIZE "
              + "+ \" values from offset \" + offset + \", has \" + x.length)")
          .endControlFlow()
          .addStatement("stepLayers(x, offset)");
    }
    type.addMethod(step.build());

    MethodSpec.Builder stepToken = MethodSpec.methodBuilder("stepToken").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC).addParameter(int.class, "token");
    if (config.hasEmbedding()) {
      stepToken.beginControlFlow("if (token < 0 || token >= VOCAB)")
          .addStatement("throw new IllegalArgumentException(\"token id must be in [0, \" + VOCAB + \"), got \" + token)")
          .endControlFlow()
          .addStatement("stepLayers(weights.embedding, token * INPUT_SIZE)");
    } else {
      stepToken.addStatement("throw new IllegalArgumentException($S)",
          "this model reads dense features (it has no embedding): call step");
    }
    type.addMethod(stepToken.build());

    MethodSpec.Builder layers = MethodSpec.methodBuilder("stepLayers").addModifiers(Modifier.PRIVATE)
        .addJavadoc("One timestep through every layer; layer l > 0 reads layer l - 1's new state.\n")
        .addParameter(FLOATS, "x").addParameter(int.class, "offset")
        .addStatement("Weights w = weights");
    for (LayerRun run : plan.runs()) {
      String src = run.layer() == 0 ? "x" : "stepState";
      String srcOff = run.layer() == 0 ? "offset" : (run.layer() - 1) + " * HIDDEN";
      if (WeightsEmitter.fusedStep(plan)) {
        layers.addComment("layer $L: gates = [W_ih | W_hh]·[x; h] + b in one sweep", run.layer())
            .addStatement("System.arraycopy($L, $L, stepInput, 0, $L)", src, srcOff, run.inputSize())
            .addStatement("System.arraycopy(stepState, $L * HIDDEN, stepInput, $L, HIDDEN)", run.layer(), run.inputSize())
            .addStatement("matvec(w.$L, GATE_ROWS, $L + HIDDEN, stepInput, 0, w.$L, 0, gates, 0)",
                WeightsEmitter.stepFused(run), run.inputSize(), WeightsEmitter.ihBias(run));
        if (plan.isLstm()) {
          layers.addStatement("lstmCell(gates, 0, stepCell, $L * HIDDEN, stepState, $L * HIDDEN)", run.layer(), run.layer());
        } else {
          layers.addStatement("rnnCell(gates, 0, stepState, $L * HIDDEN)", run.layer());
        }
      } else {
        layers.addStatement("matvec(w.$L, GATE_ROWS, $L, $L, $L, w.$L, 0, stepProjection, 0)",
            WeightsEmitter.ih(run), run.inputSize(), src, srcOff, WeightsEmitter.ihBias(run));
        layers.addStatement("$L(stepState, $L * HIDDEN, $L, $L * HIDDEN, stepProjection, 0, gates, 0)",
            cellMethod(run), run.layer(), plan.isLstm() ? "stepCell" : "null", run.layer());
      }
    }
    layers.addStatement("System.arraycopy(stepState, (LAYERS - 1) * HIDDEN, stepOutput, 0, HIDDEN)");
    if (config.hasHead()) {
      layers.addStatement("head(stepOutput, 0, stepLogits, 0, stepPrediction, 0)");
    }
    type.addMethod(layers.build());

    type.addMethod(getter("stepOutput", "stepOutput"));
    type.addMethod(getter("stepLogits", config.hasHead() ? "stepLogits" : "null"));
    type.addMethod(getter("stepPrediction", config.hasHead() ? "stepPrediction" : "null"));
    type.addMethod(getter("hiddenState", "stepState"));
    type.addMethod(getter("cellState", plan.isLstm() ? "stepCell" : "null"));
  }

  static MethodSpec getter(String name, String expression) {
    return MethodSpec.methodBuilder(name).addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(FLOATS).addStatement("return $L", expression).build();
  }
}
