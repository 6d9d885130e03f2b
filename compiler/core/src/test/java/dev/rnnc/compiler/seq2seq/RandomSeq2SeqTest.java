package dev.rnnc.compiler.seq2seq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.decode.BeamSearchDecoder;
import dev.rnnc.runtime.decode.GreedyDecoder;
import dev.rnnc.runtime.decode.SamplingDecoder;
import dev.rnnc.runtime.reference.ReferenceSeq2Seq;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated encoder–decoder against the double-precision reference ({@link ReferenceSeq2Seq}) on random specs:
 * every cell variant as encoder and decoder (tanh/relu RNN, GRU with either reset, LSTM with projection and
 * peepholes), one or two layers, bidirectional encoders, token and float sources, both bridges and both contexts,
 * padded lengths; teacher-forced outputs, every gradient, greedy, beam and seeded sampled decoding. Each case runs two calls of
 * different shapes on the same instance (nothing of the first may leak into the second).
 *
 * <p>Tolerances are those of the single-stack random tests: forward {@code 1e-5 + 1e-4·|expected|}, gradients
 * {@code 1e-4 + 1e-3·|expected|} (float against double).
 */
class RandomSeq2SeqTest {
  static final double ABS = 1e-5;
  static final double REL = 1e-4;
  static final double GRAD_ABS = 1e-4;
  static final double GRAD_REL = 1e-3;
  static final int CASES = 24;
  static final int MAX_BATCH = 3;
  static final int MAX_LENGTH = 6;
  static final int BEAM = 3;

  record Case(int index, String yaml, GeneratedSeq2Seq.Compiled compiled) {
    Seq2SeqConfig config() {
      return compiled.spec().config();
    }

    @Override
    public String toString() {
      return "case " + index + " " + yaml.replace("\n", " ");
    }
  }

  private static List<Case> cases;

  @BeforeAll
  static void compileAll() {
    cases();
  }

  static synchronized List<Case> cases() {
    if (cases == null) {
      List<String> specs = new ArrayList<>();
      for (int i = 0; i < CASES; i++) {
        specs.add(randomSpec(new SplittableRandom(1000 + i), i));
      }
      List<GeneratedSeq2Seq.Compiled> compiled = GeneratedSeq2Seq.compile(specs);
      List<Case> out = new ArrayList<>();
      for (int i = 0; i < CASES; i++) {
        out.add(new Case(i, specs.get(i), compiled.get(i)));
      }
      cases = out;
    }
    return cases;
  }

  /** A stack's cell and its options, as YAML flow entries. */
  private static String cell(SplittableRandom r, int variant) {
    return switch (variant) {
      case 0 -> "cell: rnn";
      case 1 -> "cell: rnn, nonlinearity: relu";
      case 2 -> "cell: gru";
      case 3 -> "cell: gru, gru_reset: before";
      default -> "cell: lstm";
    };
  }

