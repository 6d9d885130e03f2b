package dev.rnnc.runtime.stream;

import dev.rnnc.runtime.ModelConfig;

/**
 * The state of many independent streams of one unidirectional model, advanced together: one set of weights, one
 * recurrent state per open stream, streams opened and closed at any time.
 *
 * <p><b>Ids.</b> {@link #open()} hands out an {@code int} id in {@code [0, capacity)}, the lowest free one; it
 * names the stream until {@link #close(int)}, after which {@code open()} may hand the same id out again (as file
 * descriptors are). Every call that takes ids checks them all — open, in range, no id twice in one call — and
 * the sizes of the arrays before it changes any state, and throws {@link IllegalArgumentException} naming the
 * problem.
 *
 * <p><b>Sizes.</b> {@link #inputSize()} features per step for dense models, one token id per step for models with
 * an embedding ({@link #tokenInput()}). {@link #outputSize()} values out per step: the head's prediction (its
 * activation applied: probabilities for softmax/sigmoid heads) when the model has a head, else the last layer's
 * hidden state {@code h} ({@link ModelConfig#stateSize()} wide). Arrays are row-major, one row per stream in the
 * order of {@code ids} (or one row per step in block processing). An {@code outputs} array may be {@code null}
 * when the caller only wants the state advanced.
 *
 * <p><b>State.</b> A stream's state is {@link #stateFloats()} floats: {@code h} of every layer
 * ({@code [layers, stateSize]}), then for LSTMs {@code c} of every layer ({@code [layers, hidden]}); a new or
 * {@link #reset(int)} stream starts from zeros, like {@link dev.rnnc.runtime.StreamingModel#resetState()}.
 * {@link #snapshot(int, byte[], int)} writes it in the {@link StreamSnapshots} layout (versioned, carrying the
 * model's fingerprint and sizes, CRC32C-checked), {@link #restore(int, byte[], int)} reads it back and refuses
 * another model's, a corrupted or a truncated snapshot.
 *
 * <p>Nothing is allocated after construction. A bank is not thread-safe: give each thread (each Flink subtask,
 * each Kafka Streams task) its own, sharing the model's immutable weights.
 */
public interface StreamBank {

  /** The model every stream runs. */
  ModelConfig config();

  /** Most streams open at once; fixed at construction. */
  int capacity();

  /** Streams open now. */
  int openCount();

  /** Whether {@code id} names an open stream. */
  boolean isOpen(int id);

  /** Features per step of a dense model; for a model with an embedding, its dimension (inputs are token ids). */
  int inputSize();

  /** Whether the model reads token ids ({@link #stepTokens}, {@link #processTokens}) instead of features. */
  boolean tokenInput();

  /** Values per stream and step written to {@code outputs}: the head size with a head, else the state size. */
  int outputSize();

  /** Floats of one stream's state: {@code layers × stateSize} of h, plus {@code layers × hidden} of c for LSTMs. */
  int stateFloats();

  /**
   * Opens a stream whose state is zeros.
   *
   * @return its id, the lowest free one in {@code [0, capacity)}
   * @throws IllegalStateException when all {@link #capacity()} streams are open
   */
  int open();

  /** Closes an open stream; its id may be handed out again by {@link #open()}. */
  void close(int id);

  /** Sets an open stream's state to zeros (the start of a new sequence). */
  void reset(int id);

  /**
   * Advances exactly the streams {@code ids[0 .. count)} by one step each, in any order and any subset of the open
   * streams; the others keep their state. Each stream's result equals stepping it alone.
   *
   * @param inputs  {@code [count, inputSize]}: row {@code i} is stream {@code ids[i]}'s input
   * @param outputs {@code [count, outputSize]} (row {@code i} for {@code ids[i]}), or {@code null}
   */
  void step(int[] ids, int count, float[] inputs, float[] outputs);

  /** {@link #step} for a model with an embedding: {@code tokens[i]} is stream {@code ids[i]}'s token id. */
  void stepTokens(int[] ids, int count, int[] tokens, float[] outputs);

  /**
   * Advances one stream by a block of {@code steps} steps (an audio buffer, a burst of events): equal to
   * {@code steps} single steps.
   *
   * @param input  {@code [steps, inputSize]} from {@code inputOffset}
   * @param output {@code [steps, outputSize]} from {@code outputOffset}, or {@code null}
   */
  void process(int id, int steps, float[] input, int inputOffset, float[] output, int outputOffset);

  /** {@link #process} for a model with an embedding: {@code steps} token ids from {@code tokenOffset}. */
  void processTokens(int id, int steps, int[] tokens, int tokenOffset, float[] output, int outputOffset);

  /** Bytes of one stream's snapshot ({@link StreamSnapshots#size()}). */
  int snapshotSize();

  /** Writes an open stream's state to {@code dst[offset .. offset + snapshotSize())}. */
  void snapshot(int id, byte[] dst, int offset);

  /**
   * Sets an open stream's state from a snapshot at {@code src[offset ..]}; the snapshot is checked completely
   * (layout, version, model fingerprint, sizes, checksum) before the state changes.
   */
  void restore(int id, byte[] src, int offset);
}
