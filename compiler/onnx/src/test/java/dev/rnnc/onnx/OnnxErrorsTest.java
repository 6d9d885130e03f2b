package dev.rnnc.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed files and graphs rnnc does not import: each is one clean {@link OnnxException} line, never a crash. */
class OnnxErrorsTest {
  private static final Path MODELS = OnnxRuntimeParityTest.MODELS;

  @TempDir
  Path dir;

  private String importError(Path file) {
    OnnxException e = assertThrows(OnnxException.class, () -> OnnxImporter.read(file));
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    return e.getMessage();
  }

  private String importError(byte[] bytes) throws IOException {
    Path file = dir.resolve("model.onnx");
    Files.write(file, bytes);
    return importError(file);
  }

  @Test
  void truncatedFilesAreRefusedAtEveryCut() throws IOException {
    byte[] good = Files.readAllBytes(MODELS.resolve("torch_lstm_2x_bi_linear.onnx"));
    int truncated = 0;
    for (int length = 0; length < good.length; length += 41) {
      String message = importError(Arrays.copyOf(good, length));
      truncated += message.contains("truncated") ? 1 : 0;
    }
    assertTrue(truncated > good.length / 41 / 2, "most cuts land inside a field and say 'truncated'");
    assertTrue(importError(Arrays.copyOf(good, good.length / 2)).contains("truncated"));
  }

  @Test
  void emptyAndForeignFiles() throws IOException {
    assertTrue(importError(new byte[0]).contains("empty file"));
    assertTrue(importError("model: Foo\ncell: lstm\n".getBytes()).contains("not a valid ONNX file"));
    assertTrue(importError(dir.resolve("missing.onnx")).contains("no such file"));
  }

  @Test
  void wrongWireTypeOfAKnownField() throws IOException {
    // ModelProto.graph (field 7) sent as a varint instead of a length-delimited message.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeInt64(1, 8);
    out.writeInt64(7, 1);
    out.flush();
    String message = importError(bytes.toByteArray());
    assertTrue(message.contains("ModelProto.graph has wire type 0, expected 2"), message);
  }

  /** A model whose only initializer is {@code tensor}, wrapped in a graph and a model message. */
  private static byte[] modelWithInitializer(byte[] tensor) throws IOException {
    ByteArrayOutputStream graph = new ByteArrayOutputStream();
    CodedOutputStream g = CodedOutputStream.newInstance(graph);
    g.writeByteArray(5, tensor);
    g.flush();
    ByteArrayOutputStream model = new ByteArrayOutputStream();
    CodedOutputStream m = CodedOutputStream.newInstance(model);
    m.writeInt64(1, 8);
    m.writeByteArray(7, graph.toByteArray());
    m.flush();
    return model.toByteArray();
  }

