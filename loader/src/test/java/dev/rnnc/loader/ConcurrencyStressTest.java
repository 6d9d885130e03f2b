package dev.rnnc.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.DataParallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Concurrency (issue 13 item 4): many threads, each with its own instance over one shared {@code Weights},
 * compute bit for bit what one thread computes, for forward passes, streaming steps and gradients, over many
 * iterations; each thread training its own copy gives the single-threaded trajectory; a failing
 * {@link DataParallel} worker surfaces its exception on the caller and leaves no thread behind.
 *
 * <p>Threads outnumber this machine's two cores on purpose: instances are preempted mid-call, so a piece of
 * state shared by accident (a static buffer, a lazily filled pack in the weights) would be overwritten between
 * another thread's writes and reads, and the results would differ.
 */
class ConcurrencyStressTest {
  private static final int THREADS = 8;
  private static final int ITERATIONS = 40;
  private static final int TASKS = 6;
  private static final int BATCH = 4;
  private static final int STEPS = 12;

  private static final String SPEC = """
      model: StressLstm
      package: t.stress
      cell: lstm
      input: 7
      hidden: 24
      layers: 2
      head: {size: 5, activation: softmax}
      limits: {max_batch: 4, max_length: 12}
      training: {loss: cross_entropy}
      """;

  private static ModelClass modelClass;
  private static ModelConfig config;
  private static ModelParameters parameters;
  private static List<Batch> tasks;
  /** One thread's results per task: forward outputs, then streaming outputs, then loss and gradients. */
  private static List<float[]> expected;

