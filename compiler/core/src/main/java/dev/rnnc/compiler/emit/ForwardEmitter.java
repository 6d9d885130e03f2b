package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.INTS;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.Member;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.Node.Head;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  /** The recurrent step method of each group size, and the method running one processing step of a group. */
  private static final Map<Group, Member> CELL = Map.of(Group.ONE, Member.CELL, Group.PAIR, Member.CELL_PAIR,
      Group.QUAD, Member.CELL_QUAD);
  private static final Map<Group, Member> STEP = Map.of(Group.ONE, Member.STEP_ONE, Group.PAIR, Member.STEP_PAIR,
      Group.QUAD, Member.STEP_QUAD);

  private final ModelPlan plan;
  private final CellEmitter cell;

  ForwardEmitter(ModelPlan plan, CellEmitter cell) {
    this.plan = plan;
    this.cell = cell;
  }

  /** The group sizes the recurrence runs: pairs and single sequences, and quads when the plan says so. */
  static List<Group> groups(ModelPlan plan) {
    return plan.blocking().quadSweeps() ? List.of(Group.ONE, Group.PAIR, Group.QUAD) : List.of(Group.ONE, Group.PAIR);
  }

  /** Where layer {@code layer} writes its per-step output. */
  static String layerOutput(ModelPlan plan, int layer) {
    return layer == plan.layers() - 1 ? ModelPlan.OUTPUT : "layerOutput" + layer;
  }

  /** Offset of a direction's half in a per-step output row. */
  static String directionOffset(LayerRun run) {
    return run.reverse() ? "STATE" : "0";
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
    // the per-group recurrent steps serve the sweeps of the sequence run without a batched recurrence, and the
    // streaming step and stream bank sweeps of cells without a fused step (GRU)
    boolean recurrentSteps = !plan.blocking().batchedRecurrence()
        || (plan.streaming() && !plan.blocking().fusedStep());
    for (LayerRun run : plan.runs()) {
      if (recurrentSteps) {
        for (Group group : groups(plan)) {
          type.addMethod(recurrentStep(run, group));
        }
      }
      type.addMethod(runLayer(run));
      if (!plan.blocking().batchedRecurrence()) {
        for (Group group : groups(plan)) {
          type.addMethod(processingStep(run, group));
        }
      }
    }
    type.addMethod(finish());
    plan.head().ifPresent(head -> {
      type.addMethod(head(head));
      type.addMethod(headActivation(head));
    });
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
    if (plan.hasEmbedding()) {
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
    if (!plan.hasEmbedding()) {
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
        .addStatement("$T.fill(this.lengths, 0, batch, steps)", Arrays.class)
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
        .addStatement("int stateSize = LAYERS * DIRECTIONS * batch * STATE");
    if (cell.hasCellState()) {
      m.beginControlFlow("if (c0 != null)")
          .addStatement("requireLength($S, c0, LAYERS * DIRECTIONS * batch * HIDDEN)", "c0")
          .endControlFlow();
    } else {
      m.beginControlFlow("if (c0 != null)")
          .addStatement("throw new IllegalArgumentException($S)", "c0 is only for LSTM models")
          .endControlFlow();
    }
    m.addStatement("loadState($S, h0, hN, stateSize)", "h0");
    if (cell.hasCellState()) {
      m.addStatement("loadState($S, c0, cN, LAYERS * DIRECTIONS * batch * HIDDEN)", "c0");
    }
    return m.build();
  }

  private MethodSpec runLayers() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("runLayers").addModifiers(Modifier.PRIVATE)
        .addParameter(FLOATS, "in");
    for (LayerRun run : plan.runs()) {
      m.addStatement("$N($L, $L)", run.name(Member.RUN), layerInput(plan, run.layer()), layerOutput(plan, run.layer()));
    }
    m.addStatement("finish()");
    return m.build();
  }

  /** The arrays a recurrent step works on: h, [c], the input projection gx, and the gate workspace g. */
  private List<String> stepArrays() {
    return cell.hasCellState() ? List.of("h", "c", "gx", "g") : List.of("h", "gx", "g");
  }

  /** One step of {@code group} sequences of one layer and direction: recurrent products plus the cell update. */
  private MethodSpec recurrentStep(LayerRun run, Group group) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(run.name(CELL.get(group))).addModifiers(Modifier.PRIVATE);
    if (group == Group.ONE) {
      m.addJavadoc("One step of $L: h$L updated in place; gx holds this step's input projection;\n"
          + "g receives the activated gates.\n", run.where(), cell.hasCellState() ? ", c" : "");
    } else {
      m.addJavadoc("$N for $L sequences at once: each recurrent weight is loaded once for all of them.\n",
          run.name(Member.CELL), group.words());
    }
    for (String array : stepArrays()) {
      m.addParameter(FLOATS, array);
      for (String offset : group.offsets()) {
        m.addParameter(int.class, array + offset);
      }
    }
    cell.recurrentStep(m, run, group);
    return m.build();
  }

  /** Row of step {@code s} (in processing order) of sequence {@code b}: backwards runs start at its last valid step. */
  static String rowOf(LayerRun run, String b, String s) {
    return run.reverse() ? b + " * steps + lengths[" + b + "] - 1 - " + s : b + " * steps + " + s;
  }

  /** Step s (in processing order) of the group's sequences: their recurrent step, then their outputs. */
  private MethodSpec processingStep(LayerRun run, Group group) {
    int stateIndex = run.stateIndex();
    MethodSpec.Builder m = MethodSpec.methodBuilder(run.name(STEP.get(group))).addModifiers(Modifier.PRIVATE);
    if (group != Group.ONE) {
      m.addJavadoc("Step s (in processing order) of $L sequences together.\n", group.words());
    } else {
      m.addJavadoc("Step s (in processing order) of sequence b.\n");
    }
    for (String b : group.sequences()) {
      m.addParameter(int.class, b);
    }
    m.addParameter(int.class, "s").addParameter(FLOATS, "out");
    for (int k = 0; k < group.size(); k++) {
      m.addStatement("int row$L = $L", group.locals().get(k), rowOf(run, group.sequences().get(k), "s"));
    }
    for (int k = 0; k < group.size(); k++) {
      m.addStatement("int state$L = $L", group.locals().get(k), Fold.state(stateIndex, group.sequences().get(k), "STATE"));
    }
    // the cell state is H wide, h STATE wide: separate offsets only when they differ (a projection)
    String cellOffset = run.projection() ? "cell" : "state";
    if (cell.hasCellState() && run.projection()) {
      for (int k = 0; k < group.size(); k++) {
        m.addStatement("int cell$L = $L", group.locals().get(k), Fold.state(stateIndex, group.sequences().get(k),
            "HIDDEN"));
      }
    }
    String method = run.name(CELL.get(group));
    String states = "hN, " + group.locals("state", "") + ", "
        + (cell.hasCellState() ? "cN, " + group.locals(cellOffset, "") + ", " : "")
        + "inputProjection, " + String.join(", ", group.sequences().stream().map(b -> b + " * GX_STRIDE").toList())
        + ", ";
    String scratch = "gates, " + group.slots("GATE_STRIDE");
    if (!plan.training()) {
      m.addStatement("$N($L$L)", method, states, scratch);
    } else {
      StringBuilder stored = new StringBuilder("gateStore");
      for (String x : group.locals()) {
        stored.append(", gateOffset(").append(stateIndex).append(", row").append(x).append(")");
      }
      m.beginControlFlow("if (training)")
          .addStatement("$N($L$L)", method, states, stored);
      if (cell.hasCellState()) {
        for (String x : group.locals()) {
          m.addStatement("System.arraycopy(cN, $L$L, cellStore, $L, HIDDEN)", cellOffset, x,
              Fold.store(stateIndex, "row" + x));
        }
      }
      m.nextControlFlow("else")
          .addStatement("$N($L$L)", method, states, scratch)
          .endControlFlow();
    }
    for (String x : group.locals()) {
      m.addStatement("System.arraycopy(hN, state$L, out, $L, STATE)", x,
          Fold.plus("row" + x + " * FEATURES", directionOffset(run)));
    }
    return m.build();
  }

  /**
   * The whole sequence of one layer and direction, step-major so that the sequences still running at a
   * step go through the recurrent weights several at a time.
   */
  private MethodSpec runLayer(LayerRun run) {
    String in = run.inputWidth();
    MethodSpec.Builder m = MethodSpec.methodBuilder(run.name(Member.RUN)).addModifiers(Modifier.PRIVATE)
        .addParameter(FLOATS, "in").addParameter(FLOATS, "out")
        .addStatement("Weights w = weights");
    String where = run.reverse() ? ", backwards in time from each sequence's last valid step" : "";
    if (plan.blocking().batchedRecurrence()) {
      m.addJavadoc("Layer $L over the batch$L, step by step: per step, the input projections of every running\n"
          + "sequence in one blocked product with W_ih, then gates = gx + W_hh·h in one blocked product with W_hh, then\n"
          + "each sequence's update. Projecting step by step keeps a step's gate rows (batch × GX_STRIDE floats) in the\n"
          + "cache; projecting all steps ahead would write batch × steps rows to memory and read them back.\n",
          run.layer(), where);
      if (run.projectsAhead()) {
        m.addJavadoc("A batch of at most PROJECT_AHEAD_BATCH sequences projects every valid step ahead instead, in one blocked\n"
            + "product: W_ih is larger than the L2 cache, and step by step a small batch would stream all of it through\n"
            + "the core at every step for a few rows.\n");
        m.addStatement("boolean ahead = $Lbatch <= PROJECT_AHEAD_BATCH", plan.training() ? "!training && " : "")
            .beginControlFlow("if (ahead)")
            .addStatement("rowsProduct(w.$N, GATE_ROWS, $L, in, validRows, $L, 0, w.$N, 0, 0, inputProjection, validRows, "
                + "GX_STRIDE, 0, validCount, productPanel)", run.name(Member.IH), run.inputWidth(), run.inputWidth(),
                run.name(Member.IH_BIAS))
            .endControlFlow();
      }
      m.beginControlFlow("for (int s = 0; s < longest; s++)");
      batchedStep(m, run);
      m.endControlFlow();
      return m.build();
    }
    m.addJavadoc("Layer $L over the batch$L, step by step: per step, the input projections of every running\n"
            + "sequence in one blocked product with W_ih (into row b of inputProjection, so a step's rows stay in the\n"
            + "cache), then the recurrence, several running sequences per sweep over W_hh.\n",
            run.layer(), where)
        .beginControlFlow("for (int s = 0; s < longest; s++)")
        .addStatement("int projected = 0")
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .beginControlFlow("if (lengths[b] > s)")
        .addStatement("running[projected] = b")
        .addStatement("runningRows[projected++] = $L", rowOf(run, "b", "s"))
        .endControlFlow()
        .endControlFlow()
        .addStatement("rowsProduct(w.$N, GATE_ROWS, $L, in, runningRows, $L, 0, w.$N, 0, 0, inputProjection, running, "
            + "GX_STRIDE, 0, projected, productPanel)", run.name(Member.IH), in, in, run.name(Member.IH_BIAS));
    emitRunningGroups(m, run, groups(plan), STEP, "out");
    m.endControlFlow();
    return m.build();
  }

  /**
   * Inside the loop over processing step {@code s}: the running sequences and their rows; gx = b + W_ih·x of all of
   * them in one blocked product, then gates = gx + W_hh·h in place (into row b of inputProjection, or, training,
   * the step's row of the gate store), then each sequence's update and output. Each row is summed as the
   * per-sequence matvec sums it, so results are those of one sequence at a time, bit for bit.
   */
  private void batchedStep(MethodSpec.Builder m, LayerRun run) {
    int stateIndex = run.stateIndex();
    String in = run.inputWidth();
    String hBase = Fold.times(stateIndex, "batch * STATE");
    String storeBase = Fold.times(stateIndex, "maxRows * GATE_STRIDE");
    m.addStatement("int count = 0")
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .beginControlFlow("if (lengths[b] > s)")
        .addStatement("running[count] = b")
        .addStatement("runningRows[count++] = $L", rowOf(run, "b", "s"))
        .endControlFlow()
        .endControlFlow();
    String projection = "rowsProduct(w.$N, GATE_ROWS, $L, in, runningRows, $L, 0, w.$N, 0, 0, $L, $L, $L, $L, count, "
        + "productPanel)";
    String ih = run.name(Member.IH);
    String bias = run.name(Member.IH_BIAS);
    // the cell says where its recurrent products go: in place into the projected gate rows (RNN, LSTM), or into
    // rows of their own beside the projections (GRU, whose n gate scales its recurrent part by r)
    boolean inPlace = cell.projectsIntoGates();
    if (!inPlace) {
      // training or not: projections in inputProjection, products in the cell's own rows (a row's products are
      // copied into the gate store before its update, when training)
      if (run.projectsAhead()) {
        m.beginControlFlow("if (!ahead)");
      }
      m.addStatement(projection, ih, in, in, bias, "inputProjection", "running", "GX_STRIDE", "0");
      if (run.projectsAhead()) {
        m.endControlFlow();
      }
      cell.batchedProducts(m, run, hBase, ModelPlan.RECURRENT_GATES, "running", "GATE_STRIDE", "0");
    } else {
      if (plan.training()) {
        m.beginControlFlow("if (training)")
            .addStatement(projection, ih, in, in, bias, "gateStore", "runningRows", "GATE_STRIDE", storeBase);
        cell.batchedProducts(m, run, hBase, "gateStore", "runningRows", "GATE_STRIDE", storeBase);
        m.nextControlFlow("else");
      }
      if (run.projectsAhead()) {
        m.beginControlFlow("if (ahead)")
            .addComment("the projections were made ahead, in the rows of their steps");
        cell.batchedProducts(m, run, hBase, "inputProjection", "runningRows", "GX_STRIDE", "0");
        m.nextControlFlow("else");
      }
      m.addStatement(projection, ih, in, in, bias, "inputProjection", "running", "GX_STRIDE", "0");
      cell.batchedProducts(m, run, hBase, "inputProjection", "running", "GX_STRIDE", "0");
      if (run.projectsAhead()) {
        m.endControlFlow();
      }
      if (plan.training()) {
        m.endControlFlow();
      }
    }
    m.beginControlFlow("for (int i = 0; i < count; i++)")
        .addStatement("int b = running[i]")
        .addStatement("int row = runningRows[i]")
        .addStatement("int state = $L", Fold.state(stateIndex, "b", "STATE"));
    String cellOffset = "state";
    if (cell.hasCellState() && run.projection()) {
      m.addStatement("int cell = $L", Fold.state(stateIndex, "b", "HIDDEN"));
      cellOffset = "cell";
    }
    String c = cell.hasCellState() ? "cN" : null;
    String cOff = cell.hasCellState() ? cellOffset : null;
    if (plan.training()) {
      m.beginControlFlow("if (training)");
      if (!inPlace) {
        m.addStatement("System.arraycopy($N, b * GATE_STRIDE, gateStore, gateOffset($L, row), GATE_STRIDE)",
            ModelPlan.RECURRENT_GATES, stateIndex);
      }
      cell.batchedUpdate(m, run, "gateStore", "gateOffset(" + stateIndex + ", row)", c, cOff, "hN", "state");
      if (cell.hasCellState()) {
        m.addStatement("System.arraycopy(cN, $L, cellStore, $L, HIDDEN)", cellOffset, Fold.store(stateIndex, "row"));
      }
      m.nextControlFlow("else");
      inferenceUpdate(m, run, c, cOff);
      m.endControlFlow();
    } else {
      inferenceUpdate(m, run, c, cOff);
    }
    m.addStatement("System.arraycopy(hN, state, out, $L, STATE)", Fold.plus("row * FEATURES", directionOffset(run)))
        .endControlFlow();
  }

  /** The update of running sequence b outside training: its gate rows are row b of inputProjection or of the cell's own. */
  private void inferenceUpdate(MethodSpec.Builder m, LayerRun run, String c, String cOff) {
    if (cell.projectsIntoGates()) {
      cell.batchedUpdate(m, run, "inputProjection", run.projectsAhead() ? "(ahead ? row : b) * GX_STRIDE"
          : "b * GX_STRIDE", c, cOff, "hN", "state");
    } else {
      cell.batchedUpdate(m, run, ModelPlan.RECURRENT_GATES, "b * GATE_STRIDE", c, cOff, "hN", "state");
    }
  }

  /**
   * Inside a loop over processing step {@code s}: lists the sequences still running at {@code s} and calls
   * the run's method of each group size for them, largest groups first (four, then two, then one).
   */
  static void emitRunningGroups(MethodSpec.Builder m, LayerRun run, List<Group> groups, Map<Group, Member> methods,
      String args) {
    m.addStatement("int count = 0")
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .beginControlFlow("if (lengths[b] > s)")
        .addStatement("running[count++] = b")
        .endControlFlow()
        .endControlFlow()
        .addStatement("int i = 0");
    if (groups.contains(Group.QUAD)) {
      m.beginControlFlow("for (; i + 3 < count; i += 4)")
          .addStatement("$N(running[i], running[i + 1], running[i + 2], running[i + 3], s, $L)",
              run.name(methods.get(Group.QUAD)), args)
          .endControlFlow();
    }
    m.beginControlFlow("for (; i + 1 < count; i += 2)")
        .addStatement("$N(running[i], running[i + 1], s, $L)", run.name(methods.get(Group.PAIR)), args)
        .endControlFlow()
        .beginControlFlow("if (i < count)")
        .addStatement("$N(running[i], s, $L)", run.name(methods.get(Group.ONE)), args)
        .endControlFlow();
  }

  private MethodSpec finish() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("finish").addModifiers(Modifier.PRIVATE)
        .addJavadoc("Zeroes the output at padded steps (as pad_packed_sequence), then features and head.\n")
        .addStatement("int batch = this.batch")
        .addStatement("int steps = this.steps")
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .addStatement("$T.fill(output, (b * steps + lengths[b]) * FEATURES, (b + 1) * steps * FEATURES, 0f)", Arrays.class)
        .endControlFlow();
    if (plan.manyToOne()) {
      m.beginControlFlow("for (int b = 0; b < batch; b++)");
      for (LayerRun run : plan.lastLayerRuns()) {
        m.addStatement("System.arraycopy(hN, $L, features, $L, STATE)", Fold.state(run.stateIndex(), "b", "STATE"),
            Fold.plus("b * FEATURES", directionOffset(run)));
      }
      m.endControlFlow();
    }
    plan.head().ifPresent(head -> {
      if (!head.perStep()) {
        m.beginControlFlow("for (int b = 0; b < batch; b++)")
            .addStatement("head(features, b * FEATURES, logits, b * HEAD_SIZE, prediction, b * HEAD_SIZE)")
            .endControlFlow();
        return;
      }
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
          .addStatement("$T.fill(logits, (b * steps + len) * HEAD_SIZE, (b + 1) * steps * HEAD_SIZE, 0f)", Arrays.class)
          .addStatement("$T.fill(prediction, (b * steps + len) * HEAD_SIZE, (b + 1) * steps * HEAD_SIZE, 0f)",
              Arrays.class)
          .endControlFlow();
    });
    return m.build();
  }

  private MethodSpec head(Head head) {
    return MethodSpec.methodBuilder("head").addModifiers(Modifier.PRIVATE)
        .addJavadoc("logits = head.weight·f + head.bias, prediction = $L(logits).\n",
            head.activation().name().toLowerCase(Locale.ROOT))
        .addParameter(FLOATS, "f").addParameter(int.class, "fOff")
        .addParameter(FLOATS, "logits").addParameter(int.class, "lOff")
        .addParameter(FLOATS, "prediction").addParameter(int.class, "pOff")
        .addStatement("matvec(weights.headWeight, HEAD_SIZE, FEATURES, f, fOff, weights.headBias, 0, headScratch, 0)")
        .addStatement("headActivation(0, logits, lOff, prediction, pOff)")
        .build();
  }

  private MethodSpec headActivation(Head head) {
    MethodSpec.Builder m = MethodSpec.methodBuilder("headActivation").addModifiers(Modifier.PRIVATE)
        .addJavadoc("Copies the logits from headScratch[s, s + HEAD_SIZE) out and applies the head's activation.\n")
        .addParameter(int.class, "s")
        .addParameter(FLOATS, "logits").addParameter(int.class, "lOff")
        .addParameter(FLOATS, "prediction").addParameter(int.class, "pOff")
        .addStatement("float[] z = headScratch")
        .addStatement("System.arraycopy(z, s, logits, lOff, HEAD_SIZE)");
    HeadActivation activation = head.activation();
    if (activation == HeadActivation.LINEAR) {
      m.addStatement("System.arraycopy(z, s, prediction, pOff, HEAD_SIZE)");
    } else if (activation == HeadActivation.SIGMOID) {
      m.beginControlFlow("for (int k = 0; k < HEAD_SIZE; k++)")
          .addStatement("prediction[pOff + k] = Scalar.sigmoid(z[s + k])")
          .endControlFlow();
    } else if (plan.blocking().fusedCrossEntropy()) {
      m.addStatement("logSumExp[pOff / HEAD_SIZE] = softmax(z, s, prediction, pOff)");
    } else {
      m.addStatement("softmax(z, s, prediction, pOff)");
    }
    return m.build();
  }

  // -------------------------------------------------------------------------------------------- streaming

  private void emitStreaming(TypeSpec.Builder type) {
    MethodSpec.Builder reset = MethodSpec.methodBuilder("resetState").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addStatement("$T.fill(stepState, 0f)", Arrays.class);
    if (cell.hasCellState()) {
      reset.addStatement("$T.fill(stepCell, 0f)", Arrays.class);
    }
    type.addMethod(reset.build());
    MethodSpec.Builder setState = MethodSpec.methodBuilder("setState").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addParameter(FLOATS, "h0").addParameter(FLOATS, "c0");
    if (cell.hasCellState()) {
      // both checked before either is copied: a failing call changes nothing
      setState.beginControlFlow("if (c0 != null)")
          .addStatement("requireLength($S, c0, LAYERS * HIDDEN)", "c0")
          .endControlFlow();
    }
    setState.addStatement("loadState($S, h0, stepState, LAYERS * STATE)", "h0");
    if (cell.hasCellState()) {
      setState.addStatement("loadState($S, c0, stepCell, LAYERS * HIDDEN)", "c0");
    }
    type.addMethod(setState.build());

    MethodSpec.Builder step = MethodSpec.methodBuilder("step").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addParameter(FLOATS, "x").addParameter(int.class, "offset");
    if (plan.hasEmbedding()) {
      step.addStatement("throw new IllegalArgumentException($S)",
          "this model reads token ids (it has an embedding): call stepToken");
    } else {
      step.beginControlFlow("if (x == null)")
          .addStatement("throw new IllegalArgumentException($S)", "x is null")
          .endControlFlow()
          .beginControlFlow("if (offset < 0 || offset > x.length - INPUT_SIZE)")
          .addStatement("throw new IllegalArgumentException(\"x needs INPUT_SIZE = \" + INPUT_SIZE "
              + "+ \" values from offset \" + offset + \", has \" + x.length)")
          .endControlFlow()
          .addStatement("stepLayers(x, offset)");
    }
    type.addMethod(step.build());

    MethodSpec.Builder stepToken = MethodSpec.methodBuilder("stepToken").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC).addParameter(int.class, "token");
    if (plan.hasEmbedding()) {
      stepToken.beginControlFlow("if (token < 0 || token >= VOCAB)")
          .addStatement("throw new IllegalArgumentException(\"token id must be in [0, \" + VOCAB + \"), got \" + token)")
          .endControlFlow()
          .addStatement("stepLayers(weights.embedding, token * INPUT_SIZE)");
    } else {
      stepToken.addStatement("throw new IllegalArgumentException($S)",
          "this model reads dense features (it has no embedding): call step");
    }
    type.addMethod(stepToken.build());
    type.addMethod(stepLayers());

    type.addMethod(getter("stepOutput", "stepOutput"));
    type.addMethod(getter("stepLogits", plan.hasHead() ? "stepLogits" : "null"));
    type.addMethod(getter("stepPrediction", plan.hasHead() ? "stepPrediction" : "null"));
    type.addMethod(getter("hiddenState", "stepState"));
    type.addMethod(getter("cellState", cell.hasCellState() ? "stepCell" : "null"));
  }

  /**
   * Whether the streaming step alternates the order of its products (an instance field {@code stepReversed}): the
   * fused step's panel groups, or a GRU's three products where their padded rows allow it.
   */
  static boolean alternatesStepOrder(ModelPlan plan, CellEmitter cell) {
    return plan.blocking().fusedStep() || (plan.blocking().fusedRzStep() && cell.alternatesStepOrder());
  }

  /** One timestep through every layer: one fused [W_ih | W_hh] product per layer when the plan fuses the step. */
  private MethodSpec stepLayers() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("stepLayers").addModifiers(Modifier.PRIVATE)
        .addJavadoc("One timestep through every layer; layer l > 0 reads layer l - 1's new state.\n")
        .addParameter(FLOATS, "x").addParameter(int.class, "offset")
        .addStatement("Weights w = weights");
    for (LayerRun run : plan.runs()) {
      int layer = run.layer();
      String src = layer == 0 ? "x" : "stepState";
      String srcOff = layer == 0 ? "offset" : Fold.times(layer - 1, "STATE");
      String state = Fold.times(layer, "STATE");
      String cellState = Fold.times(layer, "HIDDEN");
      if (run.unitStep()) {
        m.addComment("layer $L: block of hidden units by block, the block's gates in one sweep of [W_ih | W_hh] over", layer)
            .addComment("[x; h] and its state updated from the registers (the vector kernels; the scalar ones as below)")
            .addStatement("System.arraycopy($L, $L, stepInput, 0, $L)", src, srcOff, run.inputWidth())
            .addStatement("System.arraycopy(stepState, $L, stepInput, $L, STATE)", state, run.inputWidth())
            .beginControlFlow("if (VECTOR)");
        cell.unitStep(m, run, run.inputWidth(), state, cellState);
        m.nextControlFlow("else");
        if (plan.blocking().fusedRzStep()) {
          cell.fusedRzStep(m, run, run.inputWidth(), state);
        } else {
          m.addStatement("matvec(w.$N, GATE_ROWS, $L + STATE, stepInput, 0, w.$N, 0, gates, 0)",
              run.name(Member.STEP_FUSED), run.inputWidth(), run.name(Member.IH_BIAS));
          cell.fusedUpdate(m, run, "gates", "0", "stepCell", cellState, "stepState", state);
        }
        m.endControlFlow();
      } else if (plan.blocking().fusedStep()) {
        m.addComment("layer $L: gates = [W_ih | W_hh]·[x; h] + b in one sweep", layer)
            .addStatement("System.arraycopy($L, $L, stepInput, 0, $L)", src, srcOff, run.inputWidth())
            .addStatement("System.arraycopy(stepState, $L, stepInput, $L, STATE)", state, run.inputWidth())
            .addComment("the panel groups in reverse order every other step: the step then starts on the weights the")
            .addComment("step before touched last, still in the L1 cache when they fit it (the sums are the same)")
            .beginControlFlow("if (stepReversed)")
            .addStatement("matvecReversed(w.$N, GATE_ROWS, $L + STATE, stepInput, 0, w.$N, 0, gates, 0)",
                run.name(Member.STEP_FUSED), run.inputWidth(), run.name(Member.IH_BIAS))
            .nextControlFlow("else")
            .addStatement("matvec(w.$N, GATE_ROWS, $L + STATE, stepInput, 0, w.$N, 0, gates, 0)",
                run.name(Member.STEP_FUSED), run.inputWidth(), run.name(Member.IH_BIAS))
            .endControlFlow();
        cell.fusedUpdate(m, run, "gates", "0", "stepCell", cellState, "stepState", state);
      } else if (plan.blocking().fusedRzStep()) {
        m.addComment("layer $L: r and z = [W_ih | W_hh]·[x; h] + b in one sweep; n's two products apart", layer)
            .addStatement("System.arraycopy($L, $L, stepInput, 0, $L)", src, srcOff, run.inputWidth())
            .addStatement("System.arraycopy(stepState, $L, stepInput, $L, STATE)", state, run.inputWidth());
        cell.fusedRzStep(m, run, run.inputWidth(), state);
      } else {
        m.addStatement("matvec(w.$N, GATE_ROWS, $L, $L, $L, w.$N, 0, stepProjection, 0)", run.name(Member.IH),
            run.inputWidth(), src, srcOff, run.name(Member.IH_BIAS));
        m.addStatement("$N(stepState, $L, $LstepProjection, 0, gates, 0)", run.name(Member.CELL), state,
            cell.hasCellState() ? "stepCell, " + cellState + ", " : "");
      }
    }
    if (plan.blocking().fusedRzStep() && cell.alternatesStepOrder()) {
      m.addStatement("stepReversed = STEP_ORDER_FREE && !stepReversed");
    } else if (alternatesStepOrder(plan, cell)) {
      m.addStatement("stepReversed = !stepReversed");
    }
    m.addStatement("System.arraycopy(stepState, $L, stepOutput, 0, STATE)", Fold.times(plan.layers() - 1, "STATE"));
    if (plan.hasHead()) {
      m.addStatement("head(stepOutput, 0, stepLogits, 0, stepPrediction, 0)");
    }
    return m.build();
  }

  static MethodSpec getter(String name, String expression) {
    return MethodSpec.methodBuilder(name).addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(FLOATS).addStatement("return $L", expression).build();
  }
}
