package dev.rnnc.compiler.generated;

import static dev.rnnc.compiler.generated.Agreement.assertAbsent;
import static dev.rnnc.compiler.generated.Agreement.assertClose;

import dev.rnnc.compiler.generated.Agreement.Shape;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Streaming against whole sequences: T calls of {@code step}/{@code stepToken} on a generated instance must
 * give, step by step, what its own {@code forward} over the same T steps gives (output, and logits and
 * prediction per step for many-to-many), end in {@code hN}/{@code cN}, and agree with the reference's
 * streaming at every step (which also covers many-to-one models' intermediate logits).
 *
 * <p>Three rounds per instance: a fresh instance (its initial state must be zero without any reset), then
 * {@code setState} or {@code resetState} after unrelated steps have dirtied the state, so neither may leave
 * anything behind. An LSTM given h0 but no c0 must start from a zero cell state.
 */
final class StreamCheck {
  private static final int ROUNDS = 3;

  private StreamCheck() {}

  static void check(GeneratedCase c, RnnModel generated, long seed) {
    ModelConfig config = c.config();
    StreamingModel stream = (StreamingModel) generated;
    ReferenceModel reference = c.reference();
    SplittableRandom random = new SplittableRandom(seed ^ c.yaml().hashCode());
    for (int round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        dirty(config, stream, reference, random);
      }
      int steps = 1 + random.nextInt(config.maxLength());
      boolean withState = round > 0 && random.nextBoolean();
      float[] h0 = withState ? Call.values(config.layers() * config.stateSize(), random) : null;
      float[] c0 = withState && config.hasCellState() && random.nextBoolean()
          ? Call.values(config.layers() * config.hidden(), random) : null;
      Call call = Call.of(config, 1, steps, null, h0, c0, random);
      String context = c.context() + "\nstreaming round " + (round + 1) + ": " + steps + " steps after "
          + (round == 0 ? "construction" : withState ? "setState(h0, " + (c0 == null ? "null" : "c0") + ")"
          : "resetState()");
      if (round > 0) {
        if (withState) {
          stream.setState(h0, c0);
          reference.setState(h0, c0);
        } else {
          stream.resetState();
          reference.resetState();
        }
      }
      call.runOn(generated);
      Snapshot whole = new Snapshot(generated);
      for (int t = 0; t < steps; t++) {
        advance(config, stream, call, t);
        advance(config, reference, call, t);
        compareStep(config, whole, stream, reference, t, context + "\nafter step " + (t + 1) + " of " + steps);
      }
      String end = context + "\nfinal state after " + steps + " steps";
      int width = config.stateSize();
      assertClose("hiddenState vs forward hN", whole.hN, stream.hiddenState(), config.layers() * width,
          Shape.of("layer,h", config.layers(), width), end);
      if (config.hasCellState()) {
        int hidden = config.hidden();
        assertClose("cellState vs forward cN", whole.cN, stream.cellState(), config.layers() * hidden,
            Shape.of("layer,c", config.layers(), hidden), end);
      } else {
        assertAbsent("cellState", stream.cellState(), end);
      }
      if (config.hasHead() && config.mode() == ModelConfig.Mode.MANY_TO_ONE) {
        Shape head = Shape.of("k", config.headSize());
        assertClose("last stepLogits vs forward logits", whole.logits, stream.stepLogits(), config.headSize(), head, end);
        assertClose("last stepPrediction vs forward prediction", whole.prediction, stream.stepPrediction(),
            config.headSize(), head, end);
      }
    }
  }

  /** A few steps on random input, so the next round starts from a non-zero state. */
  private static void dirty(ModelConfig config, StreamingModel stream, ReferenceModel reference,
      SplittableRandom random) {
    Call noise = Call.of(config, 1, 2, null, null, null, random);
    for (int t = 0; t < 2; t++) {
      advance(config, stream, noise, t);
      advance(config, reference, noise, t);
    }
  }

  private static void advance(ModelConfig config, StreamingModel model, Call call, int t) {
    if (config.hasEmbedding()) {
      model.stepToken(call.tokens()[t]);
    } else {
      model.step(call.input(), t * config.inputSize());
    }
  }

  private static void compareStep(ModelConfig config, Snapshot whole, StreamingModel stream,
      ReferenceModel reference, int t, String context) {
    int width = config.stateSize();
    Shape h = Shape.of("h", width);
    float[] forwardOutput = Arrays.copyOfRange(whole.output, t * width, (t + 1) * width);
    assertClose("stepOutput vs forward output", forwardOutput, stream.stepOutput(), width, h, context);
    assertClose("stepOutput vs reference", reference.stepOutput(), stream.stepOutput(), width, h, context);
    Shape states = Shape.of("layer,h", config.layers(), width);
    assertClose("hiddenState vs reference", reference.hiddenState(), stream.hiddenState(), config.layers() * width,
        states, context);
    if (config.hasCellState()) {
      int hidden = config.hidden();
      assertClose("cellState vs reference", reference.cellState(), stream.cellState(), config.layers() * hidden,
          Shape.of("layer,c", config.layers(), hidden), context);
    }
    if (!config.hasHead()) {
      assertAbsent("stepLogits", stream.stepLogits(), context);
      assertAbsent("stepPrediction", stream.stepPrediction(), context);
      return;
    }
    int k = config.headSize();
    Shape head = Shape.of("k", k);
    assertClose("stepLogits vs reference", reference.stepLogits(), stream.stepLogits(), k, head, context);
    assertClose("stepPrediction vs reference", reference.stepPrediction(), stream.stepPrediction(), k, head, context);
    if (config.mode() == ModelConfig.Mode.MANY_TO_MANY) {
      assertClose("stepLogits vs forward logits", Arrays.copyOfRange(whole.logits, t * k, (t + 1) * k),
          stream.stepLogits(), k, head, context);
      assertClose("stepPrediction vs forward prediction", Arrays.copyOfRange(whole.prediction, t * k, (t + 1) * k),
          stream.stepPrediction(), k, head, context);
    }
  }

  /** Copies of a forward call's results, so nothing the streaming calls do can change what they are compared with. */
  private static final class Snapshot {
    final float[] output;
    final float[] hN;
    final float[] cN;
    final float[] logits;
    final float[] prediction;

    Snapshot(RnnModel model) {
      output = copy(model.output());
      hN = copy(model.hN());
      cN = copy(model.cN());
      logits = copy(model.logits());
      prediction = copy(model.prediction());
    }

    private static float[] copy(float[] values) {
      return values == null ? null : values.clone();
    }
  }
}
