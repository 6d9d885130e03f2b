package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Instances over shared weights are independent: results are the instance's own, weights are never
 * written, a call on another thread computes the same bits, and arguments outside an instance's limits or
 * the model's domain are rejected with {@link IllegalArgumentException} and a message that names the
 * problem, leaving the instance usable.
 */
class InstanceIsolationTest {
  private static final String DENSE_LSTM = """
      model: DenseLstm
      package: t.iso
      cell: lstm
      input: 5
      hidden: 17
      layers: 2
      mode: many_to_many
      head: {size: 3, activation: softmax}
      limits: {max_length: 6, max_batch: 3}
      """;
  private static final String TOKEN_GRU = """
      model: TokenGru
      package: t.iso
      cell: gru
      embedding: {vocab: 33, dim: 5}
      hidden: 33
      layers: 1
      mode: many_to_one
      head: {size: 2, activation: sigmoid}
      limits: {max_length: 9, max_batch: 2}
      """;
  private static final String BIDI_RNN = """
      model: BidiRnn
      package: t.iso
      cell: rnn
      nonlinearity: relu
      input: 3
      hidden: 65
      layers: 3
      bidirectional: true
      mode: many_to_one
      limits: {max_length: 4, max_batch: 4}
      """;

  private static List<GeneratedCase> cases;
  private static ExecutorService executor;

  @BeforeAll
  static void compile() {
    cases = GeneratedCase.compile(List.of(DENSE_LSTM, TOKEN_GRU, BIDI_RNN), true, 5);
    executor = Executors.newFixedThreadPool(4);
  }

  @AfterAll
  static void stop() {
    executor.shutdownNow();
  }

  @Test
  void instancesSharingWeightsDoNotInterfere() {
    for (GeneratedCase c : cases) {
      ModelConfig config = c.config();
      Object weights = c.compiled().weights(c.parameters());
      RnnModel a = (RnnModel) c.compiled().instantiate(weights, config.maxBatch(), config.maxLength());
      RnnModel b = (RnnModel) c.compiled().instantiate(weights, config.maxBatch(), config.maxLength());
      assertSame(weights, c.compiled().weightsOf(a));
      assertSame(weights, c.compiled().weightsOf(b));
      SplittableRandom random = new SplittableRandom(11);
      Call first = Call.random(config, config.maxBatch(), config.maxLength(), random);
      Call second = Call.random(config, config.maxBatch(), config.maxLength(), random);

      first.runOn(a);
      Results expected = new Results(a, first);
      second.runOn(b);
      expected.assertSameAs(new Results(a, first), "a's results after a call on b\n" + c.context());
      ReferenceModel reference = c.reference();
      first.runOn(reference);
      ForwardCheck.compareResults(reference, a, first, c.context() + "\n" + first.describe());

      first.runOn(b);
      expected.assertSameAs(new Results(b, first), "b repeating a's call\n" + c.context());
      RnnModel own = c.generated();
      first.runOn(own);
      expected.assertSameAs(new Results(own, first), "an instance with its own weights\n" + c.context());
    }
  }

  @Test
  void interleavedStreamsStayApart() {
    for (GeneratedCase c : cases) {
      if (c.config().bidirectional()) {
        continue;
      }
      ModelConfig config = c.config();
      Object weights = c.compiled().weights(c.parameters());
      StreamingModel a = (StreamingModel) c.compiled().instantiate(weights, 1, 1);
      StreamingModel b = (StreamingModel) c.compiled().instantiate(weights, 1, 1);
      StreamingModel alone = (StreamingModel) c.generated();
      SplittableRandom random = new SplittableRandom(12);
      Call mine = Call.of(config, 1, 6, null, null, null, random);
      Call other = Call.of(config, 1, 6, null, null, null, random);
      for (int t = 0; t < 6; t++) {
        step(config, a, mine, t);
        step(config, b, other, t);
        step(config, alone, mine, t);
        assertArrayEquals(alone.stepOutput(), a.stepOutput(), "step " + t + "\n" + c.context());
        assertArrayEquals(alone.hiddenState(), a.hiddenState(), "step " + t + "\n" + c.context());
      }
    }
  }

