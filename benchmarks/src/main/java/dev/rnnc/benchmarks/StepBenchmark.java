package dev.rnnc.benchmarks;

import dev.rnnc.benchmarks.baseline.ScalarCell;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Streaming latency: one {@code step} of batch 1 per operation, the state carried from op to op (a model
 * following a live signal). Inputs cycle through {@link #STEPS_IN_BUFFER} pre-drawn vectors, so the state
 * keeps moving instead of settling at a fixed point.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.VECTOR_MODULE, ForkArgs.GC})
public class StepBenchmark {
  static final int STEPS_IN_BUFFER = 128;

  /** The configuration and the cycling input; one instance per benchmark thread. */
  @State(Scope.Thread)
  public abstract static class Stream {
    @Param
    public BenchConfig config;

    ModelParameters parameters;
    float[] inputs;
    private int inputSize;
    private int offset;

    void draw() {
      parameters = config.parameters();
      inputSize = parameters.config().inputSize();
      inputs = Inputs.uniform(STEPS_IN_BUFFER * inputSize, BenchConfig.SEED + 1);
      offset = 0;
    }

    /** Offset of the next step's input vector. */
    final int next() {
      int current = offset;
      int following = current + inputSize;
      offset = following == inputs.length ? 0 : following;
      return current;
    }
  }

  /** The generated class. */
  public static class Generated extends Stream {
    StreamingModel model;

    @Setup
    public void setUp() {
      Agreement.requireVectorKernels();
      draw();
      model = config.generatedStreaming(parameters);
      // a bf16 class is held to the reference on the bf16-rounded weights it computes with
      Agreement.requireSteps("generated " + config, config.effectiveParameters(parameters), inputs, model);
    }
  }

  /** The runtime's double-precision reference. */
  public static class Reference extends Stream {
    StreamingModel model;

    @Setup
    public void setUp() {
      draw();
      model = new ReferenceModel(parameters, 1, STEPS_IN_BUFFER);
    }
  }

  /** The hand-written scalar cell. */
  public static class Scalar extends Stream {
    ScalarCell cell;

    @Setup
    public void setUp() {
      draw();
      cell = ScalarCell.of(parameters);
      Agreement.requireSteps("scalar " + config, parameters, inputs, cell);
    }
  }

  @Benchmark
  public float[] rnnc(Generated state) {
    state.model.step(state.inputs, state.next());
    return state.model.stepOutput();
  }

  @Benchmark
  public float[] reference(Reference state) {
    state.model.step(state.inputs, state.next());
    return state.model.stepOutput();
  }

  @Benchmark
  public float[] scalar(Scalar state) {
    state.cell.step(state.inputs, state.next());
    return state.cell.hidden();
  }
}
