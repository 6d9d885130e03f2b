package dev.rnnc.compiler.seq2seq;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.decode.BeamSearchDecoder;
import dev.rnnc.runtime.decode.SamplingDecoder;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * After warm-up, the generated encoder–decoder's teacher forcing, gradients, encoding and greedy, beam and sampled
 * decoding allocate nothing. Measured as {@code generated.AllocationTest} measures single-stack classes: the thread's
 * allocated-bytes counter over {@link #MEASURED} calls after {@link #WARM_UP}, below 1 byte per call, with further
 * rounds (bounded in time) while the JIT may still be installing code; code that allocates fails every round.
 */
class Seq2SeqAllocationTest {
  private static final int WARM_UP = 10_000;
  private static final int MEASURED = 5_000;
  private static final long MAX_WAIT_NANOS = 20_000_000_000L;
  private static final int ROUNDS = 3;
  private static final int BEAM = 3;

  private static final List<String> SPECS = List.of("""
      model: GruCopy
      package: t.s2salloc
      encoder: {cell: gru, embedding: {vocab: 11, dim: 5}, hidden: 9, bidirectional: true}
      decoder: {cell: gru, embedding: {vocab: 8, dim: 4}, hidden: 18, bridge: copy}
      head: {size: 8}
      decode: {start: 1, end: 2, max_length: 6}
      limits: {max_batch: 2, max_length: 6}
      training: {loss: cross_entropy}
      """, """
      model: LstmEveryStep
      package: t.s2salloc
      encoder: {cell: lstm, input: 3, hidden: 7, layers: 2, proj_size: 5}
      decoder: {cell: lstm, embedding: {vocab: 9, dim: 3}, hidden: 7, proj_size: 5, bridge: copy, context: every_step}
      head: {size: 9}
      decode: {start: 1, end: 2, max_length: 6}
      limits: {max_batch: 2, max_length: 6}
      training: {loss: cross_entropy}
      """, """
      model: ReluLinear
      package: t.s2salloc
      encoder: {cell: rnn, nonlinearity: relu, input: 4, hidden: 6}
      decoder: {cell: rnn, nonlinearity: relu, embedding: {vocab: 7, dim: 3}, hidden: 5, bridge: linear}
      head: {size: 7, activation: linear}
      decode: {start: 1, end: 2, max_length: 6}
      limits: {max_batch: 2, max_length: 6}
      training: {loss: cross_entropy}
      """);

  private static List<GeneratedSeq2Seq.Compiled> compiled;
  private static com.sun.management.ThreadMXBean threads;

  @BeforeAll
  static void compile() {
    threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assertTrue(threads.isThreadAllocatedMemorySupported(), "this JVM cannot count allocated bytes per thread");
    threads.setThreadAllocatedMemoryEnabled(true);
    compiled = GeneratedSeq2Seq.compile(SPECS);
  }

  /** One model with its inputs: two sequences, padded source and target. */
  private record Setup(String name, Seq2SeqConfig config, Seq2SeqModel model, int[] tokens, float[] features,
      int[] target) {
    static Setup of(GeneratedSeq2Seq.Compiled c) {
      Seq2SeqConfig config = c.spec().config();
      Seq2SeqModel model = c.instantiate(Seq2SeqParameters.initialize(config, 3), 2, 6, 2 * BEAM);
      int[] tokens = config.sourceTokens() ? new int[] {3, 4, 5, 6, 7, 8, 1, 2, 3, 0, 0, 0} : null;
      float[] features = null;
      if (!config.sourceTokens()) {
        features = new float[2 * 6 * config.encoder().inputSize()];
        for (int i = 0; i < features.length; i++) {
          features[i] = (float) Math.sin(i);
        }
      }
      int[] target = {3, 4, 5, 2, 0, 0, 4, 5, 2, 0, 0, 0};
      return new Setup(c.spec().modelName(), config, model, tokens, features, target);
    }
  }

  @Test
  void teacherForcingAndGradientsAllocateNothing() {
    List<String> failures = new ArrayList<>();
    for (GeneratedSeq2Seq.Compiled c : compiled) {
      Setup s = Setup.of(c);
      int[] sourceLengths = {6, 3};
      int[] targetLengths = {4, 3};
      measure("teacherForce", s.name(), () -> s.model().teacherForce(s.tokens(), s.features(), 2, 6, sourceLengths,
          s.target(), 6, targetLengths), failures);
      measure("computeGradients", s.name(), () -> s.model().computeGradients(s.tokens(), s.features(), 2, 6,
          sourceLengths, s.target(), 6, targetLengths), failures);
    }
    assertTrue(failures.isEmpty(), String.join("\n\n", failures));
  }

  @Test
  void encodingAndDecodingAllocateNothing() {
    List<String> failures = new ArrayList<>();
    for (GeneratedSeq2Seq.Compiled c : compiled) {
      Setup s = Setup.of(c);
      int length = s.config().maxDecode();
      int[] sourceLengths = {6, 3};
      int[] tokens = new int[2 * length];
      int[] lengths = new int[2];
      measure("encode + decodeGreedy", s.name(), () -> {
        s.model().encode(s.tokens(), s.features(), 2, 6, sourceLengths);
        s.model().decodeGreedy(tokens, lengths);
      }, failures);
      BeamSearchDecoder beam = new BeamSearchDecoder(2, BEAM, s.config().targetVocab(), length);
      measure("encode + beam search", s.name(), () -> {
        s.model().encode(s.tokens(), s.features(), 2, 6, sourceLengths);
        beam.decode(s.model(), 2, s.config().start(), s.config().end(), length, 0.5, tokens, lengths);
      }, failures);
      SamplingDecoder sampling = new SamplingDecoder(2, s.config().targetVocab(), length, 9);
      measure("encode + sampling", s.name(), () -> {
        s.model().encode(s.tokens(), s.features(), 2, 6, sourceLengths);
        sampling.decode(s.model(), 2, s.config().start(), s.config().end(), length, 0.8, 3, tokens, lengths);
      }, failures);
    }
    assertTrue(failures.isEmpty(), String.join("\n\n", failures));
  }

  private static void measure(String what, String model, Runnable call, List<String> failures) {
    for (int i = 0; i < WARM_UP; i++) {
      call.run();
    }
    StringBuilder rounds = new StringBuilder();
    long deadline = System.nanoTime() + MAX_WAIT_NANOS;
    int round = 0;
    for (; round < ROUNDS || System.nanoTime() < deadline; round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < MEASURED; i++) {
        call.run();
      }
      long bytes = threads.getCurrentThreadAllocatedBytes() - before;
      if (bytes < MEASURED) {
        return;
      }
      if (round < 3) {
        rounds.append(round == 0 ? "" : ", ").append(bytes).append(" bytes (")
            .append(String.format("%.1f", bytes / (double) MEASURED)).append(" per call)");
      }
    }
    failures.add(model + ": " + what + " allocates after " + WARM_UP + " warm-up calls: " + MEASURED
        + " calls allocated " + rounds + "... in each of " + round + " rounds; where:\n"
        + dev.rnnc.compiler.generated.AllocationSites.of(call, MEASURED, "t.s2salloc." + model));
  }
}
