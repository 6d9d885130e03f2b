package dev.rnnc.runtime.decode;

import java.util.Arrays;

/**
 * Greedy decoding: from {@code start}, each row takes the most likely next token (the first index of the largest
 * log-probability) until it emits {@code end} or reaches the maximum length. Output rows are
 * {@code [batch, maxLength]}; positions after a row's end are 0, and its length counts the end token.
 * Allocation-free after construction.
 */
public final class GreedyDecoder {
  private final int maxBatch;
  private final int maxLength;
  private final int[] tokens;
  private final float[] logProbs;
  private final boolean[] done;

  public GreedyDecoder(int maxBatch, int vocabulary, int maxLength) {
    this.maxBatch = maxBatch;
    this.maxLength = maxLength;
    this.tokens = new int[maxBatch];
    this.logProbs = new float[maxBatch * vocabulary];
    this.done = new boolean[maxBatch];
  }

  /** Decodes the {@code batch} rows the stepper holds into {@code tokensOut} (row stride {@code length}). */
  public void decode(DecoderStepper stepper, int batch, int start, int end, int length, int[] tokensOut,
      int[] lengthsOut) {
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
        int best = argmax(logProbs, r * vocab, vocab);
        tokensOut[r * length + t] = best;
        tokens[r] = best;
        if (best == end) {
          done[r] = true;
          lengthsOut[r] = t + 1;
          remaining--;
        }
      }
    }
  }

  /** Index (relative to {@code offset}) of the first largest value; NaN is an error. */
  static int argmax(float[] values, int offset, int count) {
    int best = 0;
    for (int i = 0; i < count; i++) {
      float v = values[offset + i];
      if (Float.isNaN(v)) {
        throw new IllegalStateException("the model produced a NaN log-probability for token " + i);
      }
      if (v > values[offset + best]) {
        best = i;
      }
    }
    return best;
  }
}
