package dev.rnnc.runtime;

import dev.rnnc.runtime.decode.DecoderStepper;

/**
 * An encoder–decoder ({@link Seq2SeqConfig}) in single precision: what the class rnnc generates for a spec with
 * {@code encoder:} and {@code decoder:} sections implements, and what the CLI, the decoders and training drive.
 *
 * <p>Semantics (the PyTorch goldens compute the same): the encoder runs over the source with its lengths
 * (packed); {@code s_k} = concat over directions (forward first) of the encoder's h_n of layer k; the bridge
 * makes the decoder's initial state from it (copy, or {@code tanh(bridge(s_k))}); the decoder reads
 * {@code embedding(previous token)}, plus {@code s_last} with {@code context: every_step}, from the start token on.
 *
 * <p>Layouts are those of the last call, dense: logits and prediction {@code [batch, targetSteps, V]} (0 at
 * padded steps), decoder h_n {@code [layers, batch, Sd]} and c_n {@code [layers, batch, Hd]}, encoder h_n
 * {@code [layers·dirs, batch, Se]} and c_n {@code [layers·dirs, batch, He]}. Arrays returned are the model's own
 * buffers (read them before the next call). Calls allocate nothing after construction; bad arguments throw
 * {@link IllegalArgumentException} and change nothing. Not thread-safe.
 *
 * <p>As a {@link DecoderStepper} it decodes the rows {@link #encode} prepared (row b = sequence b), widened by
 * beam search with {@link #reorder} up to {@link #maxRows()}.
 */
public interface Seq2SeqModel extends DecoderStepper {
  Seq2SeqConfig config();

  /** Largest batch of one call. */
  int maxBatch();

  /** Longest source and longest target sequence of one call. */
  int maxLength();

  /**
   * Teacher-forced forward pass: the decoder reads {@code [start, target[:, :-1]]} for {@code targetLengths[b]}
   * steps. Give the source as token ids {@code [batch, sourceSteps]} (an encoder with an embedding) or as features
   * {@code [batch, sourceSteps, input]}; the other argument is null.
   *
   * @param sourceLengths valid source steps per sequence (1..sourceSteps), or null for all
   * @param target        target ids {@code [batch, targetSteps]}, each in {@code [0, V)}
   * @param targetLengths valid target steps per sequence (1..targetSteps), or null for all
   * @return the mean cross-entropy over valid target steps
   */
  float teacherForce(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps, int[] sourceLengths,
      int[] target, int targetSteps, int[] targetLengths);

  /**
   * {@link #teacherForce}, then backpropagation through decoder, bridge and encoder; read the result with
   * {@link #gradients()} and {@link #sourceGradient()}.
   */
  float computeGradients(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps,
      int[] sourceLengths, int[] target, int targetSteps, int[] targetLengths);

  /** The loss of the last teacher-forced call. */
  float loss();

  float[] logits();

  /** The head's activation of {@link #logits()}, same layout. */
  float[] prediction();

  /** The decoder's h after each sequence's last valid target step. */
  float[] decoderHN();

  /** The decoder's c likewise; zeros unless the decoder is an LSTM. */
  float[] decoderCN();

  float[] encoderHN();

  /** Zeros unless the encoder is an LSTM. */
  float[] encoderCN();

  /** The model's parameters, live: writing them changes what the next call computes (an optimiser does). */
  Seq2SeqParameters parameters();

  /** Replaces every parameter with a copy of {@code parameters} (same config, checked). */
  void setParameters(Seq2SeqParameters parameters);

  /** dLoss/d(parameter) of the last {@link #computeGradients}, by parameter name (the model's own arrays). */
  Seq2SeqParameters gradients();

  /** dLoss/d(source features) {@code [batch, sourceSteps, input]}, 0 at padded steps; null for token sources. */
  float[] sourceGradient();

  /**
   * Runs the encoder and the bridge, leaving one decoder row per sequence (rows {@code 0..batch-1}) for
   * {@link #step}; arguments as {@link #teacherForce}.
   */
  void encode(int[] sourceTokens, float[] sourceFeatures, int batch, int sourceSteps, int[] sourceLengths);

  /**
   * Greedy decoding of the rows {@link #encode} left, with the spec's start, end and max_length: tokens
   * {@code [rows, maxDecode]} (0 after the end), lengths {@code [rows]} counting the end token.
   */
  void decodeGreedy(int[] tokensOut, int[] lengthsOut);
}
