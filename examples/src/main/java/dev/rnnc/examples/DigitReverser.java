package dev.rnnc.examples;

import dev.rnnc.examples.models.Reverser;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.decode.BeamSearchDecoder;
import java.io.PrintStream;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Encoder–decoder: a GRU encoder reads a string of 1 to 7 digits, a GRU decoder writes it reversed
 * ({@code reverser.yaml}: copy bridge, the source summary at every decoder step). Trained in Java with the generated
 * class's {@code computeGradients} and a plain Adam loop over its live {@code parameters()}, then evaluated by exact
 * match on held-out strings (none of them seen in training) with greedy decoding and with beam search.
 *
 * <p>Run: {@code mvn -q -pl examples compile exec:exec -Dexample=DigitReverser}
 * (options: {@code -Dexample.args="--steps 6000 --seed 1"}).
 */
public final class DigitReverser {
  /** Target ids: padding, start, end, then the digits 0-9. */
  static final int START = Reverser.START;
  static final int END = Reverser.END;
  static final int FIRST_DIGIT = 3;
  static final int MAX_DIGITS = Reverser.MAX_DECODE - 1;
  static final int BATCH = 64;
  static final int BEAM = 4;
  static final double LEARNING_RATE = 0.005;

  /** What a run achieved. */
  record Report(double firstLoss, double finalLoss, double greedyExact, double beamExact, int sequences,
      double trainSeconds) {}

  private DigitReverser() {}

  public static void main(String[] args) {
    Args.run(() -> {
      Args options = new Args(args);
      run(options.getLong("seed", 1), options.getInt("steps", 6000), System.out);
    });
  }

  /** A batch of digit strings as source ids, reversed target ids (ending with END) and lengths. */
  static final class Strings {
    final int[] source = new int[BATCH * MAX_DIGITS];
    final int[] sourceLengths = new int[BATCH];
    final int[] target = new int[BATCH * (MAX_DIGITS + 1)];
    final int[] targetLengths = new int[BATCH];
    int count;

    void set(int row, String digits) {
      int n = digits.length();
      for (int t = 0; t < MAX_DIGITS; t++) {
        source[row * MAX_DIGITS + t] = t < n ? digits.charAt(t) - '0' : 0;
      }
      for (int t = 0; t <= MAX_DIGITS; t++) {
        target[row * (MAX_DIGITS + 1) + t] = t < n ? FIRST_DIGIT + digits.charAt(n - 1 - t) - '0' : t == n ? END : 0;
      }
      sourceLengths[row] = n;
      targetLengths[row] = n + 1;
    }
  }

