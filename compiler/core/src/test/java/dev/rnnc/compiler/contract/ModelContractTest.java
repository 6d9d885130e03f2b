package dev.rnnc.compiler.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.compiler.emit.GeneratedModels;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The model contract ({@link RnnModel}, {@link StreamingModel}, {@link TrainableModel}), run against both
 * implementations: the runtime's {@link ReferenceModel} and the classes rnnc generates.
 *
 * <ul>
 *   <li>Valid calls give the same outputs and states (to the parity tolerance: the reference runs in double).
 *   <li>Invalid calls (sizes out of range, lengths of 0 or beyond {@code steps}, token ids out of range, wrong
 *       array sizes, the wrong kind of input) throw {@link IllegalArgumentException} with the message written
 *       here, the same for both, before anything observable changes: every result array and the streaming
 *       state hold what they held before the call.
 * </ul>
 */
class ModelContractTest {
  /** Unidirectional, stacked, dense input, cell state, per-step sigmoid head: streams and trains. */
  private static final String DENSE_LSTM = """
      model: ContractLstm
      package: t.contract
      cell: lstm
      input: 3
      hidden: 6
      layers: 2
      head: {size: 2, activation: sigmoid}
      limits: {max_batch: 3, max_length: 5}
      training: {loss: mse}
      """;
  /** Token ids through an embedding, many-to-one softmax head: streams and trains. */
  private static final String TOKEN_GRU = """
      model: ContractGru
      package: t.contract
      cell: gru
      embedding: {vocab: 7, dim: 4}
      hidden: 5
      mode: many_to_one
      head: {size: 3, activation: softmax}
      limits: {max_batch: 2, max_length: 4}
      training: {loss: cross_entropy}
      """;
  /** Bidirectional (no streaming), no head, no training. */
  private static final String BIDI_RNN = """
      model: ContractRnn
      package: t.contract
      cell: rnn
      input: 2
      hidden: 4
      layers: 2
      bidirectional: true
      limits: {max_batch: 2, max_length: 3}
      """;

  private static final double ABS = 1e-5;
  private static final double REL = 1e-4;

  private static List<GeneratedModels.Compiled> compiled;

  @BeforeAll
  static void compile() {
    compiled = GeneratedModels.compile(List.of(DENSE_LSTM, TOKEN_GRU, BIDI_RNN));
  }

  /** The two implementations of the contract. */
  enum Implementation {
    REFERENCE,
    GENERATED;

    RnnModel create(GeneratedModels.Compiled model, ModelParameters parameters) {
      return this == REFERENCE ? new ReferenceModel(parameters) : (RnnModel) model.instantiate(parameters);
    }
  }

  static Stream<Arguments> subjects() {
    List<Arguments> subjects = new ArrayList<>();
    for (String spec : List.of("ContractLstm", "ContractGru", "ContractRnn")) {
      for (Implementation implementation : Implementation.values()) {
        subjects.add(Arguments.of(spec, implementation));
      }
    }
    return subjects.stream();
  }

  private static GeneratedModels.Compiled model(String name) {
    return compiled.stream().filter(c -> c.spec().modelName().equals(name)).findFirst().orElseThrow();
  }

  private static ModelParameters parameters(ModelConfig config) {
    return ModelParameters.initialize(config, 42);
  }

  // ------------------------------------------------------------------------------------------ bad arguments

