package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelConfig.Mode;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link DataParallel} over reference models equals one reference model over the whole batch: loss, every
 * parameter gradient, the input/h0/c0 gradients and the results read after training.
 */
class DataParallelTest {
  private static final int MAX_BATCH = 7;
  private static final int MAX_LENGTH = 6;

  private static ModelConfig config(Cell cell, int input, int vocab, int layers, boolean bidirectional, Mode mode,
      int head, HeadActivation activation, Loss loss) {
    return new ModelConfig(cell, cell == Cell.RNN ? ModelConfig.Nonlinearity.TANH : null, null, input, vocab, 5,
        layers, bidirectional, mode, head, activation, MAX_LENGTH, MAX_BATCH,
        new ModelConfig.TrainingConfig(loss, 0, 0));
  }

  /** A random batch; {@code lengths} null for full sequences; h0/c0 given when {@code states}. */
  private static Batch batch(ModelConfig config, int b, int t, int[] lengths, boolean states, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Batch batch = new Batch();
    batch.batch = b;
    batch.steps = t;
    batch.lengths = lengths;
    if (config.hasEmbedding()) {
      batch.tokens = new int[b * t];
      for (int i = 0; i < batch.tokens.length; i++) {
        batch.tokens[i] = random.nextInt(config.vocab());
      }
    } else {
      batch.input = floats(random, b * t * config.inputSize());
    }
    boolean perStep = config.mode() == Mode.MANY_TO_MANY;
    int positions = perStep ? b * t : b;
    if (config.training().loss() == Loss.CROSS_ENTROPY) {
      batch.classTargets = new int[positions];
      for (int i = 0; i < positions; i++) {
        batch.classTargets[i] = random.nextInt(config.outputSize());
      }
    } else {
      batch.valueTargets = new float[positions * config.outputSize()];
      for (int i = 0; i < batch.valueTargets.length; i++) {
        batch.valueTargets[i] = random.nextFloat();
      }
    }
    if (states) {
      int rows = config.layers() * config.directions() * b;
      batch.h0 = floats(random, rows * config.stateSize());
      batch.c0 = config.hasCellState() ? floats(random, rows * config.hidden()) : null;
    }
    return batch;
  }