  /** Specs cycle through the cell variants on both sides so that every pairing family appears. */
  static String randomSpec(SplittableRandom r, int i) {
    int encoderVariant = i % 5;
    int decoderVariant = (i / 5 + i) % 5;
    boolean tokens = r.nextBoolean();
    boolean bidirectional = i % 2 == 1;
    int layers = r.nextInt(4) == 0 ? 2 : 1;
    int directions = bidirectional ? 2 : 1;
    int encoderHidden = 2 + r.nextInt(3);
    StringBuilder encoder = new StringBuilder(cell(r, encoderVariant));
    int encoderState = encoderHidden;
    boolean encoderLstm = encoderVariant == 4;
    if (encoderLstm && r.nextBoolean()) {
      encoderHidden = 3 + r.nextInt(2);
      encoderState = 1 + r.nextInt(encoderHidden - 1);
      encoder.append(", proj_size: ").append(encoderState);
    }
    if (encoderLstm && r.nextInt(3) == 0) {
      encoder.append(", peepholes: true");
    }
    encoder.append(tokens ? ", embedding: {vocab: " + (4 + r.nextInt(5)) + ", dim: " + (2 + r.nextInt(3)) + "}"
        : ", input: " + (2 + r.nextInt(3)));
    encoder.append(", hidden: ").append(encoderHidden).append(", layers: ").append(layers);
    if (bidirectional) {
      encoder.append(", bidirectional: true");
    }
    boolean decoderLstm = decoderVariant == 4;
    boolean copy = i % 3 != 2;
    StringBuilder decoder = new StringBuilder(cell(r, decoderVariant));
    int context = directions * encoderState;
    if (copy) {
      if (decoderLstm && encoderLstm) {
        int hidden = directions * encoderHidden;
        decoder.append(", hidden: ").append(hidden);
        if (context != hidden) {
          decoder.append(", proj_size: ").append(context);
        }
      } else if (decoderLstm && r.nextBoolean()) {
        decoder.append(", hidden: ").append(context + 1 + r.nextInt(2)).append(", proj_size: ").append(context);
      } else {
        decoder.append(", hidden: ").append(context);
      }
    } else {
      int hidden = 2 + r.nextInt(4);
      decoder.append(", hidden: ").append(hidden);
      if (decoderLstm && hidden > 2 && r.nextBoolean()) {
        decoder.append(", proj_size: ").append(hidden - 1);
      }
    }
    if (decoderLstm && r.nextInt(3) == 0) {
      decoder.append(", peepholes: true");
    }
    int vocab = 4 + r.nextInt(4);
    decoder.append(", embedding: {vocab: ").append(vocab).append(", dim: ").append(1 + r.nextInt(3)).append("}")
        .append(", bridge: ").append(copy ? "copy" : "linear")
        .append(", context: ").append(r.nextBoolean() ? "every_step" : "initial");
    return "model: Random" + i + "\npackage: t.s2s\n"
        + "encoder: {" + encoder + "}\n"
        + "decoder: {" + decoder + "}\n"
        + "head: {size: " + vocab + (r.nextInt(4) == 0 ? ", activation: linear" : "") + "}\n"
        + "decode: {start: 1, end: 2, max_length: " + (3 + r.nextInt(4)) + "}\n"
        + "limits: {max_batch: " + MAX_BATCH + ", max_length: " + MAX_LENGTH + "}\n"
        + "training: {loss: cross_entropy}\n";
  }

  /** One call's random inputs. */
  record Inputs(int batch, int sourceSteps, int[] sourceLengths, int[] sourceTokens, float[] sourceFeatures,
      int targetSteps, int[] targetLengths, int[] target) {}

