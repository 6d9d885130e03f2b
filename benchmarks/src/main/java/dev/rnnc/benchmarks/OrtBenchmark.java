package dev.rnnc.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ONNX Runtime Java (the JVM user's alternative to rnnc) running the same LSTMs as {@link StepBenchmark} and
 * {@link SequenceBenchmark}: the same parameters ({@link BenchConfig#parameters()}), the same inputs, as a
 * one-node ONNX model built in memory ({@link OnnxLstm}), on one thread (intra- and inter-op threads 1, sequential
 * execution, all graph optimisations). Each setup first checks that ONNX Runtime's results agree with the
 * generated float32 class's within {@link #AGREEMENT} on the same input, so both sides time the same computation.
 *
 * <ul>
 *   <li>{@code step}: one streaming step of batch 1 — X of length 1 with {@code initial_h}/{@code initial_c} fed
 *       from the previous step's {@code Y_h}/{@code Y_c}. ONNX Runtime at its best: every tensor wraps a direct
 *       buffer created at setup and the state outputs are written into pre-bound (pinned) tensors, two sets used
 *       alternately, so nothing is copied between steps but the new input.</li>
 *   <li>{@code stepFeedingResults}: the same step as most code writes it: the previous {@code Result}'s
 *       {@code Y_h}/{@code Y_c} tensors passed straight in as the next step's state, the previous result closed
 *       after the run.</li>
 *   <li>{@code sequence}: one run over {@link SequenceBenchmark#STEPS} steps of {@code batch} sequences from the
 *       zero state (no state inputs), {@code Y}, {@code Y_h}, {@code Y_c} into pinned tensors; compare with
 *       {@code SequenceBenchmark.rnnc} at the same batch.</li>
 * </ul>
 *
 * ONNX Runtime's CPU LSTM computes in float32 only, so there is no bf16 counterpart: compare the {@code _BF16}
 * configurations of the other benchmarks with this one's float32 figures.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {ForkArgs.VECTOR_MODULE, ForkArgs.GC})
public class OrtBenchmark {
  /** Largest |ONNX Runtime − rnnc float32| accepted at setup on any output or state value. */
  static final double AGREEMENT = 1e-4;

  /** A session over one model on one thread. */
  static OrtSession session(OrtEnvironment environment, byte[] model) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      return environment.createSession(model, options);
    }
  }

  /** A direct, native-order buffer of {@code count} zeros: ONNX Runtime reads and writes it in place. */
  static FloatBuffer direct(int count) {
    return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  static float[] contents(FloatBuffer buffer) {
    float[] values = new float[buffer.capacity()];
    buffer.get(0, values);
    return values;
  }

  /** Refuses configurations this benchmark cannot express in ONNX Runtime. */
  static void requireFloatLstm(BenchConfig config) {
    ModelConfig model = config.modelConfig();
    if (model.cell() != ModelConfig.Cell.LSTM || config.bf16()) {
      throw new IllegalArgumentException(config + ": OrtBenchmark runs the float32 LSTM configurations ("
          + "ONNX Runtime's CPU LSTM has no bf16 weights; compare the _BF16 rnnc figures with the float32 ones here)");
    }
  }

  /** One ONNX Runtime session stepping one stream. */
  @State(Scope.Thread)
  public static class Step {
    @Param({"LSTM_64_128", "LSTM_256_512", "LSTM_512_1024"})
    public BenchConfig config;

    OrtEnvironment environment;
    OrtSession session;
    float[] inputs;
    int inputSize;
    int offset;

    FloatBuffer x;
    OnnxTensor xTensor;
    /** Two state sets (h, c): a step reads set {@code current} and writes the other. */
    final FloatBuffer[] h = new FloatBuffer[2];
    final FloatBuffer[] c = new FloatBuffer[2];
    final OnnxTensor[] hTensor = new OnnxTensor[2];
    final OnnxTensor[] cTensor = new OnnxTensor[2];
    @SuppressWarnings("unchecked")
    final Map<String, OnnxTensor>[] feeds = new Map[2];
    @SuppressWarnings("unchecked")
    final Map<String, OnnxTensor>[] pinned = new Map[2];
    int current;

    /** {@code stepFeedingResults}: the previous result, whose state tensors feed the next step. */
    OrtSession.Result previous;
    OnnxTensor zeroH;
    OnnxTensor zeroC;

    @Setup
    public void setUp() throws OrtException {
      requireFloatLstm(config);
      ModelParameters parameters = config.parameters();
      ModelConfig model = parameters.config();
      inputSize = model.inputSize();
      int hidden = model.hidden();
      inputs = Inputs.uniform(StepBenchmark.STEPS_IN_BUFFER * inputSize, BenchConfig.SEED + 1); // StepBenchmark's
      environment = OrtEnvironment.getEnvironment();
      session = session(environment, OnnxLstm.model(parameters, 1, 1, true, false));
      long[] xShape = {1, 1, inputSize};
      long[] stateShape = {1, 1, hidden};
      x = direct(inputSize);
      xTensor = OnnxTensor.createTensor(environment, x, xShape);
      for (int s = 0; s < 2; s++) {
        h[s] = direct(hidden);
        c[s] = direct(hidden);
        hTensor[s] = OnnxTensor.createTensor(environment, h[s], stateShape);
        cTensor[s] = OnnxTensor.createTensor(environment, c[s], stateShape);
      }
      for (int s = 0; s < 2; s++) {
        feeds[s] = Map.of("X", xTensor, "initial_h", hTensor[s], "initial_c", cTensor[s]);
        pinned[s] = Map.of("Y_h", hTensor[1 - s], "Y_c", cTensor[1 - s]);
      }
      zeroH = OnnxTensor.createTensor(environment, direct(hidden), stateShape);
      zeroC = OnnxTensor.createTensor(environment, direct(hidden), stateShape);

      requireAgreement(parameters);
    }

    /** Both step variants follow the generated float32 class step by step for {@link Agreement#CHECK_STEPS}. */
    private void requireAgreement(ModelParameters parameters) throws OrtException {
      StreamingModel rnnc = config.generatedStreaming(parameters);
      int hidden = parameters.config().hidden();
      int steps = Agreement.CHECK_STEPS;
      float[] expected = new float[steps * hidden];
      float[] pinnedOutputs = new float[steps * hidden];
      float[] resultOutputs = new float[steps * hidden];
      for (int t = 0; t < steps; t++) {
        rnnc.step(inputs, t * inputSize);
        System.arraycopy(rnnc.stepOutput(), 0, expected, t * hidden, hidden);
        offset = t * inputSize;
        pinnedStep();
        h[current].get(0, pinnedOutputs, t * hidden, hidden);
        offset = t * inputSize;
        OnnxTensor state = resultStep();
        state.getFloatBuffer().get(resultOutputs, t * hidden, hidden);
      }
      Agreement.requireClose("ONNX Runtime " + config + " step (pinned state tensors)", expected, pinnedOutputs,
          AGREEMENT, 0);
      Agreement.requireClose("ONNX Runtime " + config + " step (result tensors fed back)", expected, resultOutputs,
          AGREEMENT, 0);
      resetState();
    }

    private void resetState() {
      for (int s = 0; s < 2; s++) {
        h[s].put(0, new float[h[s].capacity()]);
        c[s].put(0, new float[c[s].capacity()]);
      }
      current = 0;
      offset = 0;
      if (previous != null) {
        previous.close();
        previous = null;
      }
    }

    private void nextInput() {
      x.put(0, inputs, offset, inputSize);
      int following = offset + inputSize;
      offset = following == inputs.length ? 0 : following;
    }

    /** One step reading state set {@code current}, writing the other; returns the step's output buffer. */
    FloatBuffer pinnedStep() throws OrtException {
      nextInput();
      int s = current;
      session.run(feeds[s], pinned[s]).close(); // the pinned tensors stay open: the result does not own them
      current = 1 - s;
      return h[current];
    }

    /** One step fed the previous result's state tensors; returns the step's Y_h. */
    OnnxTensor resultStep() throws OrtException {
      nextInput();
      OnnxTensor lastH = previous == null ? zeroH : (OnnxTensor) previous.get("Y_h").orElseThrow();
      OnnxTensor lastC = previous == null ? zeroC : (OnnxTensor) previous.get("Y_c").orElseThrow();
      Map<String, OnnxTensor> feed = new HashMap<>(4);
      feed.put("X", xTensor);
      feed.put("initial_h", lastH);
      feed.put("initial_c", lastC);
      OrtSession.Result result = session.run(feed);
      if (previous != null) {
        previous.close();
      }
      previous = result;
      return (OnnxTensor) result.get("Y_h").orElseThrow();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
      if (previous != null) {
        previous.close();
      }
      for (OnnxValue value : new OnnxValue[] {xTensor, hTensor[0], hTensor[1], cTensor[0], cTensor[1], zeroH, zeroC}) {
        value.close();
      }
      session.close();
    }
  }

  /** One ONNX Runtime session running whole sequences. */
  @State(Scope.Thread)
  public static class Sequence {
    @Param({"LSTM_64_128", "LSTM_256_512", "LSTM_512_1024"})
    public BenchConfig config;

    /** Sequences per call, as {@code SequenceBenchmark}'s {@code batch}. */
    @Param({"1"})
    public int batch;

    OrtEnvironment environment;
    OrtSession session;
    OnnxTensor xTensor;
    FloatBuffer y;
    FloatBuffer yH;
    FloatBuffer yC;
    OnnxTensor yTensor;
    OnnxTensor yHTensor;
    OnnxTensor yCTensor;
    Map<String, OnnxTensor> feed;
    Map<String, OnnxTensor> pinned;

    @Setup
    public void setUp() throws OrtException {
      requireFloatLstm(config);
      ModelParameters parameters = config.parameters();
      ModelConfig model = parameters.config();
      if (batch < 1 || batch > model.maxBatch()) {
        throw new IllegalArgumentException("batch " + batch + " is outside 1.." + model.maxBatch()
            + ", what the spec of " + config + " allows (the agreement check runs the generated class)");
      }
      int steps = SequenceBenchmark.STEPS;
      int input = model.inputSize();
      int hidden = model.hidden();
      // SequenceBenchmark's numbers, [batch, steps, input]; ONNX takes them time first
      float[] batchFirst = Inputs.uniform(batch * steps * input, BenchConfig.SEED + 2);
      environment = OrtEnvironment.getEnvironment();
      session = session(environment, OnnxLstm.model(parameters, steps, batch, false, true));
      FloatBuffer x = direct(steps * batch * input);
      for (int t = 0; t < steps; t++) {
        for (int b = 0; b < batch; b++) {
          x.put((t * batch + b) * input, batchFirst, (b * steps + t) * input, input);
        }
      }
      xTensor = OnnxTensor.createTensor(environment, x, new long[] {steps, batch, input});
      y = direct(steps * batch * hidden);
      yH = direct(batch * hidden);
      yC = direct(batch * hidden);
      yTensor = OnnxTensor.createTensor(environment, y, new long[] {steps, 1, batch, hidden});
      yHTensor = OnnxTensor.createTensor(environment, yH, new long[] {1, batch, hidden});
      yCTensor = OnnxTensor.createTensor(environment, yC, new long[] {1, batch, hidden});
      feed = Map.of("X", xTensor);
      pinned = Map.of("Y", yTensor, "Y_h", yHTensor, "Y_c", yCTensor);

      RnnModel rnnc = config.generated(parameters);
      rnnc.forward(batchFirst, batch, steps, null, null, null);
      run();
      float[] ort = contents(y);
      float[] ortBatchFirst = new float[batch * steps * hidden];
      for (int t = 0; t < steps; t++) {
        for (int b = 0; b < batch; b++) {
          System.arraycopy(ort, (t * batch + b) * hidden, ortBatchFirst, (b * steps + t) * hidden, hidden);
        }
      }
      String what = "ONNX Runtime " + config + " batch " + batch;
      Agreement.requireClose(what + " Y", java.util.Arrays.copyOf(rnnc.output(), ortBatchFirst.length),
          ortBatchFirst, AGREEMENT, 0);
      Agreement.requireClose(what + " Y_h", java.util.Arrays.copyOf(rnnc.hN(), batch * hidden), contents(yH),
          AGREEMENT, 0);
      Agreement.requireClose(what + " Y_c", java.util.Arrays.copyOf(rnnc.cN(), batch * hidden), contents(yC),
          AGREEMENT, 0);
    }

    void run() throws OrtException {
      session.run(feed, pinned).close();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
      for (OnnxValue value : new OnnxValue[] {xTensor, yTensor, yHTensor, yCTensor}) {
        value.close();
      }
      session.close();
    }
  }

  @Benchmark
  public FloatBuffer step(Step state) throws OrtException {
    return state.pinnedStep();
  }

  @Benchmark
  public OnnxTensor stepFeedingResults(Step state) throws OrtException {
    return state.resultStep();
  }

  @Benchmark
  public FloatBuffer sequence(Sequence state) throws OrtException {
    state.run();
    return state.yH;
  }
}