  @BeforeAll
  static void compileAndComputeAlone() {
    modelClass = RnnModels.builder().noDiskCache().build().modelClass(SpecParser.parse("stress.yaml", SPEC));
    config = modelClass.config();
    parameters = ModelParameters.initialize(config, 42);
    tasks = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      tasks.add(batch(new SplittableRandom(100 + i)));
    }
    RnnModel alone = modelClass.newInstance(parameters);
    expected = new ArrayList<>();
    for (Batch task : tasks) {
      expected.add(run(alone, task));
    }
  }

  private static Batch batch(SplittableRandom random) {
    Batch b = new Batch();
    b.batch = BATCH;
    b.steps = STEPS;
    b.input = new float[BATCH * STEPS * config.inputSize()];
    for (int i = 0; i < b.input.length; i++) {
      b.input[i] = (float) random.nextDouble(-1, 1);
    }
    b.lengths = new int[BATCH];
    for (int s = 0; s < BATCH; s++) {
      b.lengths[s] = 1 + random.nextInt(STEPS);
    }
    b.classTargets = new int[BATCH * STEPS];
    for (int i = 0; i < b.classTargets.length; i++) {
      b.classTargets[i] = random.nextInt(config.outputSize());
    }
    return b;
  }

  /** Forward, a streaming pass over sequence 0 and the gradients of one task, in one array. */
  private static float[] run(RnnModel model, Batch task) {
    List<float[]> parts = new ArrayList<>();
    model.forward(task.input, task.batch, task.steps, task.lengths, null, null);
    parts.add(model.prediction().clone());
    parts.add(model.hN().clone());
    parts.add(model.cN().clone());
    StreamingModel streaming = (StreamingModel) model;
    streaming.resetState();
    for (int t = 0; t < task.lengths[0]; t++) {
      streaming.step(task.input, t * config.inputSize());
      parts.add(streaming.stepPrediction().clone());
    }
    TrainableModel trainable = (TrainableModel) model;
    parts.add(new float[] {trainable.computeGradients(task)});
    ModelParameters gradients = trainable.gradients();
    for (String name : gradients.names()) {
      parts.add(gradients.get(name).clone());
    }
    parts.add(trainable.inputGradient().clone());
    int size = parts.stream().mapToInt(p -> p.length).sum();
    float[] all = new float[size];
    int at = 0;
    for (float[] part : parts) {
      System.arraycopy(part, 0, all, at, part.length);
      at += part.length;
    }
    return all;
  }

  @Test
  void threadsSharingWeightsComputeWhatOneThreadComputes() throws Exception {
    ModelClass.SharedWeights shared = modelClass.weights(parameters);
    CyclicBarrier start = new CyclicBarrier(THREADS);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int thread = 0; thread < THREADS; thread++) {
        int id = thread;
        results.add(pool.submit(() -> {
          RnnModel mine = shared.newInstance();
          start.await();
          int checked = 0;
          for (int i = 0; i < ITERATIONS; i++) {
            int task = (id + i) % TASKS;
            float[] actual = run(mine, tasks.get(task));
            if (!Arrays.equals(expected.get(task), actual)) {
              throw new AssertionError("thread " + id + ", iteration " + i + ", task " + task + ": results differ"
                  + " from the single-threaded ones");
            }
            checked++;
          }
          return checked;
        }));
      }
      for (Future<Integer> result : results) {
        assertEquals(ITERATIONS, result.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void threadsTrainingTheirOwnCopiesFollowTheSameTrajectory() throws Exception {
    int steps = 15;
    float[][] alone = train(steps);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<float[][]>> results = new ArrayList<>();
      for (int thread = 0; thread < THREADS; thread++) {
        results.add(pool.submit(() -> train(steps)));
      }
      for (Future<float[][]> result : results) {
        float[][] trained = result.get(60, TimeUnit.SECONDS);
        for (int p = 0; p < alone.length; p++) {
          assertArrayEquals(alone[p], trained[p], "parameter " + p + " after " + steps + " Adam steps");
        }
      }
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  /** Adam on a private copy of the parameters (its own weights: training changes them), cycling through the tasks. */
  private static float[][] train(int steps) {
    ModelParameters mine = parameters.copy();
    TrainableModel model = (TrainableModel) modelClass.newInstance(mine);
    Adam adam = new Adam(1e-2, 0.9, 0.999, 1e-8, 0, false);
    for (int s = 0; s < steps; s++) {
      model.computeGradients(tasks.get(s % TASKS));
      adam.step(mine, model.gradients());
      model.setParameters(mine);
    }
    return mine.names().stream().map(mine::get).toArray(float[][]::new);
  }

  /** A model whose gradient computation fails on demand, standing for a worker's instance going wrong. */
  private static final class Failing extends ForwardingModel {
    volatile Throwable failure;

    Failing(TrainableModel model) {
      super(model);
    }

    @Override
    public float computeGradients(Batch batch) {
      Throwable f = failure;
      if (f instanceof RuntimeException e) {
        throw e;
      }
      if (f instanceof Error e) {
        throw e;
      }
      return super.computeGradients(batch);
    }
  }

  private static long dataParallelThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("rnnc-data-parallel-") && t.isAlive()).count();
  }

  @Test
  void aFailingDataParallelWorkerSurfacesItsExceptionAndLeavesNoThread() throws Exception {
    long before = dataParallelThreads();
    List<Failing> instances = new ArrayList<>();
    DataParallel parallel = new DataParallel(3, () -> {
      Failing f = new Failing((TrainableModel) modelClass.newInstance(parameters.copy()));
      instances.add(f);
      return f;
    });
    Batch task = tasks.get(0);
    float healthy;
    try {
      assertEquals(before + 2, dataParallelThreads(), "two workers besides the caller");
      healthy = parallel.computeGradients(task);

      RuntimeException bug = new IllegalStateException("slice 2 went wrong");
      instances.get(2).failure = bug;
      RuntimeException surfaced = assertThrows(RuntimeException.class, () -> parallel.computeGradients(task));
      assertSame(bug, rootCause(surfaced), "the worker's own exception is the cause: " + surfaced);

      instances.get(2).failure = new StackOverflowError("deep");
      Throwable error = assertThrows(Throwable.class, () -> parallel.computeGradients(task));
      assertInstanceOf(StackOverflowError.class, rootCause(error), "an Error on a worker surfaces too");

      instances.get(2).failure = null;
      assertEquals(healthy, parallel.computeGradients(task), "the pool still works after a failure");
      assertEquals(before + 2, dataParallelThreads(), "no worker died or was added");
    } finally {
      parallel.close();
    }
    assertEquals(before, dataParallelThreads(), "close() leaves no worker thread behind");
    assertThrows(IllegalStateException.class, () -> parallel.computeGradients(task));
  }

  private static Throwable rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }
}
