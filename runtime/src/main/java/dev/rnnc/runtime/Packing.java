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

  /**
   * Packs rows {@code [rowStart, rowStart + rows)} of a row-major {@code [*, cols]} matrix.
   *
   * @return {@code paddedRows(rows, lanes) * cols} floats
   */
  public static float[] pack(float[] matrix, int rowStart, int rows, int cols, int lanes, int maxGroup) {
    if (lanes < 1 || maxGroup < 1 || Integer.bitCount(maxGroup) != 1) {
      throw new IllegalArgumentException("lanes " + lanes + ", group " + maxGroup);
    }
    int panels = (rows + lanes - 1) / lanes;
    float[] packed = new float[Math.multiplyExact(panels * lanes, cols)];
    int panel = 0;
    int out = 0;
    int group = maxGroup;
    while (panel < panels) {
      while (panel + group > panels) {
        group >>= 1;
      }
      for (int c = 0; c < cols; c++) {
        for (int k = 0; k < group; k++) {
          int rowBase = (panel + k) * lanes;
          for (int j = 0; j < lanes; j++) {
            int row = rowBase + j;
            packed[out++] = row < rows ? matrix[(rowStart + row) * cols + c] : 0f;
          }
        }
      }
      panel += group;
    }
    return packed;
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

  /** Elementwise sum of two equally long ranges, padded with zeros (folded biases such as b_ih + b_hh). */
  public static float[] sumPadded(float[] a, int aStart, float[] b, int bStart, int length, int paddedLength) {
    float[] out = new float[paddedLength];
    for (int i = 0; i < length; i++) {
      out[i] = a[aStart + i] + b[bStart + i];
    }
    return out;
  }
}
