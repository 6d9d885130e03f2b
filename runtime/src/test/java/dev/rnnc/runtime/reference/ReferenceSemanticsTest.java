package dev.rnnc.runtime.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelParameters;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Values worked out independently of this code (by hand, or with PyTorch 1.13 in float64 by
 * {@code pack_padded_sequence} → RNN → {@code pad_packed_sequence}), so a misunderstanding of the semantics
 * shared by the reference and its gradient checks is caught.
 */
class ReferenceSemanticsTest {
  private static final double FLOAT_TOLERANCE = 1e-6;

  private static ReferenceModel model(ModelConfig config) {
    return new ReferenceModel(ModelParameters.zeros(config), 3, 5);
  }

  private static void set(ReferenceModel model, String name, double... values) {
    double[] target = model.parameterDouble(name);
    assertEquals(target.length, values.length, name);
    System.arraycopy(values, 0, target, 0, values.length);
  }

  @Test
  void oneUnitTanhRnnByHand() {
    ReferenceModel model = model(Models.of(Cell.RNN).input(1).hidden(1).noTraining().build());
    set(model, "rnn.weight_ih_l0", 0.5);
    set(model, "rnn.weight_hh_l0", -1.0);
    set(model, "rnn.bias_ih_l0", 0.1);
    set(model, "rnn.bias_hh_l0", 0.2);
    model.forward(new float[] {1, 2}, 1, 2, null, null, null);
    // h1 = tanh(0.5 + 0.3); h2 = tanh(1.0 - h1 + 0.3)
    assertClose(new double[] {0.664036770267849, 0.5621446952832614}, model.output(), 2);
    assertClose(new double[] {0.5621446952832614}, model.hN(), 1);
  }

  @Test
  void bidirectionalWithLengthsStartsBackwardAtEachSequencesLastStep() {
    ReferenceModel model = model(Models.of(Cell.RNN).input(1).hidden(1).bidirectional().noTraining().build());
    set(model, "rnn.weight_ih_l0", 0.5);
    set(model, "rnn.weight_hh_l0", -1.0);
    set(model, "rnn.bias_ih_l0", 0.1);
    set(model, "rnn.bias_hh_l0", 0.2);
    set(model, "rnn.weight_ih_l0_reverse", -0.3);
    set(model, "rnn.weight_hh_l0_reverse", 0.8);
    set(model, "rnn.bias_ih_l0_reverse", 0.05);
    set(model, "rnn.bias_hh_l0_reverse", -0.1);
    // Sequence 1 has 2 valid steps; its padded 7 must not reach the backward direction.
    model.forward(new float[] {1, 2, 3, 0.5f, -1, 7}, 2, 3, new int[] {3, 2}, null, null);
    assertClose(new double[] {0.664036770267849, -0.7726139122402348, 0.5621446952832614, -0.8459757018243376,
        0.8448428080665055, -0.7397830512740042, 0.5005202111902353, -0.004065047685697845, -0.6046978719435371,
        0.2449186624037091, 0.0, 0.0}, model.output(), 12);
    assertEquals(0f, model.output()[10]);
    assertEquals(0f, model.output()[11]);
    assertClose(new double[] {0.8448428080665055, -0.6046978719435371, -0.7726139122402348,
        -0.004065047685697845}, model.hN(), 4);
  }

  @Test
  void oneUnitLstmWithInitialState() {
    ReferenceModel model = model(Models.of(Cell.LSTM).input(1).hidden(1).noTraining().build());
    set(model, "rnn.weight_ih_l0", 0.5, -0.4, 0.3, 0.9);
    set(model, "rnn.weight_hh_l0", 0.2, 0.7, -0.6, 0.1);
    set(model, "rnn.bias_ih_l0", 0.1, 0.2, -0.3, 0.05);
    set(model, "rnn.bias_hh_l0", 0.0, 0.3, 0.1, -0.2);
    model.forward(new float[] {1, -2}, 1, 2, null, new float[] {0.3f}, new float[] {-0.5f});
    assertClose(new double[] {-0.22520026033582402, -0.04861146013036204}, model.output(), 2);
    assertClose(new double[] {-0.4213510941025581}, model.cN(), 1);
  }