  /** One invalid call and the message the contract requires. */
  private record Rejected(String what, String message, Consumer<RnnModel> call) {}

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("subjects")
  void rejectsBadArgumentsWithTheContractsMessageBeforeChangingAnything(String name, Implementation implementation) {
    GeneratedModels.Compiled compiled = model(name);
    ModelConfig config = compiled.spec().config();
    List<Rejected> cases = rejectedCalls(config);
    assertTrue(cases.size() >= 12, "cases: " + cases.size());
    for (Rejected rejected : cases) {
      RnnModel model = implementation.create(compiled, parameters(config));
      fillResults(model, config);
      Observable before = Observable.of(model);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rejected.call().accept(model),
          implementation + " " + name + ": " + rejected.what() + " was accepted");
      assertEquals(rejected.message(), e.getMessage(), implementation + " " + name + ": " + rejected.what());
      before.assertUnchanged(Observable.of(model), implementation + " " + name + ": " + rejected.what());
    }
  }

  /** A valid forward call and, for streaming models, a few steps, so that results hold non-zero values. */
  private static void fillResults(RnnModel model, ModelConfig config) {
    Input in = Input.random(config, config.maxBatch(), config.maxLength(), new SplittableRandom(3));
    in.forward(model, null, null, null);
    if (model instanceof StreamingModel stream && !config.bidirectional()) {
      for (int t = 0; t < 2; t++) {
        in.step(stream, t);
      }
    }
  }

  private static List<Rejected> rejectedCalls(ModelConfig config) {
    int maxBatch = config.maxBatch();
    int maxLength = config.maxLength();
    int batch = maxBatch;
    int steps = Math.min(3, maxLength);
    int states = config.layers() * config.directions() * batch * config.stateSize();
    int cells = config.layers() * config.directions() * batch * config.hidden();
    SplittableRandom random = new SplittableRandom(5);
    Input big = Input.random(config, maxBatch + 1, maxLength + 1, random);
    Input in = Input.random(config, batch, steps, random);
    List<Rejected> cases = new ArrayList<>();

    cases.add(new Rejected("batch 0", "batch must be in [1, " + maxBatch + "], got 0",
        m -> big.forward(m, 0, steps, null)));
    cases.add(new Rejected("batch beyond the limit", "batch must be in [1, " + maxBatch + "], got " + (maxBatch + 1),
        m -> big.forward(m, maxBatch + 1, steps, null)));
    cases.add(new Rejected("0 steps", "steps must be in [1, " + maxLength + "], got 0",
        m -> big.forward(m, batch, 0, null)));
    cases.add(new Rejected("steps beyond the limit", "steps must be in [1, " + maxLength + "], got " + (maxLength + 1),
        m -> big.forward(m, batch, maxLength + 1, null)));

    int[] zero = filled(batch, steps);
    zero[batch - 1] = 0;
    cases.add(new Rejected("a length of 0", "lengths[" + (batch - 1) + "] must be in [1, " + steps + "], got 0",
        m -> in.forward(m, batch, steps, zero)));
    int[] tooLong = filled(batch, steps);
    tooLong[0] = steps + 1;
    cases.add(new Rejected("a length beyond steps", "lengths[0] must be in [1, " + steps + "], got " + (steps + 1),
        m -> in.forward(m, batch, steps, tooLong)));
    cases.add(new Rejected("too few lengths", "lengths has " + (batch - 1) + " elements, needs " + batch,
        m -> in.forward(m, batch, steps, new int[batch - 1])));

    cases.add(new Rejected("short h0", "h0 has " + (states - 1) + " elements, needs " + states,
        m -> in.forward(m, batch, steps, null, new float[states - 1], null)));
    if (config.hasCellState()) {
      cases.add(new Rejected("short c0", "c0 has " + (cells - 1) + " elements, needs " + cells,
          m -> in.forward(m, batch, steps, null, null, new float[cells - 1])));
    } else {
      cases.add(new Rejected("c0 without cell state", "c0 is only for LSTM models",
          m -> in.forward(m, batch, steps, null, null, new float[cells])));
    }

    if (config.hasEmbedding()) {
      int vocab = config.vocab();
      int[] low = in.tokens.clone();
      low[batch * steps - 1] = -1;
      cases.add(new Rejected("token id -1", "token id at [" + (batch - 1) + ", " + (steps - 1) + "] must be in [0, "
          + vocab + "), got -1", m -> m.forwardTokens(low, batch, steps, null, null, null)));
      int[] high = in.tokens.clone();
      high[0] = vocab;
      cases.add(new Rejected("token id = vocab", "token id at [0, 0] must be in [0, " + vocab + "), got " + vocab,
          m -> m.forwardTokens(high, batch, steps, null, null, null)));
      cases.add(new Rejected("short tokens", "tokens has " + (batch * steps - 1) + " elements, needs " + batch * steps,
          m -> m.forwardTokens(Arrays.copyOf(in.tokens, batch * steps - 1), batch, steps, null, null, null)));
      cases.add(new Rejected("null tokens", "tokens is null", m -> m.forwardTokens(null, batch, steps, null, null, null)));
      cases.add(new Rejected("dense input to a token model",
          "this model reads token ids (it has an embedding): call forwardTokens",
          m -> m.forward(new float[batch * steps * config.inputSize()], batch, steps, null, null, null)));
      streamingCase(cases, config, "token id = vocab to step", "token id must be in [0, " + vocab + "), got " + vocab,
          s -> s.stepToken(vocab));
      streamingCase(cases, config, "token id -1 to step", "token id must be in [0, " + vocab + "), got -1",
          s -> s.stepToken(-1));
      streamingCase(cases, config, "a dense step on a token model",
          "this model reads token ids (it has an embedding): call stepToken", s -> s.step(new float[8], 0));
    } else {
      int needed = batch * steps * config.inputSize();
      cases.add(new Rejected("short input", "input has " + (needed - 1) + " elements, needs " + needed,
          m -> m.forward(Arrays.copyOf(in.input, needed - 1), batch, steps, null, null, null)));
      cases.add(new Rejected("null input", "input is null", m -> m.forward(null, batch, steps, null, null, null)));
      cases.add(new Rejected("tokens to a dense model",
          "this model reads dense features (it has no embedding): call forward",
          m -> m.forwardTokens(new int[batch * steps], batch, steps, null, null, null)));
      int width = config.inputSize();
      float[] x = new float[width + 2];
      streamingCase(cases, config, "step beyond the input",
          "x needs INPUT_SIZE = " + width + " values from offset 3, has " + x.length, s -> s.step(x, 3));
      streamingCase(cases, config, "step at a negative offset",
          "x needs INPUT_SIZE = " + width + " values from offset -1, has " + x.length, s -> s.step(x, -1));
      streamingCase(cases, config, "a token step on a dense model",
          "this model reads dense features (it has no embedding): call step", s -> s.stepToken(0));
    }
    int streamState = config.layers() * config.stateSize();
    streamingCase(cases, config, "short state", "h0 has " + (streamState - 1) + " elements, needs " + streamState,
        s -> s.setState(new float[streamState - 1], null));
    if (config.hasCellState()) {
      int cellState = config.layers() * config.hidden();
      streamingCase(cases, config, "short state c0", "c0 has " + (cellState - 1) + " elements, needs " + cellState,
          s -> s.setState(new float[streamState], new float[cellState - 1]));
    }
    if (!config.hasEmbedding()) {
      streamingCase(cases, config, "a null step input", "x is null", s -> s.step(null, 0));
    }

    if (config.training() != null) {
      trainingCase(cases, "a batch of 0", "batch must be in [1, " + maxBatch + "], got 0", in, b -> b.batch = 0);
      trainingCase(cases, "steps beyond the limit", "steps must be in [1, " + maxLength + "], got " + (maxLength + 1),
          in, b -> b.steps = maxLength + 1);
      trainingCase(cases, "a training length of 0", "lengths[0] must be in [1, " + steps + "], got 0", in,
          b -> b.lengths = new int[batch]);
      trainingCase(cases, "a short training h0", "h0 has 1 elements, needs " + states, in, b -> b.h0 = new float[1]);
      ModelConfig.Loss loss = config.training().loss();
      if (loss == ModelConfig.Loss.CROSS_ENTROPY) {
        int classes = config.outputSize();
        trainingCase(cases, "a class target = classes",
            "class target " + classes + " at position 0 is outside [0, " + classes + ")", in,
            b -> b.classTargets[0] = classes);
        trainingCase(cases, "a negative class target", "class target -1 at position 0 is outside [0, " + classes + ")",
            in, b -> b.classTargets[0] = -1);
        trainingCase(cases, "no class targets", "cross-entropy needs classTargets", in, b -> b.classTargets = null);
      } else {
        trainingCase(cases, "no value targets", loss + " needs valueTargets", in, b -> b.valueTargets = null);
      }
      if (config.hasEmbedding()) {
        trainingCase(cases, "a batch without tokens", "tokens is null", in, b -> b.tokens = null);
        trainingCase(cases, "a training token id = vocab",
            "token id at [0, 0] must be in [0, " + config.vocab() + "), got " + config.vocab(), in,
            b -> b.tokens[0] = config.vocab());
      } else {
        trainingCase(cases, "a batch without input", "input is null", in, b -> b.input = null);
        trainingCase(cases, "a short training input", "input has 2 elements, needs " + batch * steps * config.inputSize(),
            in, b -> b.input = new float[2]);
      }
    }
    return cases;
  }

  private static void streamingCase(List<Rejected> cases, ModelConfig config, String what, String message,
      Consumer<StreamingModel> call) {
    if (!config.bidirectional()) {
      cases.add(new Rejected(what, message, m -> call.accept((StreamingModel) m)));
    }
  }

  /** A training batch of {@code in} with targets, broken by {@code breaking}. */
  private static void trainingCase(List<Rejected> cases, String what, String message, Input in,
      Consumer<Batch> breaking) {
    cases.add(new Rejected(what, message, m -> {
      Batch batch = in.batch(null);
      breaking.accept(batch);
      ((TrainableModel) m).computeGradients(batch);
    }));
  }

  private static int[] filled(int batch, int steps) {
    int[] lengths = new int[batch];
    Arrays.fill(lengths, steps);
    return lengths;
  }

  // ------------------------------------------------------------------------------------------ valid calls

  @Test
  void sameOutputsAndStatesForValidCalls() {
    for (GeneratedModels.Compiled c : compiled) {
      ModelConfig config = c.spec().config();
      String name = c.spec().modelName();
      RnnModel reference = Implementation.REFERENCE.create(c, parameters(config));
      RnnModel generated = Implementation.GENERATED.create(c, parameters(config));
      SplittableRandom random = new SplittableRandom(9);
      int batch = config.maxBatch();
      int steps = config.maxLength();
      Input in = Input.random(config, batch, steps, random);
      int[] lengths = filled(batch, steps);
      lengths[batch - 1] = 1;
      if (in.tokens != null) {
        in.tokens[(batch - 1) * steps + 1] = -5; // a padded step: its id is never read
      }
      float[] h0 = values(config.layers() * config.directions() * batch * config.stateSize(), random);
      float[] c0 = config.hasCellState() ? values(config.layers() * config.directions() * batch * config.hidden(), random)
          : null;
      for (RnnModel model : List.of(reference, generated)) {
        in.forward(model, batch, steps, lengths, h0, c0);
      }
      int rows = batch * steps;
      int positions = config.mode() == ModelConfig.Mode.MANY_TO_MANY ? rows : batch;
      close(name + " output", reference.output(), generated.output(), rows * config.featureSize());
      close(name + " h_n", reference.hN(), generated.hN(), h0.length);
      close(name + " c_n", reference.cN(), generated.cN(), c0 == null ? 0 : c0.length);
      close(name + " features", reference.features(), generated.features(), batch * config.featureSize());
      close(name + " logits", reference.logits(), generated.logits(), positions * config.headSize());
      close(name + " prediction", reference.prediction(), generated.prediction(), positions * config.headSize());

      if (!config.bidirectional()) {
        StreamingModel a = (StreamingModel) reference;
        StreamingModel b = (StreamingModel) generated;
        float[] state = values(config.layers() * config.stateSize(), random);
        float[] cell = config.hasCellState() ? values(config.layers() * config.hidden(), random) : null;
        for (StreamingModel s : List.of(a, b)) {
          s.setState(state, cell);
        }
        close(name + " state after setState", a.hiddenState(), b.hiddenState(), state.length);
        for (int t = 0; t < steps; t++) {
          in.step(a, t);
          in.step(b, t);
          String at = name + " step " + t + " ";
          close(at + "output", a.stepOutput(), b.stepOutput(), config.stateSize());
          close(at + "logits", a.stepLogits(), b.stepLogits(), config.headSize());
          close(at + "prediction", a.stepPrediction(), b.stepPrediction(), config.headSize());
          close(at + "hidden state", a.hiddenState(), b.hiddenState(), state.length);
          close(at + "cell state", a.cellState(), b.cellState(), cell == null ? 0 : cell.length);
        }
        for (StreamingModel s : List.of(a, b)) {
          s.setState(null, null); // null is zeros, as for forward's h0
        }
        assertArrayEquals(new float[state.length], Arrays.copyOf(b.hiddenState(), state.length), name);
        assertArrayEquals(new float[state.length], Arrays.copyOf(a.hiddenState(), state.length), name);
        for (StreamingModel s : List.of(a, b)) {
          s.resetState();
          in.step(s, 0);
        }
        close(name + " first step after reset", a.hiddenState(), b.hiddenState(), state.length);
      }

      if (config.training() != null) {
        float expected = ((TrainableModel) reference).computeGradients(in.batch(lengths));
        float actual = ((TrainableModel) generated).computeGradients(in.batch(lengths));
        close(name + " loss", new float[] {expected}, new float[] {actual}, 1);
      }
    }
  }

  private static void close(String what, float[] expected, float[] actual, int count) {
    if (expected == null && actual == null) {
      return; // a result this model does not have (features of many-to-many, logits without head)
    }
    if (expected == null || actual == null) {
      fail(what + ": reference " + (expected == null ? "null" : "present") + ", generated "
          + (actual == null ? "null" : "present"));
    }
    for (int i = 0; i < count; i++) {
      double error = Math.abs(actual[i] - expected[i]);
      if (!(error <= ABS + REL * Math.abs(expected[i]))) {
        fail(what + "[" + i + "]: reference " + expected[i] + ", generated " + actual[i]);
      }
    }
  }

  private static float[] values(int count, SplittableRandom random) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) random.nextDouble(-1, 1);
    }
    return values;
  }

  // ------------------------------------------------------------------------------------------ support

  /** Inputs for {@code batch × steps}: dense values or token ids, and training targets. */
  private record Input(int batch, int steps, float[] input, int[] tokens, int[] classTargets, float[] valueTargets) {
    static Input random(ModelConfig config, int batch, int steps, SplittableRandom random) {
      int rows = batch * steps;
      float[] input = config.hasEmbedding() ? null : values(rows * config.inputSize(), random);
      int[] tokens = config.hasEmbedding() ? random.ints(rows, 0, config.vocab()).toArray() : null;
      int positions = config.mode() == ModelConfig.Mode.MANY_TO_MANY ? rows : batch;
      int[] classes = random.ints(positions, 0, Math.max(1, config.headSize())).toArray();
      float[] targets = values(positions * config.outputSize(), random);
      return new Input(batch, steps, input, tokens, classes, targets);
    }

    void forward(RnnModel model, int batch, int steps, int[] lengths) {
      forward(model, batch, steps, lengths, null, null);
    }

    void forward(RnnModel model, int callBatch, int callSteps, int[] lengths, float[] h0, float[] c0) {
      if (tokens != null) {
        model.forwardTokens(tokens, callBatch, callSteps, lengths, h0, c0);
      } else {
        model.forward(input, callBatch, callSteps, lengths, h0, c0);
      }
    }

    /** The whole input, all lengths full. */
    void forward(RnnModel model, int[] lengths, float[] h0, float[] c0) {
      forward(model, batch, steps, lengths, h0, c0);
    }

    void step(StreamingModel model, int t) {
      if (tokens != null) {
        model.stepToken(tokens[t]);
      } else {
        model.step(input, t * (input.length / (batch * steps)));
      }
    }

    /** A fresh training batch over copies of these inputs. */
    Batch batch(int[] lengths) {
      Batch b = new Batch();
      b.batch = batch;
      b.steps = steps;
      b.lengths = lengths == null ? null : lengths.clone();
      b.input = input == null ? null : input.clone();
      b.tokens = tokens == null ? null : tokens.clone();
      b.classTargets = classTargets.clone();
      b.valueTargets = valueTargets.clone();
      return b;
    }
  }

  /** Copies of everything a caller can observe: every result array and the streaming state. */
  private record Observable(List<float[]> arrays) {
    static Observable of(RnnModel model) {
      List<float[]> arrays = new ArrayList<>();
      for (float[] values : new float[][] {model.output(), model.hN(), model.cN(), model.features(), model.logits(),
          model.prediction()}) {
        arrays.add(values == null ? null : values.clone());
      }
      if (model instanceof StreamingModel stream && !model.config().bidirectional()) {
        for (float[] values : new float[][] {stream.hiddenState(), stream.cellState(), stream.stepOutput(),
            stream.stepLogits(), stream.stepPrediction()}) {
          arrays.add(values == null ? null : values.clone());
        }
      }
      return new Observable(arrays);
    }

    void assertUnchanged(Observable after, String context) {
      String[] names = {"output", "hN", "cN", "features", "logits", "prediction", "hiddenState", "cellState",
          "stepOutput", "stepLogits", "stepPrediction"};
      for (int i = 0; i < arrays.size(); i++) {
        assertArrayEquals(arrays.get(i), after.arrays.get(i), context + ": " + names[i] + " changed before the error");
      }
    }
  }
}