  private static float[] floats(SplittableRandom random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextDouble(-1, 1);
    }
    return out;
  }

  private static DataParallel parallel(ModelParameters parameters, int threads) {
    return new DataParallel(threads, () -> new ReferenceModel(parameters, MAX_BATCH, MAX_LENGTH));
  }

  /** Runs the batch through one reference model and through DataParallel(k), and compares everything. */
  private static void assertSameAsSingle(ModelConfig config, Batch batch, int threads) {
    ModelParameters parameters = ModelParameters.initialize(config, 7);
    ReferenceModel single = new ReferenceModel(parameters, MAX_BATCH, MAX_LENGTH);
    float expectedLoss = single.computeGradients(batch);
    try (DataParallel parallel = parallel(parameters, threads)) {
      for (int repeat = 0; repeat < 2; repeat++) { // the second call must overwrite, not accumulate
        float loss = parallel.computeGradients(batch);
        assertEquals(expectedLoss, loss, 1e-6 * Math.abs(expectedLoss), "loss");
        for (String name : config.parameterNames()) {
          assertClose(single.gradients().get(name), parallel.gradients().get(name), parameters.get(name).length, name);
        }
        int b = batch.batch;
        int t = batch.steps;
        if (!config.hasEmbedding()) {
          assertClose(single.inputGradient(), parallel.inputGradient(), b * t * config.inputSize(), "input gradient");
        } else {
          assertNull(parallel.inputGradient());
        }
        int rows = config.layers() * config.directions() * b;
        assertClose(single.h0Gradient(), parallel.h0Gradient(), rows * config.stateSize(), "h0 gradient");
        if (config.hasCellState()) {
          assertClose(single.c0Gradient(), parallel.c0Gradient(), rows * config.hidden(), "c0 gradient");
          assertClose(single.cN(), parallel.cN(), rows * config.hidden(), "cN");
        }
        assertClose(single.hN(), parallel.hN(), rows * config.stateSize(), "hN");
        assertClose(single.output(), parallel.output(), b * t * config.featureSize(), "output");
        int positions = config.mode() == Mode.MANY_TO_MANY ? b * t : b;
        assertClose(single.logits(), parallel.logits(), positions * config.headSize(), "logits");
        assertClose(single.prediction(), parallel.prediction(), positions * config.headSize(), "prediction");
        if (config.mode() == Mode.MANY_TO_ONE) {
          assertClose(single.features(), parallel.features(), b * config.featureSize(), "features");
        }
      }
    }
  }

  /** Equal within float rounding of the weighted sum: 1e-6 of the array's largest magnitude. */
  private static void assertClose(float[] expected, float[] actual, int n, String what) {
    double scale = 0;
    for (int i = 0; i < n; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    assertTrue(scale > 0 || n == 0, what + " is all zero: the comparison would prove nothing");
    for (int i = 0; i < n; i++) {
      if (Math.abs(expected[i] - actual[i]) > 1e-6 * scale) {
        throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]
            + " (largest magnitude " + scale + ")");
      }
    }
  }

  @Test
  void manyToManyWithUnevenLengthsAndInitialStates() {
    ModelConfig lstm = config(Cell.LSTM, 3, 0, 2, false, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    Batch batch = batch(lstm, 7, 6, new int[] {6, 1, 3, 6, 2, 5, 1}, true, 1);
    assertSameAsSingle(lstm, batch, 2);
    assertSameAsSingle(lstm, batch, 3);
    assertSameAsSingle(lstm, batch, 7);
  }

  @Test
  void projectedAndPeepholeLstmsSliceStatesAtTheirOwnWidths() {
    // h is proj_size (3) wide and c hidden (5) wide: every state slice and gradient must use its own width.
    ModelConfig projected = config(Cell.LSTM, 3, 0, 2, true, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY).toBuilder().projSize(3).peepholes(true).build();
    Batch batch = batch(projected, 5, 4, new int[] {4, 1, 3, 2, 4}, true, 3);
    assertSameAsSingle(projected, batch, 2);
    assertSameAsSingle(projected, batch, 5);
  }

  @Test
  void trainerCarriesProjectedStatesAcrossTruncatedWindows() {
    ModelConfig config = Problems.echoConfig(Cell.LSTM, 8, 6, 3).toBuilder().projSize(5).build();
    Dataset data = Problems.echo(config, 12, 8, 3, true);
    ModelParameters singleParams = ModelParameters.initialize(config, 1);
    ModelParameters parallelParams = singleParams.copy();
    Trainer.Options options = Trainer.Options.miniBatches(6, 9);
    Trainer single = new Trainer(new ReferenceModel(singleParams, 6, 3), singleParams, new Adam(0.01, 0.9, 0.999,
        1e-8, 0, false), data, options);
    try (DataParallel model = new DataParallel(2, () -> new ReferenceModel(singleParams, 6, 3))) {
      Trainer parallel = new Trainer(model, parallelParams, new Adam(0.01, 0.9, 0.999, 1e-8, 0, false), data,
          options);
      for (int step = 0; step < 8; step++) {
        double expected = single.step();
        assertEquals(expected, parallel.step(), 1e-5 * Math.abs(expected), "loss of step " + step);
      }
    }
  }

  @Test
  void manyToOneBidirectionalValueLosses() {
    ModelConfig gruBce = config(Cell.GRU, 2, 0, 1, true, Mode.MANY_TO_ONE, 3, HeadActivation.SIGMOID, Loss.BCE);
    assertSameAsSingle(gruBce, batch(gruBce, 5, 4, new int[] {4, 2, 1, 3, 4}, false, 2), 2);
    ModelConfig rnnMse = config(Cell.RNN, 2, 0, 2, false, Mode.MANY_TO_ONE, 2, HeadActivation.LINEAR, Loss.MSE);
    assertSameAsSingle(rnnMse, batch(rnnMse, 6, 5, null, true, 3), 3);
  }

  @Test
  void embeddingInputManyToManyMse() {
    ModelConfig embedded = config(Cell.LSTM, 4, 11, 1, true, Mode.MANY_TO_MANY, 3, HeadActivation.SIGMOID,
        Loss.MSE);
    assertSameAsSingle(embedded, batch(embedded, 4, 6, new int[] {2, 6, 6, 5}, true, 4), 2);
  }

  @Test
  void batchOfOneLeavesASliceEmpty() {
    ModelConfig lstm = config(Cell.LSTM, 3, 0, 1, false, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    assertSameAsSingle(lstm, batch(lstm, 1, 5, new int[] {3}, true, 5), 2);
    assertSameAsSingle(lstm, batch(lstm, 2, 5, null, false, 6), 3);
  }

  @Test
  void slicesBalanceValidStepsNotCount() {
    // One long sequence and six short ones: the long one alone is half the work.
    ModelConfig lstm = config(Cell.LSTM, 3, 0, 1, false, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    Batch batch = batch(lstm, 7, 6, new int[] {6, 1, 1, 1, 1, 1, 1}, false, 8);
    assertSameAsSingle(lstm, batch, 2);
    try (DataParallel parallel = parallel(ModelParameters.initialize(lstm, 7), 2)) {
      parallel.computeGradients(batch);
      assertEquals(1, parallel.sliceCount(0));
      assertEquals(6, parallel.sliceCount(1));
    }
  }

  @Test
  void trainerWithTruncatedBpttMatchesSingleModel() {
    // Truncated BPTT reads hN() after each window: the assembled final states must be the whole batch's.
    ModelConfig config = Problems.echoConfig(Cell.LSTM, 8, 6, 3);
    Dataset data = Problems.echo(config, 12, 8, 3, true);
    ModelParameters singleParams = ModelParameters.initialize(config, 1);
    ModelParameters parallelParams = singleParams.copy();
    Trainer.Options options = Trainer.Options.miniBatches(6, 9).withClipNorm(5);
    Trainer single = new Trainer(new ReferenceModel(singleParams, 6, 3), singleParams, new Adam(0.01, 0.9, 0.999,
        1e-8, 0, false), data, options);
    try (DataParallel model = new DataParallel(2, () -> new ReferenceModel(singleParams, 6, 3))) {
      Trainer parallel = new Trainer(model, parallelParams, new Adam(0.01, 0.9, 0.999, 1e-8, 0, false), data,
          options);
      for (int step = 0; step < 20; step++) {
        double expected = single.step();
        assertEquals(expected, parallel.step(), 1e-5 * Math.abs(expected), "loss of step " + step);
      }
    }
    for (String name : config.parameterNames()) {
      float[] expected = singleParams.get(name);
      float[] actual = parallelParams.get(name);
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-4, name + "[" + i + "]");
      }
    }
  }

  @Test
  void sliceExceptionsReachTheCallerWithTheirCause() {
    ModelConfig lstm = config(Cell.LSTM, 3, 0, 1, false, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    ModelParameters parameters = ModelParameters.initialize(lstm, 7);
    try (DataParallel parallel = parallel(parameters, 2)) {
      Batch batch = batch(lstm, 4, 3, null, false, 9);
      batch.classTargets[3 * 3 + 1] = 9; // sequence 3 is in the worker's slice
      // The reference reports a bad target as IllegalArgumentException: the kind is kept, the cause attached.
      IllegalArgumentException worker = assertThrows(IllegalArgumentException.class,
          () -> parallel.computeGradients(batch));
      assertInstanceOf(IllegalArgumentException.class, worker.getCause());
      assertTrue(worker.getMessage().contains("class target 9") && worker.getMessage().contains("sequences 2..3"),
          worker.getMessage());
      batch.classTargets[3 * 3 + 1] = 0;
      batch.classTargets[1] = -1; // sequence 0: the caller's slice
      IllegalArgumentException caller = assertThrows(IllegalArgumentException.class,
          () -> parallel.computeGradients(batch));
      assertTrue(caller.getMessage().contains("sequences 0..1"), caller.getMessage());
      batch.classTargets[1] = 0;
      // Still usable afterwards, with the same result as a single model.
      float expected = new ReferenceModel(parameters, MAX_BATCH, MAX_LENGTH).computeGradients(batch);
      assertEquals(expected, parallel.computeGradients(batch), 1e-6 * expected);
    }
  }

  @Test
  void workerErrorsOfAnyKindAreRethrown() {
    ModelConfig lstm = config(Cell.LSTM, 3, 0, 1, false, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    ModelParameters parameters = ModelParameters.initialize(lstm, 7);
    ModelParameters other = ModelParameters.initialize(config(Cell.GRU, 3, 0, 1, false, Mode.MANY_TO_MANY, 4,
        HeadActivation.SOFTMAX, Loss.CROSS_ENTROPY), 7);
    try (DataParallel parallel = parallel(parameters, 2)) {
      assertThrows(IllegalArgumentException.class, () -> parallel.setParameters(other));
      Batch batch = batch(lstm, 4, 3, null, false, 9);
      batch.batch = 8;
      assertThrows(IllegalArgumentException.class, () -> parallel.computeGradients(batch));
      batch.batch = 4;
      batch.classTargets = null;
      IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
          () -> parallel.computeGradients(batch));
      assertTrue(missing.getMessage().contains("classTargets is missing"), missing.getMessage());
    }
  }

  @Test
  void stepsAllocateNothingAndCloseStopsTheWorkers() throws InterruptedException {
    // The reference model allocates a little per call, so the pool is measured over allocation-free stand-ins.
    ModelConfig lstm = config(Cell.LSTM, 3, 0, 2, false, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    ModelParameters parameters = ModelParameters.initialize(lstm, 7);
    Batch batch = batch(lstm, 7, 6, new int[] {6, 1, 3, 6, 2, 5, 1}, true, 1);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    DataParallel parallel = new DataParallel(3, () -> new StandIn(lstm, null));
    List<Thread> workers = workerThreads(parallel);
    assertEquals(2, workers.size());
    for (Thread worker : workers) {
      assertTrue(worker.isDaemon(), worker.getName());
    }
    Sgd sgd = new Sgd(1e-6);
    // early rounds warm up the JIT (transient allocations); on a loaded machine compilation can lag, so keep
    // measuring (bounded in time) until a round is allocation-free — a real allocation never gets there
    long deadline = System.nanoTime() + 20_000_000_000L;
    boolean clean = false;
    String last = "";
    for (int round = 0; !clean && (round < 5 || System.nanoTime() < deadline); round++) {
      long[] workersBefore = allocated(threads, workers); // allocates: before the caller's count starts
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 2000; i++) {
        parallel.computeGradients(batch);
        sgd.step(parameters, parallel.gradients());
        parallel.setParameters(parameters);
        parallel.hN();
        parallel.forward(batch.input, batch.batch, batch.steps, batch.lengths, batch.h0, batch.c0);
        parallel.hN();
      }
      long caller = threads.getCurrentThreadAllocatedBytes() - before;
      long[] workersAfter = allocated(threads, workers);
      if (round >= 4) {
        StringBuilder counts = new StringBuilder("caller " + caller);
        boolean zero = caller == 0;
        for (int w = 0; w < workers.size(); w++) {
          long bytes = workersAfter[w] - workersBefore[w];
          counts.append(", ").append(workers.get(w).getName()).append(' ').append(bytes);
          zero &= bytes == 0;
        }
        clean = zero;
        last = counts.toString();
      }
    }
    assertTrue(clean, "bytes allocated in 2000 steps: " + last);
    parallel.close();
    for (Thread worker : workers) {
      worker.join(5000);
      assertFalse(worker.isAlive(), worker.getName() + " still running after close");
    }
    parallel.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> parallel.computeGradients(batch));
  }

  @Test
  void anyThrowableInAWorkerIsRethrownWithItsCause() {
    ModelConfig lstm = config(Cell.LSTM, 3, 0, 1, false, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    Batch batch = batch(lstm, 4, 3, null, false, 9);
    AssertionError error = new AssertionError("kernel invariant");
    try (DataParallel parallel = new DataParallel(2, () -> new StandIn(lstm, error))) {
      batch.input[3 * 3 * 3] = StandIn.FAIL; // first value of sequence 3, in the worker's slice
      IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> parallel.computeGradients(batch));
      assertSame(error, thrown.getCause());
      batch.input[3 * 3 * 3] = 0;
      assertEquals(1f, parallel.computeGradients(batch));
    }
  }

  /**
   * A stand-in model that computes nothing and allocates nothing: gradients are constants, the loss 1, and it
   * throws {@code failure} when a sequence's first input value is {@link #FAIL}.
   */
  private static final class StandIn implements TrainableModel {
    static final float FAIL = 12345f;
    private final ModelConfig config;
    private final Throwable failure;
    private final ModelParameters gradients;
    private final float[][] arrays;
    private final float[] input;
    private final float[] states;
    private final float[] perStep;

    StandIn(ModelConfig config, Throwable failure) {
      this.config = config;
      this.failure = failure;
      this.gradients = ModelParameters.zeros(config);
      this.arrays = GradientClipping.arrays(gradients);
      this.input = new float[MAX_BATCH * MAX_LENGTH * config.inputSize()];
      this.states = new float[config.layers() * config.directions() * MAX_BATCH * config.hidden()];
      this.perStep = new float[MAX_BATCH * MAX_LENGTH * Math.max(config.featureSize(), config.headSize())];
    }

    @Override
    public float computeGradients(Batch batch) {
      for (int b = 0; b < batch.batch; b++) {
        if (batch.input[b * batch.steps * config.inputSize()] == FAIL) {
          sneakyThrow(failure);
        }
      }
      for (float[] array : arrays) {
        Arrays.fill(array, 0.5f);
      }
      Arrays.fill(input, 0.25f);
      Arrays.fill(states, 0.125f);
      return 1f;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
      throw (T) t;
    }

    @Override
    public ModelParameters gradients() {
      return gradients;
    }

    @Override
    public float[] inputGradient() {
      return input;
    }

    @Override
    public float[] h0Gradient() {
      return states;
    }

    @Override
    public float[] c0Gradient() {
      return states;
    }

    @Override
    public void setParameters(ModelParameters parameters) {}

    @Override
    public void setDropoutSeed(long seed) {}

    @Override
    public ModelConfig config() {
      return config;
    }

    @Override
    public int maxBatch() {
      return MAX_BATCH;
    }

    @Override
    public int maxLength() {
      return MAX_LENGTH;
    }

    @Override
    public void forward(float[] x, int batch, int steps, int[] lengths, float[] h0, float[] c0) {}

    @Override
    public void forwardTokens(int[] tokens, int batch, int steps, int[] lengths, float[] h0, float[] c0) {}

    @Override
    public float[] output() {
      return perStep;
    }

    @Override
    public float[] hN() {
      return states;
    }

    @Override
    public float[] cN() {
      return states;
    }

    @Override
    public float[] features() {
      return null;
    }

    @Override
    public float[] logits() {
      return perStep;
    }

    @Override
    public float[] prediction() {
      return perStep;
    }
  }

  /** The pool's threads: those created by the constructor, found by the name prefix and counted before/after. */
  private static List<Thread> workerThreads(DataParallel parallel) {
    List<Thread> found = new ArrayList<>();
    String prefix = "rnnc-data-parallel-";
    int newest = -1;
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith(prefix)) {
        int pool = Integer.parseInt(thread.getName().substring(prefix.length()).split("-")[0]);
        newest = Math.max(newest, pool);
      }
    }
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith(prefix + newest + "-")) {
        found.add(thread);
      }
    }
    assertEquals(parallel.threads() - 1, found.size());
    return found;
  }

  private static long[] allocated(com.sun.management.ThreadMXBean threads, List<Thread> workers) {
    long[] bytes = new long[workers.size()];
    for (int w = 0; w < bytes.length; w++) {
      bytes[w] = threads.getThreadAllocatedBytes(workers.get(w).getId());
    }
    return bytes;
  }

  @Test
  void oneThreadIsTheSingleModelAndInstancesMustBeDistinct() {
    ModelConfig gru = config(Cell.GRU, 2, 0, 1, false, Mode.MANY_TO_MANY, 3, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    assertSameAsSingle(gru, batch(gru, 3, 4, null, false, 10), 1);
    ModelParameters parameters = ModelParameters.initialize(gru, 1);
    ReferenceModel shared = new ReferenceModel(parameters);
    assertThrows(IllegalArgumentException.class, () -> new DataParallel(2, () -> shared));
    assertThrows(IllegalArgumentException.class, () -> new DataParallel(0, () -> shared));
    try (DataParallel parallel = parallel(parameters, 2)) {
      // Forward splits too; the accessors return one assembled array per result.
      Batch batch = batch(gru, 3, 4, null, false, 11);
      parallel.forward(batch.input, 3, 4, null, null, null);
      ReferenceModel single = new ReferenceModel(parameters, MAX_BATCH, MAX_LENGTH);
      single.forward(batch.input, 3, 4, null, null, null);
      assertClose(single.logits(), parallel.logits(), 3 * 4 * 3, "logits after forward");
      assertSame(parallel.hN(), parallel.hN());
    }
  }

  /** Runs a forward pass through one reference model and through DataParallel(threads): every result equal. */
  private static void assertForwardSameAsSingle(ModelConfig config, Batch batch, int threads) {
    ModelParameters parameters = ModelParameters.initialize(config, 5);
    ReferenceModel single = new ReferenceModel(parameters, MAX_BATCH, MAX_LENGTH);
    int b = batch.batch;
    int t = batch.steps;
    try (DataParallel parallel = new DataParallel(threads,
        () -> (dev.rnnc.runtime.RnnModel) new ReferenceModel(parameters, MAX_BATCH, MAX_LENGTH))) {
      for (int repeat = 0; repeat < 2; repeat++) { // the second call must refresh the assembled results
        Batch call = repeat == 0 ? batch : batch(config, b, t, batch.lengths, batch.h0 != null, 99);
        if (config.hasEmbedding()) {
          single.forwardTokens(call.tokens, b, t, call.lengths, call.h0, call.c0);
          parallel.forwardTokens(call.tokens, b, t, call.lengths, call.h0, call.c0);
        } else {
          single.forward(call.input, b, t, call.lengths, call.h0, call.c0);
          parallel.forward(call.input, b, t, call.lengths, call.h0, call.c0);
        }
        int rows = config.layers() * config.directions() * b;
        assertExact(single.hN(), parallel.hN(), rows * config.stateSize(), "hN");
        if (config.hasCellState()) {
          assertExact(single.cN(), parallel.cN(), rows * config.hidden(), "cN");
        }
        assertExact(single.output(), parallel.output(), b * t * config.featureSize(), "output");
        int positions = config.mode() == Mode.MANY_TO_MANY ? b * t : b;
        assertExact(single.logits(), parallel.logits(), positions * config.headSize(), "logits");
        assertExact(single.prediction(), parallel.prediction(), positions * config.headSize(), "prediction");
      }
      assertTrue(parallel.sliceCount(0) > 0 && parallel.sliceCount(threads - 1) > 0, "every slice had work");
    }
  }

  /** Sequences are independent, so a slice computes each of its sequences exactly as the whole batch does. */
  private static void assertExact(float[] expected, float[] actual, int n, String what) {
    boolean nonZero = false;
    for (int i = 0; i < n; i++) {
      nonZero |= expected[i] != 0;
      if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
        throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
      }
    }
    assertTrue(nonZero, what + " is all zero: the comparison would prove nothing");
  }

  @Test
  void forwardSplitsTheBatchOverThreadsAndEqualsOneInstance() {
    ModelConfig lstm = config(Cell.LSTM, 3, 0, 2, true, Mode.MANY_TO_MANY, 4, HeadActivation.SOFTMAX,
        Loss.CROSS_ENTROPY);
    assertForwardSameAsSingle(lstm, batch(lstm, 7, 6, new int[] {6, 1, 3, 6, 2, 5, 1}, true, 21), 2);
    assertForwardSameAsSingle(lstm, batch(lstm, 7, 6, null, false, 22), 3);
    ModelConfig gru = config(Cell.GRU, 4, 9, 1, false, Mode.MANY_TO_ONE, 2, HeadActivation.SIGMOID, Loss.BCE);
    assertForwardSameAsSingle(gru, batch(gru, 5, 4, new int[] {4, 2, 1, 3, 4}, true, 23), 2);
  }
}
