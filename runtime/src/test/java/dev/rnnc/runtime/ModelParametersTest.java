package dev.rnnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.Mode;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelParametersTest {
  @TempDir Path dir;

  /** Embedding (vocab 10, dim 3), 2-layer bidirectional LSTM with H = 4, head 8 → 5. */
  private static final ModelConfig LSTM = new ModelConfig(Cell.LSTM, null, null, 3, 10, 4, 2, true, Mode.MANY_TO_ONE,
      5, null, 16, 4, null);

  private static final ModelConfig GRU = new ModelConfig(Cell.GRU, null, null, 3, 0, 4, 1, false, Mode.MANY_TO_MANY,
      0, null, 16, 4, null);

  private static Map<String, Tensor> tensors(ModelParameters parameters) {
    return new LinkedHashMap<>(parameters.toTensors());
  }

  @Test
  void followsTheConfigsNamesShapesAndOrder() {
    ModelParameters p = ModelParameters.zeros(LSTM);
    assertEquals(LSTM.parameterNames(), p.names());
    assertEquals("embedding.weight", p.names().get(0));
    assertEquals(List.of("head.weight", "head.bias"), p.names().subList(p.names().size() - 2, p.names().size()));
    assertArrayEquals(new int[] {16, 8}, p.shape("rnn.weight_ih_l1_reverse"));
    assertEquals(16 * 8, p.get("rnn.weight_ih_l1_reverse").length);
    assertEquals(LSTM.parameterCount(), p.count());
    assertSame(LSTM, p.config());
    assertTrue(p.allFinite());
  }

  @Test
  void getReturnsTheLiveArrayAndNamesValidOnesOnError() {
    ModelParameters p = ModelParameters.zeros(GRU);
    p.get("rnn.bias_ih_l0")[2] = 5f;
    assertEquals(5f, p.get("rnn.bias_ih_l0")[2]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.get("rnn.bias"));
    assertEquals("no parameter named 'rnn.bias'; the model has [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, "
        + "rnn.bias_hh_l0]", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> p.shape("nope"));
  }

  @Test
  void initializationUsesPyTorchsDistributions() {
    ModelConfig big = new ModelConfig(Cell.LSTM, null, null, 16, 1000, 64, 1, true, Mode.MANY_TO_ONE, 50, null, 16, 4,
        null);
    ModelParameters p = ModelParameters.initialize(big, 42);
    float rnnBound = (float) (1 / Math.sqrt(64));
    float headBound = (float) (1 / Math.sqrt(128));
    for (String name : p.names()) {
      float[] values = p.get(name);
      if (name.startsWith("rnn.")) {
        assertUniform(name, values, rnnBound);
      } else if (name.startsWith("head.")) {
        assertUniform(name, values, headBound);
      }
    }
    float[] embedding = p.get("embedding.weight");
    double mean = Arrays.stream(toDoubles(embedding)).average().orElseThrow();
    double variance = Arrays.stream(toDoubles(embedding)).map(v -> (v - mean) * (v - mean)).sum() / embedding.length;
    assertEquals(0, mean, 0.03, "embedding mean"); // 16000 samples: standard error 0.008
    assertEquals(1, Math.sqrt(variance), 0.03, "embedding standard deviation");
    assertTrue(Arrays.stream(toDoubles(embedding)).anyMatch(v -> Math.abs(v) > 3), "normal tails, not uniform");
  }

  @Test
  void projectionAndPeepholeWeightsAreDrawnLikeTheOtherRecurrentParameters() {
    ModelConfig config = ModelConfig.builder(Cell.LSTM).input(8).hidden(100).projSize(40).peepholes(true)
        .bidirectional(true).head(5, null).build();
    ModelParameters p = ModelParameters.initialize(config, 3);
    assertArrayEquals(new int[] {40, 100}, p.shape("rnn.weight_hr_l0_reverse"));
    assertArrayEquals(new int[] {3, 100}, p.shape("rnn.weight_ph_l0"));
    assertArrayEquals(new int[] {400, 40}, p.shape("rnn.weight_hh_l0"));
    float rnnBound = (float) (1 / Math.sqrt(100));
    for (String name : List.of("rnn.weight_hr_l0", "rnn.weight_hr_l0_reverse", "rnn.weight_ph_l0",
        "rnn.weight_ph_l0_reverse", "rnn.weight_hh_l0")) {
      assertUniform(name, p.get(name), rnnBound);
    }
    assertUniform("head.weight", p.get("head.weight"), (float) (1 / Math.sqrt(80)));
  }

  private static void assertUniform(String name, float[] values, float bound) {
    double sum = 0;
    float min = Float.MAX_VALUE;
    float max = -Float.MAX_VALUE;
    for (float v : values) {
      assertTrue(v >= -bound && v <= bound, () -> name + " value " + v + " outside ±" + bound);
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (values.length >= 200) {
      // The extremes of a few hundred uniform draws sit near the bounds; a narrower distribution would not.
      assertTrue(max > 0.95f * bound && min < -0.95f * bound, name + " spans [" + min + ", " + max + "]");
      double sd = bound / Math.sqrt(3 * values.length);
      assertEquals(0, sum / values.length, 5 * sd, name + " mean");
    }
  }

  private static double[] toDoubles(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  @Test
  void initializationIsDeterministicPerSeed() {
    assertEquals(tensors(ModelParameters.initialize(LSTM, 7)), tensors(ModelParameters.initialize(LSTM, 7)));
    assertFalse(tensors(ModelParameters.initialize(LSTM, 7)).equals(tensors(ModelParameters.initialize(LSTM, 8))));
  }

  @Test
  void savesAndLoadsThroughSafetensors() {
    ModelParameters p = ModelParameters.initialize(LSTM, 1);
    Path file = dir.resolve("lstm.safetensors");
    p.save(file);

    SafeTensorsFile raw = SafeTensors.read(file);
    assertEquals(Map.of("format", "pt", "producer", "rnnc"), raw.metadata());
    assertEquals(LSTM.parameterNames(), List.copyOf(raw.tensors().keySet()));

    ModelParameters loaded = ModelParameters.load(file, LSTM);
    assertEquals(tensors(p), tensors(loaded));
  }

  @Test
  void acceptsFloat64AndIgnoresOptimizerState() {
    ModelParameters p = ModelParameters.initialize(GRU, 3);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (String name : p.names()) {
      float[] f = p.get(name);
      double[] d = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        d[i] = f[i];
      }
      tensors.put(name, Tensor.ofDoubles(p.shape(name), d));
    }
    tensors.put("optimizer.step", Tensor.ofLongs(new int[0], new long[] {100}));
    assertEquals(tensors(p), tensors(ModelParameters.fromTensors(tensors, GRU, "ckpt")));
  }

  @Test
  void copiesAreIndependent() {
    ModelParameters p = ModelParameters.initialize(GRU, 3);
    ModelParameters copy = p.copy();
    assertNotSame(p.get("rnn.bias_hh_l0"), copy.get("rnn.bias_hh_l0"));
    copy.get("rnn.bias_hh_l0")[0] = 100;
    assertTrue(p.get("rnn.bias_hh_l0")[0] != 100);

    Map<String, Tensor> snapshot = p.toTensors();
    p.get("rnn.bias_hh_l0")[1] = 200;
    assertTrue(snapshot.get("rnn.bias_hh_l0").floats()[1] != 200, "toTensors copies");

    float[] live = p.get("rnn.weight_hh_l0");
    p.copyFrom(copy);
    assertSame(live, p.get("rnn.weight_hh_l0"), "copyFrom writes in place");
    assertEquals(tensors(copy), tensors(p));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> p.copyFrom(ModelParameters.zeros(LSTM)));
    assertTrue(e.getMessage().startsWith("parameters of a different model: {embedding.weight[10, 3], "), e.getMessage());
  }

  @Test
  void allFiniteSpotsDivergence() {
    ModelParameters p = ModelParameters.zeros(GRU);
    p.get("rnn.weight_hh_l0")[7] = Float.POSITIVE_INFINITY;
    assertFalse(p.allFinite());
  }

  // ---- load errors ----

  private static RnncException loadError(Map<String, Tensor> tensors, ModelConfig config) {
    return assertThrows(RnncException.class, () -> ModelParameters.fromTensors(tensors, config, "w.safetensors"));
  }

  @Test
  void listsEveryMissingTensor() {
    Map<String, Tensor> tensors = tensors(ModelParameters.zeros(LSTM));
    tensors.remove("head.weight");
    tensors.remove("rnn.bias_hh_l1_reverse");
    assertEquals("w.safetensors does not match the model: missing 2 tensors [rnn.bias_hh_l1_reverse, head.weight]",
        loadError(tensors, LSTM).getMessage());
  }

  @Test
  void listsUnexpectedTensorsButNotOptimizerStateOrIgnoredOnes() {
    Map<String, Tensor> tensors = tensors(ModelParameters.zeros(GRU));
    tensors.put("optimizer.m.rnn.weight_ih_l0", Tensor.ofFloats(new int[] {1}, new float[1]));
    tensors.put("decoder.weight", Tensor.ofFloats(new int[] {1}, new float[1]));
    tensors.put("step", Tensor.ofLongs(new int[0], new long[1]));
    assertEquals("w.safetensors does not match the model: unexpected 2 tensors [decoder.weight, step]",
        loadError(tensors, GRU).getMessage());
    ModelParameters.fromTensors(tensors, GRU, "w.safetensors", name -> name.startsWith("decoder.") || name.equals("step"));
  }

  @Test
  void pointsOutNamesThatDifferByAPrefix() {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors(ModelParameters.zeros(GRU)).forEach((name, t) -> tensors.put(name.replace("rnn.", "gru."), t));
    assertEquals("w.safetensors does not match the model: missing 4 tensors [rnn.weight_ih_l0, rnn.weight_hh_l0, "
        + "rnn.bias_ih_l0, rnn.bias_hh_l0]; unexpected 4 tensors [gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, "
        + "gru.bias_hh_l0] (the names differ by a prefix, e.g. 'gru.weight_ih_l0' vs 'rnn.weight_ih_l0': rnnc expects "
        + "a module with attributes embedding, rnn and head)", loadError(tensors, GRU).getMessage());
  }

  @Test
  void reportsShapeMismatchWithBothShapes() {
    ModelConfig wide = new ModelConfig(Cell.GRU, null, null, 6, 0, 4, 1, false, Mode.MANY_TO_MANY, 0, null, 16, 4, null);
    assertEquals("w.safetensors: rnn.weight_ih_l0 has shape [12, 6], expected [12, 3]",
        loadError(tensors(ModelParameters.zeros(wide)), GRU).getMessage());
  }

  @Test
  void rejectsIntegerTensors() {
    Map<String, Tensor> tensors = tensors(ModelParameters.zeros(GRU));
    tensors.put("rnn.bias_ih_l0", Tensor.ofLongs(new int[] {12}, new long[12]));
    assertEquals("w.safetensors: rnn.bias_ih_l0 has dtype I64, expected F32 or F64", loadError(tensors, GRU).getMessage());
  }

  @Test
  void namesTheTensorAndIndexOfNonFiniteValues() {
    Map<String, Tensor> tensors = tensors(ModelParameters.zeros(GRU));
    tensors.get("rnn.weight_hh_l0").floats()[17] = Float.NaN;
    assertEquals("w.safetensors: rnn.weight_hh_l0 contains NaN at flat index 17", loadError(tensors, GRU).getMessage());

    tensors = tensors(ModelParameters.zeros(GRU));
    tensors.get("rnn.bias_hh_l0").floats()[3] = Float.NEGATIVE_INFINITY;
    assertEquals("w.safetensors: rnn.bias_hh_l0 contains -Infinity at flat index 3", loadError(tensors, GRU).getMessage());

    tensors = tensors(ModelParameters.zeros(GRU));
    double[] tooBig = new double[12];
    tooBig[5] = 1e39;
    tensors.put("rnn.bias_ih_l0", Tensor.ofDoubles(new int[] {12}, tooBig));
    assertEquals("w.safetensors: rnn.bias_ih_l0 has value 1.0E39 at flat index 5, beyond the float32 range",
        loadError(tensors, GRU).getMessage());
  }

  @Test
  void loadErrorsNameTheFile() {
    Path file = dir.resolve("other.safetensors");
    ModelParameters.zeros(GRU).save(file);
    RnncException e = assertThrows(RnncException.class, () -> ModelParameters.load(file, LSTM));
    assertTrue(e.getMessage().startsWith(file + " does not match the model: missing 15 tensors [embedding.weight, rnn.weight_ih_l0_reverse, "),
        e.getMessage());
  }
}
