package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.decode.DecoderStepper;
import dev.rnnc.runtime.decode.GreedyDecoder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plain, double-precision implementation of an encoder–decoder ({@link Seq2SeqConfig}): the oracle the
 * generated class will be tested against. It reuses the single-stack pieces ({@link RecurrentPass},
 * {@link ReferenceCell}, {@link ReferenceHead}, {@link ReferenceLoss}); only the wiring between the stacks is here.
 *
 * <p>Semantics, as the PyTorch goldens compute them:
 * <ul>
 *   <li>Encoder: the stack over {@code source} with {@code source_lengths} (packed); {@code s_k} = concat over
 *       directions (forward first) of the encoder's h_n of layer k.</li>
 *   <li>Bridge copy: decoder {@code h0[k] = s_k}; {@code c0[k]} = the encoder's c_n of layer k concatenated the same
 *       way when both stacks are LSTMs, else 0. Bridge linear: {@code h0[k] = tanh(bridge(s_k))}, {@code c0 = 0}.</li>
 *   <li>Decoder input at step t: {@code embedding(prev)} (+ {@code s_last} with context every_step), prev =
 *       start at t = 0, else {@code target[t-1]} (teacher forcing) or the previously chosen token (decoding).</li>
 *   <li>Teacher forcing runs {@code target_lengths[b]} steps; logits and prediction are 0 at padded steps; loss is
 *       the mean cross-entropy over valid target steps; h_n/c_n are the decoder's states after each sequence's
 *       last valid step.</li>
 * </ul>
 * As a {@link DecoderStepper} it decodes the rows {@link #encode} prepared (one per sequence), widened by beam
 * search up to {@code maxRows}. Workspaces are allocated on construction; calls allocate nothing. Bad arguments
 * throw {@link IllegalArgumentException}. Not thread-safe.
 */
public final class ReferenceSeq2Seq implements DecoderStepper {
  private final Seq2SeqConfig config;
  private final ModelConfig enc;
  private final ModelConfig dec;
  private final int maxBatch;
  private final int maxLength;
  private final int maxRows;
  private final int layers;
  private final int dirs;
  private final int encState;
  private final int encHidden;
  private final int features;
  private final int context;
  private final int decState;
  private final int decHidden;
  private final int decInput;
  private final int dim;
  private final int vocab;

  private final Map<String, double[]> parameters = new LinkedHashMap<>();
  private final Map<String, double[]> gradients = new LinkedHashMap<>();
  /** The gradient arrays, for clearing without a map iterator (calls allocate nothing). */
  private final double[][] gradientArrays;
  private final RecurrentPass[][] encPasses;
  private final RecurrentPass[] decPasses;
  private final LayerWeights[] decLayers;
  private final ReferenceCell decCell;
  private final ReferenceHead head;
  private final Region encRegion = new Region();
  private final Region decRegion = new Region();

  private final double[][] encIn;
  private final double[][] encOut;
  private final double[][] dEncIn;
  private final double[][] dEncOut;
  private final double[] encH0;
  private final double[] encC0;
  private final double[] encHN;
  private final double[] encCN;
  private final double[] encDhN;
  private final double[] encDcN;
  private final double[] encDh0;
  private final double[] encDc0;
  private int[] sourceIds;

  /** s_k of every layer, [layers, batch, De·Se], its gradient, and the bridge's pre-activation [layers, batch, Sd]. */
  private final double[] summaries;
  private final double[] dSummaries;
  private final double[] bridged;

  private final double[][] decIn;
  private final double[][] decOut;
  private final double[][] dDecIn;
  private final double[][] dDecOut;
  private final double[] decH0;
  private final double[] decC0;
  private final double[] decHN;
  private final double[] decCN;
  private final double[] decDhN;
  private final double[] decDcN;
  private final double[] decDh0;
  private final double[] decDc0;
  private int[] targetIds;

  private final double[] logits;
  private final double[] prediction;
  private final double[] dLogits;
  private double loss;

  // Step-wise decoding: per-row states [layers, maxRows, Sd] / [layers, maxRows, Hd] and contexts [maxRows, De·Se].
  private final double[] rowH;
  private final double[] rowC;
  private final double[] rowContext;
  private final double[] spareH;
  private final double[] spareC;
  private final double[] spareContext;
  private int rows;
  private final double[][] stepX;
  private final double[] stepHp;
  private final double[] stepCp;
  private final double[] stepH;
  private final double[] stepC;
  private final double[] stepSaved;
  private final double[] stepLogits;
  private final double[] stepPrediction;
  private final GreedyDecoder greedy;

  /** A reference model over {@code parameters} (copied) with the config's limits, decoding up to max_batch rows. */
  public ReferenceSeq2Seq(Seq2SeqParameters parameters) {
    this(parameters, parameters.config().maxBatch(), parameters.config().maxLength(), parameters.config().maxBatch());
  }

  /**
   * @param maxBatch  largest batch of one call
   * @param maxLength longest source and longest target sequence of one call
   * @param maxRows   decoder rows step-wise decoding may use (max batch × the widest beam)
   */
  public ReferenceSeq2Seq(Seq2SeqParameters parameters, int maxBatch, int maxLength, int maxRows) {
    if (maxBatch < 1 || maxLength < 1 || maxRows < maxBatch) {
      throw new IllegalArgumentException("need maxBatch, maxLength >= 1 and maxRows >= maxBatch, got " + maxBatch
          + ", " + maxLength + ", " + maxRows);
    }
    this.config = parameters.config();
    this.enc = config.encoder();
    this.dec = config.decoder();
    this.maxBatch = maxBatch;
    this.maxLength = maxLength;
    this.maxRows = maxRows;
    this.layers = config.layers();
    this.dirs = enc.directions();
    this.encState = enc.stateSize();
    this.encHidden = enc.hidden();
    this.features = enc.featureSize();
    this.context = config.contextSize();
    this.decState = dec.stateSize();
    this.decHidden = dec.hidden();
    this.decInput = config.decoderInputSize();
    this.dim = config.embeddingDim();
    this.vocab = config.targetVocab();
    config.parameterShapes().forEach((name, shape) -> {
      int size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      double[] values = new double[size];
      float[] source = parameters.get(name);
      for (int i = 0; i < size; i++) {
        values[i] = source[i];
      }
      this.parameters.put(name, values);
      this.gradients.put(name, new double[size]);
    });

    this.gradientArrays = gradients.values().toArray(new double[0][]);
    int cells = maxBatch * maxLength;
    ReferenceCell encCell = ReferenceCell.of(enc);
    encPasses = new RecurrentPass[layers][dirs];
    encIn = new double[layers][];
    encOut = new double[layers][];
    dEncIn = new double[layers][];
    dEncOut = new double[layers][];
    for (int l = 0; l < layers; l++) {
      for (int d = 0; d < dirs; d++) {
        encPasses[l][d] = new RecurrentPass(encCell,
            LayerWeights.of(this.parameters, enc, Seq2SeqConfig.ENCODER_RNN, l, d),
            LayerWeights.of(gradients, enc, Seq2SeqConfig.ENCODER_RNN, l, d), d == 1, l * dirs + d, cells);
      }
      encIn[l] = new double[cells * enc.layerInputSize(l)];
      dEncIn[l] = new double[cells * enc.layerInputSize(l)];
      encOut[l] = new double[cells * features];
      dEncOut[l] = new double[cells * features];
    }
    int encStates = layers * dirs * maxBatch * encState;
    int encCells = layers * dirs * maxBatch * encHidden;
    encH0 = new double[encStates];
    encC0 = new double[encCells];
    encHN = new double[encStates];
    encCN = new double[encCells];
    encDhN = new double[encStates];
    encDcN = new double[encCells];
    encDh0 = new double[encStates];
    encDc0 = new double[encCells];
    summaries = new double[layers * maxBatch * context];
    dSummaries = new double[layers * maxBatch * context];
    bridged = new double[layers * maxBatch * decState];

    decCell = ReferenceCell.of(dec);
    decPasses = new RecurrentPass[layers];
    decLayers = new LayerWeights[layers];
    decIn = new double[layers][];
    decOut = new double[layers][];
    dDecIn = new double[layers][];
    dDecOut = new double[layers][];
    for (int l = 0; l < layers; l++) {
      decLayers[l] = LayerWeights.of(this.parameters, dec, Seq2SeqConfig.DECODER_RNN, l, 0);
      decPasses[l] = new RecurrentPass(decCell, decLayers[l],
          LayerWeights.of(gradients, dec, Seq2SeqConfig.DECODER_RNN, l, 0), false, l, cells);
      decIn[l] = new double[cells * dec.layerInputSize(l)];
      dDecIn[l] = new double[cells * dec.layerInputSize(l)];
      decOut[l] = new double[cells * decState];
      dDecOut[l] = new double[cells * decState];
    }
    int decStates = layers * maxBatch * decState;
    int decCells = layers * maxBatch * decHidden;
    decH0 = new double[decStates];
    decC0 = new double[decCells];
    decHN = new double[decStates];
    decCN = new double[decCells];
    decDhN = new double[decStates];
    decDcN = new double[decCells];
    decDh0 = new double[decStates];
    decDc0 = new double[decCells];
    head = new ReferenceHead(dec.toBuilder().head(vocab, config.headActivation()).build(), this.parameters, gradients);
    logits = new double[cells * vocab];
    prediction = new double[cells * vocab];
    dLogits = new double[cells * vocab];

    rowH = new double[layers * maxRows * decState];
    rowC = new double[layers * maxRows * decHidden];
    rowContext = new double[maxRows * context];
    spareH = new double[rowH.length];
    spareC = new double[rowC.length];
    spareContext = new double[rowContext.length];
    stepX = new double[layers][];
    for (int l = 0; l < layers; l++) {
      stepX[l] = new double[dec.layerInputSize(l)];
    }
    stepHp = new double[decState];
    stepCp = new double[decHidden];
    stepH = new double[decState];
    stepC = new double[decHidden];
    stepSaved = new double[decCell.savedSize()];
    stepLogits = new double[vocab];
    stepPrediction = new double[vocab];
    greedy = new GreedyDecoder(maxBatch, vocab, config.maxDecode());
  }

  public Seq2SeqConfig config() {
    return config;
  }

  // ---------------------------------------------------------------- teacher forcing and training

  /**
   * Teacher-forced forward pass. Give the source as token ids ({@code sourceTokens}, encoder with an embedding)
   * or as features {@code [batch, sourceSteps, input]} ({@code sourceFeatures}); the other is null.
   *
   * @param sourceLengths valid source steps per sequence, or null for all
   * @param target        target token ids {@code [batch, targetSteps]} (ending with the end token)
   * @param targetLengths valid target steps per sequence, or null for all
   * @return the loss: mean cross-entropy over valid target steps
   */
  public double teacherForce(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps,
      int[] sourceLengths, int[] target, int targetSteps, int[] targetLengths) {
    encode(sourceTokens, sourceFeatures, batch, sourceSteps, sourceLengths);
    setRegion(decRegion, "target", batch, targetSteps, targetLengths);
    checkTokens("target", target, batch, targetSteps, decRegion, vocab);
    targetIds = target;
    runDecoder();
    loss = ReferenceLoss.compute(ModelConfig.Loss.CROSS_ENTROPY, config.headActivation(), logits, prediction,
        decRegion, vocab, true, target, null, dLogits);
    return loss;
  }

  /** {@link #teacherForce}, then backpropagation through decoder, bridge and encoder; read with {@link #gradient}. */
  public double computeGradients(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps,
      int[] sourceLengths, int[] target, int targetSteps, int[] targetLengths) {
    double value = teacherForce(sourceTokens, sourceFeatures, batch, sourceSteps, sourceLengths, target, targetSteps,
        targetLengths);
    runBackward();
    return value;
  }

  /** The loss of the last teacher-forced call. */
  public double loss() {
    return loss;
  }

  /** Logits {@code [batch, targetSteps, V]} of the last teacher-forced call (0 at padded steps). */
  public double[] logits() {
    return logits;
  }

  /** The head's activation of the logits, same layout. */
  public double[] prediction() {
    return prediction;
  }

  /** The decoder's h after each sequence's last valid target step, {@code [layers, batch, Sd]}. */
  public double[] decoderHN() {
    return decHN;
  }

  /** The decoder's c likewise ({@code [layers, batch, Hd]}), meaningful for an LSTM decoder. */
  public double[] decoderCN() {
    return decCN;
  }

  /** The encoder's h_n {@code [layers·dirs, batch, Se]} of the last call. */
  public double[] encoderHN() {
    return encHN;
  }

  /** The encoder's c_n {@code [layers·dirs, batch, He]}, meaningful for an LSTM encoder. */
  public double[] encoderCN() {
    return encCN;
  }

  /** The live double-precision value of a parameter: writes change what the next call computes. */
  public double[] parameter(String name) {
    return named(parameters, name);
  }

  /** dLoss/d(parameter) of the last {@link #computeGradients}. */
  public double[] gradient(String name) {
    return named(gradients, name);
  }

  /** dLoss/d(source features) {@code [batch, sourceSteps, input]} (0 at padded steps); null for token sources. */
  public double[] sourceGradient() {
    return enc.hasEmbedding() ? null : dEncIn[0];
  }

  private static double[] named(Map<String, double[]> arrays, String name) {
    double[] array = arrays.get(name);
    if (array == null) {
      throw new IllegalArgumentException("no parameter named '" + name + "'; the model has " + arrays.keySet());
    }
    return array;
  }

  // ---------------------------------------------------------------- decoding

  /**
   * Runs the encoder and the bridge, leaving one decoder row per sequence (rows {@code 0..batch-1}) for
   * {@link #step}; arguments as {@link #teacherForce}.
   */
  public void encode(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps, int[] sourceLengths) {
    setRegion(encRegion, "source", batch, sourceSteps, sourceLengths);
    loadSource(sourceTokens, sourceFeatures);
    runEncoder();
    runBridge();
    for (int l = 0; l < layers; l++) {
      for (int b = 0; b < batch; b++) {
        System.arraycopy(decH0, (l * batch + b) * decState, rowH, (l * maxRows + b) * decState, decState);
        System.arraycopy(decC0, (l * batch + b) * decHidden, rowC, (l * maxRows + b) * decHidden, decHidden);
      }
    }
    for (int b = 0; b < batch; b++) {
      System.arraycopy(summaries, ((layers - 1) * batch + b) * context, rowContext, b * context, context);
    }
    rows = batch;
  }

  /** Greedy decoding of the rows {@link #encode} left, with the spec's start, end and max_length. */
  public void decodeGreedy(int[] tokensOut, int[] lengthsOut) {
    greedy.decode(this, rows, config.start(), config.end(), config.maxDecode(), tokensOut, lengthsOut);
  }

  @Override
  public int vocabulary() {
    return vocab;
  }

  @Override
  public int maxRows() {
    return maxRows;
  }

  @Override
  public void step(int[] tokens, int count, float[] logProbsOut) {
    if (count < 1 || count > rows) {
      throw new IllegalArgumentException("step needs 1.." + rows + " rows (the rows encode/reorder prepared), got "
          + count);
    }
    double[] embedding = parameters.get(Seq2SeqConfig.DECODER_EMBEDDING_WEIGHT);
    for (int r = 0; r < count; r++) {
      int token = tokens[r];
      if (token < 0 || token >= vocab) {
        throw new IllegalArgumentException("decoder token of row " + r + " must be in [0, " + vocab + "), got "
            + token);
      }
      double[] x = stepX[0];
      System.arraycopy(embedding, token * dim, x, 0, dim);
      if (config.context() == Seq2SeqConfig.Context.EVERY_STEP) {
        System.arraycopy(rowContext, r * context, x, dim, context);
      }
      for (int l = 0; l < layers; l++) {
        int hAt = (l * maxRows + r) * decState;
        int cAt = (l * maxRows + r) * decHidden;
        System.arraycopy(rowH, hAt, stepHp, 0, decState);
        System.arraycopy(rowC, cAt, stepCp, 0, decHidden);
        decCell.forward(decLayers[l], stepX[l], stepHp, stepCp, stepH, stepC, stepSaved);
        System.arraycopy(stepH, 0, rowH, hAt, decState);
        System.arraycopy(stepC, 0, rowC, cAt, decHidden);
        if (l + 1 < layers) {
          System.arraycopy(stepH, 0, stepX[l + 1], 0, decState);
        }
      }
      head.forward(stepH, 0, stepLogits, stepPrediction, 0);
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < vocab; v++) {
        max = Math.max(max, stepLogits[v]);
      }
      double sum = 0;
      for (int v = 0; v < vocab; v++) {
        sum += Math.exp(stepLogits[v] - max);
      }
      double logSum = max + Math.log(sum);
      for (int v = 0; v < vocab; v++) {
        logProbsOut[r * vocab + v] = (float) (stepLogits[v] - logSum);
      }
    }
  }

  @Override
  public void reorder(int[] sourceRows, int count) {
    if (count < 1 || count > maxRows) {
      throw new IllegalArgumentException("reorder to 1.." + maxRows + " rows, got " + count);
    }
    System.arraycopy(rowH, 0, spareH, 0, rowH.length);
    System.arraycopy(rowC, 0, spareC, 0, rowC.length);
    System.arraycopy(rowContext, 0, spareContext, 0, rows * context);
    for (int r = 0; r < count; r++) {
      int from = sourceRows[r];
      if (from < 0 || from >= rows) {
        throw new IllegalArgumentException("source row " + from + " of row " + r + " is outside 0.." + (rows - 1));
      }
      for (int l = 0; l < layers; l++) {
        System.arraycopy(spareH, (l * maxRows + from) * decState, rowH, (l * maxRows + r) * decState, decState);
        System.arraycopy(spareC, (l * maxRows + from) * decHidden, rowC, (l * maxRows + r) * decHidden, decHidden);
      }
      System.arraycopy(spareContext, from * context, rowContext, r * context, context);
    }
    rows = count;
  }

  // ---------------------------------------------------------------- forward

  private void setRegion(Region region, String what, int batch, int steps, int[] lengths) {
    if (batch < 1 || batch > maxBatch) {
      throw new IllegalArgumentException("batch must be in [1, " + maxBatch + "], got " + batch);
    }
    if (steps < 1 || steps > maxLength) {
      throw new IllegalArgumentException(what + " steps must be in [1, " + maxLength + "], got " + steps);
    }
    if (lengths != null) {
      if (lengths.length < batch) {
        throw new IllegalArgumentException(what + "_lengths holds " + lengths.length + " values, need " + batch);
      }
      for (int b = 0; b < batch; b++) {
        if (lengths[b] < 1 || lengths[b] > steps) {
          throw new IllegalArgumentException(what + "_lengths[" + b + "] must be in [1, " + steps + "] (the "
              + what + " has " + steps + " steps), got " + lengths[b]);
        }
      }
    }
    region.set(batch, steps, lengths);
  }

  /** Token ids at valid positions must index the vocabulary. */
  private static void checkTokens(String what, int[] ids, int batch, int steps, Region region, int vocabulary) {
    if (ids == null || ids.length < batch * steps) {
      throw new IllegalArgumentException(what + " must hold " + batch + " × " + steps + " token ids, got "
          + (ids == null ? "none" : ids.length));
    }
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < region.length(b); t++) {
        int id = ids[b * steps + t];
        if (id < 0 || id >= vocabulary) {
          throw new IllegalArgumentException(what + " token id at [" + b + ", " + t + "] must be in [0, " + vocabulary
              + "), got " + id);
        }
      }
    }
  }

  private void loadSource(int[] tokens, float[] featureValues) {
    int batch = encRegion.batch;
    int steps = encRegion.steps;
    int width = enc.inputSize();
    double[] input = encIn[0];
    if (enc.hasEmbedding()) {
      if (featureValues != null) {
        throw new IllegalArgumentException("the encoder reads token ids; give source tokens, not features");
      }
      checkTokens("source", tokens, batch, steps, encRegion, enc.vocab());
      double[] embedding = parameters.get(Seq2SeqConfig.ENCODER_EMBEDDING_WEIGHT);
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < steps; t++) {
          int row = encRegion.row(b, t);
          if (encRegion.valid(b, t)) {
            System.arraycopy(embedding, tokens[row] * width, input, row * width, width);
          } else {
            Arrays.fill(input, row * width, (row + 1) * width, 0);
          }
        }
      }
      sourceIds = tokens;
    } else {
      if (featureValues == null || tokens != null) {
        throw new IllegalArgumentException("the encoder reads feature vectors; give source features, not tokens");
      }
      if (featureValues.length < batch * steps * width) {
        throw new IllegalArgumentException("source features must hold " + batch + " × " + steps + " × " + width
            + " values, got " + featureValues.length);
      }
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < steps; t++) {
          int row = encRegion.row(b, t);
          boolean valid = encRegion.valid(b, t);
          for (int i = 0; i < width; i++) {
            input[row * width + i] = valid ? featureValues[row * width + i] : 0;
          }
        }
      }
    }
  }

  private void runEncoder() {
    int cells = encRegion.batch * encRegion.steps;
    for (int l = 0; l < layers; l++) {
      if (l > 0) {
        System.arraycopy(encOut[l - 1], 0, encIn[l], 0, cells * features);
      }
      Arrays.fill(encOut[l], 0, cells * features, 0);
      for (int d = 0; d < dirs; d++) {
        encPasses[l][d].forward(encRegion, encIn[l], encH0, encC0, encOut[l], features, d * encState, encHN, encCN);
      }
    }
    int batch = encRegion.batch;
    for (int l = 0; l < layers; l++) {
      for (int b = 0; b < batch; b++) {
        for (int d = 0; d < dirs; d++) {
          System.arraycopy(encHN, ((l * dirs + d) * batch + b) * encState, summaries,
              (l * batch + b) * context + d * encState, encState);
        }
      }
    }
  }

  /** Decoder initial states [layers, batch, Sd] / [layers, batch, Hd] from the summaries. */
  private void runBridge() {
    int batch = encRegion.batch;
    Arrays.fill(decC0, 0, layers * batch * decHidden, 0);
    if (config.bridge() == Seq2SeqConfig.Bridge.COPY) {
      System.arraycopy(summaries, 0, decH0, 0, layers * batch * context);
      if (config.copiesCellState()) {
        for (int l = 0; l < layers; l++) {
          for (int b = 0; b < batch; b++) {
            for (int d = 0; d < dirs; d++) {
              System.arraycopy(encCN, ((l * dirs + d) * batch + b) * encHidden, decC0,
                  (l * batch + b) * decHidden + d * encHidden, encHidden);
            }
          }
        }
      }
      return;
    }
    double[] weight = parameters.get(Seq2SeqConfig.BRIDGE_WEIGHT);
    double[] bias = parameters.get(Seq2SeqConfig.BRIDGE_BIAS);
    for (int p = 0; p < layers * batch; p++) {
      for (int j = 0; j < decState; j++) {
        double sum = bias[j];
        for (int i = 0; i < context; i++) {
          sum += weight[j * context + i] * summaries[p * context + i];
        }
        bridged[p * decState + j] = sum;
        decH0[p * decState + j] = Math.tanh(sum);
      }
    }
  }

  private void runDecoder() {
    int batch = decRegion.batch;
    int steps = decRegion.steps;
    int cells = batch * steps;
    double[] embedding = parameters.get(Seq2SeqConfig.DECODER_EMBEDDING_WEIGHT);
    double[] input = decIn[0];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < steps; t++) {
        int row = decRegion.row(b, t);
        if (!decRegion.valid(b, t)) {
          Arrays.fill(input, row * decInput, (row + 1) * decInput, 0);
          continue;
        }
        int previous = t == 0 ? config.start() : targetIds[row - 1];
        System.arraycopy(embedding, previous * dim, input, row * decInput, dim);
        if (config.context() == Seq2SeqConfig.Context.EVERY_STEP) {
          System.arraycopy(summaries, ((layers - 1) * batch + b) * context, input, row * decInput + dim, context);
        }
      }
    }
    for (int l = 0; l < layers; l++) {
      if (l > 0) {
        System.arraycopy(decOut[l - 1], 0, decIn[l], 0, cells * decState);
      }
      Arrays.fill(decOut[l], 0, cells * decState, 0);
      decPasses[l].forward(decRegion, decIn[l], decH0, decC0, decOut[l], decState, 0, decHN, decCN);
    }
    Arrays.fill(logits, 0, cells * vocab, 0);
    Arrays.fill(prediction, 0, cells * vocab, 0);
    double[] top = decOut[layers - 1];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < decRegion.length(b); t++) {
        int row = decRegion.row(b, t);
        head.forward(top, row * decState, logits, prediction, row * vocab);
      }
    }
  }

  // ---------------------------------------------------------------- backward

  private void runBackward() {
    for (double[] g : gradientArrays) {
      Arrays.fill(g, 0);
    }
    int batch = decRegion.batch;
    int cells = batch * decRegion.steps;
    double[] dTop = dDecOut[layers - 1];
    Arrays.fill(dTop, 0, cells * decState, 0);
    double[] top = decOut[layers - 1];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < decRegion.length(b); t++) {
        int row = decRegion.row(b, t);
        head.backward(top, row * decState, dLogits, row * vocab, dTop, row * decState);
      }
    }
    Arrays.fill(decDhN, 0);
    Arrays.fill(decDcN, 0);
    for (int l = layers - 1; l >= 0; l--) {
      Arrays.fill(dDecIn[l], 0, cells * dec.layerInputSize(l), 0);
      decPasses[l].backward(decRegion, decIn[l], decH0, decC0, dDecOut[l], decState, 0, decDhN, decDcN, dDecIn[l],
          decDh0, decDc0);
      if (l > 0) {
        System.arraycopy(dDecIn[l], 0, dDecOut[l - 1], 0, cells * decState);
      }
    }
    Arrays.fill(dSummaries, 0, layers * batch * context, 0);
    backDecoderInput();
    backBridge();
    backEncoder();
  }

  /** The decoder's input gradient goes to the embedding rows of the previous tokens (and to s_last). */
  private void backDecoderInput() {
    int batch = decRegion.batch;
    double[] g = gradients.get(Seq2SeqConfig.DECODER_EMBEDDING_WEIGHT);
    double[] dInput = dDecIn[0];
    boolean everyStep = config.context() == Seq2SeqConfig.Context.EVERY_STEP;
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < decRegion.length(b); t++) {
        int row = decRegion.row(b, t);
        int previous = t == 0 ? config.start() : targetIds[row - 1];
        for (int i = 0; i < dim; i++) {
          g[previous * dim + i] += dInput[row * decInput + i];
        }
        if (everyStep) {
          int at = ((layers - 1) * batch + b) * context;
          for (int i = 0; i < context; i++) {
            dSummaries[at + i] += dInput[row * decInput + dim + i];
          }
        }
      }
    }
  }

  /** dLoss/d(decoder h0, c0) back to the summaries (and the encoder's c_n for a copied cell state). */
  private void backBridge() {
    int batch = decRegion.batch;
    Arrays.fill(encDhN, 0);
    Arrays.fill(encDcN, 0);
    if (config.bridge() == Seq2SeqConfig.Bridge.COPY) {
      for (int i = 0; i < layers * batch * context; i++) {
        dSummaries[i] += decDh0[i];
      }
      if (config.copiesCellState()) {
        for (int l = 0; l < layers; l++) {
          for (int b = 0; b < batch; b++) {
            for (int d = 0; d < dirs; d++) {
              System.arraycopy(decDc0, (l * batch + b) * decHidden + d * encHidden, encDcN,
                  ((l * dirs + d) * batch + b) * encHidden, encHidden);
            }
          }
        }
      }
    } else {
      double[] weight = parameters.get(Seq2SeqConfig.BRIDGE_WEIGHT);
      double[] gWeight = gradients.get(Seq2SeqConfig.BRIDGE_WEIGHT);
      double[] gBias = gradients.get(Seq2SeqConfig.BRIDGE_BIAS);
      for (int p = 0; p < layers * batch; p++) {
        for (int j = 0; j < decState; j++) {
          double h = decH0[p * decState + j];
          double delta = decDh0[p * decState + j] * (1 - h * h);
          gBias[j] += delta;
          for (int i = 0; i < context; i++) {
            gWeight[j * context + i] += delta * summaries[p * context + i];
            dSummaries[p * context + i] += delta * weight[j * context + i];
          }
        }
      }
    }
    for (int l = 0; l < layers; l++) {
      for (int b = 0; b < batch; b++) {
        for (int d = 0; d < dirs; d++) {
          System.arraycopy(dSummaries, (l * batch + b) * context + d * encState, encDhN,
              ((l * dirs + d) * batch + b) * encState, encState);
        }
      }
    }
  }

  private void backEncoder() {
    int cells = encRegion.batch * encRegion.steps;
    Arrays.fill(dEncOut[layers - 1], 0, cells * features, 0);
    for (int l = layers - 1; l >= 0; l--) {
      Arrays.fill(dEncIn[l], 0, cells * enc.layerInputSize(l), 0);
      for (int d = 0; d < dirs; d++) {
        encPasses[l][d].backward(encRegion, encIn[l], encH0, encC0, dEncOut[l], features, d * encState, encDhN,
            encDcN, dEncIn[l], encDh0, encDc0);
      }
      if (l > 0) {
        System.arraycopy(dEncIn[l], 0, dEncOut[l - 1], 0, cells * features);
      }
    }
    if (enc.hasEmbedding()) {
      double[] g = gradients.get(Seq2SeqConfig.ENCODER_EMBEDDING_WEIGHT);
      int width = enc.inputSize();
      for (int b = 0; b < encRegion.batch; b++) {
        for (int t = 0; t < encRegion.length(b); t++) {
          int row = encRegion.row(b, t);
          for (int i = 0; i < width; i++) {
            g[sourceIds[row] * width + i] += dEncIn[0][row * width + i];
          }
        }
      }
    }
  }
}
