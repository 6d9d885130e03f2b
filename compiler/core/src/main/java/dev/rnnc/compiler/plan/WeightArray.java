package dev.rnnc.compiler.plan;

/**
 * One array of the generated {@code Weights} class: which PyTorch parameter it is filled from and how.
 *
 * @param name      the field
 * @param doc       what it holds
 * @param layout    how it is laid out
 * @param parameter the PyTorch parameter it comes from
 * @param second    the second parameter of {@link Layout#FOLDED_BIAS} (b_hh), {@link Layout#CONCAT_PANELS} and
 *                  {@link Layout#UNIT_PANELS} (W_hh); for {@link Layout#UNIT_BIAS} the folded bias array it reorders;
 *                  else {@code null}
 * @param rowStart  first parameter row used (generated expression)
 * @param rows      rows used (generated expression)
 * @param cols      columns (generated expression; for {@link Layout#CONCAT_PANELS} the first matrix's)
 * @param training  whether only trainable classes need it (backward products)
 * @param tiled     whether it keeps the copy the tiles of the blocked product over many rows ({@code rowsProduct})
 *                  read ({@code PackedWeights.TileLayout}); without it the tiles read the group layout
 */
public record WeightArray(String name, String doc, Layout layout, String parameter, String second, String rowStart,
    String rows, String cols, boolean training, boolean tiled) {

  public WeightArray {
    if (tiled && layout != Layout.PANELS && layout != Layout.CONCAT_PANELS) {
      throw new IllegalArgumentException(name + ": only group-packed matrices have tiles, not " + layout);
    }
  }

  /** An array the blocked product does not read. */
  public WeightArray(String name, String doc, Layout layout, String parameter, String second, String rowStart,
      String rows, String cols, boolean training) {
    this(name, doc, layout, parameter, second, rowStart, rows, cols, training, false);
  }

  /**
   * The same array, read by the blocked product over many rows as well: with {@code tileCopies} (the plan's choice,
   * {@code ModelPlan.tileCopies()}) it keeps the copy the product's tiles read.
   */
  public WeightArray readByRowsProduct(boolean tileCopies) {
    return tileCopies ? new WeightArray(name, doc, layout, parameter, second, rowStart, rows, cols, training, true) : this;
  }

  /** Columns of the packed matrix (generated expression): for {@link Layout#CONCAT_PANELS} both matrices'. */
  public String packedCols() {
    return layout == Layout.CONCAT_PANELS ? cols + " + STATE" : cols;
  }

  /** How an array is laid out. */
  public enum Layout {
    /** Panels of one vector of rows, column-major inside a group ({@code Packing.packInto}). */
    PANELS,
    /** The transpose, packed as panels (for W^T · dgates). */
    PANELS_TRANSPOSED,
    /** Row-major as in PyTorch. */
    ROW_MAJOR,
    /** b_ih + b_hh folded per gate row where the cell allows, padded to GX_STRIDE. */
    FOLDED_BIAS,
    /** A slice of rows of a vector, padded to HIDDEN_STRIDE. */
    SLICE,
    /** [parameter | second] side by side, packed as panels. */
    CONCAT_PANELS,
    /**
     * [parameter | second] side by side, its rows unit-blocked ({@code Packing.packUnitsInto}): each block of hidden
     * units' rows of every gate together, one group of panels per block.
     */
    UNIT_PANELS,
    /**
     * The folded bias array named by {@code second}, in the row order of {@link #UNIT_PANELS}: {@code rows} values per
     * unit, the last of them from the array named by {@code parameter} when given (a GRU's b_hn).
     */
    UNIT_BIAS,
    /** Row-major, each of the {@code rows} rows padded to HIDDEN_STRIDE (whole vectors of every row in bounds). */
    PADDED_ROWS
  }

  /**
   * Whether this is a packed matrix the matrix–vector kernels stream: generated as a {@code PackedWeights} (aligned
   * mirror; bfloat16 with {@code weights: bf16}).
   */
  public boolean packed() {
    return switch (layout) {
      case PANELS, PANELS_TRANSPOSED, CONCAT_PANELS, UNIT_PANELS -> true;
      case ROW_MAJOR, FOLDED_BIAS, SLICE, UNIT_BIAS, PADDED_ROWS -> false;
    };
  }
}