  @Test
  void limitsAreTheInstancesNotTheSpecs() {
    for (GeneratedCase c : cases) {
      ModelConfig config = c.config();
      int maxBatch = config.maxBatch() + 3;
      int maxLength = config.maxLength() + 5;
      RnnModel big = (RnnModel) c.compiled().instantiate(c.compiled().weights(c.parameters()), maxBatch, maxLength);
      ReferenceModel reference = new ReferenceModel(c.parameters(), maxBatch, maxLength);
      Call call = Call.of(config, maxBatch, maxLength, Call.lengths(maxBatch, maxLength, new SplittableRandom(3)),
          null, null, new SplittableRandom(4));
      ForwardCheck.compare(reference, big, call, c.context() + "\ninstance limits " + maxBatch + " × " + maxLength);
      assertThrows(IllegalArgumentException.class,
          () -> Call.of(config, maxBatch + 1, 1, null, null, null, new SplittableRandom(5)).runOn(big));
    }
  }

  @Test
  void anotherThreadComputesTheSameBits() throws Exception {
    for (GeneratedCase c : cases) {
      ModelConfig config = c.config();
      Object weights = c.compiled().weights(c.parameters());
      Call call = Call.random(config, config.maxBatch(), config.maxLength(), new SplittableRandom(13));
      RnnModel here = (RnnModel) c.compiled().instantiate(weights, config.maxBatch(), config.maxLength());
      call.runOn(here);
      Results expected = new Results(here, call);
      // Four threads at once, each with its own instance over the same weights, many calls each.
      List<Future<Results>> futures = new ArrayList<>();
      for (int thread = 0; thread < 4; thread++) {
        futures.add(executor.submit(() -> {
          RnnModel there = (RnnModel) c.compiled().instantiate(weights, config.maxBatch(), config.maxLength());
          for (int i = 0; i < 200; i++) {
            call.runOn(there);
          }
          return new Results(there, call);
        }));
      }
      for (Future<Results> future : futures) {
        expected.assertSameAs(future.get(), "a call on another thread\n" + c.context());
      }
    }
  }

  @Test
  void callsOutsideTheLimitsAreRejected() {
    for (GeneratedCase c : cases) {
      ModelConfig config = c.config();
      RnnModel model = c.generated();
      int maxBatch = config.maxBatch();
      int maxLength = config.maxLength();
      SplittableRandom random = new SplittableRandom(14);
      rejects(c, model, "batch", maxBatch + 1, () -> call(config, maxBatch + 1, 1, null, random).runOn(model));
      rejects(c, model, "batch", 0, () -> call(config, 0, 1, null, random).runOn(model));
      rejects(c, model, "steps", maxLength + 1, () -> call(config, 1, maxLength + 1, null, random).runOn(model));
      rejects(c, model, "steps", 0, () -> call(config, 1, 0, null, random).runOn(model));
    }
  }

  @Test
  void badArgumentsAreRejected() {
    for (GeneratedCase c : cases) {
      ModelConfig config = c.config();
      RnnModel model = c.generated();
      int steps = Math.min(3, config.maxLength());
      int batch = config.maxBatch();
      SplittableRandom random = new SplittableRandom(15);
      int[] zero = new int[batch];
      Arrays.fill(zero, steps);
      zero[batch - 1] = 0;
      rejects(c, model, "lengths", 0, () -> call(config, batch, steps, zero, random).runOn(model));
      int[] tooLong = new int[batch];
      Arrays.fill(tooLong, steps);
      tooLong[0] = steps + 1;
      rejects(c, model, "lengths", steps + 1, () -> call(config, batch, steps, tooLong, random).runOn(model));
      rejects(c, model, "lengths", null, () -> call(config, batch, steps, new int[batch - 1], random)
          .runOn(model), batch > 1);
      int slots = config.layers() * config.directions() * batch;
      rejects(c, model, "h0", null, () -> call(config, batch, steps, null, random)
          .withState(new float[slots * config.stateSize() - 1], null).runOn(model));
      if (config.hasCellState()) {
        rejects(c, model, "c0", null, () -> call(config, batch, steps, null, random)
            .withState(null, new float[slots * config.hidden() - 1]).runOn(model));
      }
      if (config.hasEmbedding()) {
        Call valid = call(config, batch, steps, null, random);
        int[] low = valid.tokens().clone();
        low[batch * steps - 1] = -1;
        rejects(c, model, "token", -1, () -> model.forwardTokens(low, batch, steps, null, null, null));
        int[] high = valid.tokens().clone();
        high[0] = config.vocab();
        rejects(c, model, "token", config.vocab(), () -> model.forwardTokens(high, batch, steps, null, null, null));
        rejects(c, model, "tokens", null, () -> model.forwardTokens(Arrays.copyOf(valid.tokens(), batch * steps - 1),
            batch, steps, null, null, null));
        rejects(c, model, "tokens", null, () -> model.forwardTokens(null, batch, steps, null, null, null));
        rejects(c, model, "forwardTokens", null, () -> model.forward(new float[batch * steps * config.inputSize()],
            batch, steps, null, null, null));
        if (model instanceof StreamingModel stream) {
          rejects(c, model, "token", config.vocab(), () -> stream.stepToken(config.vocab()));
          rejects(c, model, "token", -1, () -> stream.stepToken(-1));
        }
      } else {
        int needed = batch * steps * config.inputSize();
        rejects(c, model, "input", needed, () -> model.forward(new float[needed - 1], batch, steps, null, null, null));
        rejects(c, model, "input", null, () -> model.forward(null, batch, steps, null, null, null));
        rejects(c, model, "forward", null, () -> model.forwardTokens(new int[batch * steps], batch, steps, null, null,
            null));
        if (model instanceof StreamingModel stream) {
          float[] x = new float[config.inputSize() + 2];
          rejects(c, model, "offset", 3, () -> stream.step(x, 3));
          rejects(c, model, "offset", -1, () -> stream.step(x, -1));
        }
      }
    }
  }

