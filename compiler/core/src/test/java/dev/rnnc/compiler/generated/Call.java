package dev.rnnc.compiler.generated;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One whole-sequence call's arguments, random but valid. Padded steps carry poison the model must never
 * read: NaN in dense input, out-of-range ids in token input. Arrays are sometimes longer than the call
 * needs, as the contract allows.
 *
 * @param batch   sequences
 * @param steps   padded length T
 * @param lengths valid steps per sequence, or null for all T
 * @param input   dense input {@code [batch, steps, inputSize]}, or null for token input
 * @param tokens  token ids {@code [batch, steps]}, or null for dense input
 * @param h0      initial hidden state {@code [layers*dirs, batch, H]}, or null
 * @param c0      initial LSTM cell state, or null
 */
record Call(int batch, int steps, int[] lengths, float[] input, int[] tokens, float[] h0, float[] c0) {

  /** A random call within {@code maxBatch × maxLength}. */
  static Call random(ModelConfig config, int maxBatch, int maxLength, SplittableRandom random) {
    int batch = 1 + random.nextInt(maxBatch);
    int steps = 1 + random.nextInt(maxLength);
    int[] lengths = random.nextInt(4) == 0 ? null : lengths(batch, steps, random);
    boolean withState = random.nextInt(3) == 0;
    int slots = config.layers() * config.directions() * batch;
    float[] h0 = withState ? values(slots * config.stateSize(), random) : null;
    float[] c0 = withState && config.hasCellState() && random.nextBoolean() ? values(slots * config.hidden(), random)
        : null;
    return of(config, batch, steps, lengths, h0, c0, random);
  }

  /** A call with the given shape and state and random input. */
  static Call of(ModelConfig config, int batch, int steps, int[] lengths, float[] h0, float[] c0,
      SplittableRandom random) {
    int slack = random.nextInt(3) == 0 ? 1 + random.nextInt(7) : 0;
    if (config.hasEmbedding()) {
      int[] tokens = new int[batch * steps + slack];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = random.nextInt(config.vocab());
      }
      for (int b = 0; b < batch; b++) {
        for (int t = length(lengths, b, steps); t < steps; t++) {
          tokens[b * steps + t] = random.nextBoolean() ? -1 : config.vocab();
        }
      }
      return new Call(batch, steps, lengths, null, tokens, h0, c0);
    }
    int width = config.inputSize();
    float[] input = values(batch * steps * width + slack, random);
    for (int b = 0; b < batch; b++) {
      Arrays.fill(input, (b * steps + length(lengths, b, steps)) * width, (b + 1) * steps * width, Float.NaN);
    }
    return new Call(batch, steps, lengths, input, null, h0, c0);
  }

  /** Lengths in [1, steps]; with two or more sequences the extremes 1 and T each appear half the time. */
  static int[] lengths(int batch, int steps, SplittableRandom random) {
    int[] lengths = new int[batch];
    for (int b = 0; b < batch; b++) {
      lengths[b] = 1 + random.nextInt(steps);
    }
    if (batch >= 2 && random.nextBoolean()) {
      int shortest = random.nextInt(batch);
      int longest = (shortest + 1 + random.nextInt(batch - 1)) % batch;
      lengths[shortest] = 1;
      lengths[longest] = steps;
    }
    return lengths;
  }

  static float[] values(int count, SplittableRandom random) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) random.nextDouble(-1, 1);
    }
    return values;
  }

  private static int length(int[] lengths, int b, int steps) {
    return lengths == null ? steps : lengths[b];
  }

  /** The same arrays under another shape: for calls that must be rejected before any array is read. */
  Call reshaped(int newBatch, int newSteps, int[] newLengths) {
    return new Call(newBatch, newSteps, newLengths, input, tokens, h0, c0);
  }

  /** The same call with other initial states. */
  Call withState(float[] newH0, float[] newC0) {
    return new Call(batch, steps, lengths, input, tokens, newH0, newC0);
  }

  /** Valid steps of sequence {@code b}. */
  int length(int b) {
    return length(lengths, b, steps);
  }

  /** Runs this call on a model. */
  void runOn(RnnModel model) {
    if (tokens != null) {
      model.forwardTokens(tokens, batch, steps, lengths, h0, c0);
    } else {
      model.forward(input, batch, steps, lengths, h0, c0);
    }
  }

  /** What the call was, for failure messages. */
  String describe() {
    return "call: batch " + batch + ", steps " + steps + ", lengths " + Arrays.toString(lengths)
        + (tokens != null ? ", tokens " + Arrays.toString(Arrays.copyOf(tokens, Math.min(tokens.length, 40))) : "")
        + (h0 != null ? ", with h0" : "") + (c0 != null ? ", with c0" : "");
  }
}
