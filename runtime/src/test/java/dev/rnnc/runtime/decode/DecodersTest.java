package dev.rnnc.runtime.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Greedy, sampling and beam search against exhaustive enumeration on a toy model with a known distribution. */
class DecodersTest {

  /**
   * A deterministic toy language model: each row's state is a hash of its start seed and the tokens fed so far; the
   * next-token logits are a fixed pseudo-random function of that state, in [-spread, spread].
   */
  static final class ToyStepper implements DecoderStepper {
    final int vocab;
    final int maxRows;
    final double spread;
    final long[] state;
    final long[] spare;
    int rows;

    ToyStepper(int vocab, int maxRows, double spread) {
      this.vocab = vocab;
      this.maxRows = maxRows;
      this.spread = spread;
      this.state = new long[maxRows];
      this.spare = new long[maxRows];
    }

    /** What an encoder does: one row per batch item, each from its own source. */
    void encode(int batch, long seed) {
      for (int r = 0; r < batch; r++) {
        state[r] = mix(seed * 1_000_003L + r);
      }
      rows = batch;
    }

    static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }

    @Override
    public int vocabulary() {
      return vocab;
    }

    @Override
    public int maxRows() {
      return maxRows;
    }

    @Override
    public void step(int[] tokens, int count, float[] out) {
      assertTrue(count <= rows, "stepped rows the decoder did not prepare");
      for (int r = 0; r < count; r++) {
        state[r] = mix(state[r] * 31 + tokens[r] + 1);
        double max = Double.NEGATIVE_INFINITY;
        double[] logits = new double[vocab];
        for (int v = 0; v < vocab; v++) {
          logits[v] = ((mix(state[r] + v) >>> 11) * 0x1.0p-53 * 2 - 1) * spread;
          max = Math.max(max, logits[v]);
        }
        double sum = 0;
        for (double l : logits) {
          sum += Math.exp(l - max);
        }
        for (int v = 0; v < vocab; v++) {
          out[r * vocab + v] = (float) (logits[v] - max - Math.log(sum));
        }
      }
    }