  static Inputs inputs(Seq2SeqConfig config, SplittableRandom r) {
    int batch = 1 + r.nextInt(MAX_BATCH);
    int sourceSteps = 1 + r.nextInt(MAX_LENGTH);
    int targetSteps = 1 + r.nextInt(MAX_LENGTH);
    int[] sourceLengths = new int[batch];
    int[] targetLengths = new int[batch];
    for (int b = 0; b < batch; b++) {
      sourceLengths[b] = b == 0 ? sourceSteps : 1 + r.nextInt(sourceSteps);
      targetLengths[b] = b == batch - 1 ? targetSteps : 1 + r.nextInt(targetSteps);
    }
    int[] tokens = null;
    float[] features = null;
    if (config.sourceTokens()) {
      tokens = new int[batch * sourceSteps];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = r.nextInt(config.encoder().vocab());
      }
    } else {
      features = new float[batch * sourceSteps * config.encoder().inputSize()];
      for (int i = 0; i < features.length; i++) {
        features[i] = (float) r.nextDouble(-2, 2);
      }
    }
    int[] target = new int[batch * targetSteps];
    for (int i = 0; i < target.length; i++) {
      target[i] = r.nextInt(config.targetVocab());
    }
    return new Inputs(batch, sourceSteps, sourceLengths, tokens, features, targetSteps, targetLengths, target);
  }

  static void assertClose(String what, float[] expected, float[] actual, int count, double abs, double rel,
      Object context) {
    for (int i = 0; i < count; i++) {
      double error = Math.abs((double) actual[i] - expected[i]);
      if (!(error <= abs + rel * Math.abs(expected[i]))) {
        fail(String.format("%s[%d]: expected %.9g, actual %.9g (allowed %.0e + %.0e·|expected|)%n%s", what, i,
            expected[i], actual[i], abs, rel, context));
      }
    }
  }

  static float[] narrow(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  static void compareTeacherForced(Case c, Seq2SeqModel model, ReferenceSeq2Seq reference, Inputs in,
      boolean gradients, float loss, double referenceLoss) {
    Seq2SeqConfig config = c.config();
    String context = c + " batch " + in.batch() + " source " + in.sourceSteps() + " target " + in.targetSteps();
    assertClose("loss", new float[] {(float) referenceLoss}, new float[] {loss}, 1, ABS, REL, context);
    int cells = in.batch() * in.targetSteps() * config.targetVocab();
    assertClose("logits", narrow(reference.logits()), model.logits(), cells, ABS, REL, context);
    assertClose("prediction", narrow(reference.prediction()), model.prediction(), cells, ABS, REL, context);
    int layers = config.layers();
    int dirs = config.encoder().directions();
    assertClose("decoder h_n", narrow(reference.decoderHN()), model.decoderHN(),
        layers * in.batch() * config.decoder().stateSize(), ABS, REL, context);
    if (config.decoder().hasCellState()) {
      assertClose("decoder c_n", narrow(reference.decoderCN()), model.decoderCN(),
          layers * in.batch() * config.decoder().hidden(), ABS, REL, context);
    }
    assertClose("encoder h_n", narrow(reference.encoderHN()), model.encoderHN(),
        layers * dirs * in.batch() * config.encoder().stateSize(), ABS, REL, context);
    if (config.encoder().hasCellState()) {
      assertClose("encoder c_n", narrow(reference.encoderCN()), model.encoderCN(),
          layers * dirs * in.batch() * config.encoder().hidden(), ABS, REL, context);
    }
    if (!gradients) {
      return;
    }
    for (String name : config.parameterNames()) {
      float[] expected = narrow(reference.gradient(name));
      assertClose("grad." + name, expected, model.gradients().get(name), expected.length, GRAD_ABS, GRAD_REL,
          context);
    }
    if (config.sourceTokens()) {
      assertNull(model.sourceGradient());
    } else {
      int count = in.batch() * in.sourceSteps() * config.encoder().inputSize();
      assertClose("grad.source", narrow(reference.sourceGradient()), model.sourceGradient(), count, GRAD_ABS,
          GRAD_REL, context);
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void teacherForcingAndGradientsAgreeWithTheReference(Case c) {
    Seq2SeqParameters parameters = Seq2SeqParameters.initialize(c.config(), 17 + c.index());
    Seq2SeqModel model = c.compiled().instantiate(parameters, MAX_BATCH, MAX_LENGTH, MAX_BATCH * BEAM);
    ReferenceSeq2Seq reference = new ReferenceSeq2Seq(parameters, MAX_BATCH, MAX_LENGTH, MAX_BATCH * BEAM);
    SplittableRandom r = new SplittableRandom(c.index());
    for (int call = 0; call < 2; call++) {
      Inputs in = inputs(c.config(), r);
      boolean gradients = call == 0 || c.index() % 2 == 0;
      float loss;
      double referenceLoss;
      if (gradients) {
        loss = model.computeGradients(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(),
            in.sourceLengths(), in.target(), in.targetSteps(), in.targetLengths());
        referenceLoss = reference.computeGradients(in.sourceTokens(), in.sourceFeatures(), in.batch(),
            in.sourceSteps(), in.sourceLengths(), in.target(), in.targetSteps(), in.targetLengths());
      } else {
        loss = model.teacherForce(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(),
            in.sourceLengths(), in.target(), in.targetSteps(), in.targetLengths());
        referenceLoss = reference.teacherForce(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(),
            in.sourceLengths(), in.target(), in.targetSteps(), in.targetLengths());
      }
      assertEquals(loss, model.loss());
      compareTeacherForced(c, model, reference, in, gradients, loss, referenceLoss);
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void greedyAndBeamDecodingAgreeWithTheReference(Case c) {
    Seq2SeqConfig config = c.config();
    Seq2SeqParameters parameters = Seq2SeqParameters.initialize(config, 23 + c.index());
    Seq2SeqModel model = c.compiled().instantiate(parameters, MAX_BATCH, MAX_LENGTH, MAX_BATCH * BEAM);
    ReferenceSeq2Seq reference = new ReferenceSeq2Seq(parameters, MAX_BATCH, MAX_LENGTH, MAX_BATCH * BEAM);
    Inputs in = inputs(config, new SplittableRandom(99 + c.index()));
    int length = config.maxDecode();
    int[] tokens = new int[in.batch() * length];
    int[] lengths = new int[in.batch()];
    int[] expectedTokens = new int[in.batch() * length];
    int[] expectedLengths = new int[in.batch()];
    model.encode(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(), in.sourceLengths());
    model.decodeGreedy(tokens, lengths);
    reference.encode(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(), in.sourceLengths());
    reference.decodeGreedy(expectedTokens, expectedLengths);
    assertArrayEquals(expectedTokens, tokens, c.toString());
    assertArrayEquals(expectedLengths, lengths, c.toString());

    BeamSearchDecoder beam = new BeamSearchDecoder(MAX_BATCH, BEAM, config.targetVocab(), length);
    model.encode(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(), in.sourceLengths());
    beam.decode(model, in.batch(), config.start(), config.end(), length, 0.7, tokens, lengths);
    reference.encode(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(), in.sourceLengths());
    beam.decode(reference, in.batch(), config.start(), config.end(), length, 0.7, expectedTokens, expectedLengths);
    assertArrayEquals(expectedTokens, tokens, c.toString());
    assertArrayEquals(expectedLengths, lengths, c.toString());

    // sampling with one seed draws the same tokens from both (their distributions agree to float rounding)
    SamplingDecoder sampling = new SamplingDecoder(MAX_BATCH, config.targetVocab(), length, 41 + c.index());
    model.encode(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(), in.sourceLengths());
    sampling.decode(model, in.batch(), config.start(), config.end(), length, 1.3, 0, tokens, lengths);
    sampling.reseed(41 + c.index());
    reference.encode(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(), in.sourceLengths());
    sampling.decode(reference, in.batch(), config.start(), config.end(), length, 1.3, 0, expectedTokens,
        expectedLengths);
    assertArrayEquals(expectedTokens, tokens, c.toString());
    assertArrayEquals(expectedLengths, lengths, c.toString());
  }

  /** Beam search of width 1 is greedy decoding, on the generated class. */
  @ParameterizedTest
  @MethodSource("cases")
  void beamOfWidthOneIsGreedy(Case c) {
    Seq2SeqConfig config = c.config();
    Seq2SeqModel model = c.compiled().instantiate(Seq2SeqParameters.initialize(config, 5), MAX_BATCH, MAX_LENGTH,
        MAX_BATCH);
    Inputs in = inputs(config, new SplittableRandom(7 + c.index()));
    int length = config.maxDecode();
    int[] greedyTokens = new int[in.batch() * length];
    int[] greedyLengths = new int[in.batch()];
    int[] beamTokens = new int[in.batch() * length];
    int[] beamLengths = new int[in.batch()];
    model.encode(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(), in.sourceLengths());
    new GreedyDecoder(MAX_BATCH, config.targetVocab(), length).decode(model, in.batch(), config.start(), config.end(),
        length, greedyTokens, greedyLengths);
    model.encode(in.sourceTokens(), in.sourceFeatures(), in.batch(), in.sourceSteps(), in.sourceLengths());
    new BeamSearchDecoder(MAX_BATCH, 1, config.targetVocab(), length).decode(model, in.batch(), config.start(),
        config.end(), length, 0, beamTokens, beamLengths);
    assertArrayEquals(greedyTokens, beamTokens, c.toString());
    assertArrayEquals(greedyLengths, beamLengths, c.toString());
  }

  /** The random specs cover what the test promises (so a generator change cannot silently narrow it). */
  @Test
  void casesCoverEveryVariant() {
    Set<ModelConfig.Cell> encoderCells = EnumSet.noneOf(ModelConfig.Cell.class);
    Set<ModelConfig.Cell> decoderCells = EnumSet.noneOf(ModelConfig.Cell.class);
    boolean[] seen = new boolean[12];
    for (Case c : cases()) {
      Seq2SeqConfig config = c.config();
      encoderCells.add(config.encoder().cell());
      decoderCells.add(config.decoder().cell());
      seen[0] |= config.bridge() == Seq2SeqConfig.Bridge.COPY;
      seen[1] |= config.bridge() == Seq2SeqConfig.Bridge.LINEAR;
      seen[2] |= config.context() == Seq2SeqConfig.Context.EVERY_STEP;
      seen[3] |= config.context() == Seq2SeqConfig.Context.INITIAL;
      seen[4] |= config.encoder().bidirectional();
      seen[5] |= config.sourceTokens();
      seen[6] |= !config.sourceTokens();
      seen[7] |= config.copiesCellState();
      seen[8] |= config.encoder().hasProjection() || config.decoder().hasProjection();
      seen[9] |= config.layers() == 2;
      seen[10] |= config.encoder().gruReset() == ModelConfig.GruReset.BEFORE
          || config.decoder().gruReset() == ModelConfig.GruReset.BEFORE;
      seen[11] |= config.encoder().nonlinearity() == ModelConfig.Nonlinearity.RELU
          || config.decoder().nonlinearity() == ModelConfig.Nonlinearity.RELU;
    }
    assertEquals(EnumSet.allOf(ModelConfig.Cell.class), encoderCells);
    assertEquals(EnumSet.allOf(ModelConfig.Cell.class), decoderCells);
    for (int i = 0; i < seen.length; i++) {
      assertTrue(seen[i], "variant " + i + " is not covered: " + Arrays.toString(seen));
    }
  }
}