  static String randomDigits(SplittableRandom random) {
    int n = 1 + random.nextInt(MAX_DIGITS);
    StringBuilder s = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      s.append((char) ('0' + random.nextInt(10)));
    }
    return s.toString();
  }

  static String decoded(int[] tokens, int row, int length) {
    StringBuilder s = new StringBuilder();
    for (int t = 0; t < length; t++) {
      int id = tokens[row * Reverser.MAX_DECODE + t];
      if (id == END) {
        break;
      }
      s.append(id >= FIRST_DIGIT ? (char) ('0' + id - FIRST_DIGIT) : '?');
    }
    return s.toString();
  }

  static Report run(long seed, int steps, PrintStream out) {
    SplittableRandom random = new SplittableRandom(seed);
    // Held-out strings of 4 digits and more are never trained on (shorter ones are too few to hold out).
    Set<String> heldOut = new HashSet<>();
    while (heldOut.size() < 1000) {
      String s = randomDigits(random);
      if (s.length() >= 4) {
        heldOut.add(s);
      }
    }
    List<String> test = heldOut.stream().sorted().toList();

    Reverser model = new Reverser(Seq2SeqParameters.initialize(Reverser.CONFIG, seed), BATCH, MAX_DIGITS + 1,
        BATCH * BEAM);
    ParameterAdam adam = new ParameterAdam(model.parameters(), 5.0);
    out.printf(Locale.ROOT, "Reverser: GRU encoder-decoder, %,d parameters; reverses strings of 1-%d digits%n",
        Reverser.CONFIG.parameterCount(), MAX_DIGITS);

    Strings batch = new Strings();
    double firstLoss = Double.NaN;
    double smoothed = Double.NaN;
    long start = System.nanoTime();
    for (int step = 1; step <= steps; step++) {
      for (int row = 0; row < BATCH; row++) {
        String s;
        do {
          s = randomDigits(random);
        } while (heldOut.contains(s));
        batch.set(row, s);
      }
      float loss = model.computeGradients(batch.source, null, BATCH, MAX_DIGITS, batch.sourceLengths, batch.target,
          MAX_DIGITS + 1, batch.targetLengths);
      // linear decay to a tenth: large steps early, fine ones at the end, where the exact-match errors are
      adam.step(model.gradients(), LEARNING_RATE * (1 - 0.9 * (step - 1) / (double) steps));
      if (step == 1) {
        firstLoss = loss;
        smoothed = loss;
      }
      smoothed = 0.95 * smoothed + 0.05 * loss;
      if (step % 500 == 0 || step == steps) {
        out.printf(Locale.ROOT, "  step %5d: loss %.4f (%.1f s)%n", step, smoothed, (System.nanoTime() - start) / 1e9);
      }
    }
    double trainSeconds = (System.nanoTime() - start) / 1e9;

    int greedyRight = 0;
    int beamRight = 0;
    int[] tokens = new int[BATCH * Reverser.MAX_DECODE];
    int[] lengths = new int[BATCH];
    BeamSearchDecoder beam = new BeamSearchDecoder(BATCH, BEAM, Reverser.TARGET_VOCAB, Reverser.MAX_DECODE);
    for (int from = 0; from < test.size(); from += BATCH) {
      int count = Math.min(BATCH, test.size() - from);
      for (int row = 0; row < count; row++) {
        batch.set(row, test.get(from + row));
      }
      model.encode(batch.source, null, count, MAX_DIGITS, batch.sourceLengths);
      model.decodeGreedy(tokens, lengths);
      for (int row = 0; row < count; row++) {
        greedyRight += decoded(tokens, row, lengths[row]).equals(reversed(test.get(from + row))) ? 1 : 0;
      }
      model.encode(batch.source, null, count, MAX_DIGITS, batch.sourceLengths);
      beam.decode(model, count, START, END, Reverser.MAX_DECODE, 0, tokens, lengths);
      for (int row = 0; row < count; row++) {
        beamRight += decoded(tokens, row, lengths[row]).equals(reversed(test.get(from + row))) ? 1 : 0;
      }
      if (from == 0) {
        for (int row = 0; row < 4; row++) {
          out.println("  " + test.get(row) + " -> " + decoded(tokens, row, lengths[row]) + " (beam " + BEAM + ")");
        }
      }
    }
    double greedyExact = greedyRight / (double) test.size();
    double beamExact = beamRight / (double) test.size();
    out.printf(Locale.ROOT, "Held-out exact match (%d strings of 4-%d digits): greedy %.1f%%, beam %d %.1f%%%n",
        test.size(), MAX_DIGITS, 100 * greedyExact, BEAM, 100 * beamExact);
    out.printf(Locale.ROOT, "Trained on %,d strings in %.1f s%n", steps * BATCH, trainSeconds);
    return new Report(firstLoss, smoothed, greedyExact, beamExact, steps * BATCH, trainSeconds);
  }

  static String reversed(String s) {
    return new StringBuilder(s).reverse().toString();
  }

  /**
   * Adam (as {@code torch.optim.Adam}, bias-corrected) over every parameter of an encoder–decoder, with the gradients
   * clipped to a global L2 norm first: the runtime's optimisers take a single-stack model's parameters.
   */
  static final class ParameterAdam {
    private final Seq2SeqParameters parameters;
    private final List<String> names;
    private final float[][] m;
    private final float[][] v;
    private final double maxNorm;
    private int t;

    ParameterAdam(Seq2SeqParameters parameters, double maxNorm) {
      this.parameters = parameters;
      this.names = parameters.names();
      this.m = new float[names.size()][];
      this.v = new float[names.size()][];
      for (int i = 0; i < names.size(); i++) {
        m[i] = new float[parameters.get(names.get(i)).length];
        v[i] = new float[m[i].length];
      }
      this.maxNorm = maxNorm;
    }

    void step(Seq2SeqParameters gradients, double learningRate) {
      double squares = 0;
      for (String name : names) {
        for (float g : gradients.get(name)) {
          squares += (double) g * g;
        }
      }
      double norm = Math.sqrt(squares);
      double scale = norm > maxNorm ? maxNorm / norm : 1;
      t++;
      double correction1 = 1 - Math.pow(0.9, t);
      double correction2 = 1 - Math.pow(0.999, t);
      for (int i = 0; i < names.size(); i++) {
        float[] p = parameters.get(names.get(i));
        float[] g = gradients.get(names.get(i));
        for (int j = 0; j < p.length; j++) {
          double grad = g[j] * scale;
          m[i][j] = (float) (0.9 * m[i][j] + 0.1 * grad);
          v[i][j] = (float) (0.999 * v[i][j] + 0.001 * grad * grad);
          p[j] -= (float) (learningRate * (m[i][j] / correction1) / (Math.sqrt(v[i][j] / correction2) + 1e-8));
        }
      }
    }
  }
}