  @Test
  void oneUnitPeepholeLstmByHand() {
    ReferenceModel model = model(Models.of(Cell.LSTM).input(1).hidden(1).peepholes().noTraining().build());
    set(model, "rnn.weight_ih_l0", 0.5, -0.4, 0.3, 0.9);
    set(model, "rnn.weight_hh_l0", 0.2, 0.7, -0.6, 0.1);
    set(model, "rnn.bias_ih_l0", 0.1, 0.2, -0.3, 0.05);
    set(model, "rnn.bias_hh_l0", 0.0, 0.3, 0.1, -0.2);
    set(model, "rnn.weight_ph_l0", 0.4, -0.7, 1.1);
    model.forward(new float[] {1, -2}, 1, 2, null, new float[] {0.3f}, new float[] {-0.5f});
    // i = σ(a_i + 0.4 c), f = σ(a_f - 0.7 c) with the previous c; c' = f c + i g; o = σ(a_o + 1.1 c') with the new.
    assertClose(new double[] {-0.2132287498935621, -0.03306724927078741}, model.output(), 2);
    assertClose(new double[] {-0.45170462233470854}, model.cN(), 1);
  }

  @Test
  void twoUnitLstmProjectedToOneByHand() {
    ReferenceModel model = model(Models.of(Cell.LSTM).input(1).hidden(2).projection(1).noTraining().build());
    set(model, "rnn.weight_ih_l0", 0.5, -0.4, 0.3, 0.9, -0.2, 0.6, 0.1, -0.8);
    set(model, "rnn.weight_hh_l0", 0.2, 0.7, -0.6, 0.1, 0.4, -0.3, 0.5, 0.25);
    set(model, "rnn.bias_ih_l0", 0.1, 0.2, -0.3, 0.05, 0.0, 0.1, -0.1, 0.2);
    set(model, "rnn.bias_hh_l0", 0.0, 0.3, 0.1, -0.2, 0.15, 0.0, 0.05, -0.05);
    set(model, "rnn.weight_hr_l0", 0.8, -1.2);
    // h0 is P = 1 wide, c0 H = 2 wide; h' = W_hr·(o*tanh(c')).
    model.forward(new float[] {1, -2}, 1, 2, null, new float[] {0.3f}, new float[] {-0.5f, 0.2f});
    assertClose(new double[] {-0.2669211722392736, 0.5028413926894235}, model.output(), 2);
    assertClose(new double[] {0.5028413926894235}, model.hN(), 1);
    assertClose(new double[] {0.04886088651823253, -0.5245898393462256}, model.cN(), 2);
  }

  @Test
  void oneUnitGruResetAfterAndBefore() {
    double[][] expected = {{0.23400627715712136, 0.06295410678239732}, {0.28905760692925264, 0.1449917037056958}};
    Models[] variants = {Models.of(Cell.GRU), Models.of(Cell.GRU).resetBefore()};
    for (int v = 0; v < 2; v++) {
      ReferenceModel model = model(variants[v].input(1).hidden(1).noTraining().build());
      set(model, "rnn.weight_ih_l0", 0.5, -0.4, 0.3);
      set(model, "rnn.weight_hh_l0", 0.2, 0.7, -0.6);
      set(model, "rnn.bias_ih_l0", 0.1, 0.2, -0.3);
      set(model, "rnn.bias_hh_l0", 0.0, 0.3, 0.4);
      model.forward(new float[] {1, -2}, 1, 2, null, new float[] {0.3f}, null);
      assertClose(expected[v], model.output(), 2);
    }
  }

  // ------------------------------------------------------------- PyTorch losses and whole gradients

  /** Parameter i of state_dict entry k is 0.3·sin(1.7 i + 0.5 k), as in the PyTorch script. */
  private static ReferenceModel goldenModel(ModelConfig config) {
    ReferenceModel model = new ReferenceModel(ModelParameters.zeros(config), 2, 3);
    int k = 0;
    for (String name : config.parameterNames()) {
      double[] values = model.parameterDouble(name);
      for (int i = 0; i < values.length; i++) {
        values[i] = 0.3 * Math.sin(1.7 * i + 0.5 * k);
      }
      k++;
    }
    return model;
  }

  /** Σ g[i]·cos(i): one number per gradient that any wrong element changes. */
  private static double checksum(double[] values, int count) {
    double sum = 0;
    for (int i = 0; i < count; i++) {
      sum += values[i] * Math.cos(i);
    }
    return sum;
  }

  private static double[] cosines(int count, double scale, double frequency) {
    double[] values = new double[count];
    for (int i = 0; i < count; i++) {
      values[i] = scale * Math.cos(frequency * i);
    }
    return values;
  }

