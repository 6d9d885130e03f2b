package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.DropoutMask;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plain, obviously correct implementation of every model a spec describes: the oracle generated code
 * is tested against, and the place to read the semantics ({@code /work/shared/semantics.md}) as code.
 * Straightforward loops in double precision; results are exposed as float through the model interfaces,
 * and in double through the {@code ...Double} methods, which exist for finite-difference gradient checks.
 *
 * <p>Data flow of a call: layer 0 reads the dense input or the embedding rows of the tokens; layer
 * {@code l > 0} reads layer {@code l-1}'s per-step output {@code [forward | backward]}, multiplied by a
 * {@link DropoutMask} when training with dropout; each layer and direction is one {@link RecurrentPass}
 * with pack_padded semantics; many-to-one features are {@code concat(h_n[last, fwd], h_n[last, bwd])};
 * the head maps per-step outputs (many-to-many, 0 at padded steps) or features to logits.
 *
 * <p>h is S = {@link ModelConfig#stateSize()} wide: H, or P for an LSTM with a projection
 * ({@code torch.nn.LSTM(proj_size=P)}), so per-step outputs and features are {@code dirs·S} wide and h0/h_n are
 * {@code [layers*dirs, batch, S]}, while the LSTM cell state c0/c_n stays {@code [layers*dirs, batch, H]}.
 * LSTM peepholes (ONNX) change only the cell ({@link ReferenceCell.LstmCell}).
 *
 * <p>Training: {@link #computeGradients} runs the loss of {@code config().training()}; a model without a
 * training section throws {@link IllegalStateException} rather than guessing a loss. Dropout mask
 * {@code call} numbers count computeGradients calls since {@link #setDropoutSeed} (seed 0 at first).
 * Truncated BPTT ({@code truncate}) concerns streaming training loops and is not applied here.
 *
 * <p>Workspaces are allocated on construction for {@code maxBatch × maxLength} steps (about
 * {@code 8 · maxBatch · maxLength · layers · dirs · 10 H} bytes), so give small limits for large models.
 * Bad arguments throw {@link IllegalArgumentException}. Not thread-safe.
 */
public final class ReferenceModel implements TrainableModel, StreamingModel {
  private final ModelConfig config;
  private final int maxBatch;
  private final int maxLength;
  private final int layers;
  private final int dirs;
  private final int hidden;
  private final int stateSize;
  private final int featureSize;
  private final boolean perStep;

  private final Map<String, double[]> parameters = new LinkedHashMap<>();
  private final Map<String, double[]> gradients = new LinkedHashMap<>();
  private final ModelParameters floatGradients;
  private final RecurrentPass[][] passes;
  private final ReferenceHead head;
  private final StreamState stream;
  private final Region region = new Region();

  // Per-step values [batch, steps, width] of each layer's input and output, and their gradients.
  private final double[][] layerInput;
  private final double[][] layerOutput;
  private final double[][] dLayerInput;
  private final double[][] dLayerOutput;
  private final float[][] masks;
  private boolean dropoutActive;
  private int[] tokens;

  // States [layers*dirs, batch, H] and their gradients.
  private final double[] h0;
  private final double[] c0;
  private final double[] hN;
  private final double[] cN;
  private final double[] dh0;
  private final double[] dc0;
  private final double[] dhN;
  private final double[] dcN;

  // Many-to-one features [batch, F]; head values [positions, K]; dLoss/d(compared values).
  private final double[] featureValues;
  private final double[] dFeatures;
  private final double[] logitValues;
  private final double[] predictionValues;
  private final double[] dCompared;
  private final double[] staging;

  // Float results handed out through the interfaces.
  private final float[] outputView;
  private final float[] hNView;
  private final float[] cNView;
  private final float[] featuresView;
  private final float[] logitsView;
  private final float[] predictionView;
  private final float[] inputGradientView;
  private final float[] h0GradientView;
  private final float[] c0GradientView;

  private long dropoutSeed;
  private long dropoutCalls;

  /** A reference model over {@code parameters} (copied), with the batch and length limits of their config. */
  public ReferenceModel(ModelParameters parameters) {
    this(parameters, parameters.config().maxBatch(), parameters.config().maxLength());
  }

  /** A reference model over {@code parameters} (copied) for at most {@code maxBatch × maxLength} steps. */
  public ReferenceModel(ModelParameters parameters, int maxBatch, int maxLength) {
    if (maxBatch < 1 || maxLength < 1) {
      throw new IllegalArgumentException("maxBatch and maxLength must be positive, got " + maxBatch + ", " + maxLength);
    }
    this.config = parameters.config().withLimits(maxBatch, maxLength);
    this.maxBatch = maxBatch;
    this.maxLength = maxLength;
    this.layers = config.layers();
    this.dirs = config.directions();
    this.hidden = config.hidden();
    this.stateSize = config.stateSize();
    this.featureSize = config.featureSize();
    this.perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    config.parameterShapes().forEach((name, shape) -> {
      int size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      this.parameters.put(name, new double[size]);
      this.gradients.put(name, new double[size]);
    });
    setParameters(parameters);
    this.floatGradients = ModelParameters.zeros(config);

    int rows = maxBatch * maxLength;
    ReferenceCell cell = ReferenceCell.of(config);
    this.passes = new RecurrentPass[layers][dirs];
    for (int l = 0; l < layers; l++) {
      for (int d = 0; d < dirs; d++) {
        passes[l][d] = new RecurrentPass(cell, LayerWeights.of(this.parameters, config, l, d),
            LayerWeights.of(gradients, config, l, d), d == 1, l * dirs + d, rows);
      }
    }
    this.head = config.hasHead() ? new ReferenceHead(config, this.parameters, gradients) : null;
    this.stream = config.bidirectional() ? null : new StreamState(config, cell, streamLayers(), head);

    this.layerInput = new double[layers][];
    this.layerOutput = new double[layers][];
    this.dLayerInput = new double[layers][];
    this.dLayerOutput = new double[layers][];
    this.masks = new float[layers][];
    for (int l = 0; l < layers; l++) {
      layerInput[l] = new double[rows * config.layerInputSize(l)];
      dLayerInput[l] = new double[rows * config.layerInputSize(l)];
      layerOutput[l] = new double[rows * featureSize];
      dLayerOutput[l] = new double[rows * featureSize];
      masks[l] = l == 0 ? null : new float[rows * featureSize];
    }
    int states = layers * dirs * maxBatch * stateSize;
    int cellStates = layers * dirs * maxBatch * hidden;
    this.h0 = new double[states];
    this.c0 = new double[cellStates];
    this.hN = new double[states];
    this.cN = new double[cellStates];
    this.dh0 = new double[states];
    this.dc0 = new double[cellStates];
    this.dhN = new double[states];
    this.dcN = new double[cellStates];
    this.featureValues = new double[maxBatch * featureSize];
    this.dFeatures = new double[maxBatch * featureSize];
    int positions = perStep ? rows : maxBatch;
    this.logitValues = new double[positions * config.headSize()];
    this.predictionValues = new double[positions * config.headSize()];
    this.dCompared = new double[positions * config.outputSize()];
    this.staging = new double[Math.max(rows * config.inputSize(), cellStates)];

    this.outputView = new float[rows * featureSize];
    this.hNView = new float[states];
    this.cNView = config.hasCellState() ? new float[cellStates] : null;
    this.featuresView = perStep ? null : new float[maxBatch * featureSize];
    this.logitsView = config.hasHead() ? new float[logitValues.length] : null;
    this.predictionView = config.hasHead() ? new float[logitValues.length] : null;
    this.inputGradientView = config.hasEmbedding() ? null : new float[rows * config.inputSize()];
    this.h0GradientView = new float[states];
    this.c0GradientView = config.hasCellState() ? new float[cellStates] : null;
  }

  private LayerWeights[] streamLayers() {
    LayerWeights[] result = new LayerWeights[layers];
    for (int l = 0; l < layers; l++) {
      result[l] = LayerWeights.of(parameters, config, l, 0);
    }
    return result;
  }

  // ---------------------------------------------------------------- RnnModel

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public int maxBatch() {
    return maxBatch;
  }

  @Override
  public int maxLength() {
    return maxLength;
  }

  @Override
  public void forward(float[] input, int batch, int steps, int[] lengths, float[] h0, float[] c0) {
    if (config.hasEmbedding()) {
      throw new IllegalArgumentException("this model reads token ids (it has an embedding): call forwardTokens");
    }
    setRegion(batch, steps, lengths);
    loadDense(toStaging("input", input, batch * steps * config.inputSize()));
    loadStates(h0, c0);
    runForward(false);
    publishForward();
  }

  @Override
  public void forwardTokens(int[] tokens, int batch, int steps, int[] lengths, float[] h0, float[] c0) {
    if (!config.hasEmbedding()) {
      throw new IllegalArgumentException("this model reads dense features (it has no embedding): call forward");
    }
    setRegion(batch, steps, lengths);
    loadTokens(tokens);
    loadStates(h0, c0);
    runForward(false);
    publishForward();
  }

  @Override
  public float[] output() {
    return outputView;
  }

  @Override
  public float[] hN() {
    return hNView;
  }

  @Override
  public float[] cN() {
    return cNView;
  }

  @Override
  public float[] features() {
    return featuresView;
  }

  @Override
  public float[] logits() {
    return logitsView;
  }

  @Override
  public float[] prediction() {
    return predictionView;
  }

  // ---------------------------------------------------------------- TrainableModel

  @Override
  public float computeGradients(Batch batch) {
    double loss = train(batch, null, null, null, dropoutCalls, true);
    dropoutCalls++;
    return (float) loss;
  }

  @Override
  public ModelParameters gradients() {
    return floatGradients;
  }

  @Override
  public float[] inputGradient() {
    return inputGradientView;
  }

  @Override
  public float[] h0Gradient() {
    return h0GradientView;
  }

  @Override
  public float[] c0Gradient() {
    return c0GradientView;
  }

  @Override
  public void setParameters(ModelParameters source) {
    for (Map.Entry<String, double[]> entry : parameters.entrySet()) {
      float[] values = source.names().contains(entry.getKey()) ? source.get(entry.getKey()) : null;
      double[] target = entry.getValue();
      if (values == null || values.length != target.length) {
        throw new IllegalArgumentException("parameters do not fit this model: " + entry.getKey()
            + (values == null ? " is missing" : " has " + values.length + " values, expected " + target.length));
      }
      for (int i = 0; i < target.length; i++) {
        target[i] = values[i];
      }
    }
  }

  @Override
  public void setDropoutSeed(long seed) {
    dropoutSeed = seed;
    dropoutCalls = 0;
  }

  /** The dropout mask {@code call} number the next {@link #computeGradients} uses. */
  public long nextDropoutCall() {
    return dropoutCalls;
  }

  // ---------------------------------------------------------------- double precision, for gradient checks

  /** The double-precision value of a parameter, live: writes change what the next call computes. */
  public double[] parameterDouble(String name) {
    return named(parameters, name);
  }

  /** The double-precision gradient of a parameter from the last training call. */
  public double[] gradientDouble(String name) {
    return named(gradients, name);
  }

  /**
   * The loss of {@code batch} in double precision, without backward, with dropout masks of call number
   * {@code dropoutCall} (the call counter does not move). Non-null {@code input}, {@code h0}, {@code c0}
   * replace the batch's float arrays, so inputs can be perturbed by amounts float cannot represent.
   */
  public double lossDouble(Batch batch, double[] input, double[] h0, double[] c0, long dropoutCall) {
    return train(batch, input, h0, c0, dropoutCall, false);
  }

  /** As {@link #lossDouble}, followed by backward; read the results with the other {@code ...Double} methods. */
  public double computeGradientsDouble(Batch batch, double[] input, double[] h0, double[] c0, long dropoutCall) {
    return train(batch, input, h0, c0, dropoutCall, true);
  }

  /** dLoss/dinput {@code [batch, steps, inputSize]} of the last training call; null for token input. */
  public double[] inputGradientDouble() {
    return config.hasEmbedding() ? null : dLayerInput[0];
  }

  /** dLoss/dh0 {@code [layers*dirs, batch, S]} (S = {@link ModelConfig#stateSize()}) of the last training call. */
  public double[] h0GradientDouble() {
    return dh0;
  }

  /** dLoss/dc0 {@code [layers*dirs, batch, H]} of the last training call; null without cell state. */
  public double[] c0GradientDouble() {
    return config.hasCellState() ? dc0 : null;
  }

  private double[] named(Map<String, double[]> arrays, String name) {
    double[] values = arrays.get(name);
    if (values == null) {
      throw new IllegalArgumentException("no parameter '" + name + "'; this model has " + arrays.keySet());
    }
    return values;
  }

  // ---------------------------------------------------------------- StreamingModel

  @Override
  public void resetState() {
    requireStreaming().reset();
  }

  @Override
  public void setState(float[] h0, float[] c0) {
    StreamState state = requireStreaming();
    if (h0 != null) {
      requireLength("h0", h0, layers * stateSize);
    }
    if (c0 != null && config.hasCellState()) {
      requireLength("c0", c0, layers * hidden);
    }
    // as forward's h0: null means zeros
    state.set(h0 == null ? new float[layers * stateSize] : h0, config.hasCellState() ? c0 : null);
  }

  @Override
  public void step(float[] x, int offset) {
    StreamState state = requireStreaming();
    if (config.hasEmbedding()) {
      throw new IllegalArgumentException("this model reads token ids (it has an embedding): call stepToken");
    }
    int width = config.inputSize();
    if (x == null) {
      throw new IllegalArgumentException("x is null");
    }
    if (offset < 0 || offset > x.length - width) {
      throw new IllegalArgumentException("x needs INPUT_SIZE = " + width + " values from offset " + offset
          + ", has " + x.length);
    }
    for (int k = 0; k < width; k++) {
      staging[k] = x[offset + k];
    }
    state.step(staging);
  }

  @Override
  public void stepToken(int token) {
    StreamState state = requireStreaming();
    if (!config.hasEmbedding()) {
      throw new IllegalArgumentException("this model reads dense features (it has no embedding): call step");
    }
    if (token < 0 || token >= config.vocab()) {
      throw new IllegalArgumentException("token id must be in [0, " + config.vocab() + "), got " + token);
    }
    System.arraycopy(parameters.get(ModelConfig.EMBEDDING_WEIGHT), token * config.inputSize(), staging, 0,
        config.inputSize());
    state.step(staging);
  }

  @Override
  public float[] stepOutput() {
    return requireStreaming().output();
  }

  @Override
  public float[] stepLogits() {
    return requireStreaming().logits();
  }

  @Override
  public float[] stepPrediction() {
    return requireStreaming().prediction();
  }

  @Override
  public float[] hiddenState() {
    return requireStreaming().hiddenState();
  }

  @Override
  public float[] cellState() {
    return requireStreaming().cellState();
  }

  private StreamState requireStreaming() {
    if (stream == null) {
      throw new IllegalStateException("streaming needs a unidirectional model: a bidirectional layer reads "
          + "the whole sequence before its first output; use forward");
    }
    return stream;
  }

  // ---------------------------------------------------------------- loading a call

  private void setRegion(int batch, int steps, int[] lengths) {
    if (batch < 1 || batch > maxBatch) {
      throw new IllegalArgumentException("batch must be in [1, " + maxBatch + "], got " + batch);
    }
    if (steps < 1 || steps > maxLength) {
      throw new IllegalArgumentException("steps must be in [1, " + maxLength + "], got " + steps);
    }
    if (lengths != null) {
      requireLength("lengths", lengths.length, batch);
      for (int b = 0; b < batch; b++) {
        if (lengths[b] < 1 || lengths[b] > steps) {
          throw new IllegalArgumentException("lengths[" + b + "] must be in [1, " + steps + "], got " + lengths[b]);
        }
      }
    }
    region.set(batch, steps, lengths);
  }

  /** Copies {@code count} floats into the staging buffer (after checking the array), for the double loaders. */
  private double[] toStaging(String what, float[] values, int count) {
    requireLength(what, values, count);
    for (int i = 0; i < count; i++) {
      staging[i] = values[i];
    }
    return staging;
  }

  /** Layer 0 input from dense values {@code [batch, steps, inputSize]}; padded steps are never read, set to 0. */
  private void loadDense(double[] input) {
    int width = config.inputSize();
    requireLength("input", input.length, region.batch * region.steps * width);
    for (int b = 0; b < region.batch; b++) {
      for (int t = 0; t < region.steps; t++) {
        int row = region.row(b, t);
        if (region.valid(b, t)) {
          System.arraycopy(input, row * width, layerInput[0], row * width, width);
        } else {
          Arrays.fill(layerInput[0], row * width, (row + 1) * width, 0);
        }
      }
    }
  }

  /** Layer 0 input from the embedding rows of the token ids at valid steps. */
  private void loadTokens(int[] ids) {
    int width = config.inputSize();
    requireLength("tokens", ids, region.batch * region.steps);
    double[] embedding = parameters.get(ModelConfig.EMBEDDING_WEIGHT);
    for (int b = 0; b < region.batch; b++) {
      for (int t = 0; t < region.steps; t++) {
        int row = region.row(b, t);
        if (!region.valid(b, t)) {
          Arrays.fill(layerInput[0], row * width, (row + 1) * width, 0);
          continue;
        }
        int id = ids[row];
        if (id < 0 || id >= config.vocab()) {
          throw new IllegalArgumentException("token id at [" + b + ", " + t + "] must be in [0, " + config.vocab()
              + "), got " + id);
        }
        System.arraycopy(embedding, id * width, layerInput[0], row * width, width);
      }
    }
    this.tokens = ids;
  }

  private void loadStates(float[] h0Values, float[] c0Values) {
    if (c0Values != null && !config.hasCellState()) {
      throw new IllegalArgumentException("c0 is only for LSTM models");
    }
    int hSize = layers * dirs * region.batch * stateSize;
    loadState("h0", h0Values == null ? null : toStaging("h0", h0Values, hSize), h0, stateSize);
    boolean cell = config.hasCellState() && c0Values != null;
    int cSize = layers * dirs * region.batch * hidden;
    loadState("c0", cell ? toStaging("c0", c0Values, cSize) : null, c0, hidden);
  }

  /**
   * One initial state {@code [layers*dirs, batch, width]} (width S for h0, H for c0), zeros when
   * {@code values} is null.
   */
  private void loadState(String what, double[] values, double[] state, int width) {
    int size = layers * dirs * region.batch * width;
    if (values == null) {
      Arrays.fill(state, 0, size, 0);
    } else {
      requireLength(what, values.length, size);
      System.arraycopy(values, 0, state, 0, size);
    }
  }

  /** Loads a training batch; non-null double arrays replace the batch's input, h0 and c0. */
  private void loadBatch(Batch batch, double[] input, double[] h0Values, double[] c0Values) {
    setRegion(batch.batch, batch.steps, batch.lengths);
    if (config.hasEmbedding()) {
      if (batch.tokens == null) {
        throw new IllegalArgumentException("tokens is null");
      }
      loadTokens(batch.tokens);
    } else if (input != null) {
      loadDense(input);
    } else {
      if (batch.input == null) {
        throw new IllegalArgumentException("input is null");
      }
      loadDense(toStaging("input", batch.input, batch.batch * batch.steps * config.inputSize()));
    }
    loadStates(batch.h0, batch.c0);
    if (h0Values != null) {
      loadState("h0", h0Values, h0, stateSize);
    }
    if (c0Values != null && config.hasCellState()) {
      loadState("c0", c0Values, c0, hidden);
    }
  }

  private void checkTargets(Batch batch, ModelConfig.Loss loss) {
    int positions = region.batch * (perStep ? region.steps : 1);
    int width = config.outputSize();
    if (loss != ModelConfig.Loss.CROSS_ENTROPY) {
      if (batch.valueTargets == null) {
        throw new IllegalArgumentException(loss + " needs valueTargets");
      }
      requireLength("valueTargets", batch.valueTargets.length, positions * width);
      return;
    }
    if (batch.classTargets == null) {
      throw new IllegalArgumentException("cross-entropy needs classTargets");
    }
    requireLength("classTargets", batch.classTargets.length, positions);
    for (int pos = 0; pos < positions; pos++) {
      int target = batch.classTargets[pos];
      boolean valid = !perStep || region.valid(pos / region.steps, pos % region.steps);
      if (valid && (target < 0 || target >= width)) {
        throw new IllegalArgumentException("class target " + target + " at position " + pos
            + " is outside [0, " + width + ")");
      }
    }
  }

  private static void requireLength(String what, float[] values, int needed) {
    if (values == null) {
      throw new IllegalArgumentException(what + " is null");
    }
    requireLength(what, values.length, needed);
  }

  private static void requireLength(String what, int[] values, int needed) {
    if (values == null) {
      throw new IllegalArgumentException(what + " is null");
    }
    requireLength(what, values.length, needed);
  }

  private static void requireLength(String what, int length, int needed) {
    if (length < needed) {
      throw new IllegalArgumentException(what + " has " + length + " elements, needs " + needed);
    }
  }

  // ---------------------------------------------------------------- forward

  private void runForward(boolean training) {
    dropoutActive = training && config.training().dropout() > 0 && layers > 1;
    int rows = region.batch * region.steps;
    for (int l = 0; l < layers; l++) {
      if (l > 0) {
        feedLayer(l);
      }
      Arrays.fill(layerOutput[l], 0, rows * featureSize, 0);
      for (int d = 0; d < dirs; d++) {
        passes[l][d].forward(region, layerInput[l], h0, c0, layerOutput[l], featureSize, d * stateSize, hN, cN);
      }
    }
    if (!perStep) {
      gatherFeatures();
    }
    if (head != null) {
      runHead();
    }
  }

  /** Layer {@code l}'s input: layer {@code l-1}'s output, times the dropout mask when training. */
  private void feedLayer(int l) {
    int n = region.batch * region.steps * featureSize;
    for (int i = 0; i < n; i++) {
      layerInput[l][i] = dropoutActive ? layerOutput[l - 1][i] * masks[l][i] : layerOutput[l - 1][i];
    }
  }

  private void fillMasks(long call) {
    if (config.training() == null || config.training().dropout() <= 0) {
      return;
    }
    for (int l = 1; l < layers; l++) {
      DropoutMask.fill(masks[l], dropoutSeed, call, l, region.batch, region.steps, featureSize,
          config.training().dropout());
    }
  }

  /** features[b] = concat over directions of the last layer's final h. */
  private void gatherFeatures() {
    for (int b = 0; b < region.batch; b++) {
      for (int d = 0; d < dirs; d++) {
        System.arraycopy(hN, stateOffset(layers - 1, d, b), featureValues, b * featureSize + d * stateSize,
            stateSize);
      }
    }
  }

  /** Offset of sequence {@code b}'s h in a state array {@code [layers*dirs, batch, S]}. */
  private int stateOffset(int layer, int dir, int b) {
    return ((layer * dirs + dir) * region.batch + b) * stateSize;
  }

  /** Head on each valid step's output (many-to-many; 0 at padded steps) or on each sequence's features. */
  private void runHead() {
    int k = config.headSize();
    if (!perStep) {
      for (int b = 0; b < region.batch; b++) {
        head.forward(featureValues, b * featureSize, logitValues, predictionValues, b * k);
      }
      return;
    }
    double[] top = layerOutput[layers - 1];
    for (int b = 0; b < region.batch; b++) {
      for (int t = 0; t < region.steps; t++) {
        int row = region.row(b, t);
        if (region.valid(b, t)) {
          head.forward(top, row * featureSize, logitValues, predictionValues, row * k);
        } else {
          Arrays.fill(logitValues, row * k, (row + 1) * k, 0);
          Arrays.fill(predictionValues, row * k, (row + 1) * k, 0);
        }
      }
    }
  }

  // ---------------------------------------------------------------- training

  private ModelConfig.Loss requireTraining() {
    if (config.training() == null) {
      throw new IllegalStateException("this model has no training section, so no loss to compute gradients of");
    }
    return config.training().loss();
  }

  private double train(Batch batch, double[] input, double[] h0Values, double[] c0Values, long call,
      boolean backward) {
    ModelConfig.Loss loss = requireTraining();
    loadBatch(batch, input, h0Values, c0Values);
    checkTargets(batch, loss);
    fillMasks(call);
    runForward(true);
    double value = ReferenceLoss.compute(loss, head == null ? ModelConfig.HeadActivation.LINEAR
            : config.headActivation(), comparedValues(), head == null ? comparedValues() : predictionValues,
        region, config.outputSize(), perStep, batch.classTargets, batch.valueTargets, dCompared);
    publishForward();
    if (backward) {
      runBackward();
      publishGradients();
    }
    return value;
  }

  /** What the loss compares: the logits, or without a head the per-step output or the features. */
  private double[] comparedValues() {
    if (head != null) {
      return logitValues;
    }
    return perStep ? layerOutput[layers - 1] : featureValues;
  }

  private void runBackward() {
    for (double[] g : gradients.values()) {
      Arrays.fill(g, 0);
    }
    int rows = region.batch * region.steps;
    Arrays.fill(dhN, 0);
    Arrays.fill(dcN, 0);
    Arrays.fill(dLayerOutput[layers - 1], 0, rows * featureSize, 0);
    if (perStep) {
      backOutput();
    } else {
      backFeatures();
    }
    for (int l = layers - 1; l >= 0; l--) {
      Arrays.fill(dLayerInput[l], 0, rows * config.layerInputSize(l), 0);
      for (int d = 0; d < dirs; d++) {
        passes[l][d].backward(region, layerInput[l], h0, c0, dLayerOutput[l], featureSize, d * stateSize, dhN, dcN,
            dLayerInput[l], dh0, dc0);
      }
      if (l > 0) {
        for (int i = 0; i < rows * featureSize; i++) {
          dLayerOutput[l - 1][i] = dropoutActive ? dLayerInput[l][i] * masks[l][i] : dLayerInput[l][i];
        }
      }
    }
    if (config.hasEmbedding()) {
      backEmbedding();
    }
  }

  /** dLoss/d(per-step output of the last layer), through the head when there is one. */
  private void backOutput() {
    double[] dTop = dLayerOutput[layers - 1];
    int k = config.outputSize();
    for (int b = 0; b < region.batch; b++) {
      for (int t = 0; t < region.length(b); t++) {
        int row = region.row(b, t);
        if (head != null) {
          head.backward(layerOutput[layers - 1], row * featureSize, dCompared, row * k, dTop, row * featureSize);
        } else {
          System.arraycopy(dCompared, row * k, dTop, row * featureSize, featureSize);
        }
      }
    }
  }

  /** dLoss/dfeatures, through the head when there is one, routed to the last layer's final states. */
  private void backFeatures() {
    int k = config.outputSize();
    Arrays.fill(dFeatures, 0, region.batch * featureSize, 0);
    for (int b = 0; b < region.batch; b++) {
      if (head != null) {
        head.backward(featureValues, b * featureSize, dCompared, b * k, dFeatures, b * featureSize);
      } else {
        System.arraycopy(dCompared, b * k, dFeatures, b * featureSize, featureSize);
      }
      for (int d = 0; d < dirs; d++) {
        System.arraycopy(dFeatures, b * featureSize + d * stateSize, dhN, stateOffset(layers - 1, d, b), stateSize);
      }
    }
  }

  /** Each valid step's input gradient goes to the embedding row of its token. */
  private void backEmbedding() {
    double[] g = gradients.get(ModelConfig.EMBEDDING_WEIGHT);
    int width = config.inputSize();
    for (int b = 0; b < region.batch; b++) {
      for (int t = 0; t < region.length(b); t++) {
        int row = region.row(b, t);
        for (int i = 0; i < width; i++) {
          g[tokens[row] * width + i] += dLayerInput[0][row * width + i];
        }
      }
    }
  }

  // ---------------------------------------------------------------- publishing float results

  private void publishForward() {
    int rows = region.batch * region.steps;
    copy(layerOutput[layers - 1], outputView, rows * featureSize);
    copy(hN, hNView, layers * dirs * region.batch * stateSize);
    copy(cN, cNView, layers * dirs * region.batch * hidden);
    copy(featureValues, featuresView, region.batch * featureSize);
    int positions = perStep ? rows : region.batch;
    copy(logitValues, logitsView, positions * config.headSize());
    copy(predictionValues, predictionView, positions * config.headSize());
  }

  private void publishGradients() {
    for (Map.Entry<String, double[]> entry : gradients.entrySet()) {
      double[] g = entry.getValue();
      copy(g, floatGradients.get(entry.getKey()), g.length);
    }
    copy(dLayerInput[0], inputGradientView, region.batch * region.steps * config.inputSize());
    copy(dh0, h0GradientView, layers * dirs * region.batch * stateSize);
    copy(dc0, c0GradientView, layers * dirs * region.batch * hidden);
  }

  /** Narrows {@code count} values to float; a null target means the result does not exist for this model. */
  private static void copy(double[] from, float[] to, int count) {
    if (to == null) {
      return;
    }
    for (int i = 0; i < count; i++) {
      to[i] = (float) from[i];
    }
  }
}
