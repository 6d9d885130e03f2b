package dev.rnnc.runtime;

/**
 * Repacks PyTorch row-major matrices into the panel layout generated matrix–vector kernels stream.
 *
 * <p>Rows are cut into panels of {@code lanes} rows (one vector register each, the last one zero-padded).
 * Panels are taken in groups: as many groups of {@code maxGroup} panels as fit, then the remainder in
 * groups of decreasing powers of two (4, 2, 1). Inside a group the weights are column-major over the
 * group's rows, so a kernel holding one accumulator per panel walks a single contiguous stream:
 * for each column, broadcast x[c], then one load and one fused multiply-add per panel — no horizontal
 * reductions. With {@code lanes = 1, maxGroup = 1} the layout is plain row-major (the scalar fallback).
 * Generated kernels must decompose the panels in exactly the same order.
 */
public final class Packing {
  private Packing() {}

  /** Rows rounded up to whole panels. */
  public static int paddedRows(int rows, int lanes) {
    return (rows + lanes - 1) / lanes * lanes;
  }

  /** Floats a packed matrix of {@code rows × cols} occupies. */
  public static int packedSize(int rows, int cols, int lanes) {
    return Math.multiplyExact(paddedRows(rows, lanes), cols);
  }

  /**
   * Packs rows {@code [rowStart, rowStart + rows)} of a row-major {@code [*, cols]} matrix.
   *
   * @return {@code paddedRows(rows, lanes) * cols} floats
   */
  public static float[] pack(float[] matrix, int rowStart, int rows, int cols, int lanes, int maxGroup) {
    float[] packed = new float[packedSize(rows, cols, lanes)];
    packInto(packed, matrix, rowStart, rows, cols, lanes, maxGroup, false);
    return packed;
  }

  /**
   * Packs into an existing array (training repacks every step without allocating). With
   * {@code transposed}, packs the transpose of the {@code rows × cols} block instead, a {@code cols × rows}
   * matrix: what backward passes multiply by (W^T·dgates).
   */
  public static void packInto(float[] packed, float[] matrix, int rowStart, int rows, int cols, int lanes,
      int maxGroup, boolean transposed) {
    if (transposed) {
      packCore(packed, matrix, rowStart, cols, null, 0, true, cols, rows, lanes, maxGroup);
    } else {
      packCore(packed, matrix, rowStart, cols, null, 0, false, rows, cols, lanes, maxGroup);
    }
  }

  /**
   * Packs the column-wise concatenation {@code [a | b]} of two row-major matrices with the same rows
   * ({@code a} is {@code [rows, aCols]}, {@code b} is {@code [rows, bCols]}) without building it: the streaming
   * step multiplies {@code [W_ih | W_hh]} by {@code [x; h]} in one sweep, so the gate accumulators are
   * loaded and stored once per step instead of twice.
   */
  public static void packConcatInto(float[] packed, float[] a, int aCols, float[] b, int bCols, int rows, int lanes,
      int maxGroup) {
    packCore(packed, a, 0, aCols, b, bCols, false, rows, aCols + bCols, lanes, maxGroup);
  }

  /**
   * The one packing loop: writes the {@code outRows × outCols} matrix whose element (r, c) is
   * {@code a[(aRow0 + r) * aCols + c]} (or, {@code transposed}, {@code a[(aRow0 + c) * aCols + r]}), with
   * columns at and beyond {@code aCols} taken from {@code b} when it is given. Allocates nothing.
   */
  private static void packCore(float[] packed, float[] a, int aRow0, int aCols, float[] b, int bCols,
      boolean transposed, int outRows, int outCols, int lanes, int maxGroup) {
    if (lanes < 1 || maxGroup < 1 || Integer.bitCount(maxGroup) != 1) {
      throw new IllegalArgumentException("lanes " + lanes + ", group " + maxGroup);
    }
    int panels = (outRows + lanes - 1) / lanes;
    if (packed.length < panels * lanes * outCols) {
      throw new IllegalArgumentException("packed array too small: " + packed.length);
    }
    int panel = 0;
    int out = 0;
    int group = maxGroup;
    while (panel < panels) {
      while (panel + group > panels) {
        group >>= 1;
      }
      for (int c = 0; c < outCols; c++) {
        for (int k = 0; k < group; k++) {
          int rowBase = (panel + k) * lanes;
          for (int j = 0; j < lanes; j++) {
            int row = rowBase + j;
            float value = 0f;
            if (row < outRows) {
              if (transposed) {
                value = a[(aRow0 + c) * aCols + row];
              } else if (b == null || c < aCols) {
                value = a[(aRow0 + row) * aCols + c];
              } else {
                value = b[row * bCols + c - aCols];
              }
            }
            packed[out++] = value;
          }
        }
      }
      panel += group;
    }
  }

  /**
   * A vector of {@code length} values padded with zeros to {@code paddedLength}: biases are read as
   * whole vectors by the kernels.
   */
  public static float[] padded(float[] values, int start, int length, int paddedLength) {
    float[] out = new float[paddedLength];
    System.arraycopy(values, start, out, 0, length);
    return out;
  }

  /** Copies {@code length} values into the start of {@code out}, leaving its padding as it is (zero). */
  public static void copyInto(float[] out, int outStart, float[] values, int start, int length) {
    System.arraycopy(values, start, out, outStart, length);
  }

  /** {@code out[i] = a[aStart + i] + b[bStart + i]} for {@code i < length}. */
  public static void sumInto(float[] out, float[] a, int aStart, float[] b, int bStart, int length) {
    for (int i = 0; i < length; i++) {
      out[i] = a[aStart + i] + b[bStart + i];
    }
  }

  /** Elementwise sum of two equally long ranges, padded with zeros (folded biases such as b_ih + b_hh). */
  public static float[] sumPadded(float[] a, int aStart, float[] b, int bStart, int length, int paddedLength) {
    float[] out = new float[paddedLength];
    for (int i = 0; i < length; i++) {
      out[i] = a[aStart + i] + b[bStart + i];
    }
    return out;
  }
}
