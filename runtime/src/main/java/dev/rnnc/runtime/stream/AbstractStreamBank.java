package dev.rnnc.runtime.stream;

import dev.rnnc.runtime.ModelConfig;
import java.util.Arrays;

/**
 * What every {@link StreamBank} shares: id bookkeeping, the validation of every call (complete before any state
 * changes), the flat state array and snapshots. A subclass supplies only the arithmetic — {@link #advance} for a
 * step of a set of streams and {@link #advanceBlock} for a block of steps of one — and receives arguments that are
 * already checked.
 *
 * <p>The state of stream {@code id} is {@code state[id * stateFloats .. + stateFloats)}: h of every layer
 * ({@code [layers, stateSize]}), then for LSTMs c of every layer ({@code [layers, hidden]}) — the order of the
 * {@link StreamSnapshots} payload. A batched bank gathers the rows of the streams it advances from here (a call
 * may name any subset in any order, so it gathers in any case) and scatters the new state back.
 */
public abstract class AbstractStreamBank implements StreamBank {

  protected final ModelConfig config;
  protected final int capacity;
  protected final int inputSize;
  protected final int outputSize;
  protected final int stateFloats;
  /** Floats of h in a stream's state ({@code layers × stateSize}); c follows for LSTMs. */
  protected final int hiddenFloats;
  /** Every stream's state, {@code [capacity, stateFloats]}; closed streams' rows are zeros. */
  protected final float[] state;

  private final long[] openBits;
  private int openCount;
  private final int[] seenInCall;
  private int call;
  private final StreamSnapshots snapshots;

  /**
   * @param config   the model; must be unidirectional
   * @param capacity most streams open at once, at least 1
   */
  protected AbstractStreamBank(ModelConfig config, int capacity) {
    if (config.bidirectional()) {
      throw new IllegalArgumentException("a stream bank needs a unidirectional model: a bidirectional layer reads "
          + "the whole sequence before its first output");
    }
    this.snapshots = new StreamSnapshots(config);
    this.config = config;
    this.inputSize = config.inputSize();
    this.outputSize = config.hasHead() ? config.headSize() : config.stateSize();
    this.stateFloats = snapshots.stateFloats();
    this.hiddenFloats = config.layers() * config.stateSize();
    long floats = (long) capacity * stateFloats;
    if (capacity < 1 || floats > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("stream bank capacity must be in [1, " + (Integer.MAX_VALUE - 16) / stateFloats
          + "] for this model (" + stateFloats + " state floats per stream), got " + capacity);
    }
    this.capacity = capacity;
    this.state = new float[(int) floats];
    this.openBits = new long[(capacity + 63) >>> 6];
    this.seenInCall = new int[capacity];
  }

  // ------------------------------------------------------------------ the arithmetic a subclass supplies

  /**
   * Advances streams {@code ids[0 .. count)} (open, distinct) by one step: dense {@code inputs [count, inputSize]}
   * or, for a model with an embedding, {@code tokens [count]} (in range); the other array is {@code null}. Writes
   * {@code outputs [count, outputSize]} unless it is {@code null}.
   */
  protected abstract void advance(int[] ids, int count, float[] inputs, int[] tokens, float[] outputs);

  /**
   * Advances open stream {@code id} by {@code steps ≥ 1} steps: dense {@code input} rows from {@code inputOffset},
   * or token ids from {@code tokenOffset}; writes {@code output} rows from {@code outputOffset} unless it is
   * {@code null}.
   */
  protected abstract void advanceBlock(int id, int steps, float[] input, int inputOffset, int[] tokens,
      int tokenOffset, float[] output, int outputOffset);

  /** Offset of stream {@code id}'s state in {@link #state}. */
  protected final int stateOffset(int id) {
    return id * stateFloats;
  }

  // ------------------------------------------------------------------ sizes

  @Override
  public final ModelConfig config() {
    return config;
  }

  @Override
  public final int capacity() {
    return capacity;
  }

  @Override
  public final int openCount() {
    return openCount;
  }

  @Override
  public final boolean isOpen(int id) {
    return id >= 0 && id < capacity && (openBits[id >>> 6] & (1L << id)) != 0;
  }

  @Override
  public final int inputSize() {
    return inputSize;
  }

  @Override
  public final boolean tokenInput() {
    return config.hasEmbedding();
  }

  @Override
  public final int outputSize() {
    return outputSize;
  }

