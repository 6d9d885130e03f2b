package dev.rnnc.runtime.decode;

import dev.rnnc.runtime.train.Sampler;
import java.util.Arrays;

/**
 * Sampled decoding: like {@link GreedyDecoder}, but each next token is drawn from
 * {@code softmax(logProbs / temperature)} restricted to the {@code topK} most likely tokens (0 = all), by the
 * same chooser {@link Sampler#sample} uses for single-stack language models. One seeded random stream per
 * decoder, drawn row by row within a step, so a seed fixes the output of a call sequence. Temperature 0 is greedy.
 */
public final class SamplingDecoder {
  private final int maxBatch;
  private final int maxLength;
  private final Sampler chooser;
  private final int[] tokens;
  private final float[] logProbs;
  private final float[] row;
  private final boolean[] done;

  public SamplingDecoder(int maxBatch, int vocabulary, int maxLength, long seed) {
    this.maxBatch = maxBatch;
    this.maxLength = maxLength;
    this.chooser = new Sampler(vocabulary, seed);
    this.tokens = new int[maxBatch];
    this.logProbs = new float[maxBatch * vocabulary];
    this.row = new float[vocabulary];
    this.done = new boolean[maxBatch];
  }

  /** Restarts the random stream. */
  public void reseed(long seed) {
    chooser.reseed(seed);
  }

  /** Decodes the {@code batch} rows the stepper holds; output layout as {@link GreedyDecoder#decode}. */
  public void decode(DecoderStepper stepper, int batch, int start, int end, int length, double temperature, int topK,
      int[] tokensOut, int[] lengthsOut) {
    DecodeChecks.check(stepper, batch, maxBatch, 1, start, end, length, maxLength, tokensOut, lengthsOut);
    int vocab = stepper.vocabulary();
    Arrays.fill(tokensOut, 0, batch * length, 0);
    Arrays.fill(tokens, 0, batch, start);
    Arrays.fill(done, 0, batch, false);
    Arrays.fill(lengthsOut, 0, batch, length);
    int remaining = batch;
    for (int t = 0; t < length && remaining > 0; t++) {
      stepper.step(tokens, batch, logProbs);
      for (int r = 0; r < batch; r++) {
        if (done[r]) {
          continue;
        }
        System.arraycopy(logProbs, r * vocab, row, 0, vocab);
        int next = chooser.sample(row, temperature, topK);
        tokensOut[r * length + t] = next;
        tokens[r] = next;
        if (next == end) {
          done[r] = true;
          lengthsOut[r] = t + 1;
          remaining--;
        }
      }
    }
  }
}
