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
   * Hidden units in the unit-blocked layout's block at unit {@code u0} ({@link #packUnitsInto}): {@code vectors}
   * vectors of units while that many are left (enough accumulators to keep the FMA units busy: two for an LSTM's four
   * gates, three for a GRU's three), then single vectors, the last one partly padding.
   */
  public static int unitBlock(int u0, int hidden, int lanes, int vectors) {
    return Math.min(hidden - u0 >= vectors * lanes ? vectors * lanes : lanes, hidden - u0);
  }

  /**
   * Rows of the unit-blocked layout of a {@code gates × hidden}-row matrix: {@code gates} rows per hidden unit, the
   * units rounded up to whole vectors.
   */
  public static int unitRows(int gates, int hidden, int lanes) {
    return Math.multiplyExact(gates, paddedRows(hidden, lanes));
  }

  /**
   * Packs {@code [a | b]} ({@code gates × hidden} rows, gate-major as PyTorch stores them: gate 0's {@code hidden}
   * rows, then gate 1's, ...) with the rows reordered unit-blocked: for each block of hidden units
   * ({@link #unitBlock}), gate 0's rows of those units, then gate 1's, and so on (the last block padded with zero
   * rows to a whole vector per gate), each block packed as one group of panels. A kernel accumulating one block then
   * holds every gate of its units in registers and can update them at once. Allocates nothing (training repacks in
   * place).
   */
  public static void packUnitsInto(float[] packed, float[] a, int aCols, float[] b, int bCols, int gates, int hidden,
      int lanes, int vectors) {
    int cols = aCols + bCols;
    if (packed.length < Math.multiplyExact(unitRows(gates, hidden, lanes), cols)) {
      throw new IllegalArgumentException("packed array too small: " + packed.length);
    }
    int out = 0;
    for (int u0 = 0; u0 < hidden; u0 += unitBlock(u0, hidden, lanes, vectors)) {
      int units = unitBlock(u0, hidden, lanes, vectors);
      int gateRows = paddedRows(units, lanes);
      for (int c = 0; c < cols; c++) {
        for (int q = 0; q < gates; q++) {
          for (int u = 0; u < gateRows; u++) {
            float value = 0f;
            if (u < units) {
              int row = q * hidden + u0 + u;
              value = c < aCols ? a[row * aCols + c] : b[row * bCols + c - aCols];
            }
            packed[out++] = value;
          }
        }
      }
    }
  }

  /**
   * A vector of {@code gates × hidden} values (gate-major, such as folded biases) in the row order of
   * {@link #packUnitsInto}, padding zero.
   */
  public static void unitsInto(float[] out, float[] values, int gates, int hidden, int lanes, int vectors) {
    unitsInto(out, values, null, gates, hidden, lanes, vectors);
  }

  /**
   * {@link #unitsInto} of {@code gates} slots where the last one comes from {@code last} ({@code hidden} values; from
   * {@code values} too when {@code null}) and the others from {@code values}: a GRU's folded biases (r, z and the
   * input side of n) with b_hn, which r scales, beside them.
   */
  public static void unitsInto(float[] out, float[] values, float[] last, int gates, int hidden, int lanes,
      int vectors) {
    int at = 0;
    for (int u0 = 0; u0 < hidden; u0 += unitBlock(u0, hidden, lanes, vectors)) {
      int units = unitBlock(u0, hidden, lanes, vectors);
      int gateRows = paddedRows(units, lanes);
      for (int q = 0; q < gates; q++) {
        for (int u = 0; u < gateRows; u++) {
          out[at++] = u >= units ? 0f : q == gates - 1 && last != null ? last[u0 + u] : values[q * hidden + u0 + u];
        }
      }
    }
  }

  /** Copies a row-major {@code rows × cols} matrix into rows of {@code stride} floats each, leaving the padding zero. */
  public static void padRowsInto(float[] out, float[] values, int rows, int cols, int stride) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(values, r * cols, out, r * stride, cols);
    }
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