  @Override
  public final int stateFloats() {
    return stateFloats;
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public final int open() {
    for (int word = 0; word < openBits.length; word++) {
      long free = ~openBits[word];
      if (free != 0) {
        int id = (word << 6) + Long.numberOfTrailingZeros(free);
        if (id < capacity) {
          openBits[word] |= 1L << id;
          openCount++;
          Arrays.fill(state, stateOffset(id), stateOffset(id) + stateFloats, 0f);
          return id;
        }
      }
    }
    throw new IllegalStateException("all " + capacity + " streams of this bank are open: close one, or build the "
        + "bank with a larger capacity");
  }

  @Override
  public final void close(int id) {
    requireOpen(id, "close");
    openBits[id >>> 6] &= ~(1L << id);
    openCount--;
    Arrays.fill(state, stateOffset(id), stateOffset(id) + stateFloats, 0f);
  }

  @Override
  public final void reset(int id) {
    requireOpen(id, "reset");
    Arrays.fill(state, stateOffset(id), stateOffset(id) + stateFloats, 0f);
  }

  // ------------------------------------------------------------------ stepping

  @Override
  public final void step(int[] ids, int count, float[] inputs, float[] outputs) {
    requireDense("step");
    requireIds(ids, count, "step");
    requireRows("inputs", inputs, 0, count, "count", inputSize, "inputSize");
    requireOutputs(outputs, 0, count, "count");
    if (count > 0) {
      advance(ids, count, inputs, null, outputs);
    }
  }

  @Override
  public final void stepTokens(int[] ids, int count, int[] tokens, float[] outputs) {
    requireTokenModel("stepTokens");
    requireIds(ids, count, "stepTokens");
    requireTokens(tokens, 0, count);
    requireOutputs(outputs, 0, count, "count");
    if (count > 0) {
      advance(ids, count, null, tokens, outputs);
    }
  }

  @Override
  public final void process(int id, int steps, float[] input, int inputOffset, float[] output, int outputOffset) {
    requireDense("process");
    requireOpen(id, "process");
    requireSteps(steps);
    requireRows("input", input, inputOffset, steps, "steps", inputSize, "inputSize");
    requireOutputs(output, outputOffset, steps, "steps");
    if (steps > 0) {
      advanceBlock(id, steps, input, inputOffset, null, 0, output, outputOffset);
    }
  }

  @Override
  public final void processTokens(int id, int steps, int[] tokens, int tokenOffset, float[] output, int outputOffset) {
    requireTokenModel("processTokens");
    requireOpen(id, "processTokens");
    requireSteps(steps);
    requireTokens(tokens, tokenOffset, steps);
    requireOutputs(output, outputOffset, steps, "steps");
    if (steps > 0) {
      advanceBlock(id, steps, null, 0, tokens, tokenOffset, output, outputOffset);
    }
  }

  // ------------------------------------------------------------------ snapshots

  @Override
  public final int snapshotSize() {
    return snapshots.size();
  }

  @Override
  public final void snapshot(int id, byte[] dst, int offset) {
    requireOpen(id, "snapshot");
    snapshots.write(state, stateOffset(id), dst, offset);
  }

  @Override
  public final void restore(int id, byte[] src, int offset) {
    requireOpen(id, "restore");
    snapshots.read(src, offset, state, stateOffset(id));
  }

  // ------------------------------------------------------------------ validation

  private void requireOpen(int id, String operation) {
    if (id < 0 || id >= capacity) {
      throw new IllegalArgumentException(operation + ": stream id " + id + " is outside [0, " + capacity + ")");
    }
    if (!isOpen(id)) {
      throw new IllegalArgumentException(operation + ": stream " + id + " is not open (" + openCount + " of "
          + capacity + " streams are; ids come from open() and end with close())");
    }
  }

  /** Every id in range, open and named once; nothing changes until all are checked. */
  private void requireIds(int[] ids, int count, String operation) {
    if (ids == null || count < 0 || count > ids.length) {
      throw new IllegalArgumentException(operation + ": count " + count + " must be in [0, ids.length = "
          + (ids == null ? "null" : String.valueOf(ids.length)) + "]");
    }
    if (count > capacity) {
      throw new IllegalArgumentException(operation + ": " + count + " ids, but the bank holds at most " + capacity
          + " streams (an id may appear once per call)");
    }
    if (call == Integer.MAX_VALUE) {
      Arrays.fill(seenInCall, 0);
      call = 0;
    }
    call++;
    for (int i = 0; i < count; i++) {
      int id = ids[i];
      if (!isOpen(id)) {
        requireOpen(id, operation + " (ids[" + i + "])"); // throws; the message is built only here
      }
      if (seenInCall[id] == call) {
        throw new IllegalArgumentException(operation + ": stream " + id + " appears twice in ids[0.." + count
            + ") (again at index " + i + "); a call advances each stream by one step");
      }
      seenInCall[id] = call;
    }
  }

  private void requireDense(String operation) {
    if (config.hasEmbedding()) {
      throw new IllegalArgumentException(operation + ": this model reads token ids (it has an embedding): call "
          + operation + "Tokens");
    }
  }

  private void requireTokenModel(String operation) {
    if (!config.hasEmbedding()) {
      throw new IllegalArgumentException(operation + ": this model reads dense features (it has no embedding): "
          + "call " + operation.replace("Tokens", ""));
    }
  }

  private static void requireSteps(int steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be ≥ 0, got " + steps);
    }
  }

  private void requireTokens(int[] tokens, int offset, int count) {
    if (tokens == null || offset < 0 || offset > tokens.length || count > tokens.length - offset) {
      throw new IllegalArgumentException("tokens needs " + count + " ids from offset " + offset
          + (tokens == null ? ", it is null" : ", it has " + tokens.length));
    }
    int vocab = config.vocab();
    for (int i = 0; i < count; i++) {
      int token = tokens[offset + i];
      if (token < 0 || token >= vocab) {
        throw new IllegalArgumentException("token id " + token + " at tokens[" + (offset + i) + "] is outside [0, "
            + vocab + ")");
      }
    }
  }

  private void requireOutputs(float[] outputs, int offset, int rows, String rowsName) {
    if (outputs != null) {
      requireRows("outputs", outputs, offset, rows, rowsName, outputSize, "outputSize");
    }
  }

  /** {@code array} holds {@code rows × width} values from {@code offset}; the message is built only on failure. */
  private static void requireRows(String what, float[] array, int offset, int rows, String rowsName, int width,
      String widthName) {
    long needed = (long) rows * width;
    if (array == null || offset < 0 || offset > array.length || needed > array.length - offset) {
      throw new IllegalArgumentException(what + " needs " + needed + " values [" + rowsName + ", " + widthName
          + "] = [" + rows + ", " + width + "] from offset " + offset
          + (array == null ? ", it is null" : ", it has " + array.length));
    }
  }
}