  private static float[] sineTargets(int count, double offset, double scale) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (offset + scale * Math.sin(i));
    }
    return values;
  }

  private static void assertChecksums(ReferenceModel model, Object... nameAndValue) {
    for (int i = 0; i < nameAndValue.length; i += 2) {
      String name = (String) nameAndValue[i];
      double[] g = model.gradientDouble(name);
      assertEquals((double) nameAndValue[i + 1], checksum(g, g.length), 1e-12, name);
    }
  }

  @Test
  void torchLstmBidirectionalManyToOneCrossEntropy() {
    ModelConfig config = Models.of(Cell.LSTM).input(2).hidden(3).layers(2).bidirectional().manyToOne()
        .head(4, HeadActivation.SOFTMAX).loss(Loss.CROSS_ENTROPY).build();
    ReferenceModel model = goldenModel(config);
    Batch batch = new Batch();
    batch.batch = 2;
    batch.steps = 3;
    batch.lengths = new int[] {3, 2};
    batch.classTargets = new int[] {1, 0};
    double[] input = cosines(12, 1, 0.3);
    assertEquals(1.4178264936328366, model.computeGradientsDouble(batch, input, null, null, 0), 1e-12);
    assertChecksums(model,
        "rnn.weight_ih_l0", 0.023243372878206506, "rnn.weight_hh_l0", 0.0005854679011600327,
        "rnn.bias_ih_l0", 0.003666634524495169, "rnn.bias_hh_l0", 0.0036666345244951676,
        "rnn.weight_ih_l0_reverse", 0.02967112523556513, "rnn.weight_hh_l0_reverse", 0.001542677517311582,
        "rnn.bias_ih_l0_reverse", 0.011784956517520656, "rnn.bias_hh_l0_reverse", 0.011784956517520656,
        "rnn.weight_ih_l1", -0.01065235761096935, "rnn.weight_hh_l1", -0.0033889749572517326,
        "rnn.bias_ih_l1", -0.00020074805151958086, "rnn.bias_hh_l1", -0.00020074805151958953,
        "rnn.weight_ih_l1_reverse", -0.00278296403338256, "rnn.weight_hh_l1_reverse", 0.002458230848249569,
        "rnn.bias_ih_l1_reverse", 0.04023993631166686, "rnn.bias_hh_l1_reverse", 0.04023993631166686,
        "head.weight", -0.10601319815246345, "head.bias", -0.7535894824986481);
    assertEquals(-0.00107068583073949, checksum(model.inputGradientDouble(), 12), 1e-12);
  }

  @Test
  void torchGruEmbeddingManyToManySigmoidMse() {
    ModelConfig config = Models.of(Cell.GRU).embedding(5, 2).hidden(2).head(3, HeadActivation.SIGMOID)
        .loss(Loss.MSE).build();
    ReferenceModel model = goldenModel(config);
    Batch batch = new Batch();
    batch.batch = 2;
    batch.steps = 3;
    batch.lengths = new int[] {2, 3};
    batch.tokens = new int[] {1, 4, 0, 3, 2, 2};
    batch.valueTargets = sineTargets(18, 0.5, 0.4);
    assertEquals(0.0809023360687783, model.computeGradientsDouble(batch, null, null, null, 0), 1e-12);
    assertChecksums(model,
        "embedding.weight", -0.00024218504020483925, "rnn.weight_ih_l0", 0.00022875329068735098,
        "rnn.weight_hh_l0", 0.00020604937041331778, "rnn.bias_ih_l0", -0.0010862061453718534,
        "rnn.bias_hh_l0", -9.47103511473237e-05, "head.weight", -0.006553178495639128,
        "head.bias", -0.016255058218916242);
  }

  @Test
  void torchReluRnnTwoLayersBceWithoutHeadAndInitialState() {
    ModelConfig config = Models.of(Cell.RNN).relu().input(2).hidden(3).layers(2).loss(Loss.BCE).build();
    ReferenceModel model = goldenModel(config);
    Batch batch = new Batch();
    batch.batch = 2;
    batch.steps = 3;
    batch.lengths = new int[] {3, 1};
    batch.valueTargets = sineTargets(18, 0.5, 0.5);
    double[] input = cosines(12, 1, 0.3);
    double[] h0 = cosines(12, 0.2, 1);
    assertEquals(0.6965275571436749, model.computeGradientsDouble(batch, input, h0, null, 0), 1e-12);
    assertChecksums(model,
        "rnn.weight_ih_l0", 0.0169946141098075, "rnn.weight_hh_l0", 0.010479628975684411,
        "rnn.bias_ih_l0", 0.011743789861006698, "rnn.bias_hh_l0", 0.011743789861006698,
        "rnn.weight_ih_l1", 0.015745503860609824, "rnn.weight_hh_l1", -0.021721835312333994,
        "rnn.bias_ih_l1", 0.014067075180812958, "rnn.bias_hh_l1", 0.014067075180812958);
    assertEquals(-0.002218186064574367, checksum(model.inputGradientDouble(), 12), 1e-12);
    assertEquals(-0.01928745375366948, checksum(model.h0GradientDouble(), 12), 1e-12);
  }

  // ------------------------------------------------------------- packing, padding, streaming

  @Test
  void paddedStepsAreExactlyZeroAndDoNotInfluenceResults() {
    ModelConfig config = Models.of(Cell.LSTM).layers(2).bidirectional().head(3, HeadActivation.SOFTMAX)
        .loss(Loss.CROSS_ENTROPY).build();
    ReferenceModel model = new ReferenceModel(ModelParameters.initialize(config, 3), 3, 5);
    int[] lengths = {2, 5, 1};
    Batch batch = Models.batch(config, 3, 5, lengths, true, 4);
    model.computeGradients(batch);
    int f = config.featureSize();
    for (int b = 0; b < 3; b++) {
      for (int t = lengths[b]; t < 5; t++) {
        int row = b * 5 + t;
        assertAllZero(model.output(), row * f, f);
        assertAllZero(model.logits(), row * 3, 3);
        assertAllZero(model.prediction(), row * 3, 3);
        assertAllZero(model.inputGradient(), row * config.inputSize(), config.inputSize());
      }
    }
    // Each sequence alone, unpadded, gives the same per-step output: nothing leaks across sequences or
    // from padding, and the backward direction starts at the sequence's own last step.
    float[] batched = model.output().clone();
    float[] hN = model.hN().clone();
    int slots = config.layers() * 2;
    for (int b = 0; b < 3; b++) {
      int length = lengths[b];
      float[] input = Arrays.copyOfRange(batch.input, b * 5 * 2, (b * 5 + length) * 2);
      model.forward(input, 1, length, null, stateOf(batch.h0, b, 3, slots, 3), stateOf(batch.c0, b, 3, slots, 3));
      assertArrayEquals(Arrays.copyOfRange(batched, b * 5 * f, (b * 5 + length) * f),
          Arrays.copyOf(model.output(), length * f));
      assertArrayEquals(stateOf(hN, b, 3, slots, 3), Arrays.copyOf(model.hN(), slots * 3));
    }
  }

  /** Sequence {@code b}'s slice of a {@code [slots, batch, H]} state. */
  private static float[] stateOf(float[] state, int b, int batch, int slots, int hidden) {
    float[] result = new float[slots * hidden];
    for (int s = 0; s < slots; s++) {
      System.arraycopy(state, (s * batch + b) * hidden, result, s * hidden, hidden);
    }
    return result;
  }

  @Test
  void streamingEqualsForward() {
    Models[] specs = {
        Models.of(Cell.LSTM).layers(2).head(3, HeadActivation.SOFTMAX),
        Models.of(Cell.GRU).resetBefore().embedding(6, 2).layers(3),
        Models.of(Cell.RNN).relu().manyToOne().head(2, HeadActivation.SIGMOID),
        Models.of(Cell.LSTM).hidden(4).projection(2).layers(2).head(3, HeadActivation.LINEAR),
        Models.of(Cell.LSTM).peepholes().embedding(5, 3).layers(2).manyToOne().head(2, HeadActivation.SOFTMAX),
        Models.of(Cell.LSTM).hidden(5).peepholes().projection(3).layers(3)};
    for (Models spec : specs) {
      ModelConfig config = spec.noTraining().build();
      ReferenceModel model = new ReferenceModel(ModelParameters.initialize(config, 9), 1, 5);
      Batch batch = Models.batch(config, 1, 5, null, true, 10);
      if (config.hasEmbedding()) {
        model.forwardTokens(batch.tokens, 1, 5, null, batch.h0, batch.c0);
      } else {
        model.forward(batch.input, 1, 5, null, batch.h0, batch.c0);
      }
      model.setState(batch.h0, batch.c0);
      int h = config.stateSize();
      int k = config.headSize();
      for (int t = 0; t < 5; t++) {
        if (config.hasEmbedding()) {
          model.stepToken(batch.tokens[t]);
        } else {
          model.step(batch.input, t * config.inputSize());
        }
        assertArrayEquals(Arrays.copyOfRange(model.output(), t * h, (t + 1) * h), model.stepOutput());
        if (k > 0 && config.mode() == ModelConfig.Mode.MANY_TO_MANY) {
          assertArrayEquals(Arrays.copyOfRange(model.logits(), t * k, (t + 1) * k), model.stepLogits());
          assertArrayEquals(Arrays.copyOfRange(model.prediction(), t * k, (t + 1) * k), model.stepPrediction());
        }
      }
      assertArrayEquals(model.hN(), model.hiddenState());
      if (config.hasCellState()) {
        assertArrayEquals(model.cN(), model.cellState());
      }
      if (config.mode() == ModelConfig.Mode.MANY_TO_ONE) {
        assertArrayEquals(model.logits(), model.stepLogits());
        assertArrayEquals(model.prediction(), model.stepPrediction());
      }
      model.resetState();
      assertAllZero(model.hiddenState(), 0, config.layers() * h);
    }
  }

  @Test
  void manyToOneFeaturesAreFinalStatesOfTheLastLayer() {
    ModelConfig config = Models.of(Cell.GRU).layers(2).bidirectional().manyToOne().noTraining().build();
    ReferenceModel model = new ReferenceModel(ModelParameters.initialize(config, 5), 2, 4);
    Batch batch = Models.batch(config, 2, 4, new int[] {4, 2}, false, 6);
    model.forward(batch.input, 2, 4, batch.lengths, null, null);
    int h = config.hidden();
    for (int b = 0; b < 2; b++) {
      for (int d = 0; d < 2; d++) {
        int slot = 2 + d;
        assertArrayEquals(Arrays.copyOfRange(model.hN(), (slot * 2 + b) * h, (slot * 2 + b + 1) * h),
            Arrays.copyOfRange(model.features(), (b * 2 + d) * h, (b * 2 + d + 1) * h));
      }
    }
    // Forward final state is the output at the last valid step; backward final state the output at step 0.
    int f = config.featureSize();
    assertArrayEquals(Arrays.copyOfRange(model.output(), (4 + 1) * f, (4 + 1) * f + h),
        Arrays.copyOfRange(model.features(), f, f + h));
    assertArrayEquals(Arrays.copyOfRange(model.output(), 4 * f + h, 4 * f + 2 * h),
        Arrays.copyOfRange(model.features(), f + h, 2 * f));
  }

  @Test
  void floatGradientsAreTheDoubleOnesNarrowed() {
    ModelConfig config = Models.of(Cell.LSTM).layers(2).dropout(0.5).head(2, HeadActivation.LINEAR).build();
    ReferenceModel model = new ReferenceModel(ModelParameters.initialize(config, 1), 2, 3);
    Batch batch = Models.batch(config, 2, 3, new int[] {3, 2}, true, 2);
    model.setDropoutSeed(77);
    float loss = model.computeGradients(batch);
    float[][] floats = new float[config.parameterNames().size()][];
    for (int i = 0; i < floats.length; i++) {
      floats[i] = model.gradients().get(config.parameterNames().get(i)).clone();
    }
    float[] h0Gradient = Arrays.copyOf(model.h0Gradient(), batch.h0.length);
    double doubleLoss = model.computeGradientsDouble(batch, null, null, null, 0);
    assertEquals((float) doubleLoss, loss);
    for (int i = 0; i < floats.length; i++) {
      double[] g = model.gradientDouble(config.parameterNames().get(i));
      for (int j = 0; j < g.length; j++) {
        assertEquals((float) g[j], floats[i][j]);
      }
    }
    for (int j = 0; j < h0Gradient.length; j++) {
      assertEquals((float) model.h0GradientDouble()[j], h0Gradient[j]);
    }
  }

  private static void assertAllZero(float[] values, int offset, int count) {
    for (int i = offset; i < offset + count; i++) {
      assertEquals(0f, values[i], "element " + i);
    }
  }

  private static void assertClose(double[] expected, float[] actual, int count) {
    for (int i = 0; i < count; i++) {
      assertEquals(expected[i], actual[i], FLOAT_TOLERANCE, "element " + i);
    }
  }
}
