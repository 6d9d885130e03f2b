package dev.rnnc.runtime.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqConfig.Bridge;
import dev.rnnc.runtime.Seq2SeqConfig.Context;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.reference.ReferenceSeq2SeqTest.Batch;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The float adapter over the double reference: same results (rounded once), parameters kept in sync, no allocation. */
class ReferenceSeq2SeqModelTest {
  /** LSTM into LSTM: every output (c_n included) is meaningful. */
  static Seq2SeqConfig lstm() {
    return ReferenceSeq2SeqTest.config(ModelConfig.builder(Cell.LSTM).input(3).hidden(3).bidirectional(true),
        ModelConfig.builder(Cell.LSTM).hidden(6), 6, 2, Bridge.COPY, Context.EVERY_STEP, 5);
  }

  static void assertRounded(double[] expected, float[] actual, int count, String what) {
    for (int i = 0; i < count; i++) {
      assertEquals((float) expected[i], actual[i], what + "[" + i + "]");
    }
  }

  @Test
  void outputsAndGradientsAreTheReferencesRoundedToFloat() {
    Seq2SeqConfig c = lstm();
    Seq2SeqParameters p = Seq2SeqParameters.initialize(c, 5);
    Batch data = ReferenceSeq2SeqTest.batch(c, 5, new int[] {5, 2, 3}, 4, new int[] {4, 1, 3}, 9);
    ReferenceSeq2Seq reference = new ReferenceSeq2Seq(p, 4, 6, 4);
    ReferenceSeq2SeqModel model = new ReferenceSeq2SeqModel(p, 4, 6, 4);
    double loss = data.gradients(reference);
    float adapted = model.computeGradients(data.sourceTokens(), data.sourceFeatures(), 3, 5, data.sourceLengths(),
        data.target(), 4, data.targetLengths());
    assertEquals((float) loss, adapted);
    assertEquals(adapted, model.loss());
    assertRounded(reference.logits(), model.logits(), 3 * 4 * 6, "logits");
    assertRounded(reference.prediction(), model.prediction(), 3 * 4 * 6, "prediction");
    assertRounded(reference.decoderHN(), model.decoderHN(), 3 * 6, "decoder h_n");
    assertRounded(reference.decoderCN(), model.decoderCN(), 3 * 6, "decoder c_n");
    assertRounded(reference.encoderHN(), model.encoderHN(), 2 * 3 * 3, "encoder h_n");
    assertRounded(reference.encoderCN(), model.encoderCN(), 2 * 3 * 3, "encoder c_n");
    for (String name : c.parameterNames()) {
      assertRounded(reference.gradient(name), model.gradients().get(name), model.gradients().get(name).length, name);
    }
    assertRounded(reference.sourceGradient(), model.sourceGradient(), 3 * 5 * 3, "source gradient");
  }

  @Test
  void aWriteToParametersReachesTheNextCallAndSetParametersCopies() {
    Seq2SeqConfig c = lstm();
    Seq2SeqParameters p = Seq2SeqParameters.initialize(c, 5);
    Batch data = ReferenceSeq2SeqTest.batch(c, 4, new int[] {4, 3}, 3, new int[] {3, 2}, 4);
    ReferenceSeq2SeqModel model = new ReferenceSeq2SeqModel(p, 4, 6, 4);
    float before = model.teacherForce(data.sourceTokens(), data.sourceFeatures(), 2, 4, data.sourceLengths(),
        data.target(), 3, data.targetLengths());
    model.parameters().get("head.bias")[data.target()[0]] += 1;       // as an optimiser writes
    float after = model.teacherForce(data.sourceTokens(), data.sourceFeatures(), 2, 4, data.sourceLengths(),
        data.target(), 3, data.targetLengths());
    assertNotEquals(before, after);

    Seq2SeqParameters shifted = p.copy();
    shifted.get("head.bias")[data.target()[0]] += 1;
    ReferenceSeq2Seq reference = new ReferenceSeq2Seq(shifted, 4, 6, 4);
    assertEquals((float) data.loss(reference), after);

    model.setParameters(p);
    assertEquals(before, model.teacherForce(data.sourceTokens(), data.sourceFeatures(), 2, 4, data.sourceLengths(),
        data.target(), 3, data.targetLengths()));
    p.get("head.bias")[0] += 5;                                        // a copy: the caller's later writes do not leak
    assertEquals(before, model.teacherForce(data.sourceTokens(), data.sourceFeatures(), 2, 4, data.sourceLengths(),
        data.target(), 3, data.targetLengths()));
  }

