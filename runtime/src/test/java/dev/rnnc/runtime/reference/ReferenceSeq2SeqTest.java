package dev.rnnc.runtime.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqConfig.Bridge;
import dev.rnnc.runtime.Seq2SeqConfig.Context;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.decode.BeamSearchDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The reference encoder–decoder beyond the PyTorch goldens (which live in compiler/core): finite-difference
 * gradients for the options the goldens do not cover (LSTM projections and peepholes, relu RNNs, one-step sources),
 * beam search against brute force on the real model, and bad input.
 */
class ReferenceSeq2SeqTest {
  static final int START = 0;
  static final int END = 1;

  static Seq2SeqConfig config(ModelConfig.Builder encoder, ModelConfig.Builder decoder, int vocab, int dim,
      Bridge bridge, Context context, int maxDecode) {
    ModelConfig enc = encoder.limits(4, 6).build();
    int input = dim + (context == Context.EVERY_STEP ? enc.featureSize() : 0);
    ModelConfig dec = decoder.input(input).layers(enc.layers()).limits(4, 6).build();
    return new Seq2SeqConfig(enc, dec, vocab, dim, bridge, context, ModelConfig.HeadActivation.SOFTMAX, START, END,
        maxDecode, 4, 6, null);
  }

  /** LSTM encoder and decoder with projections and peepholes, bidirectional, 2 layers, linear bridge. */
  static Seq2SeqConfig lstmVariants() {
    return config(ModelConfig.builder(Cell.LSTM).embedding(5, 3).hidden(4).projSize(2).peepholes(true).layers(2)
        .bidirectional(true), ModelConfig.builder(Cell.LSTM).hidden(5).projSize(3).peepholes(true), 6, 3,
        Bridge.LINEAR, Context.EVERY_STEP, 5);
  }

  /** A relu RNN encoder over one feature vector (one-to-many) copied into a GRU decoder. */
  static Seq2SeqConfig oneToMany() {
    return config(ModelConfig.builder(Cell.RNN).nonlinearity(ModelConfig.Nonlinearity.RELU).input(3).hidden(4),
        ModelConfig.builder(Cell.GRU).hidden(4), 5, 2, Bridge.COPY, Context.EVERY_STEP, 4);
  }

  record Batch(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps, int[] sourceLengths,
      int[] target, int targetSteps, int[] targetLengths) {
    double loss(ReferenceSeq2Seq model) {
      return model.teacherForce(sourceTokens, sourceFeatures, batch, sourceSteps, sourceLengths, target, targetSteps,
          targetLengths);
    }

    double gradients(ReferenceSeq2Seq model) {
      return model.computeGradients(sourceTokens, sourceFeatures, batch, sourceSteps, sourceLengths, target,
          targetSteps, targetLengths);
    }
  }

  static Batch batch(Seq2SeqConfig c, int sourceSteps, int[] sourceLengths, int targetSteps, int[] targetLengths,
      long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int b = sourceLengths.length;
    int[] tokens = null;
    float[] features = null;
    if (c.sourceTokens()) {
      tokens = random.ints(b * sourceSteps, 0, c.encoder().vocab()).toArray();
    } else {
      features = new float[b * sourceSteps * c.encoder().inputSize()];
      for (int i = 0; i < features.length; i++) {
        features[i] = (float) random.nextGaussian();
      }
    }
    int[] target = random.ints(b * targetSteps, 0, c.targetVocab()).toArray();
    return new Batch(tokens, features, b, sourceSteps, sourceLengths, target, targetSteps, targetLengths);
  }