  /** Random valid input of the given shape. */
  private static Call call(ModelConfig config, int batch, int steps, int[] lengths, SplittableRandom random) {
    // The input is sized for at least one sequence of one step, so shape checks fire before any array access.
    return Call.of(config, Math.max(batch, 1), Math.max(steps, 1), null, null, null, random)
        .reshaped(batch, steps, lengths);
  }

  private static void rejects(GeneratedCase c, RnnModel model, String word, Object value, Executable call) {
    rejects(c, model, word, value, call, true);
  }

  /**
   * Asserts {@code call} throws IllegalArgumentException whose message names {@code word} (and {@code value}
   * when given), then that the instance still computes a valid call right.
   */
  private static void rejects(GeneratedCase c, RnnModel model, String word, Object value, Executable call,
      boolean applicable) {
    if (!applicable) {
      return;
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call,
        "expected a rejected call (" + word + (value == null ? "" : " " + value) + ")\n" + c.context());
    String message = e.getMessage();
    assertTrue(message != null && message.contains(word) && (value == null || message.contains(String.valueOf(value))),
        "the message should name " + word + (value == null ? "" : " and " + value) + ", was: " + message + "\n"
            + c.context());
    ModelConfig config = c.config();
    Call valid = Call.random(config, config.maxBatch(), config.maxLength(), new SplittableRandom(16));
    ForwardCheck.compare(c.reference(), model, valid, c.context() + "\na valid call after a rejected one (" + word
        + ")");
  }

  private static void step(ModelConfig config, StreamingModel model, Call call, int t) {
    if (config.hasEmbedding()) {
      model.stepToken(call.tokens()[t]);
    } else {
      model.step(call.input(), t * config.inputSize());
    }
  }

  /** Copies of every result of one call (its compact region; the rest is stale), compared bit for bit. */
  private record Results(float[] output, float[] hN, float[] cN, float[] features, float[] logits,
      float[] prediction) {
    Results(RnnModel model, Call call) {
      this(copy(model.output(), call.batch() * call.steps() * model.config().featureSize()),
          copy(model.hN(), states(model, call, model.config().stateSize())),
          copy(model.cN(), states(model, call, model.config().hidden())),
          copy(model.features(), call.batch() * model.config().featureSize()),
          copy(model.logits(), positions(model, call) * model.config().headSize()),
          copy(model.prediction(), positions(model, call) * model.config().headSize()));
    }

    /** Values of a state of the given width per layer, direction and sequence. */
    private static int states(RnnModel model, Call call, int width) {
      ModelConfig config = model.config();
      return config.layers() * config.directions() * call.batch() * width;
    }

    private static int positions(RnnModel model, Call call) {
      return model.config().mode() == ModelConfig.Mode.MANY_TO_MANY ? call.batch() * call.steps() : call.batch();
    }

    private static float[] copy(float[] values, int count) {
      return values == null ? null : Arrays.copyOf(values, count);
    }

    void assertSameAs(Results other, String context) {
      assertArrayEquals(output, other.output, "output: " + context);
      assertArrayEquals(hN, other.hN, "hN: " + context);
      assertArrayEquals(cN, other.cN, "cN: " + context);
      assertArrayEquals(features, other.features, "features: " + context);
      assertArrayEquals(logits, other.logits, "logits: " + context);
      assertArrayEquals(prediction, other.prediction, "prediction: " + context);
    }
  }
}
