package dev.rnnc.runtime.io;

import dev.rnnc.runtime.RnncException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major tensor of one {@link DType}: a shape and exactly one primitive array holding the data.
 *
 * <p>Immutable-ish: the shape is copied in and out, but the data array is shared, not copied, so that
 * multi-gigabyte weights are never duplicated by accident. The factories take ownership of the array they are
 * given and the typed accessors ({@link #floats()} …) return it; callers must not modify it afterwards. The
 * {@code to…Array} converters always return a fresh array.
 */
public final class Tensor {
  private final DType dtype;
  private final int[] shape;
  private final long elementCount;
  private final Object data;

  private Tensor(DType dtype, int[] shape, Object data, int length) {
    Objects.requireNonNull(shape, "shape");
    this.dtype = dtype;
    this.shape = shape.clone();
    this.elementCount = elementCount(this.shape);
    if (elementCount != length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " has " + elementCount + " elements but the data has " + length);
    }
    this.data = data;
  }

  /** Number of elements of {@code shape}; rejects negative dimensions and counts past a Java array. */
  static long elementCount(int[] shape) {
    long count = 1;
    for (int dim : shape) {
      if (dim < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      count *= dim;
      if (count > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more elements than a Java array holds");
      }
    }
    return count;
  }

  /** An F32 tensor over {@code data} (not copied). */
  public static Tensor ofFloats(int[] shape, float[] data) {
    return new Tensor(DType.F32, shape, Objects.requireNonNull(data, "data"), data.length);
  }

  /** An F64 tensor over {@code data} (not copied). */
  public static Tensor ofDoubles(int[] shape, double[] data) {
    return new Tensor(DType.F64, shape, Objects.requireNonNull(data, "data"), data.length);
  }

  /** An I64 tensor over {@code data} (not copied). */
  public static Tensor ofLongs(int[] shape, long[] data) {
    return new Tensor(DType.I64, shape, Objects.requireNonNull(data, "data"), data.length);
  }

  /** An I32 tensor over {@code data} (not copied). */
  public static Tensor ofInts(int[] shape, int[] data) {
    return new Tensor(DType.I32, shape, Objects.requireNonNull(data, "data"), data.length);
  }

  public DType dtype() {
    return dtype;
  }

  /** A copy of the shape; {@code []} for a scalar. */
  public int[] shape() {
    return shape.clone();
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** Product of the shape (1 for a scalar). */
  public long elementCount() {
    return elementCount;
  }

  /** Bytes the data takes in a safetensors file. */
  public long byteSize() {
    return elementCount * dtype.byteSize();
  }

  /** The F32 data itself (shared). */
  public float[] floats() {
    requireType(DType.F32);
    return (float[]) data;
  }

  /** The F64 data itself (shared). */
  public double[] doubles() {
    requireType(DType.F64);
    return (double[]) data;
  }

  /** The I64 data itself (shared). */
  public long[] longs() {
    requireType(DType.I64);
    return (long[]) data;
  }

  /** The I32 data itself (shared). */
  public int[] ints() {
    requireType(DType.I32);
    return (int[]) data;
  }

  private void requireType(DType wanted) {
    if (dtype != wanted) {
      throw new IllegalStateException("tensor holds " + dtype + ", not " + wanted);
    }
  }

  /** A fresh float array: F32 copied, F64 rounded to nearest (magnitudes past float range become infinite). */
  public float[] toFloatArray() {
    if (dtype == DType.F32) {
      return ((float[]) data).clone();
    }
    if (dtype == DType.F64) {
      double[] source = (double[]) data;
      float[] out = new float[source.length];
      for (int i = 0; i < source.length; i++) {
        out[i] = (float) source[i];
      }
      return out;
    }
    throw new RnncException("expected a floating-point tensor (F32 or F64) but it has dtype " + dtype);
  }

  /** A fresh int array from I32 or I64 data; an I64 value outside the int range is an error. */
  public int[] toIntArray() {
    if (dtype == DType.I32) {
      return ((int[]) data).clone();
    }
    if (dtype == DType.I64) {
      long[] source = (long[]) data;
      int[] out = new int[source.length];
      for (int i = 0; i < source.length; i++) {
        if (source[i] < Integer.MIN_VALUE || source[i] > Integer.MAX_VALUE) {
          throw new RnncException("I64 value " + source[i] + " at flat index " + i + " does not fit in a 32-bit int");
        }
        out[i] = (int) source[i];
      }
      return out;
    }
    throw new RnncException("expected an integer tensor (I64 or I32) but it has dtype " + dtype);
  }

  /** A fresh long array from I64 or I32 data. */
  public long[] toLongArray() {
    if (dtype == DType.I64) {
      return ((long[]) data).clone();
    }
    if (dtype == DType.I32) {
      return Arrays.stream((int[]) data).asLongStream().toArray();
    }
    throw new RnncException("expected an integer tensor (I64 or I32) but it has dtype " + dtype);
  }

  /** Equal dtype, shape and elements (floating-point elements compared bit for bit, so NaN equals NaN). */
  @Override
  public boolean equals(Object other) {
    if (this == other) {
      return true;
    }
    if (!(other instanceof Tensor)) {
      return false;
    }
    Tensor that = (Tensor) other;
    if (dtype != that.dtype || !Arrays.equals(shape, that.shape)) {
      return false;
    }
    return switch (dtype) {
      case F32 -> Arrays.equals((float[]) data, (float[]) that.data);
      case F64 -> Arrays.equals((double[]) data, (double[]) that.data);
      case I64 -> Arrays.equals((long[]) data, (long[]) that.data);
      case I32 -> Arrays.equals((int[]) data, (int[]) that.data);
    };
  }

  @Override
  public int hashCode() {
    int dataHash = switch (dtype) {
      case F32 -> Arrays.hashCode((float[]) data);
      case F64 -> Arrays.hashCode((double[]) data);
      case I64 -> Arrays.hashCode((long[]) data);
      case I32 -> Arrays.hashCode((int[]) data);
    };
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + dataHash;
  }

  /** Type and shape only, e.g. {@code Tensor[F32 [4, 2]]}; the data may be huge. */
  @Override
  public String toString() {
    return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
  }
}
