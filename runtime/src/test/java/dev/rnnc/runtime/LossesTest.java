package dev.rnnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hand-computed loss values and gradients, padding, errors and a finite-difference check. */
class LossesTest {
  private static final float LN3 = (float) Math.log(3);

  @Test
  void crossEntropyByHand() {
    // softmax([0, ln 3]) = [1/4, 3/4]; softmax([0, 0]) = [1/2, 1/2]
    float[] gradient = new float[4];
    float loss = Losses.crossEntropy(new float[] {0, LN3, 0, 0}, 2, 1, null, 2, false, new int[] {1, 0}, gradient);
    assertEquals((-Math.log(0.75) + Math.log(2)) / 2, loss, 1e-7);
    assertArrayEquals(new float[] {0.125f, -0.125f, -0.25f, 0.25f}, gradient, 1e-7f);
  }

  @Test
  void binaryCrossEntropyByHand() {
    // BCE(0, 1) = ln 2; BCE(ln 3, 0) = ln 3 + ln(4/3) = ln 4; gradient (σ(x) - y) / (N·K)
    float[] gradient = new float[2];
    float loss = Losses.binaryCrossEntropy(new float[] {0, LN3}, 1, 1, null, 2, false, new float[] {1, 0}, gradient);
    assertEquals((Math.log(2) + Math.log(4)) / 2, loss, 1e-7);
    assertArrayEquals(new float[] {-0.25f, 0.375f}, gradient, 1e-7f);
  }

  @Test
  void meanSquaredErrorByHandThroughEachActivation() {
    float[] gradient = new float[2];
    float loss = Losses.meanSquaredError(HeadActivation.LINEAR, new float[] {1, 3}, 1, 1, null, 2, false,
        new float[] {0, 1}, gradient);
    assertEquals(2.5, loss, 1e-7);
    assertArrayEquals(new float[] {1, 2}, gradient, 1e-7f);
    // σ(ln 3) = 0.75, target 0.25: loss 0.25, gradient 2·0.5·σ' = 0.75·0.25
    loss = Losses.meanSquaredError(HeadActivation.SIGMOID, new float[] {0.75f}, 1, 1, null, 1, false,
        new float[] {0.25f}, gradient);
    assertEquals(0.25, loss, 1e-7);
    assertEquals(0.1875f, gradient[0], 1e-7f);
    // softmax prediction [0.5, 0.5], targets [1, 0]: dL/dp = [-0.5, 0.5], Jacobian p(g - p·g) gives [-0.25, 0.25]
    loss = Losses.meanSquaredError(HeadActivation.SOFTMAX, new float[] {0.5f, 0.5f}, 1, 1, null, 2, false,
        new float[] {1, 0}, gradient);
    assertEquals(0.25, loss, 1e-7);
    assertArrayEquals(new float[] {-0.25f, 0.25f}, gradient, 1e-7f);
  }

  @Test
  void perStepLossesAverageOverValidStepsOnlyAndZeroPaddedGradients() {
    float[] gradient = {9, 9, 9, 9};
    float loss = Losses.meanSquaredError(HeadActivation.LINEAR, new float[] {1, 9, 2, 3}, 2, 2, new int[] {1, 2}, 1,
        true, new float[] {0, 100, 0, 0}, gradient);
    assertEquals(14.0 / 3, loss, 1e-6);
    assertArrayEquals(new float[] {2f / 3, 0, 4f / 3, 2}, gradient, 1e-6f);

    float[] ceGradient = {9, 9, 9, 9};
    // The padded class target -1 must not be read.
    loss = Losses.crossEntropy(new float[] {0, 0, 5, 5}, 1, 2, new int[] {1}, 2, true, new int[] {0, -1}, ceGradient);
    assertEquals(Math.log(2), loss, 1e-7);
    assertArrayEquals(new float[] {-0.5f, 0.5f, 0, 0}, ceGradient, 1e-7f);
  }

  @Test
  void classTargetsOutOfRangeAreUserErrors() {
    RnncException error = assertThrows(RnncException.class, () -> Losses.crossEntropy(new float[4], 1, 2, null, 2,
        true, new int[] {0, 2}, new float[4]));
    assertTrue(error.getMessage().contains("class target 2 of sequence 0, step 1 is outside [0, 2)"),
        error.getMessage());
    assertThrows(RnncException.class, () -> Losses.compute(Loss.BCE, HeadActivation.LINEAR, new float[4], null, 1,
        2, null, 2, true, null, null, new float[4]));
    assertThrows(IllegalArgumentException.class, () -> Losses.compute(Loss.MSE, HeadActivation.LINEAR, new float[4],
        new float[4], 1, 2, new int[] {3}, 2, true, null, new float[4], new float[4]));
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Random random = new Random(3);
    int[] lengths = {2, 3};
    for (Loss loss : Loss.values()) {
      for (HeadActivation activation : HeadActivation.values()) {
        for (boolean perStep : new boolean[] {true, false}) {
          int positions = perStep ? 6 : 2;
          float[] logits = new float[positions * 3];
          for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
          }
          int[] classes = new int[positions];
          float[] values = new float[logits.length];
          for (int i = 0; i < positions; i++) {
            classes[i] = random.nextInt(3);
          }
          for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat();
          }
          float[] gradient = new float[logits.length];
          compute(loss, activation, logits, perStep, lengths, classes, values, gradient);
          float eps = 1e-2f;
          for (int i = 0; i < logits.length; i++) {
            float original = logits[i];
            logits[i] = original + eps;
            double plus = compute(loss, activation, logits, perStep, lengths, classes, values, new float[18]);
            logits[i] = original - eps;
            double minus = compute(loss, activation, logits, perStep, lengths, classes, values, new float[18]);
            logits[i] = original;
            // float inputs and result: the difference quotient is good to ~1e-4 here
            assertEquals((plus - minus) / (2 * eps), gradient[i], 2e-4, loss + " " + activation + " " + perStep);
          }
        }
      }
    }
  }

  /** The loss as a function of the logits, computing the prediction from them as a head would. */
  private static float compute(Loss loss, HeadActivation activation, float[] logits, boolean perStep, int[] lengths,
      int[] classes, float[] values, float[] gradient) {
    float[] prediction = new float[logits.length];
    for (int off = 0; off < logits.length; off += 3) {
      double sum = 0;
      for (int k = off; k < off + 3; k++) {
        sum += Math.exp(logits[k]);
      }
      for (int k = off; k < off + 3; k++) {
        prediction[k] = switch (activation) {
          case LINEAR -> logits[k];
          case SIGMOID -> (float) (1 / (1 + Math.exp(-logits[k])));
          case SOFTMAX -> (float) (Math.exp(logits[k]) / sum);
        };
      }
    }
    return Losses.compute(loss, activation, logits, prediction, 2, perStep ? 3 : 1, perStep ? lengths : null, 3,
        perStep, classes, values, gradient);
  }
}
