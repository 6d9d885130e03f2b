package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.BATCH;
import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.INTS;
import static dev.rnnc.compiler.emit.Types.MODEL_PARAMETERS;

import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.Member;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.Node;
import dev.rnnc.compiler.plan.Node.Dropout;
import dev.rnnc.compiler.plan.Node.Loss;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Emits backpropagation through time for models whose spec has a {@code training} section.
 *
 * <p>The training forward pass is the inference one with storage switched on: every step's activated
 * gates (and LSTM cell states) are kept. Backward walks each layer and direction from the top, each
 * sequence from its last processed step: per step the cell's elementwise backward gives the gate
 * gradients, and one product with the transposed recurrent weights (packed like any forward matrix)
 * gives dh for the step before. Weight and bias gradients are then one matrix product over all valid
 * steps (dW += dGates^T · inputs), and the input gradient one W^T·dGates per step. Everything is
 * preallocated for the instance's limits; a call allocates nothing.
 */
final class BackwardEmitter {
  /** The backward method of each group size. */
  private static final Map<Group, Member> BACK = Map.of(Group.ONE, Member.BACK_ONE, Group.PAIR, Member.BACK_PAIR,
      Group.QUAD, Member.BACK_QUAD);

  private final ModelPlan plan;
  private final CellEmitter cell;
  private final Loss loss;
  private final boolean manyToOne;

  BackwardEmitter(ModelPlan plan, CellEmitter cell) {
    this.plan = plan;
    this.cell = cell;
    this.loss = plan.loss().orElseThrow();
    this.manyToOne = plan.manyToOne();
  }

  /** A gradient view: the field and the parameter it is the gradient of. */
  private record GradientView(String field, String parameter) {}

  private List<GradientView> gradientViews() {
    List<GradientView> views = new ArrayList<>();
    for (LayerRun run : plan.runs()) {
      run.parameters().forEach((kind, gradient) ->
          views.add(new GradientView(run.name(gradient), run.parameter(kind))));
    }
    plan.head().ifPresent(head -> {
      views.add(new GradientView("gradHeadWeight", head.weight()));
      views.add(new GradientView("gradHeadBias", head.bias()));
    });
    plan.embedding().ifPresent(embedding -> views.add(new GradientView("gradEmbedding", embedding.parameter())));
    return views;
  }

  /** Constructor statements: the gradients object and its views (workspaces come from the plan's inventory). */
  void addAllocations(MethodSpec.Builder ctor) {
    ctor.addStatement("this.gradients = $T.zeros(CONFIG)", MODEL_PARAMETERS);
    for (GradientView view : gradientViews()) {
      ctor.addStatement("this.$N = gradients.get($S)", view.field(), view.parameter());
    }
  }

