package dev.rnnc.benchmarks;

import com.google.protobuf.CodedOutputStream;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A one-layer unidirectional LSTM of PyTorch-named parameters as a serialized ONNX model (one {@code LSTM} node,
 * opset 14), written field by field with protobuf's encoder so ONNX Runtime can run exactly the weights rnnc
 * runs. Built in memory at benchmark setup; no model file is stored.
 *
 * <p>Gate blocks: PyTorch stacks them i, f, g, o; ONNX i, o, f, c (c = PyTorch's g). ONNX's {@code B} is
 * {@code [Wb | Rb]} = {@code [bias_ih | bias_hh]}, each reordered the same way.
 */
final class OnnxLstm {
  private OnnxLstm() {}

  /** For ONNX gate block k (i, o, f, c), the PyTorch block (i, f, g, o) it comes from. */
  private static final int[] PYTORCH_BLOCK = {0, 3, 1, 2};

  // ONNX IR field numbers (onnx.proto) and enum values used here.
  private static final int FLOAT = 1;
  private static final int ATTRIBUTE_INT = 2;
  private static final long IR_VERSION = 8;
  private static final long OPSET = 14;

  /**
   * The model: input {@code X} {@code [steps, batch, input]} (ONNX layout 0, time first); with {@code stateInputs}
   * also {@code initial_h} and {@code initial_c} {@code [1, batch, hidden]}; outputs {@code Y_h}, {@code Y_c}
   * {@code [1, batch, hidden]} and, with {@code sequenceOutput}, {@code Y} {@code [steps, 1, batch, hidden]}.
   */
  static byte[] model(ModelParameters parameters, int steps, int batch, boolean stateInputs, boolean sequenceOutput) {
    ModelConfig config = parameters.config();
    if (config.cell() != ModelConfig.Cell.LSTM || config.layers() != 1 || config.bidirectional()
        || config.projSize() != 0 || config.peepholes() || config.vocab() != 0 || config.headSize() != 0) {
      throw new IllegalArgumentException("OnnxLstm writes a bare one-layer unidirectional LSTM (dense input, no "
          + "projection, peepholes or head), not " + config);
    }
    int hidden = config.hidden();
    int input = config.inputSize();
    float[] w = reorder(parameters.get(ModelConfig.weightIh(0, 0)), hidden);
    float[] r = reorder(parameters.get(ModelConfig.weightHh(0, 0)), hidden);
    float[] biasIh = reorder(parameters.get(ModelConfig.biasIh(0, 0)), hidden);
    float[] biasHh = reorder(parameters.get(ModelConfig.biasHh(0, 0)), hidden);
    float[] b = new float[8 * hidden];
    System.arraycopy(biasIh, 0, b, 0, 4 * hidden);
    System.arraycopy(biasHh, 0, b, 4 * hidden, 4 * hidden);

    byte[] node = message(out -> {
      for (String name : new String[] {"X", "W", "R", "B"}) {
        out.writeString(1, name);
      }
      if (stateInputs) {
        out.writeString(1, ""); // sequence_lens: absent, every sequence runs all steps
        out.writeString(1, "initial_h");
        out.writeString(1, "initial_c");
      }
      out.writeString(2, sequenceOutput ? "Y" : "");
      out.writeString(2, "Y_h");
      out.writeString(2, "Y_c");
      out.writeString(3, "lstm");
      out.writeString(4, "LSTM");
      out.writeByteArray(5, message(a -> {
        a.writeString(1, "hidden_size");
        a.writeInt64(3, hidden);
        a.writeInt32(20, ATTRIBUTE_INT);
      }));
    });
    byte[] graph = message(out -> {
      out.writeByteArray(1, node);
      out.writeString(2, "rnnc_benchmark_lstm");
      out.writeByteArray(5, tensor("W", new long[] {1, 4L * hidden, input}, w));
      out.writeByteArray(5, tensor("R", new long[] {1, 4L * hidden, hidden}, r));
      out.writeByteArray(5, tensor("B", new long[] {1, 8L * hidden}, b));
      out.writeByteArray(11, valueInfo("X", steps, batch, input));
      if (stateInputs) {
        out.writeByteArray(11, valueInfo("initial_h", 1, batch, hidden));
        out.writeByteArray(11, valueInfo("initial_c", 1, batch, hidden));
      }
      if (sequenceOutput) {
        out.writeByteArray(12, valueInfo("Y", steps, 1, batch, hidden));
      }
      out.writeByteArray(12, valueInfo("Y_h", 1, batch, hidden));
      out.writeByteArray(12, valueInfo("Y_c", 1, batch, hidden));
    });
    return message(out -> {
      out.writeInt64(1, IR_VERSION);
      out.writeString(2, "rnnc-benchmarks");
      out.writeByteArray(7, graph);
      out.writeByteArray(8, message(opset -> {
        opset.writeString(1, "");
        opset.writeInt64(2, OPSET);
      }));
    });
  }

  /** Rows of {@code [4 * hidden, columns]} in PyTorch's gate order, returned in ONNX's. */
  static float[] reorder(float[] pytorch, int hidden) {
    int block = pytorch.length / 4;
    float[] onnx = new float[pytorch.length];
    for (int k = 0; k < 4; k++) {
      System.arraycopy(pytorch, PYTORCH_BLOCK[k] * block, onnx, k * block, block);
    }
    return onnx;
  }

  private interface Body {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Body body) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      body.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
  }

  /** A float32 initializer, values little-endian in raw_data. */
  private static byte[] tensor(String name, long[] dims, float[] values) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    return message(out -> {
      for (long d : dims) {
        out.writeInt64(1, d);
      }
      out.writeInt32(2, FLOAT);
      out.writeString(8, name);
      out.writeByteArray(9, raw.array());
    });
  }

  /** A float tensor graph input or output of fixed shape. */
  private static byte[] valueInfo(String name, long... dims) {
    byte[] shape = message(out -> {
      for (long dim : dims) {
        out.writeByteArray(1, message(d -> d.writeInt64(1, dim)));
      }
    });
    byte[] tensorType = message(out -> {
      out.writeInt32(1, FLOAT);
      out.writeByteArray(2, shape);
    });
    return message(out -> {
      out.writeString(1, name);
      out.writeByteArray(2, message(t -> t.writeByteArray(1, tensorType)));
    });
  }
}
