package dev.rnnc.runtime.decode;

/**
 * A model that decodes one token per call for a batch of rows, each row an independent decoder state: what the
 * decoders ({@link GreedyDecoder}, {@link SamplingDecoder}, {@link BeamSearchDecoder}) drive. An encoder–decoder
 * implements it after encoding a batch into rows {@code 0..batch-1}; beam search then widens the rows with
 * {@link #reorder}. Implementations allocate nothing per call.
 */
public interface DecoderStepper {
  /** Tokens the model scores (the target vocabulary V). */
  int vocabulary();

  /** Rows the stepper holds at most (at least max batch × the widest beam it is used with). */
  int maxRows();

  /**
   * Feeds {@code tokens[r]} to row {@code r} for {@code r < rows}, advances its state one step and writes the
   * row's log-probabilities of the next token to {@code logProbsOut[r·V .. r·V+V)} (log-softmax of the head).
   */
  void step(int[] tokens, int rows, float[] logProbsOut);

  /**
   * Rebuilds the rows: new row {@code r} gets the state old row {@code sourceRows[r]} had, for {@code r < rows}
   * (rows may repeat, be dropped, or the count may grow, as when a beam starts from one encoded row per item).
   */
  void reorder(int[] sourceRows, int rows);
}
