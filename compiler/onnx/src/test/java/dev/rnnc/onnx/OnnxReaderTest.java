package dev.rnnc.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import dev.rnnc.runtime.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encodings exporters use that the committed files do not all show: typed {@code float_data} instead of
 * {@code raw_data}, unpacked repeated dims, attributes without a {@code type} (files from before IR version 3),
 * unknown fields, initializers also listed as graph inputs. Built byte by byte with protobuf's encoder.
 */
class OnnxReaderTest {
  private static final int HIDDEN = 2;
  private static final int INPUT = 3;

  @TempDir
  Path dir;

  private interface Body {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Body body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    body.write(out);
    out.flush();
    return bytes.toByteArray();
  }

  /** A float tensor with typed float_data and dims written unpacked (one tag each). */
  private static byte[] tensor(String name, long[] dims, float[] values) throws IOException {
    return message(out -> {
      for (long d : dims) {
        out.writeInt64(1, d);
      }
      out.writeInt32(2, OnnxTensor.FLOAT);
      out.writeString(8, name);
      for (float v : values) {
        out.writeFloat(4, v);
      }
      out.writeString(99, "an unknown field, skipped");
    });
  }

  private static byte[] valueInfo(String name, Object... dims) throws IOException {
    byte[] shape = message(out -> {
      for (Object dim : dims) {
        out.writeByteArray(1, message(d -> {
          if (dim instanceof Long n) {
            d.writeInt64(1, n);
          } else {
            d.writeString(2, (String) dim);
          }
        }));
      }
    });
    byte[] tensorType = message(out -> {
      out.writeInt32(1, OnnxTensor.FLOAT);
      out.writeByteArray(2, shape);
    });
    return message(out -> {
      out.writeString(1, name);
      out.writeByteArray(2, message(t -> t.writeByteArray(1, tensorType)));
    });
  }

  private static float[] ramp(int n, float scale) {
    float[] values = new float[n];
    for (int k = 0; k < n; k++) {
      values[k] = scale * (k - n / 2f);
    }
    return values;
  }

  @Test
  void typedDataUntypedAttributesAndInitializersListedAsInputs() throws IOException {
    float[] w = ramp(3 * HIDDEN * INPUT, 0.01f);
    float[] r = ramp(3 * HIDDEN * HIDDEN, 0.02f);
    byte[] node = message(out -> {
      out.writeString(1, "X");
      out.writeString(1, "W");
      out.writeString(1, "R");
      out.writeString(2, "Y");
      out.writeString(3, "gru");
      out.writeString(4, "GRU");
      // hidden_size with no 'type' field, as IR < 3 files write attributes
      out.writeByteArray(5, message(a -> {
        a.writeString(1, "hidden_size");
        a.writeInt64(3, HIDDEN);
      }));
      out.writeByteArray(5, message(a -> {
        a.writeString(1, "linear_before_reset");
        a.writeInt64(3, 1);
        a.writeInt32(20, 2);
      }));
    });
    byte[] graph = message(out -> {
      out.writeByteArray(1, node);
      out.writeString(2, "hand-made");
      out.writeByteArray(5, tensor("W", new long[] {1, 3 * HIDDEN, INPUT}, w));
      out.writeByteArray(5, tensor("R", new long[] {1, 3 * HIDDEN, HIDDEN}, r));
      out.writeByteArray(11, valueInfo("X", "T", "N", (long) INPUT));
      out.writeByteArray(11, valueInfo("W", 1L, (long) 3 * HIDDEN, (long) INPUT));
      out.writeByteArray(12, valueInfo("Y", "T", 1L, "N", (long) HIDDEN));
    });
    byte[] model = message(out -> {
      out.writeInt64(1, 3);
      out.writeString(2, "hand");
      out.writeByteArray(7, graph);
      out.writeByteArray(8, message(o -> o.writeInt64(2, 7)));
    });
    Path file = Files.write(dir.resolve("hand.onnx"), model);

    OnnxModel parsed = OnnxReader.read(file);
    assertEquals(7, parsed.opset());
    assertEquals(1, parsed.graph().inputs().size(), "W is an initializer, not a real input");
    assertEquals(OnnxModel.AttributeType.INT, parsed.graph().nodes().get(0).attributes().get("hidden_size").type());
    assertArrayEquals(w, parsed.graph().initializers().get("W").floats());

    ImportedModel imported = OnnxImporter.read(file);
    ModelConfig config = imported.config();
    assertEquals(ModelConfig.Cell.GRU, config.cell());
    assertEquals(HIDDEN, config.hidden());
    assertEquals(ModelConfig.GruReset.AFTER, config.gruReset());
    // gate blocks z, r, h -> r, z, n: rnnc's first block is ONNX's second
    float[] weightIh = imported.parameters().get(ModelConfig.weightIh(0, 0));
    for (int k = 0; k < HIDDEN * INPUT; k++) {
      assertEquals(w[HIDDEN * INPUT + k], weightIh[k]);
      assertEquals(w[k], weightIh[HIDDEN * INPUT + k]);
      assertEquals(w[2 * HIDDEN * INPUT + k], weightIh[2 * HIDDEN * INPUT + k]);
    }
    // no B: both biases zero
    for (float b : imported.parameters().get(ModelConfig.biasIh(0, 0))) {
      assertEquals(0f, b);
    }
  }

  @Test
  void typedDataCountMustMatchTheDims() throws IOException {
    byte[] graph = message(out -> out.writeByteArray(5, tensor("W", new long[] {2, 3}, new float[5])));
    byte[] model = message(out -> out.writeByteArray(7, graph));
    Path file = Files.write(dir.resolve("short.onnx"), model);
    OnnxException e = assertThrows(OnnxException.class, () -> OnnxReader.read(file));
    assertTrue(e.getMessage().contains("tensor 'W' of FLOAT[2, 3] has 6 elements but carries 5 values"), e.getMessage());
  }

  @Test
  void externalDataInASubfolderIsAllowed() throws IOException {
    float[] values = {1.5f, -2f, 0.25f};
    Path sub = Files.createDirectories(dir.resolve("weights"));
    java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(4 + 12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    data.putInt(0);
    for (float v : values) {
      data.putFloat(v);
    }
    Files.write(sub.resolve("w.bin"), data.array());
    byte[] tensor = message(out -> {
      out.writeInt64(1, 3);
      out.writeInt32(2, OnnxTensor.FLOAT);
      out.writeString(8, "W");
      for (String[] entry : new String[][] {{"location", "weights/w.bin"}, {"offset", "4"}, {"length", "12"}}) {
        out.writeByteArray(13, message(e -> {
          e.writeString(1, entry[0]);
          e.writeString(2, entry[1]);
        }));
      }
      out.writeInt32(14, 1);
    });
    byte[] model = message(out -> out.writeByteArray(7, message(g -> g.writeByteArray(5, tensor))));
    Path file = Files.write(dir.resolve("ext.onnx"), model);
    assertArrayEquals(values, OnnxReader.read(file).graph().initializers().get("W").floats());
  }
}
