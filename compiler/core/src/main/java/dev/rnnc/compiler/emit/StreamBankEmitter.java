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
 * <p>A call's streams are tiled by the plan's sweeps (four, two, one). Per tile and layer, a cell with a fused step
 * gathers each stream's {@code [x; h]} row into the bank's input workspace and multiplies the packed
 * {@code [W_ih | W_hh]} by all of them in one sweep (every weight vector loaded once feeds four accumulators), then
 * updates each stream's state in place in the bank's array; a GRU projects the tile's inputs in one sweep over
 * W_ih and runs the forward pass's pair step over W_hh. Every row is summed in the order of the single-stream
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
    for (int size : bank.sweeps()) {
      type.addMethod(sweep(group(size)));
    }
    type.addMethod(block());
    type.addType(bankClass(model));
  }

  private MethodSpec advance() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("bankAdvance").addModifiers(Modifier.PRIVATE)
        .addJavadoc("One step of streams {@code ids[0, count)} of a bank whose states are {@code state}: tiled by\n"
            + "$L streams per sweep over each layer's weights.\n\n@rnnc.hot\n", bank.widest())
        .addParameter(FLOATS, "state").addParameter(INTS, "ids").addParameter(int.class, "count")
        .addParameter(FLOATS, "inputs").addParameter(INTS, "tokens").addParameter(FLOATS, "outputs")
        .addStatement("int i = 0");
    for (int size : bank.sweeps()) {
      String method = sweepName(group(size));
      if (size == 1) {
        m.beginControlFlow("if (i < count)")
            .addStatement("$N(state, ids, i, inputs, tokens, outputs)", method)
            .endControlFlow();
      } else if (size == bank.widest()) {
        m.beginControlFlow("for (; i + $L <= count; i += $L)", size, size)
            .addStatement("$N(state, ids, i, inputs, tokens, outputs)", method)
            .endControlFlow();
      } else {
        m.beginControlFlow("if (i + $L <= count)", size)
            .addStatement("$N(state, ids, i, inputs, tokens, outputs)", method)
            .addStatement("i += $L", size)
            .endControlFlow();
      }
    }
    return m.build();
  }

  private static String streams(Group group) {
    return group.size() == 1 ? "one stream" : group.words() + " streams";
  }

  private static String sweepName(Group group) {
    return switch (group.size()) {
      case 1 -> "bankOne";
      case 2 -> "bankPair";
      default -> "bankQuad";
    };
  }

  /** Streams {@code ids[i, i + size)} through every layer, one sweep over each layer's weights, then their outputs. */
  private MethodSpec sweep(Group group) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(sweepName(group)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("One step of the $L {@code ids[i, i + $L)}: every layer, then the outputs.\n\n@rnnc.hot\n",
            streams(group), group.size())
        .addParameter(FLOATS, "state").addParameter(INTS, "ids").addParameter(int.class, "i")
        .addParameter(FLOATS, "inputs").addParameter(INTS, "tokens").addParameter(FLOATS, "outputs")
        .addStatement("Weights w = weights");
    int n = group.size();
    for (int k = 0; k < n; k++) {
      m.addStatement("int s$L = ids[i$L] * STREAM_STATE", k, plusK(k));
    }
    for (LayerRun run : plan.runs()) {
      if (bank.fusedStep()) {
        fusedLayer(m, run, group);
      } else {
        projectedLayer(m, run, group);
      }
    }
    m.beginControlFlow("if (outputs != null)");
    String last = Fold.times(plan.layers() - 1, "STATE");
    for (int k = 0; k < n; k++) {
      String row = rowOf(k);
      if (plan.hasHead()) {
        m.addStatement("head(state, $L, stepLogits, 0, stepPrediction, 0)", Fold.plus("s" + k, last))
            .addStatement("System.arraycopy(stepPrediction, 0, outputs, $L * HEAD_SIZE, HEAD_SIZE)", row);
      } else {
        m.addStatement("System.arraycopy(state, $L, outputs, $L * STATE, STATE)", Fold.plus("s" + k, last), row);
      }
    }
    m.endControlFlow();
    return m.build();
  }

  /** The call's row of the tile's k-th stream. */
  private static String rowOf(int k) {
    return k == 0 ? "i" : "(i + " + k + ")";
  }

  private static String plusK(int k) {
    return k == 0 ? "" : " + " + k;
  }

  /** Where stream {@code k}'s input of layer {@code run} is: the call's row, its token's embedding, or layer l-1's h. */
  private String[] layerInput(LayerRun run, int k) {
    if (run.layer() > 0) {
      return new String[] {"state", Fold.plus("s" + k, Fold.times(run.layer() - 1, "STATE"))};
    }
    if (plan.hasEmbedding()) {
      return new String[] {"w.embedding", "tokens[i" + plusK(k) + "] * INPUT_SIZE"};
    }
    return new String[] {"inputs", rowOf(k) + " * INPUT_SIZE"};
  }

  private static String h(LayerRun run, int k) {
    return Fold.plus("s" + k, Fold.times(run.layer(), "STATE"));
  }

  private static String c(LayerRun run, int k) {
    return Fold.plus("s" + k, "LAYERS * STATE" + (run.layer() == 0 ? "" : " + " + Fold.times(run.layer(), "HIDDEN")));
  }

  /** Gather [x; h] per stream, one sweep over [W_ih | W_hh], then each stream's update in place. */
  private void fusedLayer(MethodSpec.Builder m, LayerRun run, Group group) {
    int n = group.size();
    String in = run.inputWidth();
    m.addComment("layer $L: gates = [W_ih | W_hh]·[x; h] + b for $L in one sweep", run.layer(), streams(group));
    for (int k = 0; k < n; k++) {
      String[] src = layerInput(run, k);
      String row = Fold.times(k, "BANK_INPUT_STRIDE");
      m.addStatement("System.arraycopy($L, $L, bankInput, $L, $L)", src[0], src[1], row, in)
          .addStatement("System.arraycopy(state, $L, bankInput, $L, STATE)", h(run, k), Fold.plus(row, in));
    }
    m.addStatement("$L(w.$N, GATE_ROWS, $L + STATE, bankInput, $L, w.$N, $L, bankGates, $L)", group.matvec(),
        run.name(Member.STEP_FUSED), in, group.slots("BANK_INPUT_STRIDE"), run.name(Member.IH_BIAS), group.zeros(),
        group.slots("GX_STRIDE"));
    for (int k = 0; k < n; k++) {
      cell.fusedUpdate(m, run, "bankGates", Fold.times(k, "GX_STRIDE"), "state", c(run, k), "state", h(run, k));
    }
  }

  /** One sweep over W_ih for the streams' input projections, then the forward pass's recurrent step of the group. */
  private void projectedLayer(MethodSpec.Builder m, LayerRun run, Group group) {
    int n = group.size();
    m.addComment("layer $L: input projections of $L in one sweep over W_ih, then $L recurrent step",
        run.layer(), streams(group), group.size() == 1 ? "its" : "their");
    StringBuilder offsets = new StringBuilder();
    String array = null;
    for (int k = 0; k < n; k++) {
      String[] src = layerInput(run, k);
      array = src[0];
      offsets.append(k == 0 ? "" : ", ").append(src[1]);
    }
    m.addStatement("$L(w.$N, GATE_ROWS, $L, $L, $L, w.$N, $L, bankGates, $L)", group.matvec(), run.name(Member.IH),
        run.inputWidth(), array, offsets, run.name(Member.IH_BIAS), group.zeros(), group.slots("GX_STRIDE"));
    StringBuilder states = new StringBuilder();
    for (int k = 0; k < n; k++) {
      states.append(", ").append(h(run, k));
    }
    StringBuilder cells = new StringBuilder();
    if (cell.hasCellState()) {
      cells.append(", state");
      for (int k = 0; k < n; k++) {
        cells.append(", ").append(c(run, k));
      }
    }
    Member method = switch (n) {
      case 1 -> Member.CELL;
      case 2 -> Member.CELL_PAIR;
      default -> Member.CELL_QUAD;
    };
    m.addStatement("$N(state$L$L, bankGates, $L, gates, $L)", run.name(method), states, cells,
        group.slots("GX_STRIDE"), group.slots("GATE_STRIDE"));
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
            + "<p>A step of K streams runs in tiles of $L streams: one sweep over each layer's weights serves the whole\n"
            + "tile, so weight traffic per stream falls by that factor. Each stream's results equal stepping it alone\n"
            + "with {@link #step} of the model, bit for bit. Allocates nothing after construction; not thread-safe\n"
            + "(one bank per thread, sharing the {@link Weights}).\n",
            plan.hasEmbedding() ? " ({@code stepTokens} for token ids)" : "", Types.STREAM_BANK, bank.widest())
        .addField(FieldSpec.builder(model, "model", Modifier.PRIVATE, Modifier.FINAL)
            .addJavadoc("Private instance whose scratch and streaming step the bank runs on.\n").build())
        .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
            .addJavadoc("A bank of at most {@code capacity} streams over shared weights.\n")
            .addParameter(weights, "weights").addParameter(int.class, "capacity")
            .addStatement("super(CONFIG, capacity)")
            .addStatement("this.model = new $T(weights, 1, 1)", model)
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
