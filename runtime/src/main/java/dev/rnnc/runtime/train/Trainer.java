package dev.rnnc.runtime.train;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.TrainableModel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Trains a {@link TrainableModel} on a {@link Dataset}: each step fills a reused {@link Batch}, runs
 * {@link TrainableModel#computeGradients}, refuses non-finite losses or gradients, clips if asked, lets the
 * {@link Optimizer} update the master {@link ModelParameters} and copies them into the model. After
 * construction a step allocates nothing of its own.
 *
 * <p><b>Batches.</b> With batch size 0 every step uses the whole dataset in order (full-batch). Otherwise
 * each epoch visits a fresh permutation of the sequences, drawn by Fisher–Yates from one
 * {@code SplittableRandom(seed)} (the permutation is reset to the identity before each shuffle, so epoch
 * {@code e}'s order depends only on the seed and {@code e}), cut into batches of that size; the last, partial batch of an
 * epoch is used too. A batch's padded length is its longest sequence's.
 *
 * <p><b>Truncated BPTT.</b> When the spec's {@code training.truncate} T' is above 0, a batch is processed in
 * consecutive windows of T' steps ({@code [0, T')}, {@code [T', 2T')}, ..., the last one shorter), one
 * optimiser step per window. A window holds only the sequences still running at its start ({@code length >
 * start}); each holds {@code min(T', length − start)} valid steps. Its initial state is the final state of
 * the same sequence's previous window (the dataset's {@code h0}/{@code c0}, or zeros, for the first), taken
 * from the model's {@code hN()}/{@code cN()} after the previous window's gradient computation, i.e. with the
 * weights before that window's update, and used as a constant: no gradient flows across a window boundary
 * (PyTorch's {@code h = h.detach()} between chunks). The loss of a window is the mean over its own valid
 * positions. Truncation needs a unidirectional many-to-many model (a backward direction or a single final
 * output cannot be cut into independent windows).
 *
 * <p>Clipping, when both are set, clamps values first and then rescales the norm.
 *
 * <p>To use several cores, give it a {@link DataParallel} model: each batch (window) is then split across
 * threads with the same loss and gradients (up to float rounding; dropout masks differ).
 */
public final class Trainer {

  /**
   * How to train.
   *
   * @param batchSize sequences per step, 0 for the whole dataset every step
   * @param seed      seeds the shuffling and the dropout masks
   * @param clipNorm  {@code clip_grad_norm_} limit, 0 for none
   * @param clipValue {@code clip_grad_value_} limit, 0 for none
   */
  public record Options(int batchSize, long seed, double clipNorm, double clipValue) {
    public Options {
      if (batchSize < 0) {
        throw new RnncException("batch size must be >= 0 (0 = full batch), got " + batchSize);
      }
      if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
        throw new RnncException("gradient clipping norm must be a finite number >= 0 (0 = none), got " + clipNorm);
      }
      if (!(clipValue >= 0) || Double.isInfinite(clipValue)) {
        throw new RnncException("gradient clipping value must be a finite number >= 0 (0 = none), got " + clipValue);
      }
    }

    /** Full-batch, no clipping, seed 0. */
    public static Options fullBatch() {
      return new Options(0, 0, 0, 0);
    }

    /** Shuffled mini-batches of {@code size}, no clipping. */
    public static Options miniBatches(int size, long seed) {
      if (size < 1) {
        throw new RnncException("batch size must be >= 1, got " + size);
      }
      return new Options(size, seed, 0, 0);
    }

    public Options withClipNorm(double maxNorm) {
      return new Options(batchSize, seed, maxNorm, clipValue);
    }

    public Options withClipValue(double clip) {
      return new Options(batchSize, seed, clipNorm, clip);
    }
  }

  /** Called after every optimiser step. */
  @FunctionalInterface
  public interface Progress {
    /**
     * @param step              optimiser steps done so far (1-based number of the step just taken)
     * @param loss              that step's loss
     * @param sequencesPerSecond sequences whose batch completed, per second, since the current {@code train} call began
     */
    void onStep(long step, double loss, double sequencesPerSecond);
  }

  private final TrainableModel model;
  private final ModelParameters params;
  private final Optimizer optimizer;
  private final Dataset data;
  private final Options options;
  private final ModelConfig config;
  private final boolean truncated;
  private final boolean perStep;
  private final int capacity;
  private final int stateRows;

  private final Batch batch = new Batch();
  private final int[] lengthBuffer;
  private final float[] h0Buffer;
  private final float[] c0Buffer;

  private final SplittableRandom random;
  private final int[] order;
  private long epoch;
  /** Whether the batch in progress is its epoch's last. */
  private boolean batchEndsEpoch;
  private int nextInEpoch;
  private long batchesDone;
  private double sequencesDone;

  /** The batch in progress: dataset rows, and which of them the current window holds. */
  private final int[] rows;
  private int rowCount;
  private int batchSteps;
  private int windowStart = -1;
  private final int[] active;
  /** Carried state of the batch in progress {@code [layers*dirs, capacity, H]} (truncated BPTT only). */
  private final float[] carryH;
  private final float[] carryC;

  /** {@link #evaluate}'s own rows and carried state, so evaluating never disturbs a batch in progress. */
  private int[] evalRows;
  private float[] evalH;
  private float[] evalC;

  private ModelParameters grads;
  private float[][] gradArrays;
  private NonFiniteCheck check;
  private double lastNorm = Double.NaN;

  /**
   * @param params the master copy of the weights: updated in place by each step and copied into the model
   * @throws RnncException when the model, weights and data do not belong together or the batch or window does
   *     not fit the model's limits
   */
  public Trainer(TrainableModel model, ModelParameters params, Optimizer optimizer, Dataset data, Options options) {
    this.model = model;
    this.params = params;
    this.optimizer = optimizer;
    this.data = data;
    this.options = options;
    this.config = model.config();
    if (config.training() == null) {
      throw new RnncException("the model has no training section: no loss to train with");
    }
    if (!sameModel(data.config(), config)) {
      throw new RnncException("the dataset was prepared for another model");
    }
    if (!params.names().equals(config.parameterNames())) {
      throw new RnncException("the weights belong to another model: " + params.names() + " vs "
          + config.parameterNames());
    }
    int truncate = config.training().truncate();
    this.truncated = truncate > 0;
    this.perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    if (truncated && (config.bidirectional() || !perStep)) {
      throw new RnncException("training.truncate needs a unidirectional many-to-many model (a "
          + (config.bidirectional() ? "bidirectional model's backward direction" : "many-to-one model's single output")
          + " cannot be split into windows); set truncate to 0");
    }
    this.capacity = options.batchSize() == 0 ? data.size() : Math.min(options.batchSize(), data.size());
    if (capacity > model.maxBatch()) {
      throw new RnncException((options.batchSize() == 0 ? "full-batch training over " + data.size() + " sequences"
          : "batch size " + capacity) + " exceeds the model's max_batch " + model.maxBatch()
          + (options.batchSize() == 0 ? "; use mini-batches" : ""));
    }
    int window = truncated ? Math.min(truncate, data.steps()) : data.steps();
    if (window > model.maxLength()) {
      throw new RnncException((truncated ? "training.truncate " + truncate : "sequences of " + data.steps() + " steps")
          + " exceed the model's max_length " + model.maxLength()
          + (truncated ? "" : "; raise max_length or set training.truncate"));
    }
    this.stateRows = config.layers() * config.directions();
    int stateSize = stateRows * capacity * config.hidden();
    boolean hasState = truncated || data.h0() != null || data.c0() != null;
    this.h0Buffer = hasState ? new float[stateSize] : null;
    this.c0Buffer = hasState && config.hasCellState() ? new float[stateSize] : null;
    this.carryH = truncated ? new float[stateSize] : null;
    this.carryC = truncated && config.hasCellState() ? new float[stateSize] : null;
    if (config.hasEmbedding()) {
      batch.tokens = new int[capacity * window];
    } else {
      batch.input = new float[capacity * window * config.inputSize()];
    }
    int positions = perStep ? capacity * window : capacity;
    if (config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY) {
      batch.classTargets = new int[positions];
    } else {
      batch.valueTargets = new float[positions * config.outputSize()];
    }
    this.lengthBuffer = new int[capacity];
    this.rows = new int[capacity];
    this.active = new int[capacity];
    this.order = new int[data.size()];
    this.random = new SplittableRandom(options.seed());
    if (config.training().dropout() > 0) {
      model.setDropoutSeed(options.seed());
    }
    model.setParameters(params);
  }

  private static boolean sameModel(ModelConfig a, ModelConfig b) {
    return a.withLimits(1, 1).equals(b.withLimits(1, 1));
  }

  /**
   * One optimiser step (one window with truncated BPTT).
   *
   * @return its loss
   * @throws RnncException naming the step when the loss or a gradient is not finite; nothing was updated then
   */
  public double step() {
    if (windowStart < 0) {
      startBatch();
    }
    int start = windowStart;
    int len = truncated ? Math.min(config.training().truncate(), batchSteps - start) : batchSteps;
    int n = 0;
    for (int r = 0; r < rowCount; r++) {
      if (data.length(rows[r]) > start) {
        active[n++] = r;
      }
    }
    fill(rows, n, start, len, carryH, carryC);
    float loss = model.computeGradients(batch);
    bindGradients();
    check.check(optimizer.steps() + 1, loss);
    if (options.clipValue() > 0) {
      GradientClipping.clipValue(gradArrays, options.clipValue());
    }
    if (options.clipNorm() > 0) {
      lastNorm = GradientClipping.clipNorm(gradArrays, options.clipNorm());
    }
    optimizer.step(params, grads);
    model.setParameters(params);
    if (truncated) {
      scatterState(n);
    }
    windowStart = start + len;
    if (windowStart >= batchSteps) {
      finishBatch();
      sequencesDone += rowCount;
    }
    return loss;
  }

  /**
   * Runs {@code steps} optimiser steps.
   *
   * @param progress called after each step, or null
   * @return the last step's loss (NaN when {@code steps} is 0)
   */
  public double train(long steps, Progress progress) {
    long begin = System.nanoTime();
    double sequencesAtBegin = sequencesDone;
    double loss = Double.NaN;
    for (long s = 0; s < steps; s++) {
      loss = step();
      if (progress != null) {
        report(progress, loss, begin, sequencesAtBegin);
      }
    }
    return loss;
  }

  /**
   * Trains until {@code epochs} more epochs have ended (from the start, that is {@code epochs} full passes over
   * the data; a batch in progress is finished first).
   *
   * @return the last step's loss
   */
  public double trainEpochs(int epochs, Progress progress) {
    long begin = System.nanoTime();
    double sequencesAtBegin = sequencesDone;
    long target = epoch + epochs;
    double loss = Double.NaN;
    while (epoch < target) {
      loss = step();
      if (progress != null) {
        report(progress, loss, begin, sequencesAtBegin);
      }
    }
    return loss;
  }

  private void report(Progress progress, double loss, long begin, double sequencesAtBegin) {
    double seconds = (System.nanoTime() - begin) * 1e-9;
    progress.onStep(optimizer.steps(), loss, seconds > 0 ? (sequencesDone - sequencesAtBegin) / seconds : 0);
  }

  /**
   * The mean loss over the whole dataset with the current weights, without updating them: batches of at most
   * the trainer's batch size in dataset order (windows with carried state under truncated BPTT), each batch's
   * loss weighted by its valid positions, so the result is the loss of one batch holding everything. The model's
   * gradients are overwritten; with dropout the masks are applied as in training.
   */
  public double evaluate() {
    if (evalRows == null) {
      evalRows = new int[capacity];
      evalH = truncated ? new float[carryH.length] : null;
      evalC = carryC != null ? new float[carryC.length] : null;
    }
    double weighted = 0;
    long weights = 0;
    for (int first = 0; first < data.size(); first += capacity) {
      int count = Math.min(capacity, data.size() - first);
      int longest = 0;
      for (int r = 0; r < count; r++) {
        evalRows[r] = first + r;
        longest = Math.max(longest, data.length(first + r));
      }
      if (truncated) {
        initialState(evalRows, count, evalH, evalC);
      }
      int window = truncated ? config.training().truncate() : longest;
      for (int start = 0; start < longest; start += window) {
        int len = Math.min(window, longest - start);
        int n = 0;
        for (int r = 0; r < count; r++) {
          if (data.length(evalRows[r]) > start) {
            active[n++] = r;
          }
        }
        fill(evalRows, n, start, len, evalH, evalC);
        double loss = model.computeGradients(batch);
        long valid = 0;
        for (int i = 0; i < n; i++) {
          valid += perStep ? lengthBuffer[i] : 1;
        }
        weighted += loss * valid;
        weights += valid;
        if (truncated) {
          scatter(model.hN(), evalH, n);
          if (evalC != null) {
            scatter(model.cN(), evalC, n);
          }
        }
      }
    }
    return weighted / weights;
  }

  private void startBatch() {
    if (options.batchSize() == 0) {
      rowCount = data.size();
      for (int r = 0; r < rowCount; r++) {
        rows[r] = r;
      }
      batchEndsEpoch = true;
    } else {
      if (nextInEpoch == 0) {
        shuffle();
      }
      rowCount = Math.min(capacity, data.size() - nextInEpoch);
      System.arraycopy(order, nextInEpoch, rows, 0, rowCount);
      nextInEpoch += rowCount;
      batchEndsEpoch = nextInEpoch == data.size();
      if (batchEndsEpoch) {
        nextInEpoch = 0;
      }
    }
    batchSteps = 0;
    for (int r = 0; r < rowCount; r++) {
      batchSteps = Math.max(batchSteps, data.length(rows[r]));
    }
    windowStart = 0;
    if (truncated) {
      initialState(rows, rowCount, carryH, carryC);
    }
  }

  private void shuffle() {
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }

  /** The dataset's initial state of each row (zeros without one) into a carry array {@code [stateRows, capacity, H]}. */
  private void initialState(int[] batchRows, int count, float[] h, float[] c) {
    copyInitial(data.h0(), batchRows, count, h);
    if (c != null) {
      copyInitial(data.c0(), batchRows, count, c);
    }
  }

  private void copyInitial(float[] source, int[] batchRows, int count, float[] target) {
    int hidden = config.hidden();
    for (int l = 0; l < stateRows; l++) {
      for (int r = 0; r < count; r++) {
        int to = (l * capacity + r) * hidden;
        if (source == null) {
          Arrays.fill(target, to, to + hidden, 0f);
        } else {
          System.arraycopy(source, (l * data.size() + batchRows[r]) * hidden, target, to, hidden);
        }
      }
    }
  }

  /**
   * Copies the window {@code [start, start+len)} of the {@code n} active rows ({@code batchRows[active[i]]}) into
   * the batch, with initial states from the carry arrays (truncated BPTT) or the dataset.
   */
  private void fill(int[] batchRows, int n, int start, int len, float[] carryHidden, float[] carryCell) {
    int steps = data.steps();
    int inputSize = config.inputSize();
    int k = config.outputSize();
    boolean allFull = true;
    for (int i = 0; i < n; i++) {
      int row = batchRows[active[i]];
      int valid = Math.min(len, data.length(row) - start);
      lengthBuffer[i] = valid;
      allFull &= valid == len;
      int from = row * steps + start;
      if (batch.tokens != null) {
        System.arraycopy(data.tokens(), from, batch.tokens, i * len, len);
      } else {
        System.arraycopy(data.input(), from * inputSize, batch.input, i * len * inputSize, len * inputSize);
      }
      if (batch.classTargets != null) {
        if (perStep) {
          System.arraycopy(data.classTargets(), from, batch.classTargets, i * len, len);
        } else {
          batch.classTargets[i] = data.classTargets()[row];
        }
      } else if (perStep) {
        System.arraycopy(data.valueTargets(), from * k, batch.valueTargets, i * len * k, len * k);
      } else {
        System.arraycopy(data.valueTargets(), row * k, batch.valueTargets, i * k, k);
      }
    }
    batch.batch = n;
    batch.steps = len;
    batch.lengths = allFull ? null : lengthBuffer;
    batch.h0 = null;
    batch.c0 = null;
    if (truncated) {
      batch.h0 = gather(carryHidden, capacity, n, h0Buffer, null);
      batch.c0 = carryCell == null ? null : gather(carryCell, capacity, n, c0Buffer, null);
    } else {
      if (data.h0() != null) {
        batch.h0 = gather(data.h0(), data.size(), n, h0Buffer, batchRows);
      }
      if (data.c0() != null) {
        batch.c0 = gather(data.c0(), data.size(), n, c0Buffer, batchRows);
      }
    }
  }

  /**
   * Gathers state rows {@code [stateRows, n, H]} from {@code source [stateRows, width, H]}: row {@code active[i]}
   * (carry arrays) or dataset row {@code batchRows[active[i]]}.
   */
  private float[] gather(float[] source, int width, int n, float[] target, int[] batchRows) {
    int hidden = config.hidden();
    for (int l = 0; l < stateRows; l++) {
      for (int i = 0; i < n; i++) {
        int row = batchRows == null ? active[i] : batchRows[active[i]];
        System.arraycopy(source, (l * width + row) * hidden, target, (l * n + i) * hidden, hidden);
      }
    }
    return target;
  }

  private void scatterState(int n) {
    scatter(model.hN(), carryH, n);
    if (carryC != null) {
      scatter(model.cN(), carryC, n);
    }
  }

  /** The model's final states {@code [stateRows, n, H]} back into carry rows {@code active[i]}. */
  private void scatter(float[] finalState, float[] carry, int n) {
    int hidden = config.hidden();
    for (int l = 0; l < stateRows; l++) {
      for (int i = 0; i < n; i++) {
        System.arraycopy(finalState, (l * n + i) * hidden, carry, (l * capacity + active[i]) * hidden, hidden);
      }
    }
  }

  private void bindGradients() {
    ModelParameters current = model.gradients();
    if (current != grads) {
      grads = current;
      gradArrays = GradientClipping.arrays(current);
      check = new NonFiniteCheck(current);
    }
  }

  /** Optimiser steps done (including those before a resume). */
  public long steps() {
    return optimizer.steps();
  }

  /** Completed passes over the data. */
  public long epochs() {
    return epoch;
  }

  /** Batches completed, the position to {@link #skipBatches} to when resuming. */
  public long batchesDone() {
    return batchesDone;
  }

  /**
   * Advances the batch order by {@code count} batches without training, so a resumed run sees the same batches
   * as an uninterrupted one. Only between batches.
   */
  public void skipBatches(long count) {
    if (windowStart >= 0) {
      throw new IllegalStateException("a batch is in progress");
    }
    for (long b = 0; b < count; b++) {
      startBatch();
      finishBatch();
    }
  }

  private void finishBatch() {
    windowStart = -1;
    batchesDone++;
    if (batchEndsEpoch) {
      epoch++;
    }
  }

  /** Total gradient norm before clipping at the last step (NaN unless norm clipping is on). */
  public double lastGradientNorm() {
    return lastNorm;
  }

  public ModelParameters parameters() {
    return params;
  }

  public Optimizer optimizer() {
    return optimizer;
  }
}
