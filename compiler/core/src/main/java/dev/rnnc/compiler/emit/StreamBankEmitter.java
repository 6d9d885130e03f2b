package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.INTS;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.Member;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.Node.Bank;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Emits the stream bank the plan's {@link Bank} node asks for: the nested {@code Bank} class (an
 * {@code AbstractStreamBank}, which keeps every stream's state in one array) and, on the model class, the methods
 * that advance it.
 *
 * <p>The bank's private model instance has maxBatch = capacity and maxLength = 1, so its workspaces hold a row per
 * stream of a call. Per layer, a cell with a fused step (RNN, LSTM) gathers every stream's {@code [x; h]} row
 * into {@code bankInput} and multiplies all of them by the packed {@code [W_ih | W_hh]} in one blocked product
 * ({@code rowsProduct}, see {@link RowsProductEmitter}: tiles of streams, every weight vector loaded once feeding
 * the whole tile's accumulators), then updates each stream's state in place in the bank's array. A GRU runs tiles of two streams: their
 * input projections in one sweep over W_ih and the forward pass's pair step over W_hh. Every row is summed in the order of the single-stream
 * {@code step} (the kernels differ only in how many rows share a weight load), so a stream's results equal
 * stepping it alone, bit for bit. A block of one stream's steps runs the streaming step itself.
 */
final class StreamBankEmitter {
  private static final List<Group> GROUPS = List.of(Group.QUAD, Group.PAIR, Group.ONE);

  private final ModelPlan plan;
  private final CellEmitter cell;
  private final Bank bank;

  StreamBankEmitter(ModelPlan plan, CellEmitter cell) {
    this.plan = plan;
    this.cell = cell;
    this.bank = plan.bank().orElseThrow();
  }

  private static Group group(int size) {
    return GROUPS.stream().filter(g -> g.size() == size).findFirst().orElseThrow();
  }

  /** Adds the constants, the model's bank methods and the nested {@code Bank} class. */
  void emit(TypeSpec.Builder type, ClassName model) {
    type.addField(FieldSpec.builder(int.class, "STREAM_STATE", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Floats of one stream's state in a bank: h [LAYERS, STATE]$L.\n",
            cell.hasCellState() ? ", then c [LAYERS, HIDDEN]" : "")
        .initializer(cell.hasCellState() ? "LAYERS * STATE + LAYERS * HIDDEN" : "LAYERS * STATE").build());
    if (bank.fusedStep()) {
      type.addField(FieldSpec.builder(int.class, "BANK_INPUT_STRIDE", Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("Row stride of the bank's gathered [x; h] rows: the widest layer input plus STATE.\n")
          .initializer("$L", Math.max(plan.config().inputSize(), plan.config().featureSize())
              + plan.config().stateSize()).build());
    }
    type.addMethod(MethodSpec.methodBuilder("newStreamBank").addModifiers(Modifier.PUBLIC)
        .addJavadoc("A stream bank over this model's weights holding at most {@code capacity} streams; see\n"
            + "{@link Bank}.\n")
        .addParameter(int.class, "capacity").returns(model.nestedClass("Bank"))
        .addStatement("return new Bank(weights, capacity)").build());
    type.addMethod(advance());
    if (bank.fusedStep()) {
      plan.runs().forEach(run -> type.addMethod(fusedLayer(run)));
    } else {
      for (int size : bank.sweeps()) {
        type.addMethod(sweep(group(size)));
      }
    }
    type.addMethod(outputs());
    type.addMethod(block());
    type.addType(bankClass(model));
  }

  private MethodSpec advance() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("bankAdvance").addModifiers(Modifier.PRIVATE)
        .addJavadoc("One step of streams {@code ids[0, count)} of a bank whose states are {@code state}.\n\n@rnnc.hot\n")
        .addParameter(FLOATS, "state").addParameter(INTS, "ids").addParameter(int.class, "count")
        .addParameter(FLOATS, "inputs").addParameter(INTS, "tokens").addParameter(FLOATS, "outputs");
    if (bank.fusedStep()) {
      for (LayerRun run : plan.runs()) {
        m.addStatement("$N(state, ids, count, inputs, tokens)", layerName(run));
      }
    } else {
      m.addStatement("int i = 0");
      for (int size : bank.sweeps()) {
        String method = sweepName(group(size));
        if (size == 1) {
          m.beginControlFlow("if (i < count)")
              .addStatement("$N(state, ids, i, inputs, tokens)", method)
              .endControlFlow();
        } else {
          m.beginControlFlow("for (; i + $L <= count; i += $L)", size, size)
              .addStatement("$N(state, ids, i, inputs, tokens)", method)
              .endControlFlow();
        }
      }
    }
    m.beginControlFlow("if (outputs != null)")
        .addStatement("bankOutputs(state, ids, count, outputs)")
        .endControlFlow();
    return m.build();
  }

  private static String layerName(LayerRun run) {
    return "bankLayer" + run.layer();
  }

  private static String sweepName(Group group) {
    return group.size() == 1 ? "bankOne" : group.size() == 2 ? "bankPair" : "bankQuad";
  }

  private static String streams(Group group) {
    return group.size() == 1 ? "one stream" : group.words() + " streams";
  }

  /**
   * One layer of a call's streams with a fused step: gather every stream's [x; h] row (row ids[i] of bankInput),
   * multiply them all by [W_ih | W_hh] in one blocked product (rowsProduct, rows listed by ids), update each state.
   */
  private MethodSpec fusedLayer(LayerRun run) {
    String in = run.inputWidth();
    String weight = run.name(Member.STEP_FUSED);
    String bias = run.name(Member.IH_BIAS);
    MethodSpec.Builder m = MethodSpec.methodBuilder(layerName(run)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("Layer $L of streams {@code ids[0, count)}: gates = [W_ih | W_hh]·[x; h] + b for all of them,\n"
            + "then each stream's update in place.\n\n@rnnc.hot\n", run.layer())
        .addParameter(FLOATS, "state").addParameter(INTS, "ids").addParameter(int.class, "count")
        .addParameter(FLOATS, "inputs").addParameter(INTS, "tokens")
        .addStatement("Weights w = weights")
        .beginControlFlow("for (int i = 0; i < count; i++)")
        .addStatement("int s = ids[i] * STREAM_STATE")
        .addStatement("int row = ids[i] * BANK_INPUT_STRIDE");
    String[] src = layerInput(run, "i", "s");
    m.addStatement("System.arraycopy($L, $L, bankInput, row, $L)", src[0], src[1], in)
        .addStatement("System.arraycopy(state, $L, bankInput, row + $L, STATE)",
            Fold.plus("s", Fold.times(run.layer(), "STATE")), in)
        .endControlFlow()
        .addStatement("rowsProduct(w.$N, GATE_ROWS, $L + STATE, bankInput, ids, BANK_INPUT_STRIDE, 0, w.$N, 0, 0, "
            + "inputProjection, ids, GX_STRIDE, 0, count, productPanel)", weight, in, bias)
        .beginControlFlow("for (int k = 0; k < count; k++)")
        .addStatement("int s = ids[k] * STREAM_STATE");
    cell.fusedUpdate(m, run, "inputProjection", "ids[k] * GX_STRIDE", "state", c(run, "s"), "state", h(run, "s"));
    m.endControlFlow();
    return m.build();
  }

  /** GRU: streams {@code ids[i, i + size)} through every layer, one sweep over each layer's weights. */
  private MethodSpec sweep(Group group) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(sweepName(group)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("One step of the $L {@code ids[i, i + $L)} through every layer.\n\n@rnnc.hot\n",
            streams(group), group.size())
        .addParameter(FLOATS, "state").addParameter(INTS, "ids").addParameter(int.class, "i")
        .addParameter(FLOATS, "inputs").addParameter(INTS, "tokens")
        .addStatement("Weights w = weights");
    int n = group.size();
    for (int k = 0; k < n; k++) {
      m.addStatement("int s$L = ids[$L] * STREAM_STATE", k, rowOf(k));
    }
    for (LayerRun run : plan.runs()) {
      projectedLayer(m, run, group);
    }
    return m.build();
  }

  /** The outputs of streams {@code ids[0, count)}: the head of each, or the last layer's h. */
  private MethodSpec outputs() {
    String last = Fold.times(plan.layers() - 1, "STATE");
    MethodSpec.Builder m = MethodSpec.methodBuilder("bankOutputs").addModifiers(Modifier.PRIVATE)
        .addJavadoc("Row i of {@code outputs}: $L of stream {@code ids[i]}.\n\n@rnnc.hot\n",
            plan.hasHead() ? "the head's prediction" : "the last layer's h")
        .addParameter(FLOATS, "state").addParameter(INTS, "ids").addParameter(int.class, "count")
        .addParameter(FLOATS, "outputs")
        .beginControlFlow("for (int i = 0; i < count; i++)")
        .addStatement("int s = $L", Fold.plus("ids[i] * STREAM_STATE", last));
    if (plan.hasHead()) {
      m.addStatement("head(state, s, stepLogits, 0, stepPrediction, 0)")
          .addStatement("System.arraycopy(stepPrediction, 0, outputs, i * HEAD_SIZE, HEAD_SIZE)");
    } else {
      m.addStatement("System.arraycopy(state, s, outputs, i * STATE, STATE)");
    }
    return m.endControlFlow().build();
  }

  /** The call's row of the tile's k-th stream. */
  private static String rowOf(int k) {
    return k == 0 ? "i" : "i + " + k;
  }

  /**
   * Where the input of layer {@code run} is for the stream of call row {@code row} whose state starts at
   * {@code s}: the call's row, its token's embedding, or layer l-1's h.
   */
  private String[] layerInput(LayerRun run, String row, String s) {
    if (run.layer() > 0) {
      return new String[] {"state", Fold.plus(s, Fold.times(run.layer() - 1, "STATE"))};
    }
    if (plan.hasEmbedding()) {
      return new String[] {"w.embedding", "tokens[" + row + "] * INPUT_SIZE"};
    }
    return new String[] {"inputs", (row.contains(" ") ? "(" + row + ")" : row) + " * INPUT_SIZE"};
  }

  private static String h(LayerRun run, String s) {
    return Fold.plus(s, Fold.times(run.layer(), "STATE"));
  }

  private static String c(LayerRun run, String s) {
    return Fold.plus(s, "LAYERS * STATE" + (run.layer() == 0 ? "" : " + " + Fold.times(run.layer(), "HIDDEN")));
  }

  private static String gateRow(int k) {
    return k == 0 ? "i * GX_STRIDE" : "(i + " + k + ") * GX_STRIDE";
  }

  /** One sweep over W_ih for the streams' input projections, then the forward pass's recurrent step of the group. */
  private void projectedLayer(MethodSpec.Builder m, LayerRun run, Group group) {
    int n = group.size();
    m.addComment("layer $L: input projections of $L in one sweep over W_ih, then $L recurrent step",
        run.layer(), streams(group), n == 1 ? "its" : "their");
    StringBuilder offsets = new StringBuilder();
    StringBuilder gates = new StringBuilder();
    String array = null;
    for (int k = 0; k < n; k++) {
      String[] src = layerInput(run, rowOf(k), "s" + k);
      array = src[0];
      offsets.append(k == 0 ? "" : ", ").append(src[1]);
      gates.append(k == 0 ? "" : ", ").append(gateRow(k));
    }
    m.addStatement("$L(w.$N, GATE_ROWS, $L, $L, $L, w.$N, $L, inputProjection, $L)", group.matvec(),
        run.name(Member.IH), run.inputWidth(), array, offsets, run.name(Member.IH_BIAS), group.zeros(), gates);
    StringBuilder states = new StringBuilder();
    for (int k = 0; k < n; k++) {
      states.append(", ").append(h(run, "s" + k));
    }
    StringBuilder cells = new StringBuilder();
    if (cell.hasCellState()) {
      cells.append(", state");
      for (int k = 0; k < n; k++) {
        cells.append(", ").append(c(run, "s" + k));
      }
    }
    Member method = switch (n) {
      case 1 -> Member.CELL;
      case 2 -> Member.CELL_PAIR;
      default -> Member.CELL_QUAD;
    };
    m.addStatement("$N(state$L$L, inputProjection, $L, gates, $L)", run.name(method), states, cells, gates,
        group.slots("GATE_STRIDE"));
  }

  /** A block of one stream's steps: the streaming step itself, on the stream's state swapped in and out. */
  private MethodSpec block() {
    String out = plan.hasHead() ? "stepPrediction" : "stepOutput";
    String width = plan.hasHead() ? "HEAD_SIZE" : "STATE";
    MethodSpec.Builder m = MethodSpec.methodBuilder("bankBlock").addModifiers(Modifier.PRIVATE)
        .addJavadoc("{@code steps} steps of the one stream whose state is at {@code state[at ..]}.\n\n@rnnc.hot\n")
        .addParameter(FLOATS, "state").addParameter(int.class, "at").addParameter(int.class, "steps")
        .addParameter(FLOATS, "input").addParameter(int.class, "inputOffset")
        .addParameter(INTS, "tokens").addParameter(int.class, "tokenOffset")
        .addParameter(FLOATS, "output").addParameter(int.class, "outputOffset")
        .addStatement("System.arraycopy(state, at, stepState, 0, LAYERS * STATE)");
    if (cell.hasCellState()) {
      m.addStatement("System.arraycopy(state, at + LAYERS * STATE, stepCell, 0, LAYERS * HIDDEN)");
    }
    m.beginControlFlow("for (int t = 0; t < steps; t++)");
    if (plan.hasEmbedding()) {
      m.addStatement("stepLayers(weights.embedding, tokens[tokenOffset + t] * INPUT_SIZE)");
    } else {
      m.addStatement("stepLayers(input, inputOffset + t * INPUT_SIZE)");
    }
    m.beginControlFlow("if (output != null)")
        .addStatement("System.arraycopy($L, 0, output, outputOffset + t * $L, $L)", out, width, width)
        .endControlFlow()
        .endControlFlow()
        .addStatement("System.arraycopy(stepState, 0, state, at, LAYERS * STATE)");
    if (cell.hasCellState()) {
      m.addStatement("System.arraycopy(stepCell, 0, state, at + LAYERS * STATE, LAYERS * HIDDEN)");
    }
    return m.build();
  }

  private TypeSpec bankClass(ClassName model) {
    ClassName weights = model.nestedClass("Weights");
    return TypeSpec.classBuilder("Bank").addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .superclass(Types.ABSTRACT_STREAM_BANK)
        .addJavadoc("Many streams of this model stepped together: {@code open()}, {@code step(ids, count, inputs, outputs)}"
            + "$L,\n{@code process} for a block of one stream's steps, snapshots; see {@link $T}.\n\n"
            + "<p>A step of K streams runs in tiles of up to $L streams: each weight loaded serves the whole tile, so weight\n"
            + "traffic per stream falls by that factor. Each stream's results equal stepping it alone\n"
            + "with {@link #step} of the model, bit for bit. Allocates nothing after construction; not thread-safe\n"
            + "(one bank per thread, sharing the {@link Weights}).\n",
            plan.hasEmbedding() ? " ({@code stepTokens} for token ids)" : "", Types.STREAM_BANK, bank.widest())
        .addField(FieldSpec.builder(model, "model", Modifier.PRIVATE, Modifier.FINAL)
            .addJavadoc("Private instance (maxBatch = capacity, maxLength = 1) whose workspaces and streaming step the\n"
                + "bank runs on.\n").build())
        .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
            .addJavadoc("A bank of at most {@code capacity} streams over shared weights.\n")
            .addParameter(weights, "weights").addParameter(int.class, "capacity")
            .addStatement("super(CONFIG, capacity)")
            .addStatement("this.model = new $T(weights, capacity, 1)", model)
            .build())
        .addMethod(MethodSpec.methodBuilder("advance").addAnnotation(Override.class)
            .addModifiers(Modifier.PROTECTED)
            .addParameter(INTS, "ids").addParameter(int.class, "count").addParameter(FLOATS, "inputs")
            .addParameter(INTS, "tokens").addParameter(FLOATS, "outputs")
            .addStatement("model.bankAdvance(state, ids, count, inputs, tokens, outputs)")
            .build())
        .addMethod(MethodSpec.methodBuilder("advanceBlock").addAnnotation(Override.class)
            .addModifiers(Modifier.PROTECTED)
            .addParameter(int.class, "id").addParameter(int.class, "steps")
            .addParameter(FLOATS, "input").addParameter(int.class, "inputOffset")
            .addParameter(INTS, "tokens").addParameter(int.class, "tokenOffset")
            .addParameter(FLOATS, "output").addParameter(int.class, "outputOffset")
            .addStatement("model.bankBlock(state, stateOffset(id), steps, input, inputOffset, tokens, tokenOffset, "
                + "output, outputOffset)")
            .build())
        .build();
  }
}
