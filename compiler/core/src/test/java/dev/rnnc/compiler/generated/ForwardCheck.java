package dev.rnnc.compiler.generated;

import static dev.rnnc.compiler.generated.Agreement.assertAbsent;
import static dev.rnnc.compiler.generated.Agreement.assertClose;
import static dev.rnnc.compiler.generated.Agreement.assertZero;

import dev.rnnc.compiler.generated.Agreement.Shape;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;

/**
 * Runs one call on an expected model (usually the reference) and an actual one (generated code) and
 * compares every result the contract defines, over the compact region of the call: output, hN, cN,
 * features, logits, prediction; padded steps of per-step results must be exactly 0; results a model
 * does not have must be null.
 */
final class ForwardCheck {
  private ForwardCheck() {}

  static void compare(RnnModel expected, RnnModel actual, Call call, String context) {
    call.runOn(expected);
    call.runOn(actual);
    compareResults(expected, actual, call, context + "\n" + call.describe());
  }

  /** Compares the results both models hold now, from {@code call}. */
  static void compareResults(RnnModel expected, RnnModel actual, Call call, String context) {
    ModelConfig config = actual.config();
    int batch = call.batch();
    int steps = call.steps();
    int features = config.featureSize();
    int states = config.layers() * config.directions();
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;

    Shape outputShape = Shape.of("b,t,f", batch, steps, features);
    assertClose("output", expected.output(), actual.output(), batch * steps * features, outputShape, context);
    assertPaddedZero("output", actual.output(), call, features, outputShape, context);

    Shape stateShape = Shape.of("layer*dir,b,h", states, batch, config.stateSize());
    assertClose("hN", expected.hN(), actual.hN(), states * batch * config.stateSize(), stateShape, context);
    if (config.hasCellState()) {
      Shape cellShape = Shape.of("layer*dir,b,c", states, batch, config.hidden());
      assertClose("cN", expected.cN(), actual.cN(), states * batch * config.hidden(), cellShape, context);
    } else {
      assertAbsent("cN", actual.cN(), context);
    }

    if (perStep) {
      assertAbsent("features", actual.features(), context);
    } else {
      assertClose("features", expected.features(), actual.features(), batch * features,
          Shape.of("b,f", batch, features), context);
    }

    if (!config.hasHead()) {
      assertAbsent("logits", actual.logits(), context);
      assertAbsent("prediction", actual.prediction(), context);
      return;
    }
    int k = config.headSize();
    Shape headShape = perStep ? Shape.of("b,t,k", batch, steps, k) : Shape.of("b,k", batch, k);
    int headValues = (perStep ? batch * steps : batch) * k;
    assertClose("logits", expected.logits(), actual.logits(), headValues, headShape, context);
    assertClose("prediction", expected.prediction(), actual.prediction(), headValues, headShape, context);
    if (perStep) {
      assertPaddedZero("logits", actual.logits(), call, k, headShape, context);
      assertPaddedZero("prediction", actual.prediction(), call, k, headShape, context);
    }
  }

  private static void assertPaddedZero(String what, float[] values, Call call, int width, Shape shape,
      String context) {
    for (int b = 0; b < call.batch(); b++) {
      assertZero(what, values, (b * call.steps() + call.length(b)) * width, (b + 1) * call.steps() * width, shape,
          context);
    }
  }
}
