package dev.rnnc.compiler.seq2seq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The {@link Seq2SeqModel} contract of the generated class beyond numbers: bad arguments are
 * {@link IllegalArgumentException}s that name what is wrong and change nothing, parameters are live and
 * {@code setParameters} copies, gradients are named like the parameters, decoding rows are checked.
 */
class Seq2SeqContractTest {
  private static final String TOKENS = """
      model: ContractTokens
      package: t.s2scontract
      encoder: {cell: gru, embedding: {vocab: 6, dim: 3}, hidden: 4}
      decoder: {cell: lstm, embedding: {vocab: 5, dim: 2}, hidden: 3, bridge: linear, context: every_step}
      head: {size: 5}
      decode: {start: 1, end: 2, max_length: 4}
      limits: {max_batch: 2, max_length: 5}
      training: {loss: cross_entropy}
      """;
  private static final String FEATURES = """
      model: ContractFeatures
      package: t.s2scontract
      encoder: {cell: lstm, input: 2, hidden: 3}
      decoder: {cell: gru, embedding: {vocab: 5, dim: 2}, hidden: 3, bridge: copy}
      head: {size: 5}
      decode: {start: 1, end: 2, max_length: 4}
      limits: {max_batch: 2, max_length: 5}
      """;

  private static GeneratedSeq2Seq.Compiled tokens;
  private static GeneratedSeq2Seq.Compiled features;

  @BeforeAll
  static void compile() {
    List<GeneratedSeq2Seq.Compiled> compiled = GeneratedSeq2Seq.compile(List.of(TOKENS, FEATURES));
    tokens = compiled.get(0);
    features = compiled.get(1);
  }

  private static final int[] SOURCE = {1, 2, 3, 4, 5, 0, 1, 2, 0, 0};
  private static final int[] TARGET = {3, 4, 2, 0, 3, 2, 0, 0};

  private static Seq2SeqModel model() {
    return tokens.instantiate(Seq2SeqParameters.initialize(tokens.spec().config(), 4), 2, 5, 4);
  }

  private static float teacherForce(Seq2SeqModel m) {
    return m.teacherForce(SOURCE, null, 2, 5, new int[] {5, 2}, TARGET, 4, new int[] {3, 2});
  }

  private static void assertRejected(String message, Seq2SeqModel m, Executable call) {
    float[] logits = m.logits().clone();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertArrayEquals(logits, m.logits(), "a rejected call changed the results: " + message);
  }

  @Test
  void badArgumentsAreRejectedWithMessagesAndChangeNothing() {
    Seq2SeqModel m = model();
    teacherForce(m);
    int[] lengths = {5, 2};
    int[] targetLengths = {3, 2};
    assertRejected("target token id at [1, 1] must be in [0, 5), got 9", m,
        () -> m.teacherForce(SOURCE, null, 2, 5, lengths, new int[] {3, 4, 2, 0, 3, 9, 0, 0}, 4, targetLengths));
    assertRejected("source token id at [0, 2] must be in [0, 6), got -1", m,
        () -> m.teacherForce(new int[] {1, 2, -1, 4, 5, 0, 1, 2, 0, 0}, null, 2, 5, lengths, TARGET, 4, targetLengths));
    assertRejected("target_lengths[1] must be in [1, 4] (the target has 4 steps), got 5", m,
        () -> m.computeGradients(SOURCE, null, 2, 5, lengths, TARGET, 4, new int[] {3, 5}));
    assertRejected("source_lengths[0] must be in [1, 5]", m,
        () -> m.teacherForce(SOURCE, null, 2, 5, new int[] {0, 2}, TARGET, 4, targetLengths));
    assertRejected("batch must be in [1, 2], got 3", m,
        () -> m.teacherForce(SOURCE, null, 3, 5, null, TARGET, 4, null));
    assertRejected("source steps must be in [1, 5], got 6", m,
        () -> m.encode(SOURCE, null, 1, 6, null));
    assertRejected("give source tokens, not features", m,
        () -> m.teacherForce(SOURCE, new float[40], 2, 5, lengths, TARGET, 4, targetLengths));
    assertRejected("source must hold 2 × 5 token ids, got 3", m,
        () -> m.encode(new int[] {1, 2, 3}, null, 2, 5, null));
  }