  void emit(TypeSpec.Builder type) {
    if (!plan.dropouts().isEmpty()) {
      type.addField(FieldSpec.builder(float.class, "DROPOUT", Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("Dropout probability between stacked layers while training.\n")
          .initializer("$Lf", Float.toString(plan.dropouts().get(0).probability())).build());
    }
    type.addField(FieldSpec.builder(boolean.class, "training", Modifier.PRIVATE)
        .addJavadoc("Set while the training forward pass runs: the layers then keep their gates.\n").build());
    type.addField(FieldSpec.builder(long.class, "dropoutSeed", Modifier.PRIVATE).build());
    type.addField(FieldSpec.builder(long.class, "dropoutCalls", Modifier.PRIVATE)
        .addJavadoc("computeGradients calls since the dropout seed was set (the mask's call number).\n").build());
    type.addField(FieldSpec.builder(MODEL_PARAMETERS, "checkedParameters", Modifier.PRIVATE)
        .addJavadoc("The parameters object last shape-checked by setParameters (checked once, then reused).\n").build());
    type.addField(FieldSpec.builder(MODEL_PARAMETERS, "gradients", Modifier.PRIVATE, Modifier.FINAL)
        .addJavadoc("Gradients of the last call, PyTorch layout.\n").build());
    for (GradientView view : gradientViews()) {
      type.addField(FieldSpec.builder(FLOATS, view.field(), Modifier.PRIVATE, Modifier.FINAL)
          .addJavadoc("Gradient of $L.\n", view.parameter()).build());
    }
    type.addMethod(MethodSpec.methodBuilder("gateOffset").addModifiers(Modifier.PRIVATE)
        .returns(int.class).addParameter(int.class, "stateIndex").addParameter(int.class, "row")
        .addStatement("return (stateIndex * maxRows + row) * GATE_STRIDE").build());
    type.addMethod(computeGradients());
    if (plan.finalStateGradient()) {
      addFinalStateGradient(type);
    }
    type.addMethod(checkTargets());
    if (loss.kind() == dev.rnnc.runtime.ModelConfig.Loss.CROSS_ENTROPY) {
      type.addMethod(checkClass());
    }
    if (loss.fusedWithSoftmax()) {
      type.addMethod(crossEntropy());
    }
    type.addMethod(trainingLayers());
    if (!plan.dropouts().isEmpty()) {
      type.addMethod(applyDropout());
    }
    type.addMethod(backward());
    type.addMethod(headBackward());
    for (LayerRun run : plan.runs()) {
      type.addMethod(backRun(run));
      for (Group group : ForwardEmitter.groups(plan)) {
        type.addMethod(backStep(run, group));
      }
    }
    type.addMethod(MethodSpec.methodBuilder("addInto").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addJavadoc("acc[accOff + j] += v[vOff + j] for j < HIDDEN.\n")
        .addParameter(FLOATS, "acc").addParameter(int.class, "accOff").addParameter(FLOATS, "v").addParameter(int.class, "vOff")
        .beginControlFlow("for (int j = 0; j < HIDDEN; j++)")
        .addStatement("acc[accOff + j] += v[vOff + j]")
        .endControlFlow().build());
    type.addMethod(MethodSpec.methodBuilder("gradients").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(MODEL_PARAMETERS).addStatement("return gradients").build());
    type.addMethod(ForwardEmitter.getter("inputGradient", plan.hasEmbedding() ? "null" : "dInput"));
    type.addMethod(ForwardEmitter.getter("h0Gradient", "dH0"));
    type.addMethod(ForwardEmitter.getter("c0Gradient", cell.hasCellState() ? "dC0" : "null"));
    type.addMethod(MethodSpec.methodBuilder("setParameters").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC)
        .addJavadoc("Repacks new parameter values into this instance's weights (shared weights change for every\n"
            + "instance using them: give a training instance its own weights).\n")
        .addParameter(MODEL_PARAMETERS, "parameters")
        .beginControlFlow("if (parameters != checkedParameters)")
        .addStatement("Weights.checkShapes(parameters)")
        .addStatement("checkedParameters = parameters")
        .endControlFlow()
        .addStatement("weights.load(parameters)").build());
    type.addMethod(MethodSpec.methodBuilder("setDropoutSeed").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC).addParameter(long.class, "seed")
        .addStatement("dropoutSeed = seed")
        .addStatement("dropoutCalls = 0").build());
  }

  private MethodSpec computeGradients() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("computeGradients").addAnnotation(Override.class)
        .addModifiers(Modifier.PUBLIC).returns(float.class).addParameter(BATCH, "data")
        .addStatement("begin(data.batch, data.steps, data.lengths)")
        .addStatement("checkTargets(data)");
    if (plan.hasEmbedding()) {
      m.addStatement("requireLength($S, data.tokens, data.batch * data.steps)", "tokens")
          .addStatement("embed(data.tokens, data.batch, data.steps)")
          .addStatement("float[] in = embedded");
    } else {
      m.addStatement("requireLength($S, data.input, data.batch * data.steps * INPUT_SIZE)", "input")
          .addStatement("float[] in = data.input");
    }
    m.addStatement("loadInitialState(data.h0, data.c0)")
        .addStatement("System.arraycopy(hN, 0, h0Store, 0, LAYERS * DIRECTIONS * data.batch * STATE)");
    if (cell.hasCellState()) {
      m.addStatement("System.arraycopy(cN, 0, c0Store, 0, LAYERS * DIRECTIONS * data.batch * HIDDEN)");
    }
    m.addStatement("training = true")
        .addStatement("trainingLayers(in)")
        .addStatement("training = false");
    String logits = plan.hasHead() ? "logits" : (manyToOne ? "features" : "output");
    String prediction = plan.hasHead() ? "prediction" : logits;
    if (loss.fusedWithSoftmax()) {
      m.addStatement("float loss = crossEntropy(data.classTargets)");
    } else {
      m.addStatement("float loss = $T.compute($T.Loss.$L, $T.HeadActivation.$L, $L, $L, data.batch, data.steps, lengths, "
              + "$L, $L, data.classTargets, data.valueTargets, dLogits)", Types.LOSSES, Types.MODEL_CONFIG,
          loss.kind().name(), Types.MODEL_CONFIG,
          plan.head().map(h -> h.activation().name()).orElse("LINEAR"), logits, prediction,
          plan.hasHead() ? "HEAD_SIZE" : "FEATURES", loss.perStep());
    }
    m.addStatement("backward(in, $L)", plan.hasEmbedding() ? "data.tokens" : "null")
        .addStatement("dropoutCalls++")
        .addStatement("return loss");
    return m.build();
  }

  /**
   * The outside-driven backward pass of {@link Node.FinalStateGradient}: a training forward pass that keeps what
   * backward needs, and a backward pass seeded by dLoss/dh_n (dc_n) with no loss on the outputs.
   */
  private void addFinalStateGradient(TypeSpec.Builder type) {
    type.addField(FieldSpec.builder(FLOATS, "seedH", Modifier.PRIVATE)
        .addJavadoc("dLoss/dh_n given to backwardFromFinalState while it runs, else null.\n").build());
    type.addField(FieldSpec.builder(FLOATS, "seedC", Modifier.PRIVATE)
        .addJavadoc("dLoss/dc_n given to backwardFromFinalState while it runs, else null.\n").build());
    type.addField(FieldSpec.builder(FLOATS, "trainedInput", Modifier.PRIVATE)
        .addJavadoc("What layer 0 read in the last forwardTraining.\n").build());
    type.addField(FieldSpec.builder(INTS, "trainedTokens", Modifier.PRIVATE)
        .addJavadoc("The token ids of the last forwardTraining, or null.\n").build());
    MethodSpec.Builder forward = MethodSpec.methodBuilder("forwardTraining").addModifiers(Modifier.PUBLIC)
        .addJavadoc("The forward pass of {@link #computeGradients} without a loss, keeping what\n"
            + "{@link #backwardFromFinalState} needs; results as {@link #forward}. Give dense {@code input}\n"
            + "{@code [batch, steps, INPUT_SIZE]} or token ids {@code [batch, steps]} as the model reads, the other null.\n")
        .addParameter(FLOATS, "input").addParameter(INTS, "tokens").addParameter(int.class, "batch")
        .addParameter(int.class, "steps").addParameter(INTS, "lengths")
        .addStatement("begin(batch, steps, lengths)");
    if (plan.hasEmbedding()) {
      forward.addStatement("requireLength($S, tokens, batch * steps)", "tokens")
          .addStatement("embed(tokens, batch, steps)")
          .addStatement("trainedInput = embedded");
    } else {
      forward.addStatement("requireLength($S, input, batch * steps * INPUT_SIZE)", "input")
          .addStatement("trainedInput = input");
    }
    forward.addStatement("trainedTokens = tokens")
        .addStatement("loadInitialState(null, null)")
        .addStatement("System.arraycopy(hN, 0, h0Store, 0, LAYERS * DIRECTIONS * batch * STATE)");
    if (cell.hasCellState()) {
      forward.addStatement("System.arraycopy(cN, 0, c0Store, 0, LAYERS * DIRECTIONS * batch * HIDDEN)");
    }
    forward.addStatement("training = true")
        .addStatement("trainingLayers(trainedInput)")
        .addStatement("training = false");
    type.addMethod(forward.build());
    MethodSpec.Builder backward = MethodSpec.methodBuilder("backwardFromFinalState").addModifiers(Modifier.PUBLIC)
        .addJavadoc("Backward of the last {@link #forwardTraining} from dLoss/dh_n {@code [LAYERS * DIRECTIONS, batch, STATE]}\n"
            + "and dLoss/dc_n {@code [LAYERS * DIRECTIONS, batch, HIDDEN]} (null for 0; ignored by cells without one),\n"
            + "with no loss on the outputs: fills {@link #gradients}, {@link #inputGradient} and {@link #h0Gradient}.\n")
        .addParameter(FLOATS, "dHN").addParameter(FLOATS, "dCN")
        .addStatement("requireLength($S, dHN, LAYERS * DIRECTIONS * batch * STATE)", "dHN");
    if (cell.hasCellState()) {
      backward.beginControlFlow("if (dCN != null)")
          .addStatement("requireLength($S, dCN, LAYERS * DIRECTIONS * batch * HIDDEN)", "dCN")
          .endControlFlow();
    }
    backward.addStatement("$T.fill(dLogits, 0, batch * steps * FEATURES, 0f)", Arrays.class)
        .addStatement("seedH = dHN")
        .addStatement("seedC = $L", cell.hasCellState() ? "dCN" : "null")
        .addStatement("backward(trainedInput, trainedTokens)")
        .addStatement("seedH = null")
        .addStatement("seedC = null");
    type.addMethod(backward.build());
  }

  /**
   * Checks the batch's targets before anything runs (the reference model checks the same, with the same
   * messages): class ids in range at every valid position, or enough float targets.
   */
  private MethodSpec checkTargets() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("checkTargets").addModifiers(Modifier.PRIVATE)
        .addParameter(BATCH, "data");
    String width = plan.hasHead() ? "HEAD_SIZE" : "FEATURES";
    String positions = manyToOne ? "batch" : "batch * steps";
    if (loss.kind() != dev.rnnc.runtime.ModelConfig.Loss.CROSS_ENTROPY) {
      return m.beginControlFlow("if (data.valueTargets == null)")
          .addStatement("throw new IllegalArgumentException($S)", loss.kind().name() + " needs valueTargets")
          .endControlFlow()
          .addStatement("requireLength($S, data.valueTargets, $L * $L)", "valueTargets", positions, width)
          .build();
    }
    m.beginControlFlow("if (data.classTargets == null)")
        .addStatement("throw new IllegalArgumentException($S)", "cross-entropy needs classTargets")
        .endControlFlow()
        .addStatement("requireLength($S, data.classTargets, $L)", "classTargets", positions)
        .beginControlFlow("for (int b = 0; b < batch; b++)");
    if (manyToOne) {
      m.addStatement("checkClass(data.classTargets[b], b)");
    } else {
      m.beginControlFlow("for (int t = 0, len = lengths[b]; t < len; t++)")
          .addStatement("checkClass(data.classTargets[b * steps + t], b * steps + t)")
          .endControlFlow();
    }
    return m.endControlFlow().build();
  }

  private MethodSpec checkClass() {
    String width = plan.hasHead() ? "HEAD_SIZE" : "FEATURES";
    return MethodSpec.methodBuilder("checkClass").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(int.class, "target").addParameter(int.class, "position")
        .beginControlFlow("if (target < 0 || target >= $L)", width)
        .addStatement("throw new IllegalArgumentException(\"class target \" + target + \" at position \" + position"
            + " + \" is outside [0, \" + $L + \")\")", width)
        .endControlFlow()
        .build();
  }

  private MethodSpec crossEntropy() {
    String rows = manyToOne ? "batchRows" : "validRows";
    String count = manyToOne ? "batch" : "validCount";
    return MethodSpec.methodBuilder("crossEntropy").addModifiers(Modifier.PRIVATE).returns(float.class)
        .addJavadoc("Mean cross-entropy over the valid $L and dLoss/dlogits = (softmax - onehot) / N, from the forward\n"
            + "pass's softmax and log-sum-exp.\n", manyToOne ? "sequences" : "steps")
        .addParameter(INTS, "targets")
        .addStatement("int count = $L", count)
        .addStatement("requireLength($S, targets, $L)", "classTargets", manyToOne ? "batch" : "batch * steps")
        .addStatement("float scale = 1f / count")
        .addStatement("double sum = 0")
        .beginControlFlow("for (int k = 0; k < count; k++)")
        .addStatement("int row = $L[k]", rows)
        .addStatement("int target = targets[row]")
        .addStatement("int o = row * HEAD_SIZE")
        .addStatement("sum += logSumExp[row] - logits[o + target]")
        .beginControlFlow("for (int j = 0; j < HEAD_SIZE; j++)")
        .addStatement("dLogits[o + j] = prediction[o + j] * scale")
        .endControlFlow()
        .addStatement("dLogits[o + target] -= scale")
        .endControlFlow()
        .addStatement("return (float) (sum / count)")
        .build();
  }

  /** What layer {@code layer} reads while training: its dropout's output when the plan has one. */
  private String trainingInput(int layer) {
    if (layer == 0) {
      return "in";
    }
    return plan.dropouts().stream().filter(d -> d.layer() == layer).map(Dropout::workspaceDropped).findFirst()
        .orElse(ForwardEmitter.layerInput(plan, layer));
  }

  /** The forward pass in graph order, with dropout nodes applied. */
  private MethodSpec trainingLayers() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("trainingLayers").addModifiers(Modifier.PRIVATE)
        .addJavadoc("The forward pass with gate storage on and dropout between layers.\n")
        .addParameter(FLOATS, "in");
    for (Node node : plan.graph()) {
      if (node instanceof Dropout dropout) {
        m.addStatement("applyDropout($L, $L, $N, $N)", dropout.layer(), ForwardEmitter.layerInput(plan, dropout.layer()),
            dropout.workspaceMask(), dropout.workspaceDropped());
      } else if (node instanceof LayerRun run) {
        m.addStatement("$N($L, $L)", run.name(Member.RUN), trainingInput(run.layer()),
            ForwardEmitter.layerOutput(plan, run.layer()));
      }
    }
    m.addStatement("finish()");
    return m.build();
  }

  private MethodSpec applyDropout() {
    return MethodSpec.methodBuilder("applyDropout").addModifiers(Modifier.PRIVATE)
        .addParameter(int.class, "layer").addParameter(FLOATS, "from").addParameter(FLOATS, "mask")
        .addParameter(FLOATS, "to")
        .addStatement("$T.fill(mask, dropoutSeed, dropoutCalls, layer, batch, steps, FEATURES, DROPOUT)",
            Types.DROPOUT_MASK)
        .beginControlFlow("for (int i = 0, n = batch * steps * FEATURES; i < n; i++)")
        .addStatement("to[i] = from[i] * mask[i]")
        .endControlFlow().build();
  }

  private MethodSpec backward() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("backward").addModifiers(Modifier.PRIVATE)
        .addJavadoc("Backward through the head and every layer, top to bottom.\n")
        .addParameter(FLOATS, "in").addParameter(INTS, "tokens")
        .addStatement("int rows = batch * steps");
    for (GradientView view : gradientViews()) {
      m.addStatement("$T.fill($N, 0f)", Arrays.class, view.field());
    }
    for (int layer = 0; layer < plan.layers(); layer++) {
      m.addStatement("$T.fill(dLayerOutput$L, 0, rows * FEATURES, 0f)", Arrays.class, layer);
    }
    m.addStatement("$T.fill(dInput, 0, rows * INPUT_SIZE, 0f)", Arrays.class);
    m.addStatement("headBackward()");
    for (int layer = plan.layers() - 1; layer >= 0; layer--) {
      String dIn = layer == 0 ? "dInput" : "dLayerOutput" + (layer - 1);
      for (int dir = 0; dir < plan.directions(); dir++) {
        LayerRun run = plan.run(layer, dir);
        m.addStatement("$N($L, $L, dLayerOutput$L, $L)", run.name(Member.BACK), trainingInput(layer),
            ForwardEmitter.layerOutput(plan, layer), layer, dIn);
      }
      int below = layer;
      plan.dropouts().stream().filter(d -> d.layer() == below).findFirst().ifPresent(dropout ->
          m.beginControlFlow("for (int i = 0, n = rows * FEATURES; i < n; i++)")
              .addStatement("$L[i] *= $N[i]", dIn, dropout.workspaceMask())
              .endControlFlow());
    }
    if (plan.hasEmbedding()) {
      m.addComment("the embedding gradient: each step's input gradient added to its token's row")
          .beginControlFlow("for (int k = 0; k < validCount; k++)")
          .addStatement("int row = validRows[k]")
          .addStatement("int to = tokens[row] * INPUT_SIZE")
          .addStatement("int from = row * INPUT_SIZE")
          .beginControlFlow("for (int c = 0; c < INPUT_SIZE; c++)")
          .addStatement("gradEmbedding[to + c] += dInput[from + c]")
          .endControlFlow()
          .endControlFlow();
    }
    return m.build();
  }

  private MethodSpec headBackward() {
    String last = "dLayerOutput" + (plan.layers() - 1);
    MethodSpec.Builder m = MethodSpec.methodBuilder("headBackward").addModifiers(Modifier.PRIVATE)
        .addJavadoc(manyToOne
            ? "From dLoss/dlogits to dLoss/dfeatures (which seed the last layer's dh) and the head's gradients.\n"
            : "From dLoss/dlogits to dLoss/d(last layer output) and the head's gradients.\n");
    if (!plan.hasHead()) {
      if (manyToOne) {
        m.addStatement("System.arraycopy(dLogits, 0, dFeatures, 0, batch * FEATURES)");
      } else {
        m.addStatement("System.arraycopy(dLogits, 0, $L, 0, batch * steps * FEATURES)", last);
      }
      return m.build();
    }
    if (manyToOne) {
      m.addStatement("outerAccumulate(dLogits, 0, HEAD_SIZE, features, 0, FEATURES, batchRows, batch, HEAD_SIZE, "
              + "FEATURES, gradHeadWeight, 0)")
          .addStatement("sumRows(dLogits, 0, HEAD_SIZE, batchRows, batch, HEAD_SIZE, gradHeadBias)")
          .addStatement("$T.fill(dFeatures, 0, batch * FEATURES, 0f)", Arrays.class)
          .addStatement("rowsTimes(dLogits, 0, HEAD_SIZE, batchRows, batch, weights.headWeightRows, HEAD_SIZE, FEATURES, "
              + "dFeatures, FEATURES)");
    } else {
      m.addStatement("outerAccumulate(dLogits, 0, HEAD_SIZE, output, 0, FEATURES, validRows, validCount, HEAD_SIZE, "
              + "FEATURES, gradHeadWeight, 0)")
          .addStatement("sumRows(dLogits, 0, HEAD_SIZE, validRows, validCount, HEAD_SIZE, gradHeadBias)")
          .addComment("the last layer's output gradient is zero before this: dF = dLogits · head.weight")
          .addStatement("rowsTimes(dLogits, 0, HEAD_SIZE, validRows, validCount, weights.headWeightRows, HEAD_SIZE, FEATURES, "
              + "$L, FEATURES)", last);
    }
    return m.build();
  }

  /**
   * Backward of one layer and direction over the whole batch: through time, step-major from the last
   * step, several running sequences per sweep over W_hh^T; then its weight and input gradients.
   */
  private MethodSpec backRun(LayerRun run) {
    boolean lastLayer = run.layer() == plan.layers() - 1;
    String in = run.inputWidth();
    MethodSpec.Builder m = MethodSpec.methodBuilder(run.name(Member.BACK)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("Backward of $L: through time, then dW = dGates^T · inputs over all valid steps,\n"
            + "then dIn += W_ih^T · dGates per step.\n", run.where())
        .addParameter(FLOATS, "in").addParameter(FLOATS, "out").addParameter(FLOATS, "dOut")
        .addParameter(FLOATS, "dIn")
        .beginControlFlow("for (int b = 0; b < batch; b++)");
    if (manyToOne && lastLayer) {
      m.addStatement("System.arraycopy(dFeatures, $L, dh, b * HIDDEN_STRIDE, STATE)",
          Fold.plus("b * FEATURES", ForwardEmitter.directionOffset(run)));
    } else {
      m.addStatement("$T.fill(dh, b * HIDDEN_STRIDE, (b + 1) * HIDDEN_STRIDE, 0f)", Arrays.class);
      if (plan.finalStateGradient()) {
        m.beginControlFlow("if (seedH != null)")
            .addStatement("System.arraycopy(seedH, $L, dh, b * HIDDEN_STRIDE, STATE)",
                Fold.state(run.stateIndex(), "b", "STATE"))
            .endControlFlow();
      }
    }
    if (cell.hasCellState()) {
      m.addStatement("$T.fill(dc, b * HIDDEN_STRIDE, (b + 1) * HIDDEN_STRIDE, 0f)", Arrays.class);
      if (plan.finalStateGradient()) {
        m.beginControlFlow("if (seedC != null)")
            .addStatement("System.arraycopy(seedC, $L, dc, b * HIDDEN_STRIDE, HIDDEN)",
                Fold.state(run.stateIndex(), "b", "HIDDEN"))
            .endControlFlow();
      }
    }
    m.endControlFlow()
        .beginControlFlow("for (int s = longest - 1; s >= 0; s--)");
    ForwardEmitter.emitRunningGroups(m, run, ForwardEmitter.groups(plan), BACK, "out, dOut");
    m.endControlFlow()
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .addStatement("System.arraycopy(dh, b * HIDDEN_STRIDE, dH0, $L, STATE)", Fold.state(run.stateIndex(), "b", "STATE"));
    if (cell.hasCellState()) {
      m.addStatement("System.arraycopy(dc, b * HIDDEN_STRIDE, dC0, $L, HIDDEN)",
          Fold.state(run.stateIndex(), "b", "HIDDEN"));
    }
    m.endControlFlow();
    m.addComment("weight and bias gradients: one product over every valid step");
    m.addStatement("outerAccumulate(dGates, 0, GX_STRIDE, in, 0, $L, validRows, validCount, GATE_ROWS, $L, $N, 0)",
        in, in, run.name(Member.GRAD_WIH));
    m.addStatement("sumRows(dGates, 0, GX_STRIDE, validRows, validCount, GATE_ROWS, $N)", run.name(Member.GRAD_BIH));
    cell.recurrentGradients(m, run);
    m.addComment("input gradient, accumulated over both directions: dIn += dGates · W_ih over every valid step")
        .addStatement("rowsTimes(dGates, 0, GX_STRIDE, validRows, validCount, weights.$N, GATE_ROWS, $L, dIn, $L)",
            run.name(Member.IH_ROWS), in, in);
    return m.build();
  }

  /**
   * Statements that bring one sequence's dh to this step and turn it into gate gradients: the part of a
   * backward step before the product with W_hh^T. Declares {@code row<x>}, {@code prev<x>}, {@code state<x>},
   * {@code d<x>}, {@code dg<x>}, {@code g<x>}.
   */
  private void emitBackPrologue(MethodSpec.Builder m, LayerRun run, String b, String x) {
    int stateIndex = run.stateIndex();
    m.addStatement("int row$L = $L", x, ForwardEmitter.rowOf(run, b, "s"))
        .addStatement("int prev$L = $L", x, run.reverse() ? "row" + x + " + 1" : "row" + x + " - 1")
        .addStatement("int state$L = $L", x, Fold.state(stateIndex, b, "STATE"))
        .addStatement("int d$L = $L * HIDDEN_STRIDE", x, b)
        .addStatement("int dg$L = row$L * GX_STRIDE", x, x)
        .addStatement("int g$L = gateOffset($L, row$L)", x, stateIndex, x)
        .addStatement("System.arraycopy(s == 0 ? h0Store : out, s == 0 ? state$L : $L, hPrev, row$L * STATE, STATE)",
            x, Fold.plus("prev" + x + " * FEATURES", ForwardEmitter.directionOffset(run)), x)
        .addStatement("addInto(dh, d$L, dOut, $L)", x, Fold.plus("row" + x + " * FEATURES",
            ForwardEmitter.directionOffset(run)));
    cell.backwardUpdate(m, run, b, x);
  }

  /** One backward step (s, in processing order) of the group's sequences, sharing each sweep over W_hh^T. */
  private MethodSpec backStep(LayerRun run, Group group) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(run.name(BACK.get(group))).addModifiers(Modifier.PRIVATE);
    if (group == Group.ONE) {
      m.addJavadoc("One backward step (s, in processing order) of sequence b.\n");
    } else {
      m.addJavadoc("One backward step (s, in processing order) of $L sequences, sharing each sweep over W_hh^T.\n",
          group.words());
    }
    for (String b : group.sequences()) {
      m.addParameter(int.class, b);
    }
    m.addParameter(int.class, "s").addParameter(FLOATS, "out").addParameter(FLOATS, "dOut");
    for (int k = 0; k < group.size(); k++) {
      emitBackPrologue(m, run, group.sequences().get(k), group.locals().get(k));
    }
    cell.backwardProduct(m, run, group);
    return m.build();
  }
}
