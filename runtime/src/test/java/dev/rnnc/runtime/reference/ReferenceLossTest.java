package dev.rnnc.runtime.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnnc.runtime.Losses;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The float {@link Losses} that generated code calls agree with the reference's double losses. */
class ReferenceLossTest {

  @Test
  void floatLossesAgreeWithReference() {
    Random random = new Random(17);
    int batch = 3;
    int steps = 4;
    int width = 5;
    int[] lengths = {4, 1, 3};
    Region region = new Region();
    region.set(batch, steps, lengths);
    for (Loss loss : Loss.values()) {
      for (HeadActivation activation : HeadActivation.values()) {
        for (boolean perStep : new boolean[] {true, false}) {
          int positions = batch * (perStep ? steps : 1);
          float[] logits = Models.uniform(random, positions * width, -3, 3);
          float[] prediction = Models.uniform(random, positions * width, 0, 1);
          float[] values = Models.uniform(random, positions * width, 0, 1);
          int[] classes = new int[positions];
          for (int i = 0; i < positions; i++) {
            classes[i] = random.nextInt(width);
          }
          float[] gradient = new float[positions * width];
          double[] expectedGradient = new double[positions * width];
          float actual = Losses.compute(loss, activation, logits, prediction, batch, steps,
              perStep ? lengths : null, width, perStep, classes, values, gradient);
          Region used = perStep ? region : new Region();
          if (!perStep) {
            used.set(batch, steps, null);
          }
          double expected = ReferenceLoss.compute(loss, activation, Models.toDouble(logits),
              Models.toDouble(prediction), used, width, perStep, classes, values, expectedGradient);
          String what = loss + " " + activation + (perStep ? " per step" : " per sequence");
          assertEquals(expected, actual, 1e-6 * Math.abs(expected), what);
          for (int i = 0; i < gradient.length; i++) {
            assertEquals(expectedGradient[i], gradient[i], 1e-6 * Math.abs(expectedGradient[i]) + 1e-9, what);
          }
        }
      }
    }
  }
}
