package dev.rnnc.benchmarks;

import dev.rnnc.benchmarks.models.TrainLstm64x128;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import dev.rnnc.runtime.train.Sgd;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training iteration of LSTM 64→128 + Linear 128→65 with cross-entropy at every step, on a batch of 32
 * sequences × 64 steps of dense input ({@code src/main/rnnc/train_lstm_64_128.yaml}): {@code computeGradients}
 * (forward, loss, BPTT), an SGD step on the parameters, and {@code setParameters} (the model repacks them).
 * The batch is fixed, as the peers' figures time one iteration on one batch.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.VECTOR_MODULE, ForkArgs.GC})
public class TrainBenchmark {
  static final int BATCH = 32;
  static final int STEPS = 64;
  /** Small enough that thousands of iterations on one batch stay numerically tame. */
  static final double LEARNING_RATE = 0.01;

  /** Parameters, optimiser and the batch; the subclass supplies the model. */
  @State(Scope.Thread)
  public abstract static class Training {
    ModelParameters parameters;
    Sgd sgd;
    Batch batch;
    TrainableModel model;

    void prepare() {
      ModelConfig config = TrainLstm64x128.CONFIG;
      if (config.maxBatch() < BATCH || config.maxLength() < STEPS) {
        throw new IllegalStateException("the training spec's limits are below " + BATCH + " × " + STEPS);
      }
      parameters = ModelParameters.initialize(config, BenchConfig.SEED);
      sgd = new Sgd(LEARNING_RATE);
      batch = new Batch();
      batch.batch = BATCH;
      batch.steps = STEPS;
      batch.input = Inputs.uniform(BATCH * STEPS * config.inputSize(), BenchConfig.SEED + 3);
      batch.classTargets = Inputs.classes(BATCH * STEPS, config.headSize(), BenchConfig.SEED + 4);
    }
  }

  /** The generated class. */
  public static class Generated extends Training {
    @Setup
    public void setUp() {
      Agreement.requireVectorKernels();
      prepare();
      model = new TrainLstm64x128(parameters);
      Agreement.requireGradients("generated training model", parameters, batch, model);
    }
  }

  /** The runtime's double-precision reference. */
  public static class Reference extends Training {
    @Setup
    public void setUp() {
      prepare();
      model = new ReferenceModel(parameters, BATCH, STEPS);
    }
  }

  @Benchmark
  public float rnnc(Generated state) {
    return iteration(state);
  }

  @Benchmark
  public float reference(Reference state) {
    return iteration(state);
  }

  /** Each benchmark method runs in its own fork, so this call site sees one model class. */
  private static float iteration(Training state) {
    float loss = state.model.computeGradients(state.batch);
    state.sgd.step(state.parameters, state.model.gradients());
    state.model.setParameters(state.parameters);
    return loss;
  }
}