  private static byte[] floatTensor(long[] dims, byte[] raw, boolean claimHuge) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream t = CodedOutputStream.newInstance(bytes);
    for (long d : dims) {
      t.writeInt64(1, d);
    }
    t.writeInt32(2, 1);
    t.writeString(8, "W");
    if (claimHuge) {
      // raw_data whose length prefix claims 2 GB, followed by only a few bytes.
      t.writeTag(9, 2);
      t.writeUInt32NoTag(Integer.MAX_VALUE);
      t.writeRawBytes(raw);
    } else {
      t.writeBytes(9, ByteString.copyFrom(raw));
    }
    t.flush();
    return bytes.toByteArray();
  }

  @Test
  void twoGigabyteTensorClaimedInATinyFileIsRefusedBeforeAllocation() throws IOException {
    byte[] claimsLength = modelWithInitializer(floatTensor(new long[] {536_870_911}, new byte[16], true));
    assertTrue(claimsLength.length < 1024);
    String message = importError(claimsLength);
    assertTrue(message.contains("2147483647 bytes") || message.contains("truncated"), message);

    byte[] claimsDims = modelWithInitializer(floatTensor(new long[] {536_870_911}, new byte[16], false));
    message = importError(claimsDims);
    assertTrue(message.contains("needs 2147483644 bytes but carries 16"), message);

    byte[] tooMany = modelWithInitializer(floatTensor(new long[] {1L << 20, 1L << 20}, new byte[16], false));
    message = importError(tooMany);
    assertTrue(message.contains("more elements than rnnc can hold"), message);
  }

  @Test
  void externalDataIsCheckedAgainstTheSideFile() throws IOException {
    Path model = dir.resolve("ext.onnx");
    Files.copy(MODELS.resolve("onnx_lstm_external.onnx"), model);
    Path weights = dir.resolve("onnx_lstm_external.weights");
    // A side file shorter than the offsets and lengths the model claims.
    Files.write(weights, new byte[100]);
    String message = importError(model);
    assertTrue(message.contains("runs past its end"), message);
    Files.delete(weights);
    message = importError(model);
    assertTrue(message.contains("does not exist"), message);
    // And the committed pair imports.
    assertEquals(4, OnnxImporter.read(MODELS.resolve("onnx_lstm_external.onnx")).config().hidden());
  }

  @Test
  void externalDataOutsideTheModelDirectoryIsRefused() {
    String message = importError(MODELS.resolve("bad_external_escape.onnx"));
    assertTrue(message.contains("outside the model's directory"), message);
  }

  @Test
  void cycle() {
    String message = importError(MODELS.resolve("bad_cycle.onnx"));
    assertTrue(message.contains("cycle through node 'first' (Identity)"), message);
  }

  @Test
  void missingInitializer() {
    String message = importError(MODELS.resolve("bad_missing_initializer.onnx"));
    assertTrue(message.contains("node 'lstm' (LSTM) reads 'R', which no node, initializer or graph input provides"),
        message);
  }

  @Test
  void unsupportedOpNamesTheNodeItsTypeAndWhatIsSupported() {
    String message = importError(MODELS.resolve("bad_unsupported_op.onnx"));
    assertTrue(message.contains("node 'leaky' (LeakyRelu): op LeakyRelu is not supported; rnnc imports LSTM, GRU and"
        + " RNN nodes"), message);
  }

  @Test
  void unsupportedRecurrentOptions() {
    assertTrue(importError(MODELS.resolve("bad_clip.onnx")).contains("node 'clipped' (LSTM): clip is not supported"));
    String message = importError(MODELS.resolve("bad_activations.onnx"));
    assertTrue(message.contains("node 'hard' (LSTM): activations [HardSigmoid, Tanh, Tanh] are not supported"),
        message);
  }

  @Test
  void reverseAloneIsRefused() {
    String message = importError(MODELS.resolve("bad_reverse.onnx"));
    assertTrue(message.contains("node 'backwards' (GRU): direction 'reverse' alone is not supported"), message);
  }

  @Test
  void lastStepOfABidirectionalOutputIsNotAFinalState() {
    String message = importError(MODELS.resolve("bad_bi_last_step.onnx"));
    assertTrue(message.contains("node '/Gather' (Gather): the last step of a bidirectional layer's output is not its"
        + " final state"), message);
  }

  /** Random corruption of a valid file: the import succeeds or fails with an OnnxException, nothing else. */
  @Test
  void corruptedBytesNeverCrash() throws IOException {
    byte[] good = Files.readAllBytes(MODELS.resolve("torch_gru_2x_bi_softmax.onnx"));
    SplittableRandom random = new SplittableRandom(11);
    Path file = dir.resolve("corrupt.onnx");
    for (int round = 0; round < 300; round++) {
      byte[] bytes = good.clone();
      int flips = 1 + random.nextInt(4);
      for (int k = 0; k < flips; k++) {
        bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
      }
      Files.write(file, bytes);
      try {
        OnnxImporter.read(file);
      } catch (OnnxException expected) {
        assertFalse(expected.getMessage().isBlank());
      } catch (RuntimeException e) {
        fail("round " + round + ": " + e, e);
      }
    }
  }
}