  @Test
  void decodingRowsAreChecked() {
    Seq2SeqModel m = model();
    float[] logProbs = new float[4 * 5];
    assertThrows(IllegalStateException.class, () -> m.decodeGreedy(new int[8], new int[2]));
    IllegalArgumentException before = assertThrows(IllegalArgumentException.class,
        () -> m.step(new int[] {1}, 1, logProbs));
    assertTrue(before.getMessage().contains("step needs 1..0 rows"), before.getMessage());
    m.encode(SOURCE, null, 2, 5, new int[] {5, 2});
    assertTrue(assertThrows(IllegalArgumentException.class, () -> m.step(new int[] {1, 7}, 2, logProbs))
        .getMessage().contains("decoder token of row 1 must be in [0, 5), got 7"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> m.reorder(new int[] {0, 2}, 2))
        .getMessage().contains("source row 2 of row 1 is outside 0..1"));
    assertThrows(IllegalArgumentException.class, () -> m.reorder(new int[] {0, 0, 0, 0, 0}, 5));
    m.reorder(new int[] {1, 1, 0, 0}, 4);
    m.step(new int[] {1, 1, 1, 1}, 4, logProbs);
    // rows 0 and 1 are copies of encoded row 1, rows 2 and 3 of row 0
    for (int v = 0; v < 5; v++) {
      assertEquals(logProbs[v], logProbs[5 + v]);
      assertEquals(logProbs[10 + v], logProbs[15 + v]);
    }
    assertNotEquals(logProbs[0], logProbs[10]);
    double total = 0;
    for (int v = 0; v < 5; v++) {
      total += Math.exp(logProbs[v]);
    }
    assertEquals(1, total, 1e-5, "log-probabilities of a row sum to 1");
  }

  @Test
  void parametersAreLiveAndSetParametersCopies() {
    Seq2SeqModel m = model();
    float before = teacherForce(m);
    m.parameters().get("head.bias")[3] += 1f;
    float changed = teacherForce(m);
    assertNotEquals(before, changed, "writing parameters() changes the next call");
    m.parameters().get("encoder.rnn.weight_hh_l0")[0] += 0.5f;
    assertNotEquals(changed, teacherForce(m), "the encoder's weights are repacked from the live parameters");

    Seq2SeqParameters fresh = Seq2SeqParameters.initialize(tokens.spec().config(), 4);
    m.setParameters(fresh);
    assertEquals(before, teacherForce(m));
    fresh.get("head.bias")[3] += 1f;
    assertEquals(before, teacherForce(m), "setParameters copied, it does not keep the caller's arrays");
    Seq2SeqParameters other = Seq2SeqParameters.initialize(features.spec().config(), 1);
    assertThrows(IllegalArgumentException.class, () -> m.setParameters(other));
    assertEquals(before, teacherForce(m), "a rejected setParameters changes nothing");
  }

  @Test
  void gradientsAreNamedLikeTheParametersAndTrainingLowersTheLoss() {
    Seq2SeqModel m = model();
    Seq2SeqConfig config = tokens.spec().config();
    assertEquals(config.parameterNames(), m.gradients().names());
    assertSame(m.gradients(), m.gradients());
    float first = m.computeGradients(SOURCE, null, 2, 5, new int[] {5, 2}, TARGET, 4, new int[] {3, 2});
    float last = first;
    for (int step = 0; step < 60; step++) {
      for (String name : config.parameterNames()) {
        float[] p = m.parameters().get(name);
        float[] g = m.gradients().get(name);
        for (int i = 0; i < p.length; i++) {
          p[i] -= 0.5f * g[i];
        }
      }
      last = m.computeGradients(SOURCE, null, 2, 5, new int[] {5, 2}, TARGET, 4, new int[] {3, 2});
    }
    assertTrue(last < 0.5f * first, "gradient descent on the generated gradients: " + first + " -> " + last);
  }

  @Test
  void featureSourcesAndSpecsWithoutATrainingSection() {
    Seq2SeqModel m = features.instantiate(Seq2SeqParameters.initialize(features.spec().config(), 2));
    float[] source = new float[2 * 3 * 2];
    for (int i = 0; i < source.length; i++) {
      source[i] = i * 0.1f;
    }
    float loss = m.computeGradients(null, source, 2, 3, new int[] {3, 1}, TARGET, 4, null);
    assertTrue(loss > 0);
    float[] sourceGradient = m.sourceGradient();
    for (int i = 2 * 3 + 1 * 2; i < 2 * 3 * 2; i++) {
      assertEquals(0f, sourceGradient[i], "padded source steps get no gradient");
    }
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> m.teacherForce(new int[6], null, 2, 3, null, TARGET, 4, null)).getMessage()
        .contains("give source features, not tokens"));
  }
}
