package dev.rnnc.runtime.stream;

import dev.rnnc.runtime.ModelConfig;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The byte layout of one stream's state, owned in one place so that every bank (the generic one, generated
 * ones) writes and reads the same bytes, and a snapshot outlives the process that wrote it.
 *
 * <p>Layout, little-endian throughout:
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "RNNS" (0x52 0x4E 0x4E 0x53)
 *      4     2  format version, 1
 *      6     1  cell: 0 rnn, 1 gru, 2 lstm
 *      7     1  reserved, 0
 *      8     8  model fingerprint ({@link #fingerprint(ModelConfig)})
 *     16     4  layers L
 *     20     4  h width per layer (the state size: H, or P for a projected LSTM)
 *     24     4  c width per layer (H for an LSTM, else 0)
 *     28  4·n   the state floats (IEEE 754 bits as stored, NaN payloads kept): h [L, h width], then c [L, c width]
 *   28+4n   4  CRC32C of bytes [0, 28 + 4n)
 * </pre>
 *
 * <p>The <b>fingerprint</b> identifies the architecture, not the weights: the first 8 bytes (big-endian) of the
 * SHA-256 of the UTF-8 text {@link #fingerprintText(ModelConfig)}, e.g.
 * {@code rnnc-stream-state-v1;cell=lstm;nonlinearity=tanh;gru_reset=after;rnn.weight_ih_l0=512x64;...;head.bias=1;}
 * — the cell, its variant and every parameter's {@code state_dict} name and shape in order. So a snapshot restores
 * into any model of the same spec (retrained weights included, batch and length limits irrelevant) and is refused
 * by a model whose state means something else, even when the sizes happen to agree (a relu RNN's state in a tanh
 * RNN). Any tool can recompute it from the spec.
 *
 * <p>Reading checks, in order: room for a header, magic, version, room for the floats the header declares,
 * checksum, then that the fingerprint and sizes are this model's; only then is the state written. An instance
 * holds a reusable checksum and allocates nothing per call; like a bank it is not thread-safe.
 */
public final class StreamSnapshots {

  /** "RNNS" read as a little-endian int. */
  public static final int MAGIC = 0x534E4E52;
  /** The format version this runtime writes and reads. */
  public static final int VERSION = 1;
  /** Bytes before the state floats. */
  public static final int HEADER_BYTES = 28;
  /** Bytes of the trailing checksum. */
  public static final int CHECKSUM_BYTES = 4;

  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  private final ModelConfig config;
  private final long fingerprint;
  private final int cellCode;
  private final int layers;
  private final int hWidth;
  private final int cWidth;
  private final int floats;
  private final int size;
  private final CRC32C crc = new CRC32C();

  /** The layout of {@code config}'s stream state. */
  public StreamSnapshots(ModelConfig config) {
    if (config.bidirectional()) {
      throw new IllegalArgumentException("stream state needs a unidirectional model; this one is bidirectional");
    }
    this.config = config;
    this.fingerprint = fingerprint(config);
    this.cellCode = config.cell().ordinal();
    this.layers = config.layers();
    this.hWidth = config.stateSize();
    this.cWidth = config.hasCellState() ? config.hidden() : 0;
    this.floats = layers * (hWidth + cWidth);
    this.size = HEADER_BYTES + Float.BYTES * floats + CHECKSUM_BYTES;
  }

  /** Bytes of one snapshot. */
  public int size() {
    return size;
  }

  /** Floats of one stream's state: h of every layer, then c of every layer (LSTM). */
  public int stateFloats() {
    return floats;
  }

  /** This model's fingerprint. */
  public long fingerprint() {
    return fingerprint;
  }

  /** The canonical text the fingerprint hashes (see the class comment). */
  public static String fingerprintText(ModelConfig config) {
    StringBuilder text = new StringBuilder("rnnc-stream-state-v1;cell=")
        .append(config.cell().name().toLowerCase(Locale.ROOT))
        .append(";nonlinearity=").append(config.nonlinearity().name().toLowerCase(Locale.ROOT))
        .append(";gru_reset=").append(config.gruReset().name().toLowerCase(Locale.ROOT)).append(';');
    for (Map.Entry<String, int[]> parameter : config.parameterShapes().entrySet()) {
      text.append(parameter.getKey()).append('=');
      int[] shape = parameter.getValue();
      for (int d = 0; d < shape.length; d++) {
        text.append(d == 0 ? "" : "x").append(shape[d]);
      }
      text.append(';');
    }
    return text.toString();
  }

  /** First 8 bytes (big-endian) of SHA-256 over {@link #fingerprintText(ModelConfig)}. */
  public static long fingerprint(ModelConfig config) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(fingerprintText(config).getBytes(StandardCharsets.UTF_8));
      long value = 0;
      for (int i = 0; i < Long.BYTES; i++) {
        value = (value << 8) | (digest[i] & 0xFF);
      }
      return value;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256, which every Java platform must provide", e);
    }
  }

  /** Writes {@code state[stateOffset .. + stateFloats())} as a snapshot at {@code dst[offset .. + size())}. */
  public void write(float[] state, int stateOffset, byte[] dst, int offset) {
    if (dst == null || offset < 0 || offset > dst.length - size) {
      throw new IllegalArgumentException("a snapshot needs " + size + " bytes from offset " + offset
          + (dst == null ? ", the buffer is null" : ", the buffer has " + dst.length));
    }
    requireState(state, stateOffset);
    INT.set(dst, offset, MAGIC);
    SHORT.set(dst, offset + 4, (short) VERSION);
    dst[offset + 6] = (byte) cellCode;
    dst[offset + 7] = 0;
    LONG.set(dst, offset + 8, fingerprint);
    INT.set(dst, offset + 16, layers);
    INT.set(dst, offset + 20, hWidth);
    INT.set(dst, offset + 24, cWidth);
    int at = offset + HEADER_BYTES;
    for (int k = 0; k < floats; k++, at += Float.BYTES) {
      FLOAT.set(dst, at, state[stateOffset + k]);
    }
    crc.reset();
    crc.update(dst, offset, at - offset);
    INT.set(dst, at, (int) crc.getValue());
  }

  /**
   * Checks the snapshot at {@code src[offset ..]} and, when it is a sound snapshot of this model, writes its
   * state to {@code state[stateOffset .. + stateFloats())}. Bytes after the snapshot are ignored.
   *
   * @throws IllegalArgumentException naming what is wrong (truncated, not a snapshot, another version, corrupted,
   *                                  another model); {@code state} is then unchanged
   */
  public void read(byte[] src, int offset, float[] state, int stateOffset) {
    if (src == null) {
      throw new IllegalArgumentException("the snapshot buffer is null");
    }
    requireState(state, stateOffset);
    int available = offset < 0 || offset > src.length ? -1 : src.length - offset;
    if (available < HEADER_BYTES + CHECKSUM_BYTES) {
      throw new IllegalArgumentException("truncated stream snapshot: " + Math.max(available, 0) + " bytes from offset "
          + offset + ", a snapshot has at least " + (HEADER_BYTES + CHECKSUM_BYTES) + " (this model's has " + size + ")");
    }
    int magic = (int) INT.get(src, offset);
    if (magic != MAGIC) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "not an rnnc stream snapshot: it starts with 0x%08x, a snapshot with \"RNNS\"", Integer.reverseBytes(magic)));
    }
    int version = Short.toUnsignedInt((short) SHORT.get(src, offset + 4));
    if (version != VERSION) {
      throw new IllegalArgumentException("stream snapshot format version " + version + " cannot be read: this runtime "
          + "reads version " + VERSION);
    }
    int storedLayers = (int) INT.get(src, offset + 16);
    int storedH = (int) INT.get(src, offset + 20);
    int storedC = (int) INT.get(src, offset + 24);
    long storedFloats = (long) storedLayers * ((long) storedH + storedC);
    if (storedLayers < 0 || storedH < 0 || storedC < 0 || storedFloats > Integer.MAX_VALUE / Float.BYTES) {
      throw new IllegalArgumentException("corrupted stream snapshot: impossible sizes " + storedLayers + " layers, h "
          + storedH + ", c " + storedC);
    }
    long declared = HEADER_BYTES + Float.BYTES * storedFloats + CHECKSUM_BYTES;
    if (declared > available) {
      throw new IllegalArgumentException("truncated stream snapshot: its header declares " + declared + " bytes, "
          + available + " are there from offset " + offset);
    }
    int body = (int) declared - CHECKSUM_BYTES;
    crc.reset();
    crc.update(src, offset, body);
    int computed = (int) crc.getValue();
    int stored = (int) INT.get(src, offset + body);
    if (computed != stored) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "corrupted stream snapshot: CRC32C is 0x%08x, the snapshot says 0x%08x", computed, stored));
    }
    long storedFingerprint = (long) LONG.get(src, offset + 8);
    int storedCell = src[offset + 6];
    if (storedFingerprint != fingerprint || storedCell != cellCode || storedLayers != layers || storedH != hWidth
        || storedC != cWidth) {
      throw new IllegalArgumentException("stream snapshot of another model: it holds "
          + describe(storedCell, storedLayers, storedH, storedC, storedFingerprint) + ", this model's state is "
          + describe(cellCode, layers, hWidth, cWidth, fingerprint) + " (" + fingerprintText(config) + ")");
    }
    int at = offset + HEADER_BYTES;
    for (int k = 0; k < floats; k++, at += Float.BYTES) {
      state[stateOffset + k] = (float) FLOAT.get(src, at);
    }
  }

  private void requireState(float[] state, int stateOffset) {
    if (state == null || stateOffset < 0 || stateOffset > state.length - floats) {
      throw new IllegalArgumentException("the state needs " + floats + " floats from offset " + stateOffset
          + (state == null ? ", the array is null" : ", the array has " + state.length));
    }
  }

  private static String describe(int cell, int layers, int h, int c, long fingerprint) {
    ModelConfig.Cell[] cells = ModelConfig.Cell.values();
    String cellName = cell >= 0 && cell < cells.length ? cells[cell].name().toLowerCase(Locale.ROOT) : "cell #" + cell;
    return String.format(Locale.ROOT, "%s, %d layer%s × (h %d%s), fingerprint %016x", cellName, layers,
        layers == 1 ? "" : "s", h, c == 0 ? "" : ", c " + c, fingerprint);
  }
}
