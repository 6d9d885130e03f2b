package dev.rnnc.benchmarks;

import dev.rnnc.benchmarks.baseline.ScalarCell;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whole-sequence inference: one {@code forward} over {@link #STEPS} steps of a batch ({@code batch}, 1 unless
 * {@code -p batch=64}) per operation, from the zero state. The score is per call; the results script divides by
 * {@link #STEPS} for the per-step figure. (No {@link OperationsPerInvocation}, so the JSON stays per call, as the
 * ONNX Runtime figure is quoted.) Batches above 1 need a configuration whose spec allows them (the LSTMs from
 * 64→128 up allow 64) and the {@code rnnc} or {@code reference} method; the scalar cell steps one stream.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.VECTOR_MODULE, ForkArgs.GC})
public class SequenceBenchmark {
  /** Steps per call (the results script reads this number from here, keep them in step). */
  public static final int STEPS = 100;

  /** The configuration and one batch of sequences {@code [batch, STEPS, inputSize]} (batch first). */
  @State(Scope.Thread)
  public abstract static class Sequence {
    @Param
    public BenchConfig config;

    /** Sequences per call. */
    @Param({"1"})
    public int batch;

    ModelParameters parameters;
    float[] inputs;
    int inputSize;

    void draw() {
      parameters = config.parameters();
      if (batch < 1 || batch > parameters.config().maxBatch()) {
        throw new IllegalArgumentException("batch " + batch + " is outside 1.." + parameters.config().maxBatch()
            + ", what the spec of " + config + " allows (its limits: max_batch)");
      }
      inputSize = parameters.config().inputSize();
      // batch 1 draws exactly the numbers it always has: the first row of any larger batch
      inputs = Inputs.uniform(batch * STEPS * inputSize, BenchConfig.SEED + 2);
    }
  }

  /** The generated class. */
  public static class Generated extends Sequence {
    RnnModel model;

    @Setup
    public void setUp() {
      Agreement.requireVectorKernels();
      draw();
      model = config.generated(parameters);
      Agreement.requireForward("generated " + config, config.effectiveParameters(parameters), inputs, batch, STEPS,
          model);
    }
  }

  /** The runtime's double-precision reference. */
  public static class Reference extends Sequence {
    RnnModel model;

    @Setup
    public void setUp() {
      draw();
      model = new ReferenceModel(parameters, batch, STEPS);
    }
  }

  /** The hand-written scalar cell, stepped {@link #STEPS} times. */
  public static class Scalar extends Sequence {
    ScalarCell cell;

    @Setup
    public void setUp() {
      if (batch != 1) {
        throw new IllegalArgumentException("the scalar cell steps one stream: run it with batch 1, not " + batch);
      }
      draw();
      cell = ScalarCell.of(parameters);
      Agreement.requireSteps("scalar " + config, parameters, inputs, cell);
    }
  }

  @Benchmark
  public float[] rnnc(Generated state) {
    state.model.forward(state.inputs, state.batch, STEPS, null, null, null);
    return state.model.hN();
  }

  @Benchmark
  public float[] reference(Reference state) {
    state.model.forward(state.inputs, state.batch, STEPS, null, null, null);
    return state.model.hN();
  }

  @Benchmark
  public float[] scalar(Scalar state) {
    ScalarCell cell = state.cell;
    cell.reset();
    for (int t = 0; t < STEPS; t++) {
      cell.step(state.inputs, t * state.inputSize);
    }
    return cell.hidden();
  }
}
