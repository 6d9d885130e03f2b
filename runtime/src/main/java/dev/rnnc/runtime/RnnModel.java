package dev.rnnc.runtime;

/**
 * Whole-sequence inference over a padded batch, as {@code pack_padded_sequence} → RNN →
 * {@code pad_packed_sequence} → head in PyTorch.
 *
 * <p>An instance owns its workspaces and result arrays, sized on construction for at most
 * {@link #maxBatch()} sequences of at most {@link #maxLength()} steps; a call allocates nothing. Result
 * arrays are reused by the next call and are laid out compactly for the batch and step count of the last
 * call (row-major, batch first). An instance is not thread-safe; weights may be shared between instances.
 */
public interface RnnModel {

  /** What this model is. */
  ModelConfig config();

  /** Largest batch a call accepts. */
  int maxBatch();

  /** Longest sequence a call accepts. */
  int maxLength();

  /**
   * Runs the model over dense input.
   *
   * @param input   {@code [batch, steps, inputSize]} row-major
   * @param batch   sequences, 1..maxBatch
   * @param steps   padded length T, 1..maxLength
   * @param lengths valid steps per sequence (each 1..steps), or {@code null} for all {@code steps}
   * @param h0      initial hidden state {@code [layers*dirs, batch, S]}, or {@code null} for zeros; S =
   *                {@link ModelConfig#stateSize()}: H, or P with an LSTM projection
   * @param c0      initial LSTM cell state {@code [layers*dirs, batch, H]}, or {@code null} for zeros (and
   *                always {@code null} for other cells)
   * @throws IllegalArgumentException on sizes out of range, lengths outside {@code [1, steps]}, arrays too
   *     short, a {@code c0} for a cell without one, or an embedding model; before anything changes
   */
  void forward(float[] input, int batch, int steps, int[] lengths, float[] h0, float[] c0);

  /**
   * Runs an embedding model over token ids.
   *
   * @param tokens {@code [batch, steps]} ids in {@code [0, vocab)}; ids at padded steps are ignored
   * @see #forward(float[], int, int, int[], float[], float[])
   */
  void forwardTokens(int[] tokens, int batch, int steps, int[] lengths, float[] h0, float[] c0);

  /** Per-step output of the last layer {@code [batch, steps, dirs*S]}, exactly 0 at padded steps. */
  float[] output();

  /** Final hidden states {@code [layers*dirs, batch, S]}, index {@code layer*dirs + direction}. */
  float[] hN();

  /** Final LSTM cell states {@code [layers*dirs, batch, H]}, or {@code null} for other cells. */
  float[] cN();

  /** Many-to-one features {@code [batch, dirs*S]}, or {@code null} for many-to-many models. */
  float[] features();

  /** Head logits {@code [batch, steps, K]} (many-to-many, 0 at padded steps) or {@code [batch, K]}; {@code null} without head. */
  float[] logits();

  /** Head activation applied to {@link #logits()}, same layout; {@code null} without head. */
  float[] prediction();
}
