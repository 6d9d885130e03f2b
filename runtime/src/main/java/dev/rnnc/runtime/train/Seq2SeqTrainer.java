package dev.rnnc.runtime.train;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Teacher-forced training of an encoder–decoder ({@link Seq2SeqModel}) with the semantics of {@link Trainer}: the
 * same optimisers (on {@link Seq2SeqModel#parameters()}, which the model reads live), clipping, non-finite check,
 * learning-rate schedule, full or shuffled mini-batches, evaluation points with a validation set, early stopping on a
 * monitored metric, periodic checkpoints and a callback on each new best, a thread-safe stop request, and
 * checkpoints that resume bit for bit.
 *
 * <p>Order: epoch e visits the sequences in a permutation drawn from {@code SplittableRandom(seed + e·φ)}
 * (identity for full batches), so a resumed run needs only the epoch and the position in it. Metrics: loss (mean
 * cross-entropy per valid target token), token accuracy (argmax of the logits = target, teacher forced) and
 * perplexity (e^loss); training figures are running means since the last evaluation, token-weighted.
 */
public final class Seq2SeqTrainer {
  /** The metrics an encoder–decoder reports, in display order. */
  public static final List<Metric> METRICS = List.of(Metric.LOSS, Metric.ACCURACY, Metric.PERPLEXITY);

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final String STATE = "trainer.";

  /** What {@link #fit} does: a step or epoch target, evaluation, early stopping, saving. */
  public static final class Plan {
    long steps = -1;
    long epochs = -1;
    Seq2SeqDataset validation;
    long evalEvery;
    Metric monitor = Metric.LOSS;
    int patience;
    double minDelta;
    long checkpointEvery;
    Consumer<Seq2SeqTrainer> checkpoint;
    Consumer<Seq2SeqTrainer> onImprovement;

    /** Train until {@code total} optimiser steps are done in all (a resumed run counts its earlier ones). */
    public static Plan steps(long total) {
      Plan plan = new Plan();
      plan.steps = total;
      return plan;
    }

    /** Train until {@code total} epochs are done in all. */
    public static Plan epochs(long total) {
      Plan plan = new Plan();
      plan.epochs = total;
      return plan;
    }

    /** A validation set and how often to evaluate (steps; 0 = at the end of each epoch). */
    public Plan validation(Seq2SeqDataset set, long every) {
      this.validation = set;
      this.evalEvery = every;
      return this;
    }

    /** Stop when {@code metric} on the validation set has not improved by {@code minDelta} for {@code patience} evaluations (0 = never). */
    public Plan earlyStopping(Metric metric, int patience, double minDelta) {
      if (!METRICS.contains(metric)) {
        throw new RnncException("an encoder–decoder reports " + METRICS + ", not " + metric);
      }
      this.monitor = metric;
      this.patience = patience;
      this.minDelta = minDelta;
      return this;
    }

    /** Calls {@code save} every {@code every} steps (0 = never). */
    public Plan checkpoints(long every, Consumer<Seq2SeqTrainer> save) {
      this.checkpointEvery = every;
      this.checkpoint = save;
      return this;
    }

    /** Calls {@code save} after each evaluation that is a new best of the monitored metric. */
    public Plan onImprovement(Consumer<Seq2SeqTrainer> save) {
      this.onImprovement = save;
      return this;
    }
  }

  /** Called at each evaluation point (training figures since the previous one; validation, or null). */
  public interface Progress {
    void evaluated(long step, long epoch, double learningRate, Scores train, Scores validation, boolean best);
  }

  /** How {@link #fit} ended, with the last figures. */
  public record Summary(long steps, long epochs, Trainer.StopReason reason, double lastLoss, Scores train,
      Scores validation, Scores best, long bestStep) {}

  private final Seq2SeqModel model;
  private final Seq2SeqParameters params;
  private final Optimizer optimizer;
  private final Seq2SeqDataset data;
  private final Trainer.Options options;
  private final double baseLearningRate;
  private LearningRateSchedule schedule;
  private final int capacity;

  private final int[] order;
  private final int[] rows;
  private final int[] sourceTokens;
  private final float[] sourceFeatures;
  private final int[] sourceLengths;
  private final int[] target;
  private final int[] targetLengths;
  private final float[][] gradArrays;
  private final NonFiniteCheck check;

  private long steps;
  private long epoch;
  private int nextInEpoch;
  private double lastLoss = Double.NaN;
  /** Running training sums since the last evaluation: loss × tokens, correct tokens, tokens. */
  private double runningLoss;
  private double runningCorrect;
  private double runningTokens;
  private double best = Double.NaN;
  private long bestStep = -1;
  private Scores bestScores;
  private int evaluationsSinceBest;
  private volatile boolean stopRequested;

  /**
   * @param model   sized for {@code min(batch, data.size())} sequences of the data's (and validation's) lengths
   * @param options batch size (0 = full batch), seed, clipping
   */
  public Seq2SeqTrainer(Seq2SeqModel model, Optimizer optimizer, Seq2SeqDataset data, Trainer.Options options) {
    if (!data.hasTarget()) {
      throw new RnncException("training needs targets: the dataset has no 'target' tensor");
    }
    if (!model.config().equals(data.config())) {
      throw new IllegalArgumentException("dataset of another model");
    }
    this.model = model;
    this.params = model.parameters();
    this.optimizer = optimizer;
    this.data = data;
    this.options = options;
    this.baseLearningRate = optimizer.learningRate();
    this.capacity = options.batchSize() == 0 ? data.size() : Math.min(options.batchSize(), data.size());
    if (capacity > model.maxBatch() || Math.max(data.sourceSteps(), data.targetSteps()) > model.maxLength()) {
      throw new IllegalArgumentException("the model holds " + model.maxBatch() + " sequences of " + model.maxLength()
          + " steps; training needs " + capacity + " of " + Math.max(data.sourceSteps(), data.targetSteps()));
    }
    this.order = new int[data.size()];
    this.rows = new int[capacity];
    int features = data.config().sourceTokens() ? 1 : data.config().encoder().inputSize();
    this.sourceTokens = data.config().sourceTokens() ? new int[capacity * data.sourceSteps()] : null;
    this.sourceFeatures = data.config().sourceTokens() ? null : new float[capacity * data.sourceSteps() * features];
    this.sourceLengths = new int[capacity];
    this.target = new int[capacity * data.targetSteps()];
    this.targetLengths = new int[capacity];
    Seq2SeqParameters grads = model.gradients();
    List<String> names = grads.names();
    this.gradArrays = new float[names.size()][];
    for (int i = 0; i < gradArrays.length; i++) {
      gradArrays[i] = grads.get(names.get(i));
    }
    this.check = new NonFiniteCheck(grads);
    optimizer.attach(params);
    startEpoch();
  }

  public void setLearningRateSchedule(LearningRateSchedule schedule) {
    this.schedule = schedule;
  }

  /** Optimiser steps per epoch. */
  public long batchesPerEpoch() {
    return (data.size() + capacity - 1) / capacity;
  }

  private void startEpoch() {
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    if (options.batchSize() != 0) {
      SplittableRandom random = new SplittableRandom(options.seed() + epoch * GOLDEN);
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int swap = order[i];
        order[i] = order[j];
        order[j] = swap;
      }
    }
    nextInEpoch = 0;
  }

  /** One optimiser step on the next mini-batch; returns its loss. */
  public double step() {
    int count = Math.min(capacity, data.size() - nextInEpoch);
    System.arraycopy(order, nextInEpoch, rows, 0, count);
    data.gather(rows, count, sourceTokens, sourceFeatures, sourceLengths, target, targetLengths);
    long number = steps + 1;
    if (schedule != null) {
      optimizer.setLearningRate(schedule.rate(baseLearningRate, number));
    }
    float loss = model.computeGradients(sourceTokens, sourceFeatures, count, data.sourceSteps(), sourceLengths,
        target, data.targetSteps(), targetLengths);
    check.check(number, loss);
    if (options.clipValue() > 0) {
      GradientClipping.clipValue(gradArrays, options.clipValue());
    }
    if (options.clipNorm() > 0) {
      GradientClipping.clipNorm(gradArrays, options.clipNorm());
    }
    optimizer.step(params, model.gradients());
    int tokens = 0;
    for (int b = 0; b < count; b++) {
      tokens += targetLengths[b];
    }
    runningLoss += (double) loss * tokens;
    runningCorrect += correct(count, data.targetSteps(), target, targetLengths);
    runningTokens += tokens;
    steps = number;
    lastLoss = loss;
    nextInEpoch += count;
    if (nextInEpoch >= data.size()) {
      epoch++;
      startEpoch();
    }
    return loss;
  }

  /** Teacher-forced tokens whose logits' argmax is the target, in the model's last call. */
  private int correct(int batch, int targetSteps, int[] ids, int[] lengths) {
    float[] logits = model.logits();
    int vocab = model.config().targetVocab();
    int right = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < lengths[b]; t++) {
        int at = (b * targetSteps + t) * vocab;
        int arg = 0;
        for (int v = 1; v < vocab; v++) {
          if (logits[at + v] > logits[at + arg]) {
            arg = v;
          }
        }
        if (arg == ids[b * targetSteps + t]) {
          right++;
        }
      }
    }
    return right;
  }

  /** Loss, token accuracy and perplexity of a set, teacher forced (no parameter changes), in chunks of the batch size. */
  public Scores evaluate(Seq2SeqDataset set) {
    int chunk = Math.min(model.maxBatch(), set.size());
    if (Math.max(set.sourceSteps(), set.targetSteps()) > model.maxLength()) {
      throw new RnncException("the validation set's sequences (" + Math.max(set.sourceSteps(), set.targetSteps())
          + " steps) are longer than the model holds (" + model.maxLength() + ")");
    }
    int[] chunkRows = new int[chunk];
    int features = set.config().sourceTokens() ? 1 : set.config().encoder().inputSize();
    int[] tokens = set.config().sourceTokens() ? new int[chunk * set.sourceSteps()] : null;
    float[] feats = set.config().sourceTokens() ? null : new float[chunk * set.sourceSteps() * features];
    int[] lengths = new int[chunk];
    int[] ids = new int[chunk * set.targetSteps()];
    int[] idLengths = new int[chunk];
    double loss = 0;
    double right = 0;
    double count = 0;
    for (int from = 0; from < set.size(); from += chunk) {
      int n = Math.min(chunk, set.size() - from);
      for (int i = 0; i < n; i++) {
        chunkRows[i] = from + i;
      }
      set.gather(chunkRows, n, tokens, feats, lengths, ids, idLengths);
      float value = model.teacherForce(tokens, feats, n, set.sourceSteps(), lengths, ids, set.targetSteps(),
          idLengths);
      int valid = 0;
      for (int b = 0; b < n; b++) {
        valid += idLengths[b];
      }
      loss += (double) value * valid;
      right += correct(n, set.targetSteps(), ids, idLengths);
      count += valid;
    }
    return scores(loss / count, right / count);
  }

  private static Scores scores(double loss, double accuracy) {
    Map<Metric, Double> values = new EnumMap<>(Metric.class);
    values.put(Metric.LOSS, loss);
    values.put(Metric.ACCURACY, accuracy);
    values.put(Metric.PERPLEXITY, Math.exp(loss));
    return new Scores(values);
  }

  /** Asks {@link #fit} to stop after the step in progress (safe from any thread, e.g. a signal handler). */
  public void requestStop() {
    stopRequested = true;
  }

  /** Trains to the plan's target; see the class comment. */
  public Summary fit(Plan plan, Progress progress) {
    long evalEvery = plan.evalEvery > 0 ? plan.evalEvery : batchesPerEpoch();
    Scores train = null;
    Scores validation = null;
    Trainer.StopReason reason = Trainer.StopReason.COMPLETED;
    double loss = Double.NaN;
    while (true) {
      if (plan.patience > 0 && evaluationsSinceBest >= plan.patience) {
        reason = Trainer.StopReason.EARLY_STOPPED;
        break;
      }
      if (plan.steps >= 0 ? steps >= plan.steps : epoch >= plan.epochs) {
        break;
      }
      if (stopRequested) {
        reason = Trainer.StopReason.INTERRUPTED;
        break;
      }
      loss = step();
      boolean last = plan.steps >= 0 ? steps >= plan.steps : epoch >= plan.epochs;
      if (steps % evalEvery == 0 || last) {
        train = runningScores();
        validation = plan.validation == null ? null : evaluate(plan.validation);
        boolean improved = false;
        if (validation != null) {
          double value = validation.get(plan.monitor);
          double sign = plan.monitor.higherIsBetter() ? 1 : -1;
          if (Double.isNaN(best) || sign * (value - best) > plan.minDelta) {
            best = value;
            bestStep = steps;
            bestScores = validation;
            evaluationsSinceBest = 0;
            improved = true;
          } else {
            evaluationsSinceBest++;
          }
        }
        if (progress != null) {
          progress.evaluated(steps, epoch, optimizer.learningRate(), train, validation, improved);
        }
        if (improved && plan.onImprovement != null) {
          plan.onImprovement.accept(this);
        }
        runningLoss = 0;
        runningCorrect = 0;
        runningTokens = 0;
      }
      if (plan.checkpointEvery > 0 && steps % plan.checkpointEvery == 0 && plan.checkpoint != null) {
        plan.checkpoint.accept(this);
      }
    }
    if (reason == Trainer.StopReason.INTERRUPTED && plan.checkpoint != null) {
      plan.checkpoint.accept(this);
    }
    return new Summary(steps, epoch, reason, loss, train, validation, bestScores, bestStep);
  }

  private Scores runningScores() {
    return runningTokens == 0 ? null : scores(runningLoss / runningTokens, runningCorrect / runningTokens);
  }

  /**
   * Writes a resumable checkpoint atomically: weights and optimiser state ({@link Checkpoint}), plus the position in
   * the data order, the running metrics and the early-stopping state as {@code trainer.*} metadata.
   */
  public void saveCheckpoint(Path file, Map<String, String> extra) {
    Map<String, String> meta = new LinkedHashMap<>(extra);
    meta.put(STATE + "kind", "seq2seq");
    meta.put(STATE + "epoch", Long.toString(epoch));
    meta.put(STATE + "next", Integer.toString(nextInEpoch));
    meta.put(STATE + "batch", Integer.toString(options.batchSize()));
    meta.put(STATE + "seed", Long.toString(options.seed()));
    meta.put(STATE + "running", runningLoss + "," + runningCorrect + "," + runningTokens);
    meta.put(STATE + "best", best + "," + bestStep + "," + evaluationsSinceBest);
    if (bestScores != null) {
      meta.put(STATE + "best_scores", bestScores.get(Metric.LOSS) + "," + bestScores.get(Metric.ACCURACY));
    }
    meta.put(STATE + "last_loss", Double.toString(lastLoss));
    Checkpoint.save(file, params, optimizer, meta);
  }

  /**
   * Restores a checkpoint of {@link #saveCheckpoint}: weights, optimiser state and the trainer's position, all
   * checked before anything changes.
   */
  public void resume(Path file) {
    SafeTensorsFile content = SafeTensors.read(file);
    Map<String, String> meta = content.metadata();
    String source = file.toString();
    if (meta.containsKey(Checkpoint.MARKER) && !"seq2seq".equals(meta.get(STATE + "kind"))) {
      throw new RnncException(source + " is a checkpoint of a single-stack training run, not of an encoder–decoder");
    }
    long savedEpoch;
    int savedNext;
    double[] running;
    double[] bestState;
    double[] bestValues = null;
    double savedLast;
    try {
      if (meta.containsKey(Checkpoint.MARKER)) {
        if (Integer.parseInt(required(meta, "batch", source)) != options.batchSize()
            || Long.parseLong(required(meta, "seed", source)) != options.seed()) {
          throw new RnncException(source + ": the checkpoint was trained with batch " + meta.get(STATE + "batch")
              + " and seed " + meta.get(STATE + "seed") + "; resume with the same ones");
        }
      }
      savedEpoch = meta.containsKey(Checkpoint.MARKER) ? Long.parseLong(required(meta, "epoch", source)) : 0;
      savedNext = meta.containsKey(Checkpoint.MARKER) ? Integer.parseInt(required(meta, "next", source)) : 0;
      running = meta.containsKey(Checkpoint.MARKER) ? doubles(required(meta, "running", source), 3) : null;
      bestState = meta.containsKey(Checkpoint.MARKER) ? doubles(required(meta, "best", source), 3) : null;
      if (meta.containsKey(STATE + "best_scores")) {
        bestValues = doubles(meta.get(STATE + "best_scores"), 2);
      }
      savedLast = meta.containsKey(Checkpoint.MARKER) ? Double.parseDouble(required(meta, "last_loss", source)) : 0;
    } catch (NumberFormatException e) {
      throw new RnncException(source + ": trainer state in the metadata is not readable (" + e.getMessage() + ")");
    }
    if (savedNext < 0 || savedNext >= data.size()) {
      throw new RnncException(source + ": position " + savedNext + " in the epoch does not fit this dataset of "
          + data.size() + " sequences; resume with the same data");
    }
    Checkpoint.Info info = Checkpoint.load(content, source, params, optimizer);
    steps = info.step();
    epoch = savedEpoch;
    startEpoch();
    nextInEpoch = savedNext;
    runningLoss = running[0];
    runningCorrect = running[1];
    runningTokens = running[2];
    best = bestState[0];
    bestStep = (long) bestState[1];
    evaluationsSinceBest = (int) bestState[2];
    bestScores = bestValues == null ? null : scores(bestValues[0], bestValues[1]);
    lastLoss = savedLast;
  }

  private static String required(Map<String, String> meta, String key, String source) {
    String value = meta.get(STATE + key);
    if (value == null) {
      throw new RnncException(source + ": checkpoint lacks " + STATE + key);
    }
    return value;
  }

  private static double[] doubles(String text, int count) {
    String[] parts = text.split(",");
    if (parts.length != count) {
      throw new NumberFormatException("expected " + count + " numbers in '" + text + "'");
    }
    double[] out = new double[count];
    for (int i = 0; i < count; i++) {
      out[i] = Double.parseDouble(parts[i]);
    }
    return out;
  }

  public long steps() {
    return steps;
  }

  public long epochs() {
    return epoch;
  }

  public Seq2SeqParameters parameters() {
    return params;
  }
}