    @Override
    public void reorder(int[] sourceRows, int count) {
      System.arraycopy(state, 0, spare, 0, rows);
      for (int r = 0; r < count; r++) {
        assertTrue(sourceRows[r] >= 0 && sourceRows[r] < rows);
        state[r] = spare[sourceRows[r]];
      }
      rows = count;
    }
  }

  /** The summed log-probability of {@code sequence} for item {@code item}, stepping one row from scratch. */
  static double score(ToyStepper stepper, long seed, int item, int start, int[] sequence, int length) {
    stepper.encode(item + 1, seed);
    stepper.reorder(new int[] {item}, 1);
    float[] logProbs = new float[stepper.vocab];
    int[] token = {start};
    double score = 0;
    for (int t = 0; t < length; t++) {
      stepper.step(token, 1, logProbs);
      score += logProbs[sequence[t]];
      token[0] = sequence[t];
    }
    return score;
  }

  /** Every finished sequence (ending with {@code end}, no earlier end) of at most {@code maxLength} tokens. */
  static List<int[]> finishedSequences(int vocab, int end, int maxLength) {
    List<int[]> out = new ArrayList<>();
    List<int[]> prefixes = List.of(new int[0]);
    for (int length = 1; length <= maxLength; length++) {
      List<int[]> next = new ArrayList<>();
      for (int[] prefix : prefixes) {
        int[] finished = Arrays.copyOf(prefix, length);
        finished[length - 1] = end;
        out.add(finished);
        for (int v = 0; v < vocab; v++) {
          if (v != end) {
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

  @ParameterizedTest
  @CsvSource({"3, 3, 0, 16", "3, 3, 0.7, 16", "4, 4, 0, 64", "4, 4, 1.0, 64", "5, 3, 0.5, 64"})
  void beamSearchWideEnoughFindsTheBestSequenceByBruteForce(int vocab, int maxLength, double alpha, int width) {
    int batch = 3;
    int start = 0;
    int end = vocab - 1;
    long seed = 17 + vocab * 31L + maxLength;
    ToyStepper stepper = new ToyStepper(vocab, batch * width, 2.5);
    BeamSearchDecoder beam = new BeamSearchDecoder(batch, width, vocab, maxLength);
    int[] tokens = new int[batch * maxLength];
    int[] lengths = new int[batch];
    stepper.encode(batch, seed);
    beam.decode(stepper, batch, start, end, maxLength, alpha, tokens, lengths);

    ToyStepper single = new ToyStepper(vocab, batch, 2.5);
    List<int[]> all = finishedSequences(vocab, end, maxLength);
    for (int item = 0; item < batch; item++) {
      int[] best = null;
      double bestValue = Double.NEGATIVE_INFINITY;
      double bestScore = 0;
      for (int[] sequence : all) {
        double s = score(single, seed, item, start, sequence, sequence.length);
        double value = alpha == 0 ? s : s / Math.pow(sequence.length, alpha);
        if (value > bestValue) {
          bestValue = value;
          bestScore = s;
          best = sequence;
        }
      }
      int[] expected = Arrays.copyOf(best, maxLength);
      assertArrayEquals(expected, Arrays.copyOfRange(tokens, item * maxLength, (item + 1) * maxLength),
          "item " + item);
      assertEquals(best.length, lengths[item]);
      assertEquals(bestScore, beam.score(item), 1e-12);
    }
  }

  @Test
  void narrowBeamsReturnAConsistentScoreNoBetterThanTheBest() {
    int vocab = 4;
    int maxLength = 4;
    int end = 1;
    int batch = 4;
    long seed = 99;
    ToyStepper single = new ToyStepper(vocab, batch, 3);
    List<int[]> all = finishedSequences(vocab, end, maxLength);
    for (int width = 1; width <= 4; width++) {
      ToyStepper stepper = new ToyStepper(vocab, batch * width, 3);
      BeamSearchDecoder beam = new BeamSearchDecoder(batch, width, vocab, maxLength);
      int[] tokens = new int[batch * maxLength];
      int[] lengths = new int[batch];
      stepper.encode(batch, seed);
      beam.decode(stepper, batch, 0, end, maxLength, 0, tokens, lengths);
      for (int item = 0; item < batch; item++) {
        int[] sequence = Arrays.copyOfRange(tokens, item * maxLength, (item + 1) * maxLength);
        assertEquals(score(single, seed, item, 0, sequence, lengths[item]), beam.score(item), 1e-12);
        for (int t = lengths[item]; t < maxLength; t++) {
          assertEquals(0, sequence[t], "positions after the end are 0");
        }
        double best = Double.NEGATIVE_INFINITY;
        for (int[] s : all) {
          best = Math.max(best, score(single, seed, item, 0, s, s.length));
        }
        boolean finished = sequence[lengths[item] - 1] == end;
        assertTrue(!finished || beam.score(item) <= best + 1e-12);
      }
    }
  }

  @Test
  void beamWidthOneIsGreedy() {
    int vocab = 6;
    int maxLength = 8;
    int batch = 5;
    for (long seed = 1; seed <= 20; seed++) {
      ToyStepper a = new ToyStepper(vocab, batch, 2);
      ToyStepper b = new ToyStepper(vocab, batch, 2);
      int[] greedyTokens = new int[batch * maxLength];
      int[] greedyLengths = new int[batch];
      int[] beamTokens = new int[batch * maxLength];
      int[] beamLengths = new int[batch];
      a.encode(batch, seed);
      new GreedyDecoder(batch, vocab, maxLength).decode(a, batch, 0, 2, maxLength, greedyTokens, greedyLengths);
      b.encode(batch, seed);
      new BeamSearchDecoder(batch, 1, vocab, maxLength).decode(b, batch, 0, 2, maxLength, 0, beamTokens,
          beamLengths);
      assertArrayEquals(greedyTokens, beamTokens, "seed " + seed);
      assertArrayEquals(greedyLengths, beamLengths, "seed " + seed);
    }
  }

  @Test
  void greedyStopsAtEndAndPadsWithZero() {
    int vocab = 5;
    int maxLength = 10;
    int batch = 8;
    ToyStepper stepper = new ToyStepper(vocab, batch, 2);
    stepper.encode(batch, 3);
    int[] tokens = new int[batch * maxLength];
    Arrays.fill(tokens, 7);
    int[] lengths = new int[batch];
    new GreedyDecoder(batch, vocab, maxLength).decode(stepper, batch, 0, 4, maxLength, tokens, lengths);
    boolean sawEnd = false;
    for (int r = 0; r < batch; r++) {
      for (int t = 0; t < lengths[r] - 1; t++) {
        assertTrue(tokens[r * maxLength + t] != 4);
      }
      if (lengths[r] < maxLength) {
        sawEnd = true;
        assertEquals(4, tokens[r * maxLength + lengths[r] - 1]);
      }
      for (int t = lengths[r]; t < maxLength; t++) {
        assertEquals(0, tokens[r * maxLength + t]);
      }
    }
    assertTrue(sawEnd, "the toy model should end some rows early; pick another seed");
  }

  @Test
  void samplingIsReproducibleBySeed() {
    int vocab = 6;
    int maxLength = 12;
    int batch = 4;
    int[][] runs = new int[3][batch * maxLength];
    long[] seeds = {5, 5, 6};
    for (int i = 0; i < 3; i++) {
      ToyStepper stepper = new ToyStepper(vocab, batch, 1);
      stepper.encode(batch, 11);
      new SamplingDecoder(batch, vocab, maxLength, seeds[i]).decode(stepper, batch, 0, 5, maxLength, 1.0, 0, runs[i],
          new int[batch]);
    }
    assertArrayEquals(runs[0], runs[1]);
    assertFalse(Arrays.equals(runs[0], runs[2]));
  }

  /**
   * The first sampled token follows {@code softmax(logProbs / T)} over the top k: chi-square goodness of fit over
   * 20000 draws (fixed seed, so deterministic), against the 0.1 % critical value.
   */
  @ParameterizedTest
  @CsvSource({"1.0, 0, 13.816, 2", "0.5, 0, 13.816, 2", "2.0, 0, 13.816, 2", "1.0, 2, 10.828, 1"})
  void samplingFollowsTheModelsDistribution(double temperature, int topK, double critical, int degrees) {
    int vocab = 3;
    int draws = 20000;
    ToyStepper stepper = new ToyStepper(vocab, 1, 1.5);
    float[] logProbs = new float[vocab];
    stepper.encode(1, 42);
    stepper.step(new int[] {0}, 1, logProbs);
    double[] expected = new double[vocab];
    Integer[] order = {0, 1, 2};
    Arrays.sort(order, (x, y) -> Float.compare(logProbs[y], logProbs[x]));
    int kept = topK == 0 ? vocab : topK;
    double total = 0;
    for (int i = 0; i < kept; i++) {
      expected[order[i]] = Math.exp(logProbs[order[i]] / temperature);
      total += expected[order[i]];
    }
    SamplingDecoder sampler = new SamplingDecoder(1, vocab, 1, 2024);
    int[] counts = new int[vocab];
    int[] token = new int[1];
    int[] length = new int[1];
    for (int i = 0; i < draws; i++) {
      stepper.encode(1, 42);
      sampler.decode(stepper, 1, 0, vocab - 1, 1, temperature, topK, token, length);
      counts[token[0]]++;
    }
    double chiSquare = 0;
    for (int v = 0; v < vocab; v++) {
      double e = draws * expected[v] / total;
      if (e == 0) {
        assertEquals(0, counts[v], "token " + v + " is outside the top " + topK);
      } else {
        chiSquare += (counts[v] - e) * (counts[v] - e) / e;
      }
    }
    assertTrue(degrees == kept - 1);
    assertTrue(chiSquare < critical, "chi-square " + chiSquare + " with " + degrees + " degrees of freedom, counts "
        + Arrays.toString(counts) + ", expected " + Arrays.toString(expected));
  }

  /** The check above can fail: the same draws against a wrong distribution (uniform) are rejected. */
  @Test
  void theChiSquareCheckRejectsAWrongDistribution() {
    int vocab = 3;
    ToyStepper stepper = new ToyStepper(vocab, 1, 1.5);
    SamplingDecoder sampler = new SamplingDecoder(1, vocab, 1, 2024);
    int[] counts = new int[vocab];
    int[] token = new int[1];
    for (int i = 0; i < 20000; i++) {
      stepper.encode(1, 42);
      sampler.decode(stepper, 1, 0, vocab - 1, 1, 1.0, 0, token, new int[1]);
      counts[token[0]]++;
    }
    double chiSquare = 0;
    for (int c : counts) {
      double e = 20000.0 / vocab;
      chiSquare += (c - e) * (c - e) / e;
    }
    assertTrue(chiSquare > 13.816, "the toy distribution should be far from uniform: " + Arrays.toString(counts));
  }

  @Test
  void badArgumentsAreRejectedWithMessages() {
    ToyStepper stepper = new ToyStepper(4, 4, 1);
    stepper.encode(2, 1);
    BeamSearchDecoder beam = new BeamSearchDecoder(2, 3, 4, 5);
    IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
        () -> beam.decode(stepper, 2, 0, 1, 5, 0, new int[10], new int[2]));
    assertTrue(rows.getMessage().contains("beam width 3"), rows.getMessage());
    GreedyDecoder greedy = new GreedyDecoder(2, 4, 5);
    IllegalArgumentException start = assertThrows(IllegalArgumentException.class,
        () -> greedy.decode(stepper, 2, 4, 1, 5, new int[10], new int[2]));
    assertTrue(start.getMessage().contains("start and end"), start.getMessage());
    assertThrows(IllegalArgumentException.class, () -> greedy.decode(stepper, 2, 0, 1, 6, new int[12], new int[2]));
  }

  @Test
  void beamSearchAllocatesNothingPerCall() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    int batch = 4;
    int width = 3;
    AllocationFreeStepper stepper = new AllocationFreeStepper(5, batch * width);
    BeamSearchDecoder beam = new BeamSearchDecoder(batch, width, 5, 10);
    GreedyDecoder greedy = new GreedyDecoder(batch, 5, 10);
    SamplingDecoder sampling = new SamplingDecoder(batch, 5, 10, 1);
    int[] tokens = new int[batch * 10];
    int[] lengths = new int[batch];
    for (int warm = 0; warm < 200; warm++) {
      stepper.rows = batch;
      beam.decode(stepper, batch, 0, 4, 10, 0.6, tokens, lengths);
      stepper.rows = batch;
      greedy.decode(stepper, batch, 0, 4, 10, tokens, lengths);
      stepper.rows = batch;
      sampling.decode(stepper, batch, 0, 4, 10, 0.8, 3, tokens, lengths);
    }
    // Rounds repeat until one is clean: while the JIT replaces interpreted code a round may allocate transiently;
    // a real allocation in the decoders never reaches zero.
    long allocated = -1;
    for (int round = 0; round < 30 && allocated != 0; round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 50; i++) {
        stepper.rows = batch;
        beam.decode(stepper, batch, 0, 4, 10, 0.6, tokens, lengths);
        stepper.rows = batch;
        greedy.decode(stepper, batch, 0, 4, 10, tokens, lengths);
        stepper.rows = batch;
        sampling.decode(stepper, batch, 0, 4, 10, 0.8, 3, tokens, lengths);
      }
      allocated = round < 2 ? -1 : threads.getCurrentThreadAllocatedBytes() - before;
    }
    assertEquals(0, allocated, "bytes allocated by 150 decode calls");
  }

  /** A stepper that itself allocates nothing, so the measurement above sees only the decoders. */
  static final class AllocationFreeStepper implements DecoderStepper {
    final int vocab;
    final int maxRows;
    final long[] state;
    final long[] spare;
    int rows;

    AllocationFreeStepper(int vocab, int maxRows) {
      this.vocab = vocab;
      this.maxRows = maxRows;
      this.state = new long[maxRows];
      this.spare = new long[maxRows];
    }

    @Override
    public int vocabulary() {
      return vocab;
    }

    @Override
    public int maxRows() {
      return maxRows;
    }

    @Override
    public void step(int[] tokens, int count, float[] out) {
      for (int r = 0; r < count; r++) {
        state[r] = ToyStepper.mix(state[r] + tokens[r]);
        for (int v = 0; v < vocab; v++) {
          out[r * vocab + v] = -1 - (ToyStepper.mix(state[r] + v) >>> 60);
        }
      }
    }

    @Override
    public void reorder(int[] sourceRows, int count) {
      System.arraycopy(state, 0, spare, 0, rows);
      for (int r = 0; r < count; r++) {
        state[r] = spare[sourceRows[r]];
      }
      rows = count;
    }
  }
}
