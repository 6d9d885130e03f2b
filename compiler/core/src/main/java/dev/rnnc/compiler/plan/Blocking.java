package dev.rnnc.compiler.plan;

import java.util.List;

/**
 * Fusion and register-blocking choices, made once for a model here and followed by the emitters.
 *
 * @param fusedStep         the streaming step multiplies one packed [W_ih | W_hh] by [x; h] (cells whose every
 *                          gate adds both products unscaled: RNN and LSTM, not GRU)
 * @param fusedRzStep       the GRU streaming step multiplies one packed [W_ih | W_hh] of the r and z rows by [x; h]
 *                          (those rows add both products unscaled) and makes the n rows' two products apart: the
 *                          same chains of fused multiply-adds as the unfused step, one sweep and one store fewer
 * @param quadSweeps        the backward pass's W_hh^T product also runs four sequences per sweep over the recurrent
 *                          weights (cells whose step is one matrix product: not GRU)
 * @param batchedRecurrence the forward recurrence multiplies the h of every sequence still running at a step by
 *                          W_hh in one blocked product ({@link #productTile}), then updates each sequence (cells
 *                          whose step is one matrix product plus an update, and GRU resetting after with two products, W_hh_rz and
 *                          W_hn, into rows of their own; not GRU resetting before, which runs pair sweeps)
 * @param fusedCrossEntropy cross-entropy on a softmax head reuses the forward softmax and its log-sum-exp
 * @param groups            panels per register-blocked matrix–vector group, largest first; the first is the
 *                          packing group
 * @param productTile       the register tile of the blocked products over many rows (input projections of all
 *                          steps, the recurrence over a batch, a stream bank's step)
 * @param unitVectors       vectors of hidden units per block of the unit-blocked streaming step
 *                          ({@link LayerRun#unitStep}): 2, so an LSTM block has 8 accumulators per column (enough to
 *                          keep both FMA units busy through their latency) and a GRU block 6; 3 vectors of GRU units
 *                          (9 accumulators) made a kernel C1 could not compile; 0 for cells without such a step
 */
public record Blocking(boolean fusedStep, boolean fusedRzStep, boolean quadSweeps, boolean batchedRecurrence, boolean fusedCrossEntropy,
    List<Integer> groups, ProductTile productTile, int unitVectors) {
  public Blocking {
    groups = List.copyOf(groups);
  }

  /** The largest group, which the weights are packed for. */
  public int packingGroup() {
    return groups.get(0);
  }

  /**
   * Register tile of {@code y_k = init_k + W·x_k} over a list of rows k: {@code panels} vector registers of output
   * rows (inside one packing group, so their weights are one column-major stream) times a tile of input rows, one
   * accumulator each; per column, {@code panels} weight loads and one broadcast per input row feed
   * {@code panels × rows} fused multiply-adds. Vectors of at least {@code wideLanes} floats mean AVX-512 (or
   * wider), which has 32 vector registers: tiles of {@code wideRows} input rows; narrower vectors (AVX2, NEON) have
   * 16 and take {@code narrowRows}. Fewer rows than a tile run in the {@code tails} (then pairs and single rows
   * through the matrix–vector kernels, whose accumulators cover a whole packing group). Tiles run in chunks of at
   * most {@code chunkRows} rows, and every tile of a chunk passes over a block of about {@code blockBytes} of
   * weights (whole packing groups) before the chunk moves to the next block: the block stays in the L2 cache while
   * the chunk's tiles reuse it, and the chunk's interleaved x rows ({@code chunkRows × cols} floats) stay there too.
   */
  public record ProductTile(int panels, int wideLanes, int wideRows, int narrowRows, List<Integer> tails,
      int chunkRows, int blockBytes) {
    public ProductTile {
      tails = List.copyOf(tails);
    }

    /** Every tile height a kernel is emitted for, largest first. */
    public List<Integer> heights() {
      java.util.TreeSet<Integer> all = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
      all.add(wideRows);
      all.add(narrowRows);
      all.addAll(tails);
      return List.copyOf(all);
    }
  }
}
