package dev.rnnc.runtime.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.DropoutMask;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelParameters;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The shared dropout masks, and that the reference applies them where the contract says. */
class ReferenceDropoutTest {

  @Test
  void maskMatchesTheDocumentedHash() {
    // Computed from the formula in DropoutMask's documentation by an independent (Python) implementation.
    float[] expected = {2, 2, 2, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 2, 2};
    float[] mask = new float[24];
    DropoutMask.fill(mask, 42, 3, 1, 2, 3, 4, 0.5);
    assertArrayEquals(expected, mask);
  }

  @Test
  void maskDependsOnIndicesNotOnLayout() {
    float[] small = new float[2 * 3 * 4];
    float[] large = new float[3 * 5 * 4];
    DropoutMask.fill(small, 7, 1, 2, 2, 3, 4, 0.3);
    DropoutMask.fill(large, 7, 1, 2, 3, 5, 4, 0.3);
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < 3; t++) {
        for (int f = 0; f < 4; f++) {
          float value = small[(b * 3 + t) * 4 + f];
          assertEquals(value, large[(b * 5 + t) * 4 + f]);
          assertEquals(value, DropoutMask.value(7, 1, 2, b, t, f, 0.3));
        }
      }
    }
  }

  @Test
  void maskKeepsAboutOneMinusPAtInvertedScale() {
    double p = 0.3;
    float[] mask = new float[100_000];
    DropoutMask.fill(mask, 1, 0, 1, 10, 100, 100, p);
    int dropped = 0;
    for (float v : mask) {
      if (v == 0) {
        dropped++;
      } else {
        assertEquals((float) (1 / (1 - p)), v);
      }
    }
    assertEquals(p, dropped / 100_000.0, 0.01);
    float[] none = new float[10];
    DropoutMask.fill(none, 1, 0, 1, 1, 1, 10, 0);
    for (float v : none) {
      assertEquals(1f, v);
    }
  }

  @Test
  void seedCallAndLayerEachChangeTheMask() {
    float[] base = mask(5, 0, 1);
    assertFalse(Arrays.equals(base, mask(6, 0, 1)));
    assertFalse(Arrays.equals(base, mask(5, 1, 1)));
    assertFalse(Arrays.equals(base, mask(5, 0, 2)));
    assertArrayEquals(base, mask(5, 0, 1));
  }

  private static float[] mask(long seed, long call, int layer) {
    float[] m = new float[64];
    DropoutMask.fill(m, seed, call, layer, 2, 4, 8, 0.5);
    return m;
  }

  @Test
  void rejectsBadProbabilityAndShortArrays() {
    assertThrows(IllegalArgumentException.class, () -> DropoutMask.fill(new float[4], 0, 0, 1, 1, 1, 4, 1.0));
    assertThrows(IllegalArgumentException.class, () -> DropoutMask.fill(new float[4], 0, 0, 1, 1, 1, 4, -0.1));
    assertThrows(IllegalArgumentException.class, () -> DropoutMask.fill(new float[3], 0, 0, 1, 1, 1, 4, 0.5));
  }

  /**
   * A 2-layer model trained with dropout equals layer 0 run alone, its output multiplied by the mask of
   * (seed, call, layer 1), fed to layer 1 run alone; calls count from 0 after setDropoutSeed.
   */
  @Test
  void dropoutMasksLayerZeroOutputBeforeLayerOneReadsIt() {
    double p = 0.4;
    ModelConfig config = Models.of(Cell.GRU).layers(2).dropout(p).build();
    ModelParameters parameters = ModelParameters.initialize(config, 21);
    ReferenceModel stacked = new ReferenceModel(parameters, 2, 4);
    Batch batch = Models.batch(config, 2, 4, new int[] {4, 3}, false, 22);
    stacked.setDropoutSeed(99);
    float first = stacked.computeGradients(batch);
    float second = stacked.computeGradients(batch);
    assertEquals(2, stacked.nextDropoutCall());
    assertNotEquals(first, second);

    ReferenceModel bottom = layerModel(parameters, Models.of(Cell.GRU).noTraining(), 0, config.inputSize());
    ReferenceModel top = layerModel(parameters, Models.of(Cell.GRU), 1, config.hidden());
    bottom.forward(batch.input, 2, 4, batch.lengths, null, null);
    float[] mask = new float[2 * 4 * config.hidden()];
    float[] expected = {first, second};
    for (int call = 0; call < 2; call++) {
      DropoutMask.fill(mask, 99, call, 1, 2, 4, config.hidden(), p);
      double[] masked = new double[mask.length];
      for (int i = 0; i < mask.length; i++) {
        masked[i] = bottom.output()[i] * mask[i];
      }
      assertEquals(expected[call], top.lossDouble(batch, masked, null, null, 0), 1e-6);
    }

    // Inference never drops.
    stacked.forward(batch.input, 2, 4, batch.lengths, null, null);
    top.forward(bottom.output(), 2, 4, batch.lengths, null, null);
    assertArrayEquals(Arrays.copyOf(top.output(), 24), Arrays.copyOf(stacked.output(), 24), 1e-6f);
  }

  /** A 1-layer model holding layer {@code layer} of {@code source}. */
  private static ReferenceModel layerModel(ModelParameters source, Models spec, int layer, int inputSize) {
    ModelConfig config = spec.input(inputSize).build();
    ModelParameters parameters = ModelParameters.zeros(config);
    copy(source, ModelConfig.weightIh(layer, 0), parameters, ModelConfig.weightIh(0, 0));
    copy(source, ModelConfig.weightHh(layer, 0), parameters, ModelConfig.weightHh(0, 0));
    copy(source, ModelConfig.biasIh(layer, 0), parameters, ModelConfig.biasIh(0, 0));
    copy(source, ModelConfig.biasHh(layer, 0), parameters, ModelConfig.biasHh(0, 0));
    return new ReferenceModel(parameters, 2, 4);
  }

  private static void copy(ModelParameters from, String fromName, ModelParameters to, String toName) {
    float[] values = from.get(fromName);
    System.arraycopy(values, 0, to.get(toName), 0, values.length);
  }
}
