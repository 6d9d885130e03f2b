package dev.rnnc.runtime;

/**
 * Step-by-step inference of one unidirectional sequence, state carried across calls: the latency path.
 * A call allocates nothing; returned arrays are the instance's own and change on the next call.
 * The results of {@code T} calls equal those of {@link RnnModel#forward} over the same {@code T} steps.
 */
public interface StreamingModel {

  /** Sets every layer's state to zero (the start of a new sequence). */
  void resetState();

  /**
   * Sets the state.
   *
   * @param h0 hidden state {@code [layers, S]}, or {@code null} for zeros; S = {@link ModelConfig#stateSize()}: H,
   *           or P with an LSTM projection
   * @param c0 LSTM cell state {@code [layers, H]}, or {@code null} for zeros (ignored by other cells)
   */
  void setState(float[] h0, float[] c0);

  /** Advances one step on dense input {@code x[offset .. offset+inputSize)}. */
  void step(float[] x, int offset);

  /** Advances one step on a token id (embedding models). */
  void stepToken(int token);

  /** The last layer's hidden state after the last step {@code [S]}. */
  float[] stepOutput();

  /** Head logits for the last step {@code [K]}, or {@code null} without head. */
  float[] stepLogits();

  /** Head activation of {@link #stepLogits()} {@code [K]}, or {@code null} without head. */
  float[] stepPrediction();

  /** Hidden state of every layer {@code [layers, S]} (live view; copy to keep). */
  float[] hiddenState();

  /** LSTM cell state of every layer {@code [layers, H]}, or {@code null} for other cells. */
  float[] cellState();
}