  /** Central differences on a sample of every parameter's elements against backprop. */
  static void checkGradients(Seq2SeqConfig c, Batch data) {
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.initialize(c, 7), 4, 6, 4);
    data.gradients(model);
    SplittableRandom random = new SplittableRandom(3);
    double h = 1e-6;
    for (String name : c.parameterNames()) {
      double[] value = model.parameter(name);
      double[] gradient = model.gradient(name).clone();
      for (int sample = 0; sample < Math.min(6, value.length); sample++) {
        int i = random.nextInt(value.length);
        double saved = value[i];
        value[i] = saved + h;
        double up = data.loss(model);
        value[i] = saved - h;
        double down = data.loss(model);
        value[i] = saved;
        double numeric = (up - down) / (2 * h);
        assertEquals(numeric, gradient[i], 1e-7 + 1e-5 * Math.abs(numeric), name + "[" + i + "]");
      }
    }
  }

  @Test
  void gradientsOfLstmProjectionsPeepholesAndLinearBridgeMatchFiniteDifferences() {
    Seq2SeqConfig c = lstmVariants();
    checkGradients(c, batch(c, 5, new int[] {5, 2, 3}, 4, new int[] {4, 1, 3}, 11));
  }

  @Test
  void gradientsOfAOneToManyReluRnnMatchFiniteDifferences() {
    Seq2SeqConfig c = oneToMany();
    checkGradients(c, batch(c, 1, new int[] {1, 1}, 4, new int[] {4, 2}, 12));
  }

  @Test
  void sourceFeatureGradientMatchesFiniteDifferences() {
    Seq2SeqConfig c = oneToMany();
    Batch data = batch(c, 1, new int[] {1, 1}, 4, new int[] {3, 4}, 13);
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.initialize(c, 8), 4, 6, 4);
    data.gradients(model);
    double[] gradient = model.sourceGradient().clone();
    float[] x = data.sourceFeatures();
    for (int i = 0; i < x.length; i++) {
      float saved = x[i];
      float step = 1e-2f;
      x[i] = saved + step;
      double up = data.loss(model);
      x[i] = saved - step;
      double down = data.loss(model);
      x[i] = saved;
      double numeric = (up - down) / ((double) (saved + step) - (double) (saved - step));
      assertEquals(numeric, gradient[i], 2e-4 + 1e-2 * Math.abs(numeric), "source[" + i + "]");
    }
  }

  /** Every finished sequence of at most {@code maxLength} tokens. */
  static List<int[]> finished(int vocab, int maxLength) {
    List<int[]> out = new ArrayList<>();
    List<int[]> prefixes = List.of(new int[0]);
    for (int length = 1; length <= maxLength; length++) {
      List<int[]> next = new ArrayList<>();
      for (int[] prefix : prefixes) {
        int[] done = Arrays.copyOf(prefix, length);
        done[length - 1] = END;
        out.add(done);
        for (int v = 0; v < vocab; v++) {
          if (v != END) {
            int[] longer = Arrays.copyOf(prefix, length);
            longer[length - 1] = v;
            next.add(longer);
          }
        }
      }
      prefixes = next;
    }
    return out;
  }

  @Test
  void beamSearchOnTheReferenceModelMatchesBruteForce() {
    Seq2SeqConfig c = lstmVariants();
    int width = 32;
    int maxLength = 3;
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.initialize(c, 21), 4, 6, 4 * width);
    Batch data = batch(c, 4, new int[] {4, 2, 3}, 1, new int[] {1, 1, 1}, 5);
    model.encode(data.sourceTokens(), null, 3, 4, data.sourceLengths());
    BeamSearchDecoder beam = new BeamSearchDecoder(3, width, c.targetVocab(), maxLength);
    int[] tokens = new int[3 * maxLength];
    int[] lengths = new int[3];
    beam.decode(model, 3, START, END, maxLength, 0, tokens, lengths);

    float[] logProbs = new float[c.targetVocab()];
    for (int item = 0; item < 3; item++) {
      int[] best = null;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int[] sequence : finished(c.targetVocab(), maxLength)) {
        model.encode(data.sourceTokens(), null, 3, 4, data.sourceLengths());
        model.reorder(new int[] {item}, 1);
        int[] token = {START};
        double score = 0;
        for (int t = 0; t < sequence.length; t++) {
          model.step(token, 1, logProbs);
          score += logProbs[sequence[t]];
          token[0] = sequence[t];
        }
        if (score > bestScore) {
          bestScore = score;
          best = sequence;
        }
      }
      assertArrayEquals(Arrays.copyOf(best, maxLength),
          Arrays.copyOfRange(tokens, item * maxLength, (item + 1) * maxLength), "item " + item);
      assertEquals(best.length, lengths[item]);
      assertEquals(bestScore, beam.score(item), 1e-9);
    }
  }

  @Test
  void beamWidthOneEqualsGreedyOnTheReferenceModel() {
    Seq2SeqConfig c = oneToMany();
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.initialize(c, 4), 4, 6, 4);
    Batch data = batch(c, 1, new int[] {1, 1, 1, 1}, 1, new int[] {1, 1, 1, 1}, 9);
    int[] greedyTokens = new int[4 * 4];
    int[] greedyLengths = new int[4];
    model.encode(null, data.sourceFeatures(), 4, 1, null);
    model.decodeGreedy(greedyTokens, greedyLengths);
    int[] beamTokens = new int[4 * 4];
    int[] beamLengths = new int[4];
    model.encode(null, data.sourceFeatures(), 4, 1, null);
    new BeamSearchDecoder(4, 1, c.targetVocab(), 4).decode(model, 4, START, END, 4, 0, beamTokens, beamLengths);
    assertArrayEquals(greedyTokens, beamTokens);
    assertArrayEquals(greedyLengths, beamLengths);
  }

  @Test
  void samplingTheReferenceModelIsReproducibleAndTemperatureZeroIsGreedy() {
    Seq2SeqConfig c = lstmVariants();
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.initialize(c, 2), 4, 6, 4);
    Batch data = batch(c, 4, new int[] {4, 2, 3}, 1, new int[] {1, 1, 1}, 5);
    int[][] runs = new int[3][3 * 5];
    dev.rnnc.runtime.decode.SamplingDecoder sampler = new dev.rnnc.runtime.decode.SamplingDecoder(3, 6, 5, 77);
    for (int i = 0; i < 2; i++) {
      sampler.reseed(77);
      model.encode(data.sourceTokens(), null, 3, 4, data.sourceLengths());
      sampler.decode(model, 3, START, END, 5, 1.5, 4, runs[i], new int[3]);
    }
    assertArrayEquals(runs[0], runs[1]);
    model.encode(data.sourceTokens(), null, 3, 4, data.sourceLengths());
    sampler.decode(model, 3, START, END, 5, 0, 0, runs[2], new int[3]);
    int[] greedy = new int[3 * 5];
    model.encode(data.sourceTokens(), null, 3, 4, data.sourceLengths());
    model.decodeGreedy(greedy, new int[3]);
    assertArrayEquals(greedy, runs[2]);
  }

  @Test
  void callsAllocateNothingAfterConstruction() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    Seq2SeqConfig c = lstmVariants();
    int width = 3;
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.initialize(c, 2), 4, 6, 4 * width);
    Batch data = batch(c, 5, new int[] {5, 2, 3}, 4, new int[] {4, 1, 3}, 11);
    BeamSearchDecoder beam = new BeamSearchDecoder(3, width, c.targetVocab(), 5);
    int[] tokens = new int[3 * 5];
    int[] lengths = new int[3];
    Runnable calls = () -> {
      data.gradients(model);
      model.encode(data.sourceTokens(), null, 3, 5, data.sourceLengths());
      model.decodeGreedy(tokens, lengths);
      model.encode(data.sourceTokens(), null, 3, 5, data.sourceLengths());
      beam.decode(model, 3, START, END, 5, 0.5, tokens, lengths);
    };
    // Early rounds warm up; while the JIT replaces interpreted code (on-stack replacement, deoptimisation) a round
    // may allocate transiently, so rounds repeat until one is clean (as the training AllocationTest does). A real
    // allocation in these paths never reaches zero.
    long allocated = -1;
    for (int round = 0; round < 30 && allocated != 0; round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 20; i++) {
        calls.run();
      }
      allocated = threads.getCurrentThreadAllocatedBytes() - before;
      if (round < 3) {
        allocated = -1;
      }
    }
    assertEquals(0, allocated, "bytes allocated by 20 rounds of calls");
  }

  @Test
  void teacherForcingZeroesPaddedStepsAndAveragesOverValidOnes() {
    Seq2SeqConfig c = oneToMany();
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.initialize(c, 4), 4, 6, 4);
    Batch data = batch(c, 1, new int[] {1, 1}, 4, new int[] {4, 2}, 3);
    double both = data.loss(model);
    double[] logits = model.logits().clone();
    for (int t = 2; t < 4; t++) {
      for (int v = 0; v < c.targetVocab(); v++) {
        assertEquals(0, logits[(4 + t) * c.targetVocab() + v]);
      }
    }
    // The loss is the mean over the 6 valid steps: recompute it from the logits.
    double sum = 0;
    int[] lengths = {4, 2};
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < lengths[b]; t++) {
        int row = b * 4 + t;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < c.targetVocab(); v++) {
          max = Math.max(max, logits[row * c.targetVocab() + v]);
        }
        double z = 0;
        for (int v = 0; v < c.targetVocab(); v++) {
          z += Math.exp(logits[row * c.targetVocab() + v] - max);
        }
        sum += max + Math.log(z) - logits[row * c.targetVocab() + data.target()[row]];
      }
    }
    assertEquals(sum / 6, both, 1e-12);
    // Padded target ids are ignored.
    int[] changed = data.target().clone();
    changed[4 + 3] = 99;
    assertEquals(both, new Batch(null, data.sourceFeatures(), 2, 1, data.sourceLengths(), changed, 4,
        data.targetLengths()).loss(model), 0);
  }

  @Test
  void badInputIsRejectedWithClearMessages() {
    Seq2SeqConfig c = lstmVariants();
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.initialize(c, 1), 4, 6, 4);
    int[] target = {2, 3, 1, 0};
    IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
        () -> model.teacherForce(new int[] {1, 5, 2}, null, 1, 3, null, target, 4, null));
    assertEquals("source token id at [0, 1] must be in [0, 5), got 5", tooBig.getMessage());
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> model.teacherForce(new int[] {1, 2, 2}, null, 1, 3, null, new int[] {2, -1, 1, 0}, 4, null));
    assertEquals("target token id at [0, 1] must be in [0, 6), got -1", negative.getMessage());
    IllegalArgumentException longTarget = assertThrows(IllegalArgumentException.class,
        () -> model.teacherForce(new int[] {1, 2, 2}, null, 1, 3, null, target, 4, new int[] {5}));
    assertEquals("target_lengths[0] must be in [1, 4] (the target has 4 steps), got 5", longTarget.getMessage());
    IllegalArgumentException longSource = assertThrows(IllegalArgumentException.class,
        () -> model.teacherForce(new int[] {1, 2, 2}, null, 1, 3, new int[] {0}, target, 4, null));
    assertTrue(longSource.getMessage().startsWith("source_lengths[0] must be in [1, 3]"), longSource.getMessage());
    IllegalArgumentException features = assertThrows(IllegalArgumentException.class,
        () -> model.encode(null, new float[9], 1, 3, null));
    assertTrue(features.getMessage().contains("reads token ids"), features.getMessage());
    model.encode(new int[] {1, 2, 2}, null, 1, 3, null);
    IllegalArgumentException stepToken = assertThrows(IllegalArgumentException.class,
        () -> model.step(new int[] {6}, 1, new float[6]));
    assertEquals("decoder token of row 0 must be in [0, 6), got 6", stepToken.getMessage());
    assertThrows(IllegalArgumentException.class, () -> model.teacherForce(new int[] {1, 2, 2}, null, 1, 3, null,
        target, 7, null));
  }

  @Test
  void copyBridgeSizesAreCheckedByTheConfig() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(
        ModelConfig.builder(Cell.GRU).embedding(5, 3).hidden(4).bidirectional(true), ModelConfig.builder(Cell.GRU)
            .hidden(5), 6, 3, Bridge.COPY, Context.INITIAL, 4));
    assertTrue(e.getMessage().contains("decoder.hidden 5 must equal 2 directions × encoder.hidden 4 = 8"),
        e.getMessage());
    IllegalArgumentException start = assertThrows(IllegalArgumentException.class, () -> new Seq2SeqConfig(
        oneToMany().encoder(), oneToMany().decoder(), 5, 2, Bridge.COPY, Context.EVERY_STEP, null, 5, 1, 4, 4, 6,
        null));
    assertTrue(start.getMessage().contains("below 5"), start.getMessage());
  }

  @Test
  void parametersRoundTripThroughSafetensorsAndRejectForeignFiles(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) {
    Seq2SeqConfig c = lstmVariants();
    Seq2SeqParameters p = Seq2SeqParameters.initialize(c, 5);
    java.nio.file.Path file = dir.resolve("w.safetensors");
    p.save(file);
    Seq2SeqParameters back = Seq2SeqParameters.load(file, c);
    for (String name : c.parameterNames()) {
      assertArrayEquals(p.get(name), back.get(name), name);
    }
    dev.rnnc.runtime.RnncException e = assertThrows(dev.rnnc.runtime.RnncException.class,
        () -> Seq2SeqParameters.load(file, oneToMany()));
    assertTrue(e.getMessage().contains("does not match the encoder–decoder model"), e.getMessage());
  }

  @Test
  void initialisationUsesEachModulesFanIn() {
    Seq2SeqConfig c = lstmVariants();
    Seq2SeqParameters p = Seq2SeqParameters.initialize(c, 5);
    double encoderBound = 1 / Math.sqrt(4);
    for (float v : p.get("encoder.rnn.weight_hh_l1_reverse")) {
      assertTrue(Math.abs(v) <= encoderBound);
    }
    double bridgeBound = 1 / Math.sqrt(c.contextSize());
    float largest = 0;
    for (float v : p.get("bridge.weight")) {
      assertTrue(Math.abs(v) <= bridgeBound);
      largest = Math.max(largest, Math.abs(v));
    }
    assertTrue(largest > bridgeBound / 2);
  }
}
