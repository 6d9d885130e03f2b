package dev.rnnc.compiler.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.GruReset;
import dev.rnnc.runtime.ModelConfig.Mode;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The harness itself: the cases are what they claim to be, and the comparison can fail. */
class GoldenHarnessTest {

  @Test
  void assertCloseReportsTheFirstMismatchWithIndexAndValues() {
    float[] expected = {1f, 2f, 3f, 4f};
    assertDoesNotThrow(() -> GoldenCheck.assertClose("x", expected, new float[] {1f, 2.00001f, 3f, 4f}, 4, 1e-5, 1e-4));
    AssertionFailedError error = assertThrows(AssertionFailedError.class,
        () -> GoldenCheck.assertClose("x", expected, new float[] {1f, 2.1f, 3f, Float.NaN}, 4, 1e-5, 1e-4));
    assertTrue(error.getMessage().contains("2 of 4"), error.getMessage());
    assertTrue(error.getMessage().contains("[1]: expected 2.00000000, actual 2.09999990"), error.getMessage());
    // Only the first count elements matter; a longer workspace array is fine.
    assertDoesNotThrow(() -> GoldenCheck.assertClose("x", expected, new float[] {1f, 2f, 9f, 9f, 9f}, 2, 0, 0));
    assertThrows(AssertionFailedError.class, () -> GoldenCheck.assertClose("x", expected, new float[] {1f}, 2, 0, 0));
    assertThrows(AssertionFailedError.class, () -> GoldenCheck.assertClose("x", expected, null, 2, 0, 0));
  }

  @Test
  void casesCoverEveryCellLayerCountModeHeadAndLoss() {
    List<GoldenCase> cases = GoldenCases.all();
    assertTrue(cases.size() >= 40, "only " + cases.size() + " golden cases");
    Set<String> cells = new java.util.HashSet<>();
    Set<Integer> layers = new java.util.HashSet<>();
    Set<Mode> modes = EnumSet.noneOf(Mode.class);
    Set<ModelConfig.HeadActivation> heads = EnumSet.noneOf(ModelConfig.HeadActivation.class);
    Set<ModelConfig.Loss> losses = EnumSet.noneOf(ModelConfig.Loss.class);
    boolean embedding = false;
    boolean givenState = false;
    boolean forwardOnly = false;
    for (GoldenCase c : cases) {
      ModelConfig config = c.config();
      cells.add(config.cell() + (config.cell() == Cell.RNN ? "/" + config.nonlinearity() : "")
          + (config.cell() == Cell.GRU ? "/" + config.gruReset() : "") + (config.hasProjection() ? "/proj" : "")
          + (config.peepholes() ? "/peep" : "") + (config.bidirectional() ? "/bi" : ""));
      layers.add(config.layers());
      modes.add(config.mode());
      if (config.hasHead()) {
        heads.add(config.headActivation());
      }
      if (c.hasLoss()) {
        losses.add(config.training().loss());
      } else {
        forwardOnly = true;
      }
      embedding |= config.hasEmbedding();
      givenState |= c.has("h0");
    }
    assertEquals(Set.of("LSTM", "LSTM/bi", "GRU/AFTER", "GRU/AFTER/bi", "GRU/BEFORE", "GRU/BEFORE/bi",
        "RNN/TANH", "RNN/TANH/bi", "RNN/RELU", "RNN/RELU/bi", "LSTM/proj", "LSTM/proj/bi", "LSTM/peep",
        "LSTM/peep/bi", "LSTM/proj/peep", "LSTM/proj/peep/bi"), cells);
    assertEquals(Set.of(1, 2, 3), layers);
    assertEquals(EnumSet.allOf(Mode.class), modes);
    assertEquals(EnumSet.allOf(ModelConfig.HeadActivation.class), heads);
    assertEquals(EnumSet.allOf(ModelConfig.Loss.class), losses);
    assertTrue(embedding && givenState && forwardOnly);
  }

