package dev.rnnc.runtime.train;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.DropoutMask;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

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
 * <p>Clipping, when both are set, clamps values first and then rescales the norm. A
 * {@link LearningRateSchedule} sets the optimiser's rate before each step from the step number.
 *
 * <p><b>Dropout.</b> Before each step the model is reseeded with {@link DropoutMask#seedForCall}{@code (seed,
 * step)}, so step {@code s} draws the masks a model seeded once with {@code seed} draws at its {@code s}-th call,
 * whatever else (evaluation, an earlier process) ran before it.
 *
 * <p><b>Metrics and validation.</b> Each step adds its batch to running training {@link Metric}s (read from the
 * outputs the gradient computation produced, before the update, like Keras' running figures); {@link #evaluate}
 * runs a dataset through the forward pass only (no dropout, no gradients). {@link #fit} trains to a step or epoch
 * count with evaluation points, early stopping on a validation metric, and periodic checkpoints.
 *
 * <p><b>Resuming.</b> {@link #saveCheckpoint} writes everything a run depends on — weights, optimiser state, the
 * position in the batch order (the shuffles replay from the seed), the recurrent state carried inside a
 * truncated-BPTT batch, the running training metrics and the early-stopping state; the dropout masks and the
 * learning rate follow from the step number. A new trainer over the same model, data and settings that
 * {@link #resume}s from it continues exactly as the saved one would have: the final weights are bit for bit those
 * of an uninterrupted run. {@link #requestStop} (safe from any thread, e.g. a signal handler) makes {@link #fit}
 * stop after the step in progress and write a last checkpoint.
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


  /** Called after every optimiser step, and after every evaluation of {@link #fit}. */
  @FunctionalInterface
  public interface Progress {
    /**
     * @param step              optimiser steps done so far (1-based number of the step just taken)
     * @param loss              that step's loss
     * @param sequencesPerSecond sequences whose batch completed, per second, since the current {@code train} call began
     */
    void onStep(long step, double loss, double sequencesPerSecond);

    /** An evaluation point of {@link #fit} (training figures since the previous one, validation figures). */
    default void onEvaluation(Evaluation evaluation) {}
  }

  /**
   * One evaluation point of {@link #fit}.
   *
   * @param step         optimiser steps done
   * @param epoch        completed passes over the training data
   * @param learningRate the rate of the last step
   * @param train        running training figures since the previous evaluation point
   * @param validation   the validation set's figures, or null without one
   * @param improved     whether the monitored validation metric improved on the best so far
   */
  public record Evaluation(long step, long epoch, double learningRate, Scores train, Scores validation,
      boolean improved) {}

  /** Why {@link #fit} returned. */
  public enum StopReason {
    /** The step or epoch count was reached. */
    COMPLETED,
    /** The monitored validation metric stopped improving (now or in the run a checkpoint resumed). */
    EARLY_STOPPED,
    /** {@link #requestStop} was called; a last checkpoint was written when checkpointing was set up. */
    INTERRUPTED
  }

  /**
   * What {@link #fit} did.
   *
   * @param steps       optimiser steps done (including those before a resume)
   * @param epochs      completed passes over the training data
   * @param reason      why it stopped
   * @param lastLoss    the last step's loss (NaN when no step was taken)
   * @param train       training figures since the last evaluation point (over the last interval), or null
   * @param validation  the validation set's figures with the final weights, or null without one
   * @param best        the best validation figures of an evaluation point, or null
   * @param bestStep    the step of {@code best}, or -1
   * @param evaluations the evaluation points of this call, in order
   */
  public record Summary(long steps, long epochs, StopReason reason, double lastLoss, Scores train, Scores validation,
      Scores best, long bestStep, List<Evaluation> evaluations) {}

  /**
   * What {@link #fit} does beyond taking steps. Start with {@link #steps} or {@link #epochs}; the other settings
   * are optional.
   */
  public static final class Fit {
    private final long steps;
    private final long epochs;
    private Dataset validation;
    private long evalEvery;
    private Metric monitor = Metric.LOSS;
    private int patience;
    private double minDelta;
    private long checkpointEvery;
    private Consumer<Trainer> checkpoint;
    private Consumer<Trainer> onImprovement;

    private Fit(long steps, long epochs) {
      this.steps = steps;
      this.epochs = epochs;
    }

    /** Train until {@code total} optimiser steps are done (counting those before a resume). */
    public static Fit steps(long total) {
      if (total < 0) {
        throw new RnncException("steps must be >= 0, got " + total);
      }
      return new Fit(total, -1);
    }

    /** Train until {@code total} passes over the data are complete (counting those before a resume). */
    public static Fit epochs(long total) {
      if (total < 0) {
        throw new RnncException("epochs must be >= 0, got " + total);
      }
      return new Fit(-1, total);
    }

    /** Measure this dataset (forward pass only) at each evaluation point. */
    public Fit validation(Dataset set) {
      this.validation = set;
      return this;
    }

    /** Evaluate every {@code every} steps; 0 (the default) at the end of each epoch. */
    public Fit evalEvery(long every) {
      if (every < 0) {
        throw new RnncException("the evaluation interval must be >= 0 steps (0 = each epoch), got " + every);
      }
      this.evalEvery = every;
      return this;
    }

    /**
     * Stop when the validation {@code metric} has not improved by more than {@code minDelta} (absolute) for
     * {@code patience} evaluation points in a row (Keras' EarlyStopping); 0 patience only tracks the best.
     */
    public Fit earlyStopping(Metric metric, int patience, double minDelta) {
      if (patience < 0) {
        throw new RnncException("patience must be >= 0 evaluations, got " + patience);
      }
      if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
        throw new RnncException("min-delta must be a finite number >= 0, got " + minDelta);
      }
      this.monitor = metric;
      this.patience = patience;
      this.minDelta = minDelta;
      return this;
    }

    /**
     * Calls {@code save} (typically {@code t -> t.saveCheckpoint(file)}) every {@code every} steps (0 = only when
     * stopped by {@link #requestStop}) and after a stop request.
     */
    public Fit checkpoints(long every, Consumer<Trainer> save) {
      if (every < 0) {
        throw new RnncException("the checkpoint interval must be >= 0 steps, got " + every);
      }
      this.checkpointEvery = every;
      this.checkpoint = save;
      return this;
    }

    /** Calls {@code save} whenever the monitored validation metric reaches a new best (to keep the best weights). */
    public Fit onImprovement(Consumer<Trainer> save) {
      this.onImprovement = save;
      return this;
    }

    /** How many evaluation points without improvement end the run (0 = never). */
    public int patience() {
      return patience;
    }

    public Metric monitor() {
      return monitor;
    }
  }

  private static final String STATE = ModelParameters.TRAINER_PREFIX;
  private static final String CARRY_H = STATE + "carry_h";
  private static final String CARRY_C = STATE + "carry_c";

  private final TrainableModel model;
  private final ModelParameters params;
  private final Optimizer optimizer;
  private final Dataset data;
  private final Options options;
  private final ModelConfig config;
  private final boolean truncated;
  private final boolean perStep;
  private final boolean dropout;
  private final int capacity;
  private final int stateRows;
  private final double baseLearningRate;
  private LearningRateSchedule schedule;

  private final Rows training;
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

  /** {@link #evaluate}'s own buffers, rows and carried state, so evaluating never disturbs a batch in progress. */
  private Rows evaluation;
  private int[] evalRows;
  private float[] evalH;
  private float[] evalC;

  private final MetricAccumulator trainMetrics;
  private MetricAccumulator evalMetrics;
  /** Early stopping: the monitored metric's best value at an evaluation point, its step, evaluations since. */
  private double best = Double.NaN;
  private long bestStep = -1;
  private Scores bestScores;
  private int evaluationsSinceBest;
  private boolean stoppedEarly;
  private volatile boolean stopRequested;

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
    this.training = new Rows(window, truncated || data.h0() != null || data.c0() != null);
    this.carryH = truncated ? new float[stateRows * capacity * config.stateSize()] : null;
    this.carryC = truncated && config.hasCellState() ? new float[stateRows * capacity * config.hidden()] : null;
    this.rows = new int[capacity];
    this.active = new int[capacity];
    this.order = new int[data.size()];
    this.random = new SplittableRandom(options.seed());
    this.dropout = config.training().dropout() > 0;
    if (dropout) {
      model.setDropoutSeed(options.seed());
    }
    this.baseLearningRate = optimizer.learningRate();
    this.trainMetrics = new MetricAccumulator(config);
    model.setParameters(params);
  }

  private static boolean sameModel(ModelConfig a, ModelConfig b) {
    return a.withLimits(1, 1).equals(b.withLimits(1, 1));
  }

  /**
   * Sets the learning rate of each later step from {@code schedule} and the optimiser's rate when this trainer was
   * made (the base rate); null leaves the optimiser's rate alone.
   */
  public void setLearningRateSchedule(LearningRateSchedule schedule) {
    this.schedule = schedule;
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
    int n = activeRows(data, rows, rowCount, start);
    training.fill(data, rows, n, start, len, carryH, carryC);
    long done = optimizer.steps();
    if (dropout) {
      model.setDropoutSeed(DropoutMask.seedForCall(options.seed(), done));
    }
    if (schedule != null) {
      optimizer.setLearningRate(schedule.rate(baseLearningRate, done));
    }
    float loss = model.computeGradients(training.batch);
    bindGradients();
    check.check(done + 1, loss);
    trainMetrics.add(model, training.batch, loss);
    if (options.clipValue() > 0) {
      GradientClipping.clipValue(gradArrays, options.clipValue());
    }
    if (options.clipNorm() > 0) {
      lastNorm = GradientClipping.clipNorm(gradArrays, options.clipNorm());
    }
    optimizer.step(params, grads);
    model.setParameters(params);
    if (truncated) {
      scatter(model.hN(), carryH, n, config.stateSize());
      if (carryC != null) {
        scatter(model.cN(), carryC, n, config.hidden());
      }
    }
    windowStart = start + len;
    if (windowStart >= batchSteps) {
      finishBatch();
      sequencesDone += rowCount;
    }
    return loss;
  }

  /** Puts the indices (into {@code batchRows}) of the rows still running at {@code start} into {@link #active}. */
  private int activeRows(Dataset set, int[] batchRows, int count, int start) {
    int n = 0;
    for (int r = 0; r < count; r++) {
      if (set.length(batchRows[r]) > start) {
        active[n++] = r;
      }
    }
    return n;
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

  /**
   * Trains to {@code fit}'s step or epoch count (totals, counting what a resumed checkpoint had done), evaluating at
   * its evaluation points, stopping early when asked to, and checkpointing. Returns at once when a resumed run had
   * already stopped early.
   *
   * @param progress called after each step and each evaluation, or null
   * @throws RnncException when the validation set does not fit the model, or as {@link #step} does
   */
  public Summary fit(Fit fit, Progress progress) {
    if (fit.patience > 0 && fit.validation == null) {
      throw new RnncException("early stopping needs a validation set to watch");
    }
    if (fit.validation != null) {
      if (!sameModel(fit.validation.config(), config)) {
        throw new RnncException("the validation set was prepared for another model");
      }
      if (!Metric.forModel(config).contains(fit.monitor)) {
        throw new RnncException("cannot monitor " + fit.monitor + ": this model reports " + Metric.forModel(config));
      }
      evaluationWindow(fit.validation);
    }
    long begin = System.nanoTime();
    double sequencesAtBegin = sequencesDone;
    List<Evaluation> evaluations = new ArrayList<>();
    StopReason reason = stoppedEarly ? StopReason.EARLY_STOPPED : StopReason.COMPLETED;
    double loss = Double.NaN;
    boolean evaluatedLast = false;
    while (reason == StopReason.COMPLETED && (fit.steps >= 0 ? optimizer.steps() < fit.steps : epoch < fit.epochs)) {
      if (stopRequested) {
        reason = StopReason.INTERRUPTED;
        break;
      }
      long epochBefore = epoch;
      loss = step();
      if (progress != null) {
        report(progress, loss, begin, sequencesAtBegin);
      }
      evaluatedLast = fit.evalEvery > 0 ? optimizer.steps() % fit.evalEvery == 0 : epoch != epochBefore;
      if (evaluatedLast) {
        Evaluation evaluation = evaluationPoint(fit);
        evaluations.add(evaluation);
        if (progress != null) {
          progress.onEvaluation(evaluation);
        }
        if (evaluation.improved() && fit.onImprovement != null) {
          fit.onImprovement.accept(this);
        }
        if (fit.patience > 0 && evaluationsSinceBest >= fit.patience) {
          stoppedEarly = true;
          reason = StopReason.EARLY_STOPPED;
        }
      }
      if (fit.checkpoint != null && (reason == StopReason.EARLY_STOPPED
          || fit.checkpointEvery > 0 && optimizer.steps() % fit.checkpointEvery == 0)) {
        fit.checkpoint.accept(this);
      }
    }
    if (reason == StopReason.INTERRUPTED && fit.checkpoint != null) {
      fit.checkpoint.accept(this);
    }
    Scores validation = fit.validation == null ? null
        : evaluatedLast ? evaluations.get(evaluations.size() - 1).validation() : evaluate(fit.validation);
    Scores train = evaluatedLast ? evaluations.get(evaluations.size() - 1).train()
        : trainMetrics.isEmpty() ? null : trainMetrics.scores();
    return new Summary(optimizer.steps(), epoch, reason, loss, train, validation, bestScores, bestStep,
        Collections.unmodifiableList(evaluations));
  }

  /** Measures the validation set, updates the early-stopping state and restarts the running training figures. */
  private Evaluation evaluationPoint(Fit fit) {
    Scores train = trainMetrics.scores();
    trainMetrics.reset();
    Scores validation = fit.validation == null ? null : evaluate(fit.validation);
    boolean improved = false;
    if (validation != null) {
      double value = validation.get(fit.monitor);
      boolean better = fit.monitor.higherIsBetter() ? value > best + fit.minDelta : value < best - fit.minDelta;
      if (!Double.isNaN(value) && (Double.isNaN(best) || better)) {
        best = value;
        bestStep = optimizer.steps();
        bestScores = validation;
        evaluationsSinceBest = 0;
        improved = true;
      } else {
        evaluationsSinceBest++;
      }
    }
    return new Evaluation(optimizer.steps(), epoch, optimizer.learningRate(), train, validation, improved);
  }

  /**
   * Asks {@link #fit} to stop after the step in progress (and write a last checkpoint); safe to call from any
   * thread, e.g. a shutdown hook.
   */
  public void requestStop() {
    stopRequested = true;
  }

  public boolean stopRequested() {
    return stopRequested;
  }

  private void report(Progress progress, double loss, long begin, double sequencesAtBegin) {
    double seconds = (System.nanoTime() - begin) * 1e-9;
    progress.onStep(optimizer.steps(), loss, seconds > 0 ? (sequencesDone - sequencesAtBegin) / seconds : 0);
  }

  /**
   * The mean loss over the whole training set with the current weights (forward pass only, so no dropout), as
   * {@code evaluate(data).get(Metric.LOSS)}.
   */
  public double evaluate() {
    return evaluate(data).get(Metric.LOSS);
  }

  /**
   * The {@link Metric}s of a dataset with the current weights, through the forward pass only (no dropout, no
   * gradients; the model's gradients are untouched): batches of at most the training batch size in dataset order,
   * each loss weighted by its valid elements, so the loss is that of one batch holding everything. Sequences longer
   * than the model's instance are run in windows with the recurrent state carried over (exact: nothing is
   * truncated in a forward pass), which needs a unidirectional many-to-many model. Allocates only on the first call
   * (or a dataset longer than any before).
   *
   * @throws RnncException when the dataset belongs to another model or its sequences do not fit the instance
   */
  public Scores evaluate(Dataset set) {
    if (!sameModel(set.config(), config)) {
      throw new RnncException("the dataset was prepared for another model");
    }
    int window = evaluationWindow(set);
    if (evaluation == null || evaluation.window < window) {
      evaluation = new Rows(window, true);
      evalRows = new int[capacity];
      evalH = new float[stateRows * capacity * config.stateSize()];
      evalC = config.hasCellState() ? new float[stateRows * capacity * config.hidden()] : null;
      evalMetrics = new MetricAccumulator(config);
    }
    evalMetrics.reset();
    for (int first = 0; first < set.size(); first += capacity) {
      int count = Math.min(capacity, set.size() - first);
      int longest = 0;
      for (int r = 0; r < count; r++) {
        evalRows[r] = first + r;
        longest = Math.max(longest, set.length(first + r));
      }
      boolean windowed = longest > window;
      if (windowed) {
        initialState(set, evalRows, count, evalH, evalC);
      }
      for (int start = 0; start < longest; start += window) {
        int len = Math.min(window, longest - start);
        int n = activeRows(set, evalRows, count, start);
        evaluation.fill(set, evalRows, n, start, len, windowed ? evalH : null, windowed ? evalC : null);
        Batch b = evaluation.batch;
        if (config.hasEmbedding()) {
          model.forwardTokens(b.tokens, b.batch, b.steps, b.lengths, b.h0, b.c0);
        } else {
          model.forward(b.input, b.batch, b.steps, b.lengths, b.h0, b.c0);
        }
        evalMetrics.add(model, b, Double.NaN);
        if (windowed) {
          scatter(model.hN(), evalH, n, config.stateSize());
          if (evalC != null) {
            scatter(model.cN(), evalC, n, config.hidden());
          }
        }
      }
    }
    return evalMetrics.scores();
  }

  /** The longest window {@link #evaluate} runs a dataset in. */
  private int evaluationWindow(Dataset set) {
    if (set.steps() <= model.maxLength()) {
      return set.steps();
    }
    if (config.bidirectional() || !perStep) {
      throw new RnncException("sequences of " + set.steps() + " steps exceed the model instance's max_length "
          + model.maxLength() + ", and a " + (config.bidirectional() ? "bidirectional" : "many-to-one")
          + " model cannot be evaluated in windows; make the instance longer");
    }
    return model.maxLength();
  }

  /** Training figures since the last evaluation point of {@link #fit} (or the start), null before any step. */
  public Scores trainingScores() {
    return trainMetrics.isEmpty() ? null : trainMetrics.scores();
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
      initialState(data, rows, rowCount, carryH, carryC);
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
  private void initialState(Dataset set, int[] batchRows, int count, float[] h, float[] c) {
    copyInitial(set, set.h0(), batchRows, count, h, config.stateSize());
    if (c != null) {
      copyInitial(set, set.c0(), batchRows, count, c, config.hidden());
    }
  }

  private void copyInitial(Dataset set, float[] source, int[] batchRows, int count, float[] target, int hidden) {
    for (int l = 0; l < stateRows; l++) {
      for (int r = 0; r < count; r++) {
        int to = (l * capacity + r) * hidden;
        if (source == null) {
          Arrays.fill(target, to, to + hidden, 0f);
        } else {
          System.arraycopy(source, (l * set.size() + batchRows[r]) * hidden, target, to, hidden);
        }
      }
    }
  }

  /** A reusable batch with its buffers, filled window by window from a dataset. */
  private final class Rows {
    final Batch batch = new Batch();
    final int window;
    final int[] lengths = new int[capacity];
    final float[] h0;
    final float[] c0;

    Rows(int window, boolean state) {
      this.window = window;
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
      this.h0 = state ? new float[stateRows * capacity * config.stateSize()] : null;
      this.c0 = state && config.hasCellState() ? new float[stateRows * capacity * config.hidden()] : null;
    }

    /**
     * Copies the window {@code [start, start+len)} of the {@code n} active rows ({@code batchRows[active[i]]}) into
     * the batch, with initial states from the carry arrays (when given) or the dataset.
     */
    void fill(Dataset set, int[] batchRows, int n, int start, int len, float[] carryHidden, float[] carryCell) {
      int steps = set.steps();
      int inputSize = config.inputSize();
      int k = config.outputSize();
      boolean allFull = true;
      for (int i = 0; i < n; i++) {
        int row = batchRows[active[i]];
        int valid = Math.min(len, set.length(row) - start);
        lengths[i] = valid;
        allFull &= valid == len;
        int from = row * steps + start;
        if (batch.tokens != null) {
          System.arraycopy(set.tokens(), from, batch.tokens, i * len, len);
        } else {
          System.arraycopy(set.input(), from * inputSize, batch.input, i * len * inputSize, len * inputSize);
        }
        if (batch.classTargets != null) {
          if (perStep) {
            System.arraycopy(set.classTargets(), from, batch.classTargets, i * len, len);
          } else {
            batch.classTargets[i] = set.classTargets()[row];
          }
        } else if (perStep) {
          System.arraycopy(set.valueTargets(), from * k, batch.valueTargets, i * len * k, len * k);
        } else {
          System.arraycopy(set.valueTargets(), row * k, batch.valueTargets, i * k, k);
        }
      }
      batch.batch = n;
      batch.steps = len;
      batch.lengths = allFull ? null : lengths;
      batch.h0 = null;
      batch.c0 = null;
      if (carryHidden != null) {
        batch.h0 = gather(carryHidden, capacity, n, h0, null, config.stateSize());
        batch.c0 = carryCell == null ? null : gather(carryCell, capacity, n, c0, null, config.hidden());
      } else {
        if (set.h0() != null) {
          batch.h0 = gather(set.h0(), set.size(), n, h0, batchRows, config.stateSize());
        }
        if (set.c0() != null) {
          batch.c0 = gather(set.c0(), set.size(), n, c0, batchRows, config.hidden());
        }
      }
    }
  }

  /**
   * Gathers state rows {@code [stateRows, n, H]} from {@code source [stateRows, width, H]}: row {@code active[i]}
   * (carry arrays) or dataset row {@code batchRows[active[i]]}.
   */
  private float[] gather(float[] source, int width, int n, float[] target, int[] batchRows, int hidden) {
    for (int l = 0; l < stateRows; l++) {
      for (int i = 0; i < n; i++) {
        int row = batchRows == null ? active[i] : batchRows[active[i]];
        System.arraycopy(source, (l * width + row) * hidden, target, (l * n + i) * hidden, hidden);
      }
    }
    return target;
  }

  /** The model's final states {@code [stateRows, n, H]} back into carry rows {@code active[i]}. */
  private void scatter(float[] finalState, float[] carry, int n, int hidden) {
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

  // ---------------------------------------------------------------- checkpoints

  /**
   * Writes a resumable checkpoint atomically (see {@link Checkpoint}): weights, optimiser state and this trainer's
   * state as {@code trainer.*} metadata — seed, batch size, the data's fingerprint, batches done, the window in
   * progress (with its carried recurrent state as {@code trainer.carry_h}/{@code trainer.carry_c} tensors), base
   * learning rate, running training figures and the early-stopping state.
   *
   * @throws RnncException naming the file when it cannot be written (an existing file is then untouched)
   */
  public void saveCheckpoint(Path file) {
    saveCheckpoint(file, Map.of());
  }

  /**
   * {@link #saveCheckpoint(Path)} with the caller's own metadata beside the trainer's (e.g. the settings of the run,
   * to resume with); keys must not start with {@code trainer.}.
   */
  public void saveCheckpoint(Path file, Map<String, String> extra) {
    Map<String, String> state = new LinkedHashMap<>();
    state.put(STATE + "seed", Long.toString(options.seed()));
    state.put(STATE + "batch_size", Integer.toString(options.batchSize()));
    state.put(STATE + "data", data.size() + "x" + data.steps() + ":" + Long.toHexString(data.fingerprint()));
    state.put(STATE + "batches_done", Long.toString(batchesDone));
    state.put(STATE + "epochs", Long.toString(epoch));
    state.put(STATE + "window_start", Integer.toString(Math.max(windowStart, 0)));
    state.put(STATE + "base_lr", Double.toString(baseLearningRate));
    if (schedule != null) {
      state.put(STATE + "lr_schedule", schedule.toString());
    }
    state.put(STATE + "train_metrics", trainMetrics.save());
    state.put(STATE + "best", Double.toHexString(best));
    state.put(STATE + "best_step", Long.toString(bestStep));
    if (bestScores != null) {
      state.put(STATE + "best_scores", saveScores(bestScores));
    }
    state.put(STATE + "evaluations_since_best", Integer.toString(evaluationsSinceBest));
    state.put(STATE + "stopped_early", Boolean.toString(stoppedEarly));
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    if (windowStart > 0) {
      tensors.put(CARRY_H, Tensor.ofFloats(new int[] {stateRows, capacity, config.stateSize()}, carryH));
      if (carryC != null) {
        tensors.put(CARRY_C, Tensor.ofFloats(new int[] {stateRows, capacity, config.hidden()}, carryC));
      }
    }
    for (Map.Entry<String, String> entry : extra.entrySet()) {
      if (entry.getKey().startsWith(STATE)) {
        throw new IllegalArgumentException("metadata key '" + entry.getKey() + "' is reserved by the trainer");
      }
      state.put(entry.getKey(), entry.getValue());
    }
    Checkpoint.save(file, params, optimizer, state, tensors);
  }

  /**
   * Continues from a checkpoint {@link #saveCheckpoint} wrote: loads weights and optimiser state into this trainer's
   * parameters and optimiser and moves to the saved position, so that further steps are those the saved trainer
   * would have taken. Only on a trainer that has not stepped yet. Everything is checked before anything changes.
   *
   * @return what the checkpoint said about itself
   * @throws RnncException when the file is not a checkpoint of this model and optimiser kind, or was written with
   *     another seed, batch size or dataset (then its batch order cannot be continued)
   */
  public Checkpoint.Info resume(Path file) {
    if (optimizer.steps() != 0 || batchesDone != 0 || windowStart >= 0) {
      throw new IllegalStateException("resume a fresh trainer, before its first step");
    }
    String source = file.toString();
    SafeTensorsFile content = SafeTensors.read(file);
    Map<String, String> meta = content.metadata();
    if (!meta.containsKey(STATE + "batches_done")) {
      // Weights and optimiser state only (saved without a trainer): continue from the start of the batch order.
      // Plain weights are refused here, with a message saying how to use them.
      Checkpoint.Info info = Checkpoint.load(content, source, params, optimizer);
      model.setParameters(params);
      return info;
    }
    long seed;
    int batchSize;
    long batches;
    int window;
    double savedBest;
    long savedBestStep;
    int since;
    boolean early;
    String sums;
    Scores savedBestScores;
    try {
      seed = Long.parseLong(required(meta, "seed"));
      batchSize = Integer.parseInt(required(meta, "batch_size"));
      batches = Long.parseLong(required(meta, "batches_done"));
      window = Integer.parseInt(required(meta, "window_start"));
      savedBest = Double.parseDouble(required(meta, "best"));
      savedBestStep = Long.parseLong(required(meta, "best_step"));
      since = Integer.parseInt(required(meta, "evaluations_since_best"));
      early = Boolean.parseBoolean(required(meta, "stopped_early"));
      sums = required(meta, "train_metrics");
      new MetricAccumulator(config).restore(sums);
      savedBestScores = meta.containsKey(STATE + "best_scores") ? loadScores(meta.get(STATE + "best_scores")) : null;
    } catch (IllegalArgumentException | RnncException e) {
      throw new RnncException(source + ": the trainer state is damaged (" + e.getMessage() + ")", e);
    }
    if (seed != options.seed() || batchSize != options.batchSize()) {
      throw new RnncException(source + " was trained with seed " + seed + " and batch size " + batchSize
          + "; continuing its batch order needs the same (here seed " + options.seed() + ", batch size "
          + options.batchSize() + "); to start a new run from its weights, load it as initial weights");
    }
    String fingerprint = data.size() + "x" + data.steps() + ":" + Long.toHexString(data.fingerprint());
    if (!fingerprint.equals(meta.get(STATE + "data"))) {
      throw new RnncException(source + " was trained on other data (" + meta.get(STATE + "data") + ", here "
          + fingerprint + "); resume on the same data, or load it as initial weights to start a new run");
    }
    float[] savedH = null;
    float[] savedC = null;
    if (window > 0) {
      if (!truncated) {
        throw new RnncException(source + ": the trainer state is damaged (a window in progress without truncation)");
      }
      savedH = carry(content, CARRY_H, new int[] {stateRows, capacity, config.stateSize()}, source);
      savedC = carryC == null ? null : carry(content, CARRY_C, new int[] {stateRows, capacity, config.hidden()}, source);
    }
    Checkpoint.Info info = Checkpoint.load(content, source, params, optimizer);
    model.setParameters(params);
    skipBatches(batches);
    if (window > 0) {
      startBatch();
      if (window >= batchSteps) {
        throw new RnncException(source + ": the trainer state is damaged (window start " + window
            + " beyond the batch's " + batchSteps + " steps)");
      }
      windowStart = window;
      System.arraycopy(savedH, 0, carryH, 0, carryH.length);
      if (savedC != null) {
        System.arraycopy(savedC, 0, carryC, 0, carryC.length);
      }
    }
    trainMetrics.restore(sums);
    best = savedBest;
    bestStep = savedBestStep;
    bestScores = savedBestScores;
    evaluationsSinceBest = since;
    stoppedEarly = early;
    return info;
  }

  /** {@code loss=0x1.8p-1,accuracy=...}: exact, as hexadecimal doubles. */
  private static String saveScores(Scores scores) {
    StringBuilder out = new StringBuilder();
    for (Metric metric : scores.metrics()) {
      out.append(out.length() == 0 ? "" : ",").append(metric.label()).append('=')
          .append(Double.toHexString(scores.get(metric)));
    }
    return out.toString();
  }

  private static Scores loadScores(String saved) {
    Map<Metric, Double> values = new EnumMap<>(Metric.class);
    for (String entry : saved.split(",")) {
      int eq = entry.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("bad score '" + entry + "'");
      }
      values.put(Metric.parse(entry.substring(0, eq)), Double.parseDouble(entry.substring(eq + 1)));
    }
    return new Scores(values);
  }

  private static String required(Map<String, String> meta, String key) {
    String value = meta.get(STATE + key);
    if (value == null) {
      throw new IllegalArgumentException("no " + STATE + key);
    }
    return value;
  }

  private static float[] carry(SafeTensorsFile content, String name, int[] shape, String source) {
    Tensor tensor = content.tensors().get(name);
    if (tensor == null || !Arrays.equals(tensor.shape(), shape) || !tensor.dtype().isFloatingPoint()) {
      throw new RnncException(source + ": the trainer state is damaged (" + name + " is missing or not "
          + Arrays.toString(shape) + ")");
    }
    return tensor.toFloatArray();
  }

  /** Optimiser steps done (including those before a resume). */
  public long steps() {
    return optimizer.steps();
  }

  /** Completed passes over the data. */
  public long epochs() {
    return epoch;
  }

  /** Batches per pass over the data (the last one partial); with truncated BPTT a batch takes several steps. */
  public long batchesPerEpoch() {
    return (data.size() + capacity - 1) / capacity;
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

  /** The best value of the monitored validation metric at an evaluation point of {@link #fit}, or NaN. */
  public double bestValue() {
    return best;
  }

  /** The step of {@link #bestValue}, or -1. */
  public long bestStep() {
    return bestStep;
  }

  public ModelParameters parameters() {
    return params;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  public Dataset data() {
    return data;
  }
}
