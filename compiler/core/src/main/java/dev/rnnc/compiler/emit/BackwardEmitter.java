package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.BATCH;
import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.INTS;
import static dev.rnnc.compiler.emit.Types.MODEL_PARAMETERS;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.ModelPlan.LayerRun;
import dev.rnnc.runtime.ModelConfig;
import java.util.ArrayList;
import java.util.List;
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
  private final ModelPlan plan;
  private final ModelConfig config;
  private final boolean dropout;
  private final boolean manyToOne;

  BackwardEmitter(ModelPlan plan) {
    this.plan = plan;
    this.config = plan.config();
    this.dropout = config.training().dropout() > 0;
    this.manyToOne = config.mode() == ModelConfig.Mode.MANY_TO_ONE;
  }

  /**
   * Cross-entropy on a softmax head is computed in the generated class from the forward pass's softmax and
   * log-sum-exp (no second pass of exp): loss = mean(lse - logit[target]), dlogits = (softmax - onehot) / N.
   */
  static boolean fusedCrossEntropy(ModelPlan plan) {
    ModelConfig config = plan.config();
    return config.training() != null && config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY
        && config.hasHead() && config.headActivation() == ModelConfig.HeadActivation.SOFTMAX;
  }

  /** Per-run gradient array fields, cached from the gradients' ModelParameters. */
  private static String grad(String kind, LayerRun run) {
    return "grad" + kind + run.suffix();
  }

  private static String backMethod(LayerRun run) {
    return "back" + run.suffix();
  }

  private record Buffer(String name, TypeName type, String doc, String allocation) {}

  private List<Buffer> buffers() {
    List<Buffer> buffers = new ArrayList<>();
    String all = "LAYERS * DIRECTIONS";
    buffers.add(new Buffer("gateStore", FLOATS, "Activated gates of every step of every layer and direction.",
        "new float[bufferSize(\"gate store\", (long) " + all + " * maxRows * GATE_STRIDE)]"));
    if (plan.isLstm()) {
      buffers.add(new Buffer("cellStore", FLOATS, "LSTM cell state after every step of every layer and direction.",
          "new float[bufferSize(\"cell store\", (long) " + all + " * maxRows * HIDDEN)]"));
    }
    buffers.add(new Buffer("h0Store", FLOATS, "Initial hidden state of the call.", "new float[hN.length]"));
    if (plan.isLstm()) {
      buffers.add(new Buffer("c0Store", FLOATS, "Initial cell state of the call.", "new float[hN.length]"));
    }
    buffers.add(new Buffer("dGates", FLOATS, "Gradients of the input-side gate pre-activations, per step.",
        "new float[bufferSize(\"gate gradients\", (long) maxRows * GX_STRIDE)]"));
    if (plan.isGru() && !plan.isGruResetBefore()) {
      buffers.add(new Buffer("dGatesHh", FLOATS, "Gradients of the recurrent-side pre-activations (n row scaled by r).",
          "new float[dGates.length]"));
    }
    buffers.add(new Buffer("hPrev", FLOATS, "The state each step started from, for dW_hh.",
        "new float[bufferSize(\"previous states\", (long) maxRows * HIDDEN)]"));
    if (plan.isGruResetBefore()) {
      buffers.add(new Buffer("rhPrev", FLOATS, "r * h_prev of each step, the input of W_hn.", "new float[hPrev.length]"));
      buffers.add(new Buffer("resetGrad", FLOATS, "d(r * h_prev) of each sequence's current step.",
          "new float[maxBatch * HIDDEN_STRIDE]"));
    }
    if (plan.isGru()) {
      buffers.add(new Buffer("dhDirect", FLOATS, "Per sequence, the part of dh_prev that bypasses the recurrent weights.",
          "new float[maxBatch * HIDDEN_STRIDE]"));
    }
    buffers.add(new Buffer("dh", FLOATS, "Per sequence, dLoss/dh carried backwards through time.",
        "new float[maxBatch * HIDDEN_STRIDE]"));
    if (plan.isLstm()) {
      buffers.add(new Buffer("dc", FLOATS, "Per sequence, dLoss/dc carried backwards through time.",
          "new float[maxBatch * HIDDEN_STRIDE]"));
    }
    buffers.add(new Buffer("zeros", FLOATS, "Zero initial value for products that start from nothing.",
        "new float[GX_STRIDE + FEATURES + INPUT_SIZE + HIDDEN_STRIDE]"));
    for (int layer = 0; layer < config.layers(); layer++) {
      buffers.add(new Buffer("dLayerOutput" + layer, FLOATS, "dLoss/d(output of layer " + layer + ").",
          "new float[bufferSize(\"output gradients\", (long) maxRows * FEATURES + LANES)]"));
    }
    buffers.add(new Buffer("dInput", FLOATS, config.hasEmbedding()
        ? "dLoss/d(embedded input), scattered into the embedding gradient."
        : "dLoss/d(input) [batch, steps, INPUT_SIZE].",
        "new float[bufferSize(\"input gradients\", (long) maxRows * INPUT_SIZE + LANES)]"));
    buffers.add(new Buffer("dH0", FLOATS, "dLoss/dh0.", "new float[hN.length]"));
    if (plan.isLstm()) {
      buffers.add(new Buffer("dC0", FLOATS, "dLoss/dc0.", "new float[hN.length]"));
    }
    String lossRows = manyToOne ? "maxBatch" : "maxRows";
    String lossWidth = config.hasHead() ? "HEAD_SIZE" : "FEATURES";
    buffers.add(new Buffer("dLogits", FLOATS, "dLoss/dlogits (or d output / features without a head).",
        "new float[bufferSize(\"loss gradients\", (long) " + lossRows + " * " + lossWidth + " + LANES)]"));
    if (manyToOne) {
      buffers.add(new Buffer("dFeatures", FLOATS, "dLoss/dfeatures [batch, FEATURES].",
          "new float[maxBatch * FEATURES + LANES]"));
    }
    if (dropout) {
      for (int layer = 1; layer < config.layers(); layer++) {
        buffers.add(new Buffer("dropMask" + layer, FLOATS, "Dropout mask on the input of layer " + layer + ".",
            "new float[bufferSize(\"dropout masks\", (long) maxRows * FEATURES)]"));
        buffers.add(new Buffer("dropped" + layer, FLOATS, "Input of layer " + layer + " after dropout.",
            "new float[dropMask" + layer + ".length]"));
      }
    }
    buffers.add(new Buffer("batchRows", INTS, "0, 1, ..., maxBatch - 1.", "java.util.stream.IntStream.range(0, maxBatch).toArray()"));
    if (fusedCrossEntropy(plan)) {
      buffers.add(new Buffer("logSumExp", FLOATS, "log Σ exp(logits) of every head row, from the softmax.",
          "new float[logits.length / HEAD_SIZE]"));
    }
    buffers.add(new Buffer("gradients", MODEL_PARAMETERS, "Gradients of the last call, PyTorch layout.",
        "ModelParameters.zeros(CONFIG)"));
    return buffers;
  }

  private List<String[]> gradientCaches() {
    List<String[]> caches = new ArrayList<>();
    for (LayerRun run : plan.runs()) {
      String s = run.torchSuffix();
      caches.add(new String[] {grad("Wih", run), "rnn.weight_ih_" + s});
      caches.add(new String[] {grad("Whh", run), "rnn.weight_hh_" + s});
      caches.add(new String[] {grad("Bih", run), "rnn.bias_ih_" + s});
      caches.add(new String[] {grad("Bhh", run), "rnn.bias_hh_" + s});
    }
    if (config.hasHead()) {
      caches.add(new String[] {"gradHeadWeight", ModelConfig.HEAD_WEIGHT});
      caches.add(new String[] {"gradHeadBias", ModelConfig.HEAD_BIAS});
    }
    if (config.hasEmbedding()) {
      caches.add(new String[] {"gradEmbedding", ModelConfig.EMBEDDING_WEIGHT});
    }
    return caches;
  }

  static void addAllocations(ModelPlan plan, MethodSpec.Builder ctor) {
    BackwardEmitter emitter = new BackwardEmitter(plan);
    for (Buffer buffer : emitter.buffers()) {
      ctor.addStatement("this.$L = $L", buffer.name(), buffer.allocation());
    }
    for (String[] cache : emitter.gradientCaches()) {
      ctor.addStatement("this.$L = gradients.get($S)", cache[0], cache[1]);
    }
  }

  void emit(TypeSpec.Builder type) {
    type.addField(FieldSpec.builder(float.class, "DROPOUT", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Dropout probability between stacked layers while training.\n")
        .initializer("$Lf", Float.toString((float) config.training().dropout())).build());
    type.addField(FieldSpec.builder(boolean.class, "training", Modifier.PRIVATE)
        .addJavadoc("Set while the training forward pass runs: the layers then keep their gates.\n").build());
    type.addField(FieldSpec.builder(long.class, "dropoutSeed", Modifier.PRIVATE).build());
    type.addField(FieldSpec.builder(long.class, "dropoutCalls", Modifier.PRIVATE)
        .addJavadoc("computeGradients calls since the dropout seed was set (the mask's call number).\n").build());
    type.addField(FieldSpec.builder(MODEL_PARAMETERS, "checkedParameters", Modifier.PRIVATE)
        .addJavadoc("The parameters object last shape-checked by setParameters (checked once, then reused).\n").build());
    for (Buffer buffer : buffers()) {
      type.addField(FieldSpec.builder(buffer.type(), buffer.name(), Modifier.PRIVATE, Modifier.FINAL)
          .addJavadoc(buffer.doc() + "\n").build());
    }
    for (String[] cache : gradientCaches()) {
      type.addField(FieldSpec.builder(FLOATS, cache[0], Modifier.PRIVATE, Modifier.FINAL)
          .addJavadoc("Gradient of $L.\n", cache[1]).build());
    }
    type.addMethod(MethodSpec.methodBuilder("bufferSize").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .returns(int.class).addParameter(String.class, "what").addParameter(long.class, "floats")
        .beginControlFlow("if (floats > Integer.MAX_VALUE - 64)")
        .addStatement("throw new IllegalArgumentException(\"training needs \" + floats + \" floats of \" + what"
            + " + \" at these limits; lower max_batch or max_length\")")
        .endControlFlow()
        .addStatement("return (int) floats").build());
    type.addMethod(MethodSpec.methodBuilder("gateOffset").addModifiers(Modifier.PRIVATE)
        .returns(int.class).addParameter(int.class, "stateIndex").addParameter(int.class, "row")
        .addStatement("return (stateIndex * maxRows + row) * GATE_STRIDE").build());
    type.addMethod(computeGradients());
    if (fusedCrossEntropy(plan)) {
      type.addMethod(crossEntropy());
    }
    type.addMethod(trainingLayers());
    if (dropout) {
      type.addMethod(applyDropout());
    }
    type.addMethod(backward());
    type.addMethod(headBackward());
    for (LayerRun run : plan.runs()) {
      type.addMethod(backRun(run));
      type.addMethod(backOne(run));
      type.addMethod(backPair(run));
      if (ForwardEmitter.quads(plan)) {
        type.addMethod(backQuad(run));
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
    type.addMethod(ForwardEmitter.getter("inputGradient", config.hasEmbedding() ? "null" : "dInput"));
    type.addMethod(ForwardEmitter.getter("h0Gradient", "dH0"));
    type.addMethod(ForwardEmitter.getter("c0Gradient", plan.isLstm() ? "dC0" : "null"));
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
        .addStatement("begin(data.batch, data.steps, data.lengths)");
    if (config.hasEmbedding()) {
      m.addStatement("requireLength($S, data.tokens, data.batch * data.steps)", "tokens")
          .addStatement("embed(data.tokens, data.batch, data.steps)")
          .addStatement("float[] in = embedded");
    } else {
      m.addStatement("requireLength($S, data.input, data.batch * data.steps * INPUT_SIZE)", "input")
          .addStatement("float[] in = data.input");
    }
    m.addStatement("loadInitialState(data.h0, data.c0)")
        .addStatement("int stateSize = LAYERS * DIRECTIONS * data.batch * HIDDEN")
        .addStatement("System.arraycopy(hN, 0, h0Store, 0, stateSize)");
    if (plan.isLstm()) {
      m.addStatement("System.arraycopy(cN, 0, c0Store, 0, stateSize)");
    }
    m.addStatement("training = true")
        .addStatement("trainingLayers(in)")
        .addStatement("training = false");
    String logits = config.hasHead() ? "logits" : (manyToOne ? "features" : "output");
    String prediction = config.hasHead() ? "prediction" : logits;
    if (fusedCrossEntropy(plan)) {
      m.addStatement("float loss = crossEntropy(data.classTargets)");
    } else {
      m.addStatement("float loss = $T.compute($T.Loss.$L, $T.HeadActivation.$L, $L, $L, data.batch, data.steps, lengths, $L, $L, "
              + "data.classTargets, data.valueTargets, dLogits)", Types.LOSSES, Types.MODEL_CONFIG,
          config.training().loss().name(), Types.MODEL_CONFIG,
          config.hasHead() ? config.headActivation().name() : "LINEAR", logits, prediction,
          config.hasHead() ? "HEAD_SIZE" : "FEATURES", !manyToOne);
    }
    m.addStatement("backward(in, $L)", config.hasEmbedding() ? "data.tokens" : "null")
        .addStatement("dropoutCalls++")
        .addStatement("return loss");
    return m.build();
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
        .beginControlFlow("if (target < 0 || target >= HEAD_SIZE)")
        .addStatement("throw new $T(\"class target at row \" + row + \" must be in [0, \" + HEAD_SIZE + \"), got \" + target)",
            ClassName.get("dev.rnnc.runtime", "RnncException"))
        .endControlFlow()
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

  private String trainingInput(int layer) {
    if (layer == 0) {
      return "in";
    }
    return dropout ? "dropped" + layer : "layerOutput" + (layer - 1);
  }

  private MethodSpec trainingLayers() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("trainingLayers").addModifiers(Modifier.PRIVATE)
        .addJavadoc("The forward pass with gate storage on and dropout between layers.\n")
        .addParameter(FLOATS, "in");
    for (LayerRun run : plan.runs()) {
      if (dropout && run.layer() > 0 && run.direction() == 0) {
        m.addStatement("applyDropout($L, layerOutput$L, dropMask$L, dropped$L)", run.layer(), run.layer() - 1,
            run.layer(), run.layer());
      }
      m.addStatement("$L($L, $L)", ForwardEmitter.runMethod(run), trainingInput(run.layer()),
          ForwardEmitter.layerOutput(plan, run.layer()));
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
    for (String[] cache : gradientCaches()) {
      m.addStatement("java.util.Arrays.fill($L, 0f)", cache[0]);
    }
    for (int layer = 0; layer < config.layers(); layer++) {
      m.addStatement("java.util.Arrays.fill(dLayerOutput$L, 0, rows * FEATURES, 0f)", layer);
    }
    m.addStatement("java.util.Arrays.fill(dInput, 0, rows * INPUT_SIZE, 0f)");
    m.addStatement("headBackward()");
    for (int layer = config.layers() - 1; layer >= 0; layer--) {
      String dIn = layer == 0 ? "dInput" : "dLayerOutput" + (layer - 1);
      for (int dir = 0; dir < config.directions(); dir++) {
        LayerRun run = plan.runs().get(layer * config.directions() + dir);
        m.addStatement("$L($L, $L, dLayerOutput$L, $L)", backMethod(run), trainingInput(layer),
            ForwardEmitter.layerOutput(plan, layer), layer, dIn);
      }
      if (dropout && layer > 0) {
        m.beginControlFlow("for (int i = 0, n = rows * FEATURES; i < n; i++)")
            .addStatement("$L[i] *= dropMask$L[i]", dIn, layer)
            .endControlFlow();
      }
    }
    if (config.hasEmbedding()) {
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
    String last = "dLayerOutput" + (config.layers() - 1);
    MethodSpec.Builder m = MethodSpec.methodBuilder("headBackward").addModifiers(Modifier.PRIVATE)
        .addJavadoc(manyToOne
            ? "From dLoss/dlogits to dLoss/dfeatures (which seed the last layer's dh) and the head's gradients.\n"
            : "From dLoss/dlogits to dLoss/d(last layer output) and the head's gradients.\n");
    if (!config.hasHead()) {
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
          .addStatement("java.util.Arrays.fill(dFeatures, 0, batch * FEATURES, 0f)")
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

  private static String backOneMethod(LayerRun run) {
    return "backOne" + run.suffix();
  }

  private static String backQuadMethod(LayerRun run) {
    return "backQuad" + run.suffix();
  }

  private static String backPairMethod(LayerRun run) {
    return "backPair" + run.suffix();
  }

  /**
   * Backward of one layer and direction over the whole batch: through time, step-major from the last
   * step, two running sequences per sweep over W_hh^T; then its weight and input gradients.
   */
  private MethodSpec backRun(LayerRun run) {
    String dirOffset = run.reverse() ? "HIDDEN" : "0";
    boolean lastLayer = run.layer() == config.layers() - 1;
    int in = run.inputSize();
    MethodSpec.Builder m = MethodSpec.methodBuilder(backMethod(run)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("Backward of layer $L$L: through time, then dW = dGates^T · inputs over all valid steps,\n"
            + "then dIn += W_ih^T · dGates per step.\n", run.layer(), run.reverse() ? " (reverse)" : "")
        .addParameter(FLOATS, "in").addParameter(FLOATS, "out").addParameter(FLOATS, "dOut")
        .addParameter(FLOATS, "dIn")
        .addStatement("Weights w = weights")
        .beginControlFlow("for (int b = 0; b < batch; b++)");
    if (manyToOne && lastLayer) {
      m.addStatement("System.arraycopy(dFeatures, b * FEATURES + $L, dh, b * HIDDEN_STRIDE, HIDDEN)", dirOffset);
    } else {
      m.addStatement("java.util.Arrays.fill(dh, b * HIDDEN_STRIDE, (b + 1) * HIDDEN_STRIDE, 0f)");
    }
    if (plan.isLstm()) {
      m.addStatement("java.util.Arrays.fill(dc, b * HIDDEN_STRIDE, (b + 1) * HIDDEN_STRIDE, 0f)");
    }
    m.endControlFlow()
        .beginControlFlow("for (int s = longest - 1; s >= 0; s--)");
    ForwardEmitter.emitRunningGroups(m, ForwardEmitter.quads(plan) ? backQuadMethod(run) : null, backPairMethod(run),
        backOneMethod(run), "out, dOut");
    m.endControlFlow()
        .beginControlFlow("for (int b = 0; b < batch; b++)")
        .addStatement("int state = ($L * batch + b) * HIDDEN", run.stateIndex(config.directions()))
        .addStatement("System.arraycopy(dh, b * HIDDEN_STRIDE, dH0, state, HIDDEN)");
    if (plan.isLstm()) {
      m.addStatement("System.arraycopy(dc, b * HIDDEN_STRIDE, dC0, state, HIDDEN)");
    }
    m.endControlFlow();
    m.addComment("weight and bias gradients: one product over every valid step");
    m.addStatement("outerAccumulate(dGates, 0, GX_STRIDE, in, 0, $L, validRows, validCount, GATE_ROWS, $L, $L, 0)",
        in, in, grad("Wih", run));
    m.addStatement("sumRows(dGates, 0, GX_STRIDE, validRows, validCount, GATE_ROWS, $L)", grad("Bih", run));
    if (plan.isGru() && !plan.isGruResetBefore()) {
      m.addStatement("outerAccumulate(dGatesHh, 0, GX_STRIDE, hPrev, 0, HIDDEN, validRows, validCount, GATE_ROWS, HIDDEN, $L, 0)",
          grad("Whh", run));
      m.addStatement("sumRows(dGatesHh, 0, GX_STRIDE, validRows, validCount, GATE_ROWS, $L)", grad("Bhh", run));
    } else if (plan.isGruResetBefore()) {
      m.addStatement("outerAccumulate(dGates, 0, GX_STRIDE, hPrev, 0, HIDDEN, validRows, validCount, 2 * HIDDEN, HIDDEN, $L, 0)",
          grad("Whh", run));
      m.addStatement("outerAccumulate(dGates, 2 * HIDDEN, GX_STRIDE, rhPrev, 0, HIDDEN, validRows, validCount, HIDDEN, HIDDEN, "
          + "$L, 2 * HIDDEN * HIDDEN)", grad("Whh", run));
      m.addStatement("sumRows(dGates, 0, GX_STRIDE, validRows, validCount, GATE_ROWS, $L)", grad("Bhh", run));
    } else {
      m.addStatement("outerAccumulate(dGates, 0, GX_STRIDE, hPrev, 0, HIDDEN, validRows, validCount, GATE_ROWS, HIDDEN, $L, 0)",
          grad("Whh", run));
      m.addStatement("sumRows(dGates, 0, GX_STRIDE, validRows, validCount, GATE_ROWS, $L)", grad("Bhh", run));
    }
    m.addComment("input gradient, accumulated over both directions: dIn += dGates · W_ih over every valid step")
        .addStatement("rowsTimes(dGates, 0, GX_STRIDE, validRows, validCount, w.$L, GATE_ROWS, $L, dIn, $L)",
            WeightsEmitter.ihT(run), in, in);
    return m.build();
  }

  /**
   * Statements that bring sequence {@code b}'s dh to this step and turn it into gate gradients: the part of
   * a backward step before the product with W_hh^T. Declares {@code row<S>}, {@code dg<S>}, {@code d<S>}.
   */
  private void emitBackPrologue(MethodSpec.Builder m, LayerRun run, String b, String x) {
    int stateIndex = run.stateIndex(config.directions());
    String dirOffset = run.reverse() ? "HIDDEN" : "0";
    m.addStatement("int row$L = $L", x, run.reverse()
            ? b + " * steps + lengths[" + b + "] - 1 - s" : b + " * steps + s")
        .addStatement("int prev$L = $L", x, run.reverse() ? "row" + x + " + 1" : "row" + x + " - 1")
        .addStatement("int state$L = ($L * batch + $L) * HIDDEN", x, stateIndex, b)
        .addStatement("int d$L = $L * HIDDEN_STRIDE", x, b)
        .addStatement("int dg$L = row$L * GX_STRIDE", x, x)
        .addStatement("int g$L = gateOffset($L, row$L)", x, stateIndex, x)
        .addStatement("System.arraycopy(s == 0 ? h0Store : out, s == 0 ? state$L : prev$L * FEATURES + $L, hPrev, "
            + "row$L * HIDDEN, HIDDEN)", x, x, dirOffset, x)
        .addStatement("addInto(dh, d$L, dOut, row$L * FEATURES + $L)", x, x, dirOffset);
    if (plan.isLstm()) {
      m.addStatement("lstmBackward(gateStore, g$L, cellStore, ($L * maxRows + row$L) * HIDDEN, s == 0 ? c0Store : cellStore, "
          + "s == 0 ? state$L : ($L * maxRows + prev$L) * HIDDEN, dh, dc, d$L, dGates, dg$L)", x, stateIndex, x, x,
          stateIndex, x, x, x);
    } else if (!plan.isGru()) {
      m.addStatement("rnnBackward(gateStore, g$L, dh, d$L, dGates, dg$L)", x, x, x);
    } else if (!plan.isGruResetBefore()) {
      m.addStatement("gruBackward(gateStore, g$L, hPrev, row$L * HIDDEN, dh, dhDirect, d$L, dGates, dGatesHh, dg$L)",
          x, x, x, x);
    } else {
      m.addStatement("gruBackwardCandidate(gateStore, g$L, hPrev, row$L * HIDDEN, dh, d$L, dGates, dg$L)", x, x, x, x);
    }
  }

  private MethodSpec backOne(LayerRun run) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(backOneMethod(run)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("One backward step (s, in processing order) of sequence b.\n")
        .addParameter(int.class, "b").addParameter(int.class, "s").addParameter(FLOATS, "out")
        .addParameter(FLOATS, "dOut")
        .addStatement("Weights w = weights");
    emitBackPrologue(m, run, "b", "");
    if (plan.isLstm() || !plan.isGru()) {
      m.addStatement("matvec(w.$L, HIDDEN, GATE_ROWS, dGates, dg, zeros, 0, dh, d)", WeightsEmitter.hhT(run));
    } else if (!plan.isGruResetBefore()) {
      m.addStatement("matvec(w.$L, HIDDEN, GATE_ROWS, dGatesHh, dg, dhDirect, d, dh, d)", WeightsEmitter.hhT(run));
    } else {
      m.addStatement("matvec(w.$L, HIDDEN, HIDDEN, dGates, dg + 2 * HIDDEN, zeros, 0, resetGrad, d)",
              WeightsEmitter.hhNT(run))
          .addStatement("gruBackwardReset(gateStore, g, hPrev, row * HIDDEN, dh, resetGrad, dhDirect, d, dGates, dg, rhPrev)")
          .addStatement("matvec(w.$L, HIDDEN, 2 * HIDDEN, dGates, dg, dhDirect, d, dh, d)", WeightsEmitter.hhRzT(run));
    }
    return m.build();
  }

  private MethodSpec backQuad(LayerRun run) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(backQuadMethod(run)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("One backward step (s, in processing order) of four sequences, sharing each sweep over W_hh^T.\n");
    for (String q : KernelEmitter.QUAD) {
      m.addParameter(int.class, "b" + q);
    }
    m.addParameter(int.class, "s").addParameter(FLOATS, "out").addParameter(FLOATS, "dOut")
        .addStatement("Weights w = weights");
    for (String q : KernelEmitter.QUAD) {
      emitBackPrologue(m, run, "b" + q, q);
    }
    m.addStatement("matvec4(w.$L, HIDDEN, GATE_ROWS, dGates, dg0, dg1, dg2, dg3, zeros, 0, 0, 0, 0, dh, d0, d1, d2, d3)",
        WeightsEmitter.hhT(run));
    return m.build();
  }

  private MethodSpec backPair(LayerRun run) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(backPairMethod(run)).addModifiers(Modifier.PRIVATE)
        .addJavadoc("One backward step (s, in processing order) of sequences a and b, sharing each sweep over W^T.\n")
        .addParameter(int.class, "a").addParameter(int.class, "b").addParameter(int.class, "s")
        .addParameter(FLOATS, "out").addParameter(FLOATS, "dOut")
        .addStatement("Weights w = weights");
    emitBackPrologue(m, run, "a", "A");
    emitBackPrologue(m, run, "b", "B");
    if (plan.isLstm() || !plan.isGru()) {
      m.addStatement("matvec2(w.$L, HIDDEN, GATE_ROWS, dGates, dgA, dgB, zeros, 0, 0, dh, dA, dB)", WeightsEmitter.hhT(run));
    } else if (!plan.isGruResetBefore()) {
      m.addStatement("matvec2(w.$L, HIDDEN, GATE_ROWS, dGatesHh, dgA, dgB, dhDirect, dA, dB, dh, dA, dB)",
          WeightsEmitter.hhT(run));
    } else {
      m.addStatement("matvec2(w.$L, HIDDEN, HIDDEN, dGates, dgA + 2 * HIDDEN, dgB + 2 * HIDDEN, zeros, 0, 0, resetGrad, dA, dB)",
              WeightsEmitter.hhNT(run))
          .addStatement("gruBackwardReset(gateStore, gA, hPrev, rowA * HIDDEN, dh, resetGrad, dhDirect, dA, dGates, dgA, rhPrev)")
          .addStatement("gruBackwardReset(gateStore, gB, hPrev, rowB * HIDDEN, dh, resetGrad, dhDirect, dB, dGates, dgB, rhPrev)")
          .addStatement("matvec2(w.$L, HIDDEN, 2 * HIDDEN, dGates, dgA, dgB, dhDirect, dA, dB, dh, dA, dB)",
              WeightsEmitter.hhRzT(run));
    }
    return m.build();
  }


}