  @Test
  void caseFilesAreConsistentWithTheirConfig() {
    for (GoldenCase c : GoldenCases.all()) {
      ModelConfig config = c.config();
      ModelParameters parameters = c.parameters();
      assertEquals(config.parameterNames(), parameters.names(), c.name());
      assertTrue(c.spec().startsWith("model: "), c.name());
      Batch batch = c.batch();
      int[] lengths = c.lengths();
      boolean oneStep = false;
      boolean full = false;
      for (int length : lengths) {
        oneStep |= length == 1;
        full |= length == batch.steps;
      }
      assertTrue(batch.batch <= config.maxBatch() && batch.steps <= config.maxLength(), c.name());
      int outputWidth = config.featureSize();
      assertArrayEquals(new int[] {batch.batch, batch.steps, outputWidth}, c.tensor("output").shape(), c.name());
      int slots = config.layers() * config.directions();
      assertArrayEquals(new int[] {slots, batch.batch, config.stateSize()}, c.tensor("h_n").shape(), c.name());
      if (config.hasCellState()) {
        assertArrayEquals(new int[] {slots, batch.batch, config.hidden()}, c.tensor("c_n").shape(), c.name());
      }
      // Outputs at padded steps are exactly zero in PyTorch's answer.
      float[] output = c.floats("output");
      for (int b = 0; b < batch.batch; b++) {
        for (int t = lengths[b]; t < batch.steps; t++) {
          for (int k = 0; k < outputWidth; k++) {
            assertEquals(0f, output[(b * batch.steps + t) * outputWidth + k], c.name());
          }
        }
      }
      if (c.hasLoss()) {
        for (String name : config.parameterNames()) {
          assertArrayEquals(parameters.shape(name), c.expectedGradient(name).shape(), c.name() + " " + name);
        }
        assertTrue(c.floats("loss")[0] > 1e-3, c.name() + " has a trivial loss");
      } else {
        assertNull(batch.classTargets);
        assertNull(batch.valueTargets);
      }
      // Most cases mix a length-1 sequence with a full-length one; the edge cases say otherwise in their name.
      assertTrue((oneStep && full) || c.name().contains("batch1") || c.name().contains("allfull")
          || c.name().contains("noneful") || c.name().contains("steps1"), c.name() + ": lengths lack 1 or T");
    }
  }

  @Test
  void specTextParsesToTheConfigOfTheMetadata() {
    // The spec is what the generated-code tests compile; it must describe exactly the model the tensors are for.
    for (GoldenCase c : GoldenCases.all()) {
      Spec spec = SpecParser.parse(c.name() + ".yaml", c.spec());
      assertEquals(c.config(), spec.config(), c.name());
      assertEquals("golden.cases", spec.packageName(), c.name());
    }
  }

  @Test
  void checkFailsOnASlightlyWrongModel() {
    // The last recurrent bias (o gate of LSTM, n gate of GRU) of layer 0's backward direction off by 1e-3 must
    // show in the forward results.
    for (String name : List.of("lstm_l2_bi_noneful_m2m_linear_mse_h0", "gru_before_l3_bi_large_m2m_softmax_ce_h0")) {
      GoldenCase c = GoldenCases.named(name);
      assertDoesNotThrow(() -> GoldenCheck.check(c, new ReferenceModel(c.parameters())));
      ModelParameters parameters = c.parameters();
      parameters.get(ModelConfig.biasHh(0, 1))[c.config().gateRows() - 1] += 1e-3f;
      String message = assertThrows(AssertionFailedError.class,
          () -> GoldenCheck.check(c, new ReferenceModel(parameters))).getMessage();
      assertTrue(message.contains("h_n:"), message);
    }
  }

