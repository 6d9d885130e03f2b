package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import java.util.List;

/**
 * The double-precision {@link ReferenceSeq2Seq} behind the single-precision {@link Seq2SeqModel} interface: what
 * {@code rnnc --reference} runs for encoder–decoder specs, and the yardstick the generated class is compared with.
 *
 * <p>Results are float copies of the reference's double arrays, made into buffers allocated on construction (no call
 * allocates). Parameters: {@link #parameters()} is a float {@link Seq2SeqParameters} owned by this adapter; the
 * double model is brought in sync with it at the start of every {@link #teacherForce}, {@link #computeGradients} and
 * {@link #encode} (one conversion pass over the weights, far cheaper than the double arithmetic that follows). So a
 * write to a {@code parameters()} array — an optimiser step — takes effect at the next of those calls, as the
 * interface promises; {@link #step} and {@link #decodeGreedy} keep using the weights {@link #encode} saw.
 */
public final class ReferenceSeq2SeqModel implements Seq2SeqModel {
  private final ReferenceSeq2Seq reference;
  private final Seq2SeqConfig config;
  private final int maxBatch;
  private final int maxLength;
  private final Seq2SeqParameters parameters;
  private final Seq2SeqParameters gradients;
  /** Parallel arrays: float parameter, its double twin in the reference, its float gradient, its double gradient. */
  private final float[][] floatParameters;
  private final double[][] doubleParameters;
  private final float[][] floatGradients;
  private final double[][] doubleGradients;

  private final float[] logits;
  private final float[] prediction;
  private final float[] decoderHN;
  private final float[] decoderCN;
  private final float[] encoderHN;
  private final float[] encoderCN;
  private final float[] sourceGradient;
  private float loss;

  /** An instance with the config's limits, decoding up to max_batch rows (no beam wider than 1). */
  public ReferenceSeq2SeqModel(Seq2SeqParameters parameters) {
    this(parameters, parameters.config().maxBatch(), parameters.config().maxLength(), parameters.config().maxBatch());
  }

  /**
   * @param parameters copied: the instance owns its parameters
   * @param maxRows    decoder rows for step-wise decoding: max batch × the widest beam
   */
  public ReferenceSeq2SeqModel(Seq2SeqParameters parameters, int maxBatch, int maxLength, int maxRows) {
    this.reference = new ReferenceSeq2Seq(parameters, maxBatch, maxLength, maxRows);
    this.config = parameters.config();
    this.maxBatch = maxBatch;
    this.maxLength = maxLength;
    this.parameters = parameters.copy();
    this.gradients = Seq2SeqParameters.zeros(config);
    List<String> names = config.parameterNames();
    int n = names.size();
    floatParameters = new float[n][];
    doubleParameters = new double[n][];
    floatGradients = new float[n][];
    doubleGradients = new double[n][];
    for (int i = 0; i < n; i++) {
      floatParameters[i] = this.parameters.get(names.get(i));
      doubleParameters[i] = reference.parameter(names.get(i));
      floatGradients[i] = gradients.get(names.get(i));
      doubleGradients[i] = reference.gradient(names.get(i));
    }
    int cells = maxBatch * maxLength;
    int layers = config.layers();
    int dirs = config.encoder().directions();
    logits = new float[cells * config.targetVocab()];
    prediction = new float[cells * config.targetVocab()];
    decoderHN = new float[layers * maxBatch * config.decoder().stateSize()];
    decoderCN = new float[layers * maxBatch * config.decoder().hidden()];
    encoderHN = new float[layers * dirs * maxBatch * config.encoder().stateSize()];
    encoderCN = new float[layers * dirs * maxBatch * config.encoder().hidden()];
    sourceGradient = config.sourceTokens() ? null : new float[cells * config.encoder().inputSize()];
  }

