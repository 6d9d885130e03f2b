package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private static final ModelConfig CHARS = new ModelConfig(ModelConfig.Cell.LSTM, null, null, 4, 12, 8, 2, false,
      ModelConfig.Mode.MANY_TO_MANY, 12, ModelConfig.HeadActivation.SOFTMAX, 16, 1, null);

  private static Sampler sampler(long seed) {
    ReferenceModel model = new ReferenceModel(ModelParameters.initialize(CHARS, 5), 1, 16);
    return new Sampler(model, CHARS, seed);
  }

  @Test
  void sameSeedSameTextOtherSeedOtherText() {
    int[] prompt = {1, 2, 3};
    int[] a = new int[40];
    int[] b = new int[40];
    int[] c = new int[40];
    sampler(9).generate(prompt, 3, 1.0, 0, a, 40);
    sampler(9).generate(prompt, 3, 1.0, 0, b, 40);
    sampler(10).generate(prompt, 3, 1.0, 0, c, 40);
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, c));
  }

  @Test
  void greedyFollowsTheArgmaxOfTheModel() {
    ReferenceModel model = new ReferenceModel(ModelParameters.initialize(CHARS, 5), 1, 16);
    int[] out = new int[10];
    new Sampler(model, CHARS, 1).generate(new int[] {4}, 1, 0.0, 0, out, 10);
    ReferenceModel check = new ReferenceModel(ModelParameters.initialize(CHARS, 5), 1, 16);
    check.resetState();
    check.stepToken(4);
    for (int i = 0; i < out.length; i++) {
      float[] logits = check.stepLogits();
      int argmax = 0;
      for (int k = 1; k < logits.length; k++) {
        if (logits[k] > logits[argmax]) {
          argmax = k;
        }
      }
      assertEquals(argmax, out[i], "token " + i);
      check.stepToken(out[i]);
    }
  }

  @Test
  void greedyTakesTheFirstOfEqualMaxima() {
    float[] logits = {0, 3, 1, 3, 2, 0, 0, 0, 0, 0, 0, 0};
    assertEquals(1, sampler(1).sample(logits, 0, 0));
    assertEquals(1, sampler(1).sample(logits, 2.0, 1));
  }

  @Test
  void topKNeverLeavesTheTopK() {
    Sampler sampler = sampler(3);
    float[] logits = {0.5f, 2f, -1f, 1.9f, 0f, 1.8f, 3f, -2f, 0.1f, 1.7f, 0.2f, 0f};
    boolean[] seen = new boolean[12];
    for (int i = 0; i < 5000; i++) {
      int k = sampler.sample(logits, 5.0, 3); // a hot temperature would otherwise spread over all classes
      seen[k] = true;
    }
    for (int k = 0; k < 12; k++) {
      assertEquals(k == 6 || k == 1 || k == 3, seen[k], "class " + k);
    }
    // Exactly k candidates even with ties at the boundary: lower index first.
    float[] ties = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 2000; i++) {
      assertTrue(sampler.sample(ties, 1.0, 2) < 2);
    }
  }

  @Test
  void temperatureShapesTheDistribution() {
    Sampler sampler = sampler(4);
    float[] logits = new float[12];
    logits[0] = (float) Math.log(3); // p(0) = 3 / 14 at temperature 1
    int hits = 0;
    int draws = 20000;
    for (int i = 0; i < draws; i++) {
      hits += sampler.sample(logits, 1.0, 0) == 0 ? 1 : 0;
    }
    // Binomial standard deviation ≈ 0.0029; 5 sigma.
    assertEquals(3.0 / 14, hits / (double) draws, 0.015);
    int cold = 0;
    for (int i = 0; i < 2000; i++) {
      cold += sampler.sample(logits, 0.05, 0) == 0 ? 1 : 0;
    }
    assertEquals(2000, cold, 2, "a cold temperature is nearly greedy");
  }

  @Test
  void denseModelsFeedOneHotVectors() {
    ModelConfig dense = new ModelConfig(ModelConfig.Cell.GRU, null, null, 5, 0, 6, 1, false,
        ModelConfig.Mode.MANY_TO_MANY, 5, ModelConfig.HeadActivation.SOFTMAX, 8, 1, null);
    ReferenceModel model = new ReferenceModel(ModelParameters.initialize(dense, 2), 1, 8);
    int[] out = new int[6];
    new Sampler(model, dense, 1).generate(new int[] {2, 0}, 2, 0.7, 3, out, 6);
    ReferenceModel check = new ReferenceModel(ModelParameters.initialize(dense, 2), 1, 8);
    float[] x = new float[5];
    x[2] = 1;
    check.step(x, 0);
    x[2] = 0;
    x[0] = 1;
    check.step(x, 0);
    float[] logits = check.stepLogits().clone();
    assertTrue(rank(logits, out[0]) < 3, "first generated class must be among the top 3");
    ModelConfig wrongInput = new ModelConfig(ModelConfig.Cell.GRU, null, null, 4, 0, 6, 1, false,
        ModelConfig.Mode.MANY_TO_MANY, 5, ModelConfig.HeadActivation.SOFTMAX, 8, 1, null);
    assertThrows(RnncException.class, () -> new Sampler(model, wrongInput, 1));
  }

  private static int rank(float[] logits, int k) {
    int above = 0;
    for (float v : logits) {
      above += v > logits[k] ? 1 : 0;
    }
    return above;
  }

  @Test
  void rejectsBadSettings() {
    Sampler sampler = sampler(1);
    float[] logits = new float[12];
    assertThrows(RnncException.class, () -> sampler.sample(logits, -1, 0));
    assertThrows(RnncException.class, () -> sampler.sample(logits, 1, -2));
    logits[3] = Float.NaN;
    assertThrows(RnncException.class, () -> sampler.sample(logits, 1, 0));
  }
}