  @Test
  void checkFailsOnOneWrongGradientElement() {
    // Equivalent to a model with one gradient element off by twice the tolerance: each expected tensor is
    // nudged in a freshly loaded case (Tensor.floats() is the live data) and the check must name it.
    String name = "lstm_l2_bi_noneful_m2m_linear_mse_h0";
    for (String tensor : List.of("loss", "grad.rnn.weight_hh_l1_reverse", "grad.head.bias", "grad.input",
        "grad.h0", "grad.c0")) {
      GoldenCase c = GoldenCases.named(name);
      float[] expected = c.tensor(tensor).floats();
      int last = expected.length - 1;
      double band = tensor.equals("loss") ? GoldenCheck.FORWARD_ABS + GoldenCheck.FORWARD_REL * Math.abs(expected[last])
          : GoldenCheck.GRADIENT_ABS + GoldenCheck.GRADIENT_REL * Math.abs(expected[last]);
      expected[last] += (float) (2 * band);
      String message = assertThrows(AssertionFailedError.class,
          () -> GoldenCheck.check(c, new ReferenceModel(c.parameters()))).getMessage();
      assertTrue(message.contains(tensor + ": 1 of "), message);
    }
  }

  @Test
  void peepholeCasesDependOnTheirPeepholes() {
    // Guards against peephole goldens that would equal a plain LSTM's (peepholes ignored on both sides).
    for (String name : List.of("lstm_peep_l1_uni_m2m_softmax_ce_h0", "lstm_proj_peep_l2_bi_m2m_linear_mse_h0")) {
      GoldenCase c = GoldenCases.named(name);
      assertTrue(c.config().peepholes(), name);
      ModelParameters parameters = c.parameters();
      for (int dir = 0; dir < c.config().directions(); dir++) {
        Arrays.fill(parameters.get(ModelConfig.weightPh(0, dir)), 0f);
      }
      ReferenceModel model = new ReferenceModel(parameters);
      Batch batch = c.batch();
      model.forward(batch.input, batch.batch, batch.steps, batch.lengths, batch.h0, batch.c0);
      assertThrows(AssertionFailedError.class, () -> GoldenCheck.assertClose("output", c.floats("output"),
          model.output(), c.floats("output").length, 1e-4, 0), name);
    }
  }

  @Test
  void projectionCasesHaveNarrowStatesAndWideCellStates() {
    GoldenCase c = GoldenCases.named("lstm_proj_l1_uni_m2m_softmax_ce_h0");
    assertEquals(3, c.config().projSize());
    assertArrayEquals(new int[] {1, 3, 3}, c.tensor("h0").shape());
    assertArrayEquals(new int[] {1, 3, 5}, c.tensor("c0").shape());
    assertArrayEquals(new int[] {3, 5}, c.tensor("rnn.weight_hr_l0").shape());
    assertArrayEquals(new int[] {20, 3}, c.tensor("rnn.weight_hh_l0").shape());
  }

  @Test
  void gruResetVariantsDifferOnTheSameWeights() {
    // Guards against a reset-before golden that silently equals reset-after (the variants must be told apart).
    GoldenCase before = GoldenCases.named("gru_before_l1_uni_allfull_m2o_softmax_ce_h0");
    assertEquals(GruReset.BEFORE, before.config().gruReset());
    ModelConfig after = new ModelConfig(Cell.GRU, Nonlinearity.TANH, GruReset.AFTER, before.config().inputSize(),
        0, before.config().hidden(), 1, false, Mode.MANY_TO_ONE, before.config().headSize(),
        before.config().headActivation(), before.config().maxLength(), before.config().maxBatch(),
        before.config().training());
    ReferenceModel model = new ReferenceModel(
        ModelParameters.fromTensors(before.parameters().toTensors(), after, "copy"));
    Batch batch = before.batch();
    model.forward(batch.input, batch.batch, batch.steps, batch.lengths, batch.h0, batch.c0);
    assertThrows(AssertionFailedError.class, () -> GoldenCheck.assertClose("features", before.floats("features"),
        model.features(), before.floats("features").length, 1e-4, 0));
  }
}
