package dev.rnnc.runtime.train;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.TrainableModel;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Data-parallel training and inference over {@code k} threads: a {@link TrainableModel} that cuts each batch into
 * {@code k} contiguous slices of sequences, computes each slice's gradients (or forward pass) on its own model
 * instance (own weights copy, own workspaces) on its own thread, and combines them into the whole batch's.
 *
 * <p><b>Combination.</b> A slice's loss and gradients are means over its own N_i valid elements (valid positions
 * for many-to-many, sequences for many-to-one; bce/mse multiply both N_i and N by K, which cancels). The batch's
 * mean over N = Σ N_i is therefore {@code loss = Σ (N_i/N)·loss_i} and {@code grad = Σ (N_i/N)·grad_i}; the
 * input, h0 and c0 gradients of a slice's rows are scaled by its N_i/N and written into the full-batch layout.
 * Without dropout the result equals one instance's over the whole batch up to float rounding of that sum.
 *
 * <p><b>Slices.</b> Cut points balance the valid steps (the work) rather than the sequence count: sequence b goes
 * to slice ⌊k·(midpoint of its steps in the running total)/total⌋, so slices are contiguous and a batch smaller
 * than k leaves slices empty (skipped). A slice's padded length is its own longest sequence. Slices are copied
 * into preallocated per-slice arrays (h0/c0 per state row {@code [layers*dirs, batch, H]}), so a step allocates
 * nothing once running. Every instance is sized for a whole batch, because balancing by work can give one slice
 * most of the sequences: memory is k times one instance's.
 *
 * <p><b>Dropout.</b> Instance i draws its masks from its own seed (instance 0 from the given one), so with
 * dropout above 0 results differ from a single instance's: each sequence still gets independent masks of the
 * same distribution (statistically equivalent training), but not the same numbers.
 *
 * <p><b>Inference and results.</b> {@link #forward}/{@link #forwardTokens} split the batch the same way (slices
 * balanced by valid steps, each instance running its slice's forward pass on its own thread: {@code rnnc run} /
 * {@code rnnc bench --mode sequence --threads N}); the instances then need only implement {@link RnnModel}. Each
 * sequence's results are exactly those of one instance running the whole batch (sequences are independent and a
 * slice is padded to its own longest sequence, which does not change a sequence's values). After either call
 * the result accessors ({@link #hN()}, {@link #output()}, ...) return the whole batch's values, assembled from the
 * slices on first access (so a trainer carrying state between truncated-BPTT windows sees the right rows).
 *
 * <p><b>Threads.</b> The caller computes slice 0 and {@code k−1} daemon worker threads, started once, compute
 * the others. A step is handed over by a volatile generation counter and collected by an atomic countdown, each
 * side spinning briefly and then parking: no locks, nothing allocated. An exception in any slice is rethrown on
 * the caller (same kind for {@link RnncException} and {@link IllegalArgumentException}, else
 * {@link IllegalStateException}) with the slice's exception as cause, after every slice has finished. Like
 * the models it wraps, an instance is used by one caller thread at a time. {@link #close()} stops the workers.
 */
public final class DataParallel implements TrainableModel, AutoCloseable {
  /** Spin-wait iterations (a few microseconds) before parking: a slice takes milliseconds, a wake-up ~50 µs. */
  private static final int SPINS = 1 << 11;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final RnnModel[] models;
  private final Slice[] slices;
  private final Thread[] workers;
  private final ModelConfig config;
  private final int maxBatch;
  private final int maxLength;
  private final int stateRows;
  /** Width of an h state row (H, or P with an LSTM projection) and of a c state row (H). */
  private final int hWidth;
  private final int cWidth;
  private final boolean perStep;

  private final ModelParameters gradients;
  private final float[][] gradientArrays;
  /** Each instance's gradient arrays in {@link #gradientArrays} order, rebound if an instance hands out new ones. */
  private final ModelParameters[] boundGradients;
  private final float[][][] sliceGradientArrays;
  private final float[] inputGradient;
  private final float[] h0Gradient;
  private final float[] c0Gradient;

  /** Whether the result accessors show the assembled slices (after training) or instance 0 (after forward). */
  private boolean split;
  private final float[][] assembled = new float[Result.values().length][];
  private final boolean[] fresh = new boolean[Result.values().length];

  // Handoff. The caller writes `current` and the slices' plans, then bumps `generation` (volatile); workers read
  // them after seeing the new generation, and publish their results by decrementing `pending`.
  private Batch current;
  /** Whether the slices run a forward pass (else gradients); written before the handoff like {@link #current}. */
  private boolean forwardCall;
  /** The reused view of a forward call's arguments. */
  private final Batch forwardBatch = new Batch();
  private long totalWeight;
  private volatile long generation;
  private volatile boolean closed;
  private volatile Thread waiter;
  private final AtomicInteger pending = new AtomicInteger();

  /**
   * @param threads how many slices (and threads, the caller included) a batch is cut into, at least 1
   * @param factory makes the k model instances: distinct objects with their own weights, of one configuration
   *     and the same limits
   * @throws IllegalArgumentException when threads is below 1 or the instances do not match
   */
  public DataParallel(int threads, Supplier<? extends RnnModel> factory) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    Objects.requireNonNull(factory, "factory");
    this.models = new RnnModel[threads];
    IdentityHashMap<RnnModel, Boolean> seen = new IdentityHashMap<>();
    for (int i = 0; i < threads; i++) {
      models[i] = Objects.requireNonNull(factory.get(), "the factory returned null");
      if (seen.put(models[i], Boolean.TRUE) != null) {
        throw new IllegalArgumentException("the factory must return a new instance each time (instance " + i
            + " is an earlier one); instances are not thread-safe");
      }
    }
    RnnModel first = models[0];
    this.config = first.config();
    this.maxBatch = first.maxBatch();
    this.maxLength = first.maxLength();
    for (int i = 1; i < threads; i++) {
      RnnModel m = models[i];
      if (!m.config().equals(config) || m.maxBatch() != maxBatch || m.maxLength() != maxLength) {
        throw new IllegalArgumentException("instance " + i + " differs from instance 0: " + m.config() + " limits "
            + m.maxBatch() + "x" + m.maxLength() + " vs " + config + " limits " + maxBatch + "x" + maxLength);
      }
    }
    this.stateRows = config.layers() * config.directions();
    this.hWidth = config.stateSize();
    this.cWidth = config.hidden();
    this.perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;

    this.gradients = ModelParameters.zeros(config);
    List<String> names = gradients.names();
    this.gradientArrays = new float[names.size()][];
    for (int p = 0; p < names.size(); p++) {
      gradientArrays[p] = gradients.get(names.get(p));
    }
    this.boundGradients = new ModelParameters[threads];
    this.sliceGradientArrays = new float[threads][names.size()][];
    this.inputGradient = config.hasEmbedding() ? null : new float[maxBatch * maxLength * config.inputSize()];
    this.h0Gradient = new float[stateRows * maxBatch * hWidth];
    this.c0Gradient = config.hasCellState() ? new float[stateRows * maxBatch * cWidth] : null;

    this.slices = new Slice[threads];
    for (int i = 0; i < threads; i++) {
      slices[i] = new Slice(i, models[i]);
    }
    int pool = POOLS.incrementAndGet();
    this.workers = new Thread[threads - 1];
    for (int i = 1; i < threads; i++) {
      Slice slice = slices[i];
      Thread worker = new Thread(() -> serve(slice), "rnnc-data-parallel-" + pool + "-" + i);
      worker.setDaemon(true);
      workers[i - 1] = worker;
    }
    for (Thread worker : workers) {
      worker.start();
    }
  }

  /** Slices (threads, the caller included) a batch is cut into. */
  public int threads() {
    return models.length;
  }

  /** Sequences in slice {@code index} of the last training call (for tests of the balancing). */
  int sliceCount(int index) {
    return slices[index].count;
  }

  // ---------------------------------------------------------------- training

  /**
   * The loss and gradients of the whole batch, computed slice by slice in parallel.
   *
   * @throws IllegalArgumentException on a batch the model cannot take (sizes, missing arrays)
   * @throws IllegalStateException after {@link #close()} or without a training section
   */
  @Override
  public float computeGradients(Batch batch) {
    if (closed) {
      throw new IllegalStateException("this DataParallel model is closed");
    }
    if (config.training() == null) {
      throw new IllegalStateException("the model has no training section: no loss to compute gradients of");
    }
    if (!(models[0] instanceof TrainableModel)) {
      throw new IllegalStateException("the instances (" + models[0].getClass().getName() + ") do not implement"
          + " training");
    }
    validate(batch);
    validateTargets(batch);
    forwardCall = false;
    runSlices(batch);
    return combine();
  }

  /** Hands the batch to the slices (the caller runs slice 0), waits for all, rethrows the first failure. */
  private void runSlices(Batch batch) {
    plan(batch);
    current = batch;
    split = true;
    Arrays.fill(fresh, false);
    if (workers.length > 0) {
      waiter = Thread.currentThread();
      pending.set(workers.length);
      generation = generation + 1; // publishes the plan to the workers
      for (Thread worker : workers) {
        LockSupport.unpark(worker);
      }
    }
    slices[0].runGuarded();
    awaitWorkers();
    current = null;
    for (Slice slice : slices) {
      if (slice.failure != null) {
        throw slice.rethrown();
      }
    }
  }

  private void validate(Batch batch) {
    Objects.requireNonNull(batch, "batch");
    int b = batch.batch;
    int t = batch.steps;
    if (b < 1 || b > maxBatch) {
      throw new IllegalArgumentException("batch must be in [1, " + maxBatch + "], got " + b);
    }
    if (t < 1 || t > maxLength) {
      throw new IllegalArgumentException("steps must be in [1, " + maxLength + "], got " + t);
    }
    if (batch.lengths != null) {
      requireLength("lengths", batch.lengths.length, b);
      for (int s = 0; s < b; s++) {
        if (batch.lengths[s] < 1 || batch.lengths[s] > t) {
          throw new IllegalArgumentException("length of sequence " + s + " is " + batch.lengths[s]
              + ", must be in [1, " + t + "]");
        }
      }
    }
    if (config.hasEmbedding()) {
      requireLength("tokens", batch.tokens == null ? -1 : batch.tokens.length, b * t);
    } else {
      requireLength("input", batch.input == null ? -1 : batch.input.length, b * t * config.inputSize());
    }
    if (batch.h0 != null) {
      requireLength("h0", batch.h0.length, stateRows * b * hWidth);
    }
    if (batch.c0 != null && config.hasCellState()) {
      requireLength("c0", batch.c0.length, stateRows * b * cWidth);
    }
  }

  private void validateTargets(Batch batch) {
    int b = batch.batch;
    int t = batch.steps;
    int positions = perStep ? b * t : b;
    if (config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY) {
      requireLength("classTargets", batch.classTargets == null ? -1 : batch.classTargets.length, positions);
    } else {
      requireLength("valueTargets", batch.valueTargets == null ? -1 : batch.valueTargets.length,
          positions * config.outputSize());
    }
  }

  private static void requireLength(String what, int actual, int needed) {
    if (actual < needed) {
      throw new IllegalArgumentException("the batch's " + what + (actual < 0 ? " is missing" : " has " + actual
          + " values") + ", needs " + needed);
    }
  }

  /** Cuts the batch into contiguous slices of about equal valid steps and counts each slice's loss elements. */
  private void plan(Batch batch) {
    int k = slices.length;
    long total = 0;
    for (int s = 0; s < batch.batch; s++) {
      total += batch.length(s);
    }
    for (Slice slice : slices) {
      slice.start = 0;
      slice.count = 0;
      slice.steps = 0;
      slice.weight = 0;
      slice.failure = null;
    }
    long before = 0;
    for (int s = 0; s < batch.batch; s++) {
      int length = batch.length(s);
      // Twice the midpoint of this sequence's steps, times k, over twice the total: its slice; ties go lower.
      long twiceMid = 2 * before + length;
      int index = (int) Math.max(0, Math.min(k - 1, (twiceMid * k - 1) / (2 * total)));
      Slice slice = slices[index];
      if (slice.count == 0) {
        slice.start = s;
      }
      slice.count++;
      slice.steps = Math.max(slice.steps, length);
      slice.weight += perStep ? length : 1;
      before += length;
    }
    totalWeight = 0;
    for (Slice slice : slices) {
      totalWeight += slice.weight;
    }
  }

  private void awaitWorkers() {
    int spins = 0;
    while (pending.get() != 0) {
      if (spins < SPINS) {
        spins++;
        Thread.onSpinWait();
      } else {
        LockSupport.park(this);
      }
    }
  }

  /** A worker's life: wait for a new generation, compute its slice, count down; until closed. */
  private void serve(Slice slice) {
    long seen = 0;
    while (true) {
      int spins = 0;
      long now;
      while ((now = generation) == seen) {
        if (spins < SPINS) {
          spins++;
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
      seen = now;
      if (closed) {
        return;
      }
      slice.runGuarded();
      if (pending.decrementAndGet() == 0) {
        LockSupport.unpark(waiter);
      }
    }
  }

  /** Loss and parameter gradients as the N_i/N-weighted sums over the non-empty slices. */
  private float combine() {
    double loss = 0;
    boolean first = true;
    for (Slice slice : slices) {
      if (slice.count == 0) {
        continue;
      }
      float scale = slice.scale;
      loss += (double) slice.weight / totalWeight * slice.loss;
      float[][] parts = boundGradientArrays(slice.index);
      for (int p = 0; p < gradientArrays.length; p++) {
        float[] sum = gradientArrays[p];
        float[] part = parts[p];
        if (first) {
          for (int e = 0; e < sum.length; e++) {
            sum[e] = scale * part[e];
          }
        } else {
          for (int e = 0; e < sum.length; e++) {
            sum[e] += scale * part[e];
          }
        }
      }
      first = false;
    }
    return (float) loss;
  }

  private float[][] boundGradientArrays(int index) {
    ModelParameters source = ((TrainableModel) models[index]).gradients();
    if (source != boundGradients[index]) {
      List<String> names = gradients.names();
      for (int p = 0; p < names.size(); p++) {
        sliceGradientArrays[index][p] = source.get(names.get(p));
      }
      boundGradients[index] = source;
    }
    return sliceGradientArrays[index];
  }

  @Override
  public ModelParameters gradients() {
    return gradients;
  }

  @Override
  public float[] inputGradient() {
    return inputGradient;
  }

  @Override
  public float[] h0Gradient() {
    return h0Gradient;
  }

  @Override
  public float[] c0Gradient() {
    return c0Gradient;
  }

  /** Copies the parameters into every instance. */
  @Override
  public void setParameters(ModelParameters parameters) {
    for (RnnModel model : models) {
      trainable(model).setParameters(parameters);
    }
  }

  /** Instance 0 gets {@code seed}, instance i a well-mixed function of it and i (independent masks per slice). */
  @Override
  public void setDropoutSeed(long seed) {
    for (int i = 0; i < models.length; i++) {
      trainable(models[i]).setDropoutSeed(i == 0 ? seed : mix(seed + i * 0x9E3779B97F4A7C15L));
    }
  }

  /** The MurmurHash3 64-bit finaliser. */
  private static TrainableModel trainable(RnnModel model) {
    if (model instanceof TrainableModel trainable) {
      return trainable;
    }
    throw new IllegalStateException("the instances (" + model.getClass().getName() + ") do not implement training");
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }

  /** Stops the worker threads (idempotent). Later training calls throw; forward then runs on instance 0 alone. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    generation = generation + 1;
    for (Thread worker : workers) {
      LockSupport.unpark(worker);
    }
    boolean interrupted = false;
    for (Thread worker : workers) {
      while (worker.isAlive()) {
        try {
          worker.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- inference, on instance 0

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

  /**
   * The forward pass of the whole batch, its slices computed in parallel (with one thread, or a closed model, on
   * instance 0 alone). Results read through the accessors are the whole batch's, assembled on first access.
   */
  @Override
  public void forward(float[] input, int batch, int steps, int[] lengths, float[] h0, float[] c0) {
    if (models.length == 1 || closed || config.hasEmbedding()) {
      split = false;
      models[0].forward(input, batch, steps, lengths, h0, c0);
      return;
    }
    forwardSplit(null, input, batch, steps, lengths, h0, c0);
  }

  @Override
  public void forwardTokens(int[] tokens, int batch, int steps, int[] lengths, float[] h0, float[] c0) {
    if (models.length == 1 || closed || !config.hasEmbedding()) {
      split = false;
      models[0].forwardTokens(tokens, batch, steps, lengths, h0, c0);
      return;
    }
    forwardSplit(tokens, null, batch, steps, lengths, h0, c0);
  }

  private void forwardSplit(int[] tokens, float[] input, int batch, int steps, int[] lengths, float[] h0,
      float[] c0) {
    Batch call = forwardBatch;
    call.tokens = tokens;
    call.input = input;
    call.batch = batch;
    call.steps = steps;
    call.lengths = lengths;
    call.h0 = h0;
    call.c0 = c0;
    try {
      validate(call);
      forwardCall = true;
      runSlices(call);
    } finally {
      call.tokens = null; // keep no reference to the caller's arrays
      call.input = null;
      call.lengths = null;
      call.h0 = null;
      call.c0 = null;
    }
  }

  @Override
  public float[] output() {
    return result(Result.OUTPUT);
  }

  @Override
  public float[] hN() {
    return result(Result.HN);
  }

  @Override
  public float[] cN() {
    return result(Result.CN);
  }

  @Override
  public float[] features() {
    return result(Result.FEATURES);
  }

  @Override
  public float[] logits() {
    return result(Result.LOGITS);
  }

  @Override
  public float[] prediction() {
    return result(Result.PREDICTION);
  }

  /** The per-call results, with how their rows are laid out. */
  private enum Result {
    OUTPUT, HN, CN, FEATURES, LOGITS, PREDICTION;

    float[] of(RnnModel model) {
      return switch (this) {
        case OUTPUT -> model.output();
        case HN -> model.hN();
        case CN -> model.cN();
        case FEATURES -> model.features();
        case LOGITS -> model.logits();
        case PREDICTION -> model.prediction();
      };
    }
  }

  /** Instance 0's array after a forward; after training the whole batch's, assembled on first access. */
  private float[] result(Result which) {
    float[] first = which.of(models[0]);
    if (!split || first == null) {
      return first;
    }
    int r = which.ordinal();
    if (assembled[r] == null) {
      assembled[r] = new float[first.length]; // once: instances size their results for maxBatch × maxLength
    }
    if (!fresh[r]) {
      int batchSteps = 0;
      for (Slice slice : slices) {
        if (slice.count > 0) {
          batchSteps = slice.batchSteps;
        }
      }
      int leads = which == Result.HN || which == Result.CN ? stateRows : 1;
      int batch = 0;
      for (Slice slice : slices) {
        batch += slice.count;
      }
      for (Slice slice : slices) {
        if (slice.count == 0) {
          continue;
        }
        int width = switch (which) {
          case OUTPUT -> config.featureSize();
          case HN -> hWidth;
          case CN -> cWidth;
          case FEATURES -> config.featureSize();
          case LOGITS, PREDICTION -> config.headSize();
        };
        boolean rowsOfSteps = which == Result.OUTPUT || (perStep && (which == Result.LOGITS
            || which == Result.PREDICTION));
        int partRow = rowsOfSteps ? slice.steps * width : width;
        int fullRow = rowsOfSteps ? batchSteps * width : width;
        scatter(which.of(slice.model), slice.count, partRow, 1f, assembled[r], batch, slice.start, fullRow, leads);
      }
      fresh[r] = true;
    }
    return assembled[r];
  }

  // ---------------------------------------------------------------- copying rows

  /**
   * Rows {@code [leads][count][partRow]} of {@code part} times {@code scale} into rows {@code start..} of
   * {@code full [leads][fullBatch][fullRow]}, each zero-padded from {@code partRow} to {@code fullRow}.
   */
  private static void scatter(float[] part, int count, int partRow, float scale, float[] full, int fullBatch,
      int start, int fullRow, int leads) {
    for (int l = 0; l < leads; l++) {
      for (int i = 0; i < count; i++) {
        int from = (l * count + i) * partRow;
        int to = (l * fullBatch + start + i) * fullRow;
        for (int j = 0; j < partRow; j++) {
          full[to + j] = scale * part[from + j];
        }
        Arrays.fill(full, to + partRow, to + fullRow, 0f);
      }
    }
  }

  /** Rows {@code start..start+count} of {@code full [leads][fullBatch][fullRow]}, cut to {@code partRow}. */
  private static void gather(float[] full, int fullBatch, int start, int fullRow, float[] part, int count,
      int partRow, int leads) {
    for (int l = 0; l < leads; l++) {
      for (int i = 0; i < count; i++) {
        System.arraycopy(full, (l * fullBatch + start + i) * fullRow, part, (l * count + i) * partRow, partRow);
      }
    }
  }

  private static void gather(int[] full, int fullBatch, int start, int fullRow, int[] part, int count,
      int partRow) {
    for (int i = 0; i < count; i++) {
      System.arraycopy(full, (start + i) * fullRow, part, i * partRow, partRow);
    }
  }

  /** One slice: its instance, its reused batch view, and this step's plan and outcome. */
  private final class Slice {
    final int index;
    final RnnModel model;
    final Batch view = new Batch();
    final int[] lengths;
    final float[] h0;
    final float[] c0;

    int start;
    int count;
    /** The slice's padded length: its longest sequence. */
    int steps;
    /** The full batch's padded length, for the assembled results. */
    int batchSteps;
    /** N_i: loss elements (valid positions or sequences; the factor K cancels). */
    long weight;
    float scale;
    float loss;
    Throwable failure;

    Slice(int index, RnnModel model) {
      this.index = index;
      this.model = model;
      int rows = maxBatch * maxLength;
      if (config.hasEmbedding()) {
        view.tokens = new int[rows];
      } else {
        view.input = new float[rows * config.inputSize()];
      }
      ModelConfig.TrainingConfig training = config.training();
      if (training != null && training.loss() == ModelConfig.Loss.CROSS_ENTROPY) {
        view.classTargets = new int[perStep ? rows : maxBatch];
      } else if (training != null) {
        view.valueTargets = new float[(perStep ? rows : maxBatch) * config.outputSize()];
      }
      this.lengths = new int[maxBatch];
      this.h0 = new float[stateRows * maxBatch * hWidth];
      this.c0 = config.hasCellState() ? new float[stateRows * maxBatch * cWidth] : null;
    }

    /** Runs this slice, keeping any failure for the caller to rethrow. */
    void runGuarded() {
      if (count == 0) {
        return;
      }
      try {
        run(current);
      } catch (Throwable e) {
        failure = e;
      }
    }

    private void run(Batch batch) {
      int b = batch.batch;
      int t = batch.steps;
      batchSteps = t;
      scale = (float) ((double) weight / totalWeight);
      view.batch = count;
      view.steps = steps;
      if (view.tokens != null) {
        gather(batch.tokens, b, start, t, view.tokens, count, steps);
      } else {
        int width = config.inputSize();
        gather(batch.input, b, start, t * width, view.input, count, steps * width, 1);
      }
      if (batch.lengths != null) {
        System.arraycopy(batch.lengths, start, lengths, 0, count);
        view.lengths = lengths;
      } else {
        view.lengths = null; // every sequence has t = steps valid steps
      }
      view.h0 = batch.h0 == null ? null : sliceState(batch.h0, b, h0, hWidth);
      view.c0 = batch.c0 == null || c0 == null ? null : sliceState(batch.c0, b, c0, cWidth);
      if (forwardCall) {
        if (view.tokens != null) {
          model.forwardTokens(view.tokens, count, steps, view.lengths, view.h0, view.c0);
        } else {
          model.forward(view.input, count, steps, view.lengths, view.h0, view.c0);
        }
        return;
      }
      TrainableModel model = (TrainableModel) this.model;
      if (view.classTargets != null) {
        gather(batch.classTargets, b, start, perStep ? t : 1, view.classTargets, count, perStep ? steps : 1);
      } else {
        int k = config.outputSize();
        gather(batch.valueTargets, b, start, perStep ? t * k : k, view.valueTargets, count, perStep ? steps * k : k,
            1);
      }
      loss = model.computeGradients(view);
      if (inputGradient != null) {
        int width = config.inputSize();
        scatter(model.inputGradient(), count, steps * width, scale, inputGradient, b, start, t * width, 1);
      }
      scatter(model.h0Gradient(), count, hWidth, scale, h0Gradient, b, start, hWidth, stateRows);
      if (c0Gradient != null) {
        scatter(model.c0Gradient(), count, cWidth, scale, c0Gradient, b, start, cWidth, stateRows);
      }
    }

    private float[] sliceState(float[] full, int fullBatch, float[] part, int width) {
      gather(full, fullBatch, start, width, part, count, width, stateRows);
      return part;
    }

    RuntimeException rethrown() {
      String where = "sequences " + start + ".." + (start + count - 1) + " of the batch (slice " + index + " of "
          + slices.length + "; sequence numbers in the message count from " + start + ")";
      if (failure instanceof RnncException) {
        return new RnncException(failure.getMessage() + " [in " + where + "]", failure);
      }
      if (failure instanceof IllegalArgumentException) {
        return new IllegalArgumentException(failure.getMessage() + " [in " + where + "]", failure);
      }
      return new IllegalStateException((forwardCall ? "the forward pass of " : "computing the gradients of ") + where
          + " failed: " + failure, failure);
    }
  }
}