  @Test
  void encodeAndGreedyDecodingMatchTheReference() {
    Seq2SeqConfig c = ReferenceSeq2SeqTest.oneToMany();
    Seq2SeqParameters p = Seq2SeqParameters.initialize(c, 3);
    Batch data = ReferenceSeq2SeqTest.batch(c, 1, new int[] {1, 1, 1}, 2, new int[] {2, 2, 2}, 8);
    ReferenceSeq2Seq reference = new ReferenceSeq2Seq(p, 4, 6, 4);
    ReferenceSeq2SeqModel model = new ReferenceSeq2SeqModel(p, 4, 6, 4);
    int[] expectedTokens = new int[3 * c.maxDecode()];
    int[] expectedLengths = new int[3];
    reference.encode(null, data.sourceFeatures(), 3, 1, null);
    reference.decodeGreedy(expectedTokens, expectedLengths);
    int[] tokens = new int[3 * c.maxDecode()];
    int[] lengths = new int[3];
    model.encode(null, data.sourceFeatures(), 3, 1, null);
    model.decodeGreedy(tokens, lengths);
    assertArrayEquals(expectedTokens, tokens);
    assertArrayEquals(expectedLengths, lengths);
    assertRounded(reference.encoderHN(), model.encoderHN(), 3 * 4, "encoder h_n after encode");
    assertNull(new ReferenceSeq2SeqModel(Seq2SeqParameters.initialize(ReferenceSeq2SeqTest.lstmVariants(), 1))
        .sourceGradient(), "token sources have no source gradient");
  }

  @Test
  void badArgumentsAreIllegalArgumentExceptions() {
    Seq2SeqConfig c = lstm();
    ReferenceSeq2SeqModel model = new ReferenceSeq2SeqModel(Seq2SeqParameters.initialize(c, 5), 2, 3, 2);
    float[] features = new float[2 * 3 * 3];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.teacherForce(null,
        features, 2, 3, null, new int[] {0, 1, 6, 0, 0, 0}, 3, null));
    assertTrue(e.getMessage().contains("target token id at [0, 2]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> model.setParameters(
        Seq2SeqParameters.initialize(ReferenceSeq2SeqTest.oneToMany(), 1)));
  }

  @Test
  void callsAllocateNothingAfterWarmUp() {
    Seq2SeqConfig c = lstm();
    Batch data = ReferenceSeq2SeqTest.batch(c, 4, new int[] {4, 3}, 3, new int[] {3, 2}, 4);
    ReferenceSeq2SeqModel model = new ReferenceSeq2SeqModel(Seq2SeqParameters.initialize(c, 5), 4, 6, 4);
    int[] tokens = new int[2 * c.maxDecode()];
    int[] lengths = new int[2];
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long allocated = Long.MAX_VALUE;
    // Rounds until the JIT has settled (a round may allocate while code is being replaced), as other tests do.
    for (int round = 0; round < 20 && allocated != 0; round++) {
      long before = threads.getThreadAllocatedBytes(thread);
      for (int i = 0; i < 50; i++) {
        model.computeGradients(data.sourceTokens(), data.sourceFeatures(), 2, 4, data.sourceLengths(), data.target(),
            3, data.targetLengths());
        model.encode(data.sourceTokens(), data.sourceFeatures(), 2, 4, data.sourceLengths());
        model.decodeGreedy(tokens, lengths);
      }
      allocated = threads.getThreadAllocatedBytes(thread) - before;
    }
    assertEquals(0, allocated, "bytes allocated by 50 calls");
  }
}
