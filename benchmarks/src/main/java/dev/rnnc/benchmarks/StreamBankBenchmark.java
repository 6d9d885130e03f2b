package dev.rnnc.benchmarks;

import dev.rnnc.benchmarks.models.Lstm64x128;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.stream.GenericStreamBank;
import dev.rnnc.runtime.stream.StreamBank;
import java.util.Arrays;
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
 * Many streams of LSTM 64→128: one operation advances all {@code streams} open streams of a bank by one step
 * ({@link StreamBank#step}), against the single-stream {@code step} of the same model in the same run. Divide a
 * bank's time per operation by {@code streams} for the time per stream step; its ratio to {@link #singleStep}
 * is the figure the bank exists for.
 *
 * <ul>
 *   <li>{@code generatedBank}: the generated {@code Lstm64x128.Bank} (a blocked product over all streams).</li>
 *   <li>{@code genericBank}: {@link GenericStreamBank} over the same class (the model's own step, one stream
 *       at a time, plus swapping each stream's state in and out).</li>
 *   <li>{@code singleStep}: {@code Lstm64x128.step} of one stream.</li>
 * </ul>
 * Inputs cycle through {@link #BUFFERS} pre-drawn sets, so the states keep moving. Setup checks that the generated
 * bank's outputs equal the generic bank's bit for bit before anything is timed.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.VECTOR_MODULE, ForkArgs.GC})
public class StreamBankBenchmark {
  static final int BUFFERS = 16;

  /** A bank with {@code streams} open streams and cycling inputs. */
  @State(Scope.Thread)
  public abstract static class Streams {
    @Param({"1", "8", "64", "512"})
    public int streams;

    StreamBank bank;
    int[] ids;
    float[][] inputs;
    float[] outputs;
    private int next;

    void open(StreamBank bank) {
      this.bank = bank;
      ids = new int[streams];
      for (int i = 0; i < streams; i++) {
        ids[i] = bank.open();
      }
      inputs = new float[BUFFERS][];
      for (int b = 0; b < BUFFERS; b++) {
        inputs[b] = Inputs.uniform(streams * Lstm64x128.INPUT_SIZE, BenchConfig.SEED + 1 + b);
      }
      outputs = new float[streams * bank.outputSize()];
    }

    final float[] nextInputs() {
      float[] x = inputs[next];
      next = next + 1 == BUFFERS ? 0 : next + 1;
      return x;
    }
  }

  /** The generated bank, checked against the generic one first. */
  public static class Generated extends Streams {
    @Setup
    public void setUp() {
      Agreement.requireVectorKernels();
      ModelParameters parameters = BenchConfig.LSTM_64_128.parameters();
      open(new Lstm64x128(parameters).newStreamBank(streams));
      Generic oracle = new Generic();
      oracle.streams = streams;
      oracle.setUp();
      float[] expected = new float[outputs.length];
      for (int s = 0; s < 2 * BUFFERS; s++) {
        float[] x = nextInputs();
        bank.step(ids, streams, x, outputs);
        oracle.bank.step(oracle.ids, streams, x, expected);
        if (!Arrays.equals(expected, outputs)) {
          throw new IllegalStateException("the generated bank disagrees with GenericStreamBank at step " + s);
        }
      }
    }
  }

  /** The portable bank over the same generated class. */
  public static class Generic extends Streams {
    @Setup
    public void setUp() {
      ModelParameters parameters = BenchConfig.LSTM_64_128.parameters();
      open(new GenericStreamBank(new Lstm64x128(parameters), streams));
    }
  }

  /** One stream through the model's own step. */
  @State(Scope.Thread)
  public static class Single {
    StreamingModel model;
    float[] inputs;
    private int offset;

    @Setup
    public void setUp() {
      Agreement.requireVectorKernels();
      model = new Lstm64x128(BenchConfig.LSTM_64_128.parameters());
      inputs = Inputs.uniform(BUFFERS * Lstm64x128.INPUT_SIZE, BenchConfig.SEED + 1);
    }

    final int next() {
      int current = offset;
      offset = current + Lstm64x128.INPUT_SIZE == inputs.length ? 0 : current + Lstm64x128.INPUT_SIZE;
      return current;
    }
  }

  @Benchmark
  public float[] generatedBank(Generated s) {
    s.bank.step(s.ids, s.streams, s.nextInputs(), s.outputs);
    return s.outputs;
  }

  @Benchmark
  public float[] genericBank(Generic s) {
    s.bank.step(s.ids, s.streams, s.nextInputs(), s.outputs);
    return s.outputs;
  }

  @Benchmark
  public float[] singleStep(Single s) {
    s.model.step(s.inputs, s.next());
    return s.model.stepOutput();
  }
}