  @Override
  public Seq2SeqConfig config() {
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
  public float teacherForce(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps,
      int[] sourceLengths, int[] target, int targetSteps, int[] targetLengths) {
    syncParameters();
    loss = (float) reference.teacherForce(sourceTokens, sourceFeatures, batch, sourceSteps, sourceLengths, target,
        targetSteps, targetLengths);
    copyOutputs(batch, targetSteps);
    return loss;
  }

  @Override
  public float computeGradients(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps,
      int[] sourceLengths, int[] target, int targetSteps, int[] targetLengths) {
    syncParameters();
    loss = (float) reference.computeGradients(sourceTokens, sourceFeatures, batch, sourceSteps, sourceLengths, target,
        targetSteps, targetLengths);
    copyOutputs(batch, targetSteps);
    for (int i = 0; i < floatGradients.length; i++) {
      narrow(doubleGradients[i], floatGradients[i], floatGradients[i].length);
    }
    if (sourceGradient != null) {
      narrow(reference.sourceGradient(), sourceGradient, batch * sourceSteps * config.encoder().inputSize());
    }
    return loss;
  }

  @Override
  public float loss() {
    return loss;
  }

  @Override
  public float[] logits() {
    return logits;
  }

  @Override
  public float[] prediction() {
    return prediction;
  }

  @Override
  public float[] decoderHN() {
    return decoderHN;
  }

  @Override
  public float[] decoderCN() {
    return decoderCN;
  }

  @Override
  public float[] encoderHN() {
    return encoderHN;
  }

  @Override
  public float[] encoderCN() {
    return encoderCN;
  }

  @Override
  public Seq2SeqParameters parameters() {
    return parameters;
  }

  @Override
  public void setParameters(Seq2SeqParameters replacement) {
    if (!replacement.config().equals(config)) {
      throw new IllegalArgumentException("parameters of another encoder–decoder model");
    }
    parameters.copyFrom(replacement);
  }

  @Override
  public Seq2SeqParameters gradients() {
    return gradients;
  }

  @Override
  public float[] sourceGradient() {
    return sourceGradient;
  }

  @Override
  public void encode(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps, int[] sourceLengths) {
    syncParameters();
    reference.encode(sourceTokens, sourceFeatures, batch, sourceSteps, sourceLengths);
    copyEncoderStates(batch);
  }

  @Override
  public void decodeGreedy(int[] tokensOut, int[] lengthsOut) {
    reference.decodeGreedy(tokensOut, lengthsOut);
  }

  @Override
  public int vocabulary() {
    return reference.vocabulary();
  }

  @Override
  public int maxRows() {
    return reference.maxRows();
  }

  @Override
  public void step(int[] tokens, int rows, float[] logProbsOut) {
    reference.step(tokens, rows, logProbsOut);
  }

  @Override
  public void reorder(int[] sourceRows, int rows) {
    reference.reorder(sourceRows, rows);
  }

  /** The double model's parameters := this adapter's float ones (see the class comment). */
  private void syncParameters() {
    for (int i = 0; i < floatParameters.length; i++) {
      float[] from = floatParameters[i];
      double[] to = doubleParameters[i];
      for (int j = 0; j < from.length; j++) {
        to[j] = from[j];
      }
    }
  }

  private void copyOutputs(int batch, int targetSteps) {
    int cells = batch * targetSteps * config.targetVocab();
    narrow(reference.logits(), logits, cells);
    narrow(reference.prediction(), prediction, cells);
    int layers = config.layers();
    narrow(reference.decoderHN(), decoderHN, layers * batch * config.decoder().stateSize());
    narrow(reference.decoderCN(), decoderCN, layers * batch * config.decoder().hidden());
    copyEncoderStates(batch);
  }

  private void copyEncoderStates(int batch) {
    int rows = config.layers() * config.encoder().directions() * batch;
    narrow(reference.encoderHN(), encoderHN, rows * config.encoder().stateSize());
    narrow(reference.encoderCN(), encoderCN, rows * config.encoder().hidden());
  }

  private static void narrow(double[] from, float[] to, int count) {
    for (int i = 0; i < count; i++) {
      to[i] = (float) from[i];
    }
  }
}
