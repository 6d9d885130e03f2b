package dev.rnnc.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;
import dev.rnnc.runtime.ModelConfig.TrainingConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamSnapshotsTest {

  private static final ModelConfig LSTM =
      ModelConfig.builder(Cell.LSTM).input(3).hidden(5).layers(2).head(4, HeadActivation.SOFTMAX).build();

  @Test
  void fingerprintIsTheDocumentedHashOfTheDocumentedText() {
    assertEquals("rnnc-stream-state-v1;cell=lstm;nonlinearity=tanh;gru_reset=after;rnn.weight_ih_l0=20x3;"
        + "rnn.weight_hh_l0=20x5;rnn.bias_ih_l0=20;rnn.bias_hh_l0=20;rnn.weight_ih_l1=20x5;rnn.weight_hh_l1=20x5;"
        + "rnn.bias_ih_l1=20;rnn.bias_hh_l1=20;head.weight=4x5;head.bias=4;", StreamSnapshots.fingerprintText(LSTM));
    // python3 -c "import hashlib; print(hashlib.sha256(TEXT.encode()).hexdigest()[:16])"
    assertEquals(0x1e4d424c52c19f50L, StreamSnapshots.fingerprint(LSTM));
  }

  @Test
  void fingerprintNamesTheArchitectureNotTheLimitsOrTraining() {
    long base = StreamSnapshots.fingerprint(LSTM);
    assertEquals(base, StreamSnapshots.fingerprint(LSTM.withLimits(1, 7)));
    assertEquals(base, StreamSnapshots.fingerprint(
        LSTM.toBuilder().training(new TrainingConfig(Loss.CROSS_ENTROPY, 0.1, 4)).build()));
    ModelConfig rnn = ModelConfig.builder(Cell.RNN).input(3).hidden(5).build();
    ModelConfig[] others = {
        LSTM.toBuilder().hidden(6).build(),
        LSTM.toBuilder().layers(1).build(),
        LSTM.toBuilder().input(4).build(),
        LSTM.toBuilder().embedding(10, 3).build(),
        LSTM.toBuilder().head(3, HeadActivation.SOFTMAX).build(),
        LSTM.toBuilder().head(0, HeadActivation.LINEAR).build(),
        LSTM.toBuilder().projSize(2).build(),
        LSTM.toBuilder().peepholes(true).build(),
        rnn,
        rnn.toBuilder().nonlinearity(Nonlinearity.RELU).build(),
        ModelConfig.builder(Cell.GRU).input(3).hidden(5).build(),
        ModelConfig.builder(Cell.GRU).input(3).hidden(5).gruReset(ModelConfig.GruReset.BEFORE).build(),
    };
    java.util.Set<Long> seen = new java.util.HashSet<>();
    seen.add(base);
    for (ModelConfig other : others) {
      assertTrue(seen.add(StreamSnapshots.fingerprint(other)), "fingerprint collides for " + other);
    }
  }

  @Test
  void layoutIsTheDocumentedOne() {
    ModelConfig gru = ModelConfig.builder(Cell.GRU).input(1).hidden(2).build();
    StreamSnapshots layout = new StreamSnapshots(gru);
    assertEquals(28 + 2 * 4 + 4, layout.size());
    byte[] bytes = new byte[layout.size() + 3];
    layout.write(new float[] {9, 0.5f, -0.25f}, 1, bytes, 3);
    ByteBuffer view = ByteBuffer.wrap(bytes, 3, layout.size()).slice().order(ByteOrder.LITTLE_ENDIAN);
    assertEquals("RNNS", new String(bytes, 3, 4, StandardCharsets.US_ASCII));
    assertEquals(1, view.getShort(4));
    assertEquals(1, view.get(6)); // gru
    assertEquals(0, view.get(7));
    assertEquals(StreamSnapshots.fingerprint(gru), view.getLong(8));
    assertEquals(1, view.getInt(16));
    assertEquals(2, view.getInt(20));
    assertEquals(0, view.getInt(24));
    assertEquals(0.5f, view.getFloat(28));
    assertEquals(-0.25f, view.getFloat(32));
    assertEquals(crc32c(bytes, 3, 36), view.getInt(36));
  }

  @Test
  void bitwiseCrc32cOfTheTestIsTheStandardOne() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xE3069283, crc32c(check, 0, check.length));
  }

  @Test
  void roundTripKeepsEveryBit() {
    StreamSnapshots layout = new StreamSnapshots(LSTM);
    assertEquals(2 * 5 + 2 * 5, layout.stateFloats());
    float[] state = new float[layout.stateFloats()];
    Random random = new Random(1);
    for (int i = 0; i < state.length; i++) {
      state[i] = (float) random.nextGaussian();
    }
    state[0] = -0f;
    state[1] = Float.intBitsToFloat(0x7fc01234); // NaN with a payload
    state[2] = Float.MIN_VALUE;
    state[3] = Float.NEGATIVE_INFINITY;
    byte[] bytes = new byte[layout.size()];
    layout.write(state, 0, bytes, 0);
    float[] back = new float[state.length + 2];
    layout.read(bytes, 0, back, 2);
    for (int i = 0; i < state.length; i++) {
      assertEquals(Float.floatToRawIntBits(state[i]), Float.floatToRawIntBits(back[i + 2]), "float " + i);
    }
  }

  @Test
  void aSnapshotOfAnotherModelIsRefused() {
    ModelConfig tanh = ModelConfig.builder(Cell.RNN).input(2).hidden(3).build();
    ModelConfig relu = tanh.toBuilder().nonlinearity(Nonlinearity.RELU).build();
    byte[] bytes = new byte[new StreamSnapshots(tanh).size()];
    new StreamSnapshots(tanh).write(new float[3], 0, bytes, 0);
    float[] state = {7, 7, 7};
    IllegalArgumentException sameSizes =
        assertThrows(IllegalArgumentException.class, () -> new StreamSnapshots(relu).read(bytes, 0, state, 0));
    assertTrue(sameSizes.getMessage().startsWith(String.format("stream snapshot of another model: it holds rnn, 1 layer "
        + "× (h 3), fingerprint %016x, this model's state is rnn, 1 layer × (h 3), fingerprint %016x (rnnc-stream-"
        + "state-v1;cell=rnn;nonlinearity=relu;", StreamSnapshots.fingerprint(tanh), StreamSnapshots.fingerprint(relu))),
        sameSizes.getMessage());
    assertArrayEquals(new float[] {7, 7, 7}, state);

    byte[] lstm = new byte[new StreamSnapshots(LSTM).size()];
    new StreamSnapshots(LSTM).write(new float[20], 0, lstm, 0);
    IllegalArgumentException otherSizes = assertThrows(IllegalArgumentException.class,
        () -> new StreamSnapshots(tanh).read(lstm, 0, state, 0));
    assertTrue(otherSizes.getMessage().startsWith("stream snapshot of another model: it holds lstm, 2 layers × (h 5, "
        + "c 5), fingerprint 1e4d424c52c19f50, this model's state is rnn, 1 layer × (h 3)"), otherSizes.getMessage());
    assertArrayEquals(new float[] {7, 7, 7}, state);
  }

  @Test
  void corruptedTruncatedAndForeignBytesAreRefused() {
    StreamSnapshots layout = new StreamSnapshots(LSTM);
    float[] original = new float[layout.stateFloats()];
    java.util.Arrays.fill(original, 0.125f);
    byte[] good = new byte[layout.size()];
    layout.write(original, 0, good, 0);
    float[] state = new float[layout.stateFloats()];

    for (int at = 8; at < good.length; at++) { // every byte after magic and version, checksum included
      byte[] bad = good.clone();
      bad[at] ^= 0x10;
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layout.read(bad, 0, state, 0),
          "flipped byte " + at);
      assertTrue(e.getMessage().startsWith("corrupted stream snapshot") || e.getMessage().startsWith("truncated"),
          "byte " + at + ": " + e.getMessage());
    }
    byte[] payload = good.clone();
    payload[40] ^= 1;
    assertTrue(assertThrows(IllegalArgumentException.class, () -> layout.read(payload, 0, state, 0)).getMessage()
        .matches("corrupted stream snapshot: CRC32C is 0x[0-9a-f]{8}, the snapshot says 0x[0-9a-f]{8}"));

    for (int length = 0; length < good.length; length++) {
      byte[] cut = java.util.Arrays.copyOf(good, length);
      String message = assertThrows(IllegalArgumentException.class, () -> layout.read(cut, 0, state, 0)).getMessage();
      assertTrue(message.startsWith("truncated stream snapshot: "), length + " bytes: " + message);
    }
    assertEquals("truncated stream snapshot: its header declares 112 bytes, 111 are there from offset 0",
        assertThrows(IllegalArgumentException.class,
            () -> layout.read(java.util.Arrays.copyOf(good, 111), 0, state, 0)).getMessage());
    assertEquals("truncated stream snapshot: 10 bytes from offset 0, a snapshot has at least 32 (this model's has 112)",
        assertThrows(IllegalArgumentException.class,
            () -> layout.read(java.util.Arrays.copyOf(good, 10), 0, state, 0)).getMessage());

    byte[] foreign = good.clone();
    foreign[0] = '{';
    assertEquals("not an rnnc stream snapshot: it starts with 0x7b4e4e53, a snapshot with \"RNNS\"",
        assertThrows(IllegalArgumentException.class, () -> layout.read(foreign, 0, state, 0)).getMessage());
    byte[] future = good.clone();
    future[4] = 2;
    assertEquals("stream snapshot format version 2 cannot be read: this runtime reads version 1",
        assertThrows(IllegalArgumentException.class, () -> layout.read(future, 0, state, 0)).getMessage());
    assertArrayEquals(new float[layout.stateFloats()], state, "a refused snapshot changed the state");

    assertEquals("a snapshot needs 112 bytes from offset 1, the buffer has 112",
        assertThrows(IllegalArgumentException.class, () -> layout.write(original, 0, good, 1)).getMessage());
    layout.read(good, 0, state, 0);
    assertArrayEquals(original, state);
  }

  /** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: independent of java.util.zip. */
  private static int crc32c(byte[] bytes, int offset, int length) {
    int crc = 0xFFFFFFFF;
    for (int i = offset; i < offset + length; i++) {
      crc ^= bytes[i] & 0xFF;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc >>> 1) ^ (0x82F63B78 & -(crc & 1));
      }
    }
    return ~crc;
  }

  @Test
  void bidirectionalModelsHaveNoStreamState() {
    assertNotEquals(null, LSTM);
    assertEquals("stream state needs a unidirectional model; this one is bidirectional",
        assertThrows(IllegalArgumentException.class,
            () -> new StreamSnapshots(LSTM.toBuilder().bidirectional(true).build())).getMessage());
  }
}
