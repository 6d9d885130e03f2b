package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** clip_grad_norm_ and clip_grad_value_ against torch. */
class ClippingGoldenTest {

  static Stream<String> normCases() {
    return cases("clip_norm.", ".max_norm");
  }

  static Stream<String> valueCases() {
    return cases("clip_value.", ".clip_value");
  }

  private static Stream<String> cases(String prefix, String suffix) {
    return Goldens.FILE.metadata().keySet().stream().filter(k -> k.startsWith(prefix) && k.endsWith(suffix))
        .map(k -> k.substring(prefix.length(), k.length() - suffix.length())).sorted();
  }

  @ParameterizedTest
  @MethodSource("normCases")
  void clipNormMatchesTorch(String caseName) {
    String prefix = "clip_norm." + caseName + ".";
    double maxNorm = Double.parseDouble(Goldens.FILE.metadata().get(prefix + "max_norm"));
    ModelParameters grads = Goldens.parameters(prefix + "grad.");
    double total = GradientClipping.clipNorm(grads, maxNorm);
    // torch accumulates the norm in float32, rnnc in double: agreement to float precision.
    double expectedTotal = Goldens.FILE.tensor(prefix + "total").toFloatArray()[0];
    assertEquals(expectedTotal, total, 1e-6 * expectedTotal, caseName + " total norm");
    ModelParameters expected = Goldens.parameters(prefix + "clipped.");
    for (String name : grads.names()) {
      Goldens.assertClose(prefix + name, expected.get(name), grads.get(name));
    }
  }

  @ParameterizedTest
  @MethodSource("valueCases")
  void clipValueMatchesTorch(String caseName) {
    String prefix = "clip_value." + caseName + ".";
    double clip = Double.parseDouble(Goldens.FILE.metadata().get(prefix + "clip_value"));
    ModelParameters grads = Goldens.parameters(prefix + "grad.");
    GradientClipping.clipValue(grads, clip);
    ModelParameters expected = Goldens.parameters(prefix + "clipped.");
    for (String name : grads.names()) {
      // Clamping is exact.
      Goldens.assertClose(prefix + name, expected.get(name), grads.get(name));
      for (float g : grads.get(name)) {
        assertTrue(Math.abs(g) <= (float) clip);
      }
    }
  }

  @Test
  void goldensExerciseBothSidesOfTheNormLimit() {
    int clipped = 0;
    int untouched = 0;
    for (String caseName : (Iterable<String>) normCases()::iterator) {
      String prefix = "clip_norm." + caseName + ".";
      double total = Goldens.FILE.tensor(prefix + "total").toFloatArray()[0];
      double max = Double.parseDouble(Goldens.FILE.metadata().get(prefix + "max_norm"));
      if (total > max) {
        clipped++;
      } else {
        untouched++;
      }
    }
    assertTrue(clipped >= 1 && untouched >= 1, clipped + " clipped, " + untouched + " untouched");
  }

  @Test
  void rejectsNonsenseLimits() {
    float[][] grads = {{1, 2}};
    assertThrows(RnncException.class, () -> GradientClipping.clipNorm(grads, 0));
    assertThrows(RnncException.class, () -> GradientClipping.clipNorm(grads, Double.NaN));
    assertThrows(RnncException.class, () -> GradientClipping.clipValue(grads, -1));
  }

  @Test
  void zeroGradientStaysZero() {
    float[][] grads = {{0, 0, 0}};
    assertEquals(0.0, GradientClipping.clipNorm(grads, 1.0));
    assertEquals(0f, grads[0][1]);
  }
}
