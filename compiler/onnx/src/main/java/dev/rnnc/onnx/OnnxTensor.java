package dev.rnnc.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A constant tensor of an ONNX graph (initializer or {@code Constant} value), already checked: its element
 * count fits a Java array and the data it carries has exactly that many elements. Values are converted on
 * request: {@link #floats()} for float/double tensors, {@link #longs()} for integer ones.
 */
public final class OnnxTensor {
  /** ONNX {@code TensorProto.DataType} numbers rnnc understands. */
  public static final int FLOAT = 1;
  public static final int UINT8 = 2;
  public static final int INT8 = 3;
  public static final int INT32 = 6;
  public static final int INT64 = 7;
  public static final int BOOL = 9;
  public static final int DOUBLE = 11;

  private final String name;
  private final int dataType;
  private final long[] dims;
  private final int count;
  /** Little-endian raw bytes (raw_data or external data), or null when the values came as typed fields. */
  private final ByteBuffer raw;
  private final float[] floatData;
  private final long[] longData;
  private final double[] doubleData;

  OnnxTensor(String name, int dataType, long[] dims, int count, ByteBuffer raw, float[] floatData, long[] longData,
      double[] doubleData) {
    this.name = name;
    this.dataType = dataType;
    this.dims = dims;
    this.count = count;
    this.raw = raw == null ? null : raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.floatData = floatData;
    this.longData = longData;
    this.doubleData = doubleData;
  }

  /** A tensor built in memory (constant folding). */
  static OnnxTensor ofLongs(String name, long[] dims, long[] values) {
    return new OnnxTensor(name, INT64, dims.clone(), values.length, null, null, values.clone(), null);
  }

  /** A float tensor built in memory (constant folding). */
  static OnnxTensor ofFloats(String name, long[] dims, float[] values) {
    return new OnnxTensor(name, FLOAT, dims.clone(), values.length, null, values.clone(), null, null);
  }

  public String name() {
    return name;
  }

  public int dataType() {
    return dataType;
  }

  public long[] dims() {
    return dims.clone();
  }

  public int rank() {
    return dims.length;
  }

  public int elementCount() {
    return count;
  }

  public boolean isFloatingPoint() {
    return dataType == FLOAT || dataType == DOUBLE;
  }

  public boolean isInteger() {
    return dataType == INT64 || dataType == INT32 || dataType == INT8 || dataType == UINT8 || dataType == BOOL;
  }

  /** Bytes per element of the types rnnc reads, 0 for others. */
  static int elementSize(int dataType) {
    return switch (dataType) {
      case FLOAT, INT32 -> 4;
      case INT64, DOUBLE -> 8;
      case UINT8, INT8, BOOL -> 1;
      default -> 0;
    };
  }

  /** ONNX's name of a data type number. */
  public static String typeName(int dataType) {
    String[] names = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
        "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
    return dataType >= 0 && dataType < names.length ? names[dataType] : "type " + dataType;
  }

  /** The values as floats (float or double tensors). */
  public float[] floats() {
    if (floatData != null) {
      return floatData.clone();
    }
    float[] out = new float[count];
    if (doubleData != null) {
      for (int k = 0; k < count; k++) {
        out[k] = (float) doubleData[k];
      }
      return out;
    }
    if (raw != null && dataType == FLOAT) {
      raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }
    if (raw != null && dataType == DOUBLE) {
      java.nio.DoubleBuffer doubles = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
      for (int k = 0; k < count; k++) {
        out[k] = (float) doubles.get(k);
      }
      return out;
    }
    throw new OnnxException("tensor '" + name + "' has type " + typeName(dataType) + ", expected FLOAT or DOUBLE");
  }

  /** The values as longs (integer tensors). */
  public long[] longs() {
    if (longData != null) {
      return longData.clone();
    }
    long[] out = new long[count];
    if (raw != null) {
      ByteBuffer bytes = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      for (int k = 0; k < count; k++) {
        out[k] = switch (dataType) {
          case INT64 -> bytes.getLong(k * 8);
          case INT32 -> bytes.getInt(k * 4);
          case INT8 -> bytes.get(k);
          case UINT8, BOOL -> bytes.get(k) & 0xff;
          default -> throw new OnnxException("tensor '" + name + "' has type " + typeName(dataType)
              + ", expected an integer type");
        };
      }
      return out;
    }
    throw new OnnxException("tensor '" + name + "' has type " + typeName(dataType) + ", expected an integer type");
  }

  /** "name FLOAT[2, 16, 8]" for messages. */
  @Override
  public String toString() {
    return "'" + name + "' " + typeName(dataType) + Arrays.toString(dims);
  }
}
