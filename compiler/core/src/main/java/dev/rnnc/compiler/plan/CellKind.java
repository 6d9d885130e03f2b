package dev.rnnc.compiler.plan;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.GruReset;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;

/**
 * The recurrent cell a layer run computes, one constant per formulation the emitters implement (one cell
 * emitter each, mirroring the reference's per-cell classes). LSTM variants (projection, peepholes) are flags of
 * the run, not kinds: they change the state width and add terms, not the gate structure.
 */
public enum CellKind {
  RNN_TANH(1, "RNN (tanh)"),
  RNN_RELU(1, "RNN (relu)"),
  GRU_RESET_AFTER(3, "GRU (reset after)"),
  GRU_RESET_BEFORE(3, "GRU (reset before)"),
  LSTM(4, "LSTM");

  private final int gates;
  private final String title;

  CellKind(int gates, String title) {
    this.gates = gates;
    this.title = title;
  }

  /** The kind a configuration describes. */
  public static CellKind of(ModelConfig config) {
    return switch (config.cell()) {
      case RNN -> config.nonlinearity() == Nonlinearity.RELU ? RNN_RELU : RNN_TANH;
      case GRU -> config.gruReset() == GruReset.BEFORE ? GRU_RESET_BEFORE : GRU_RESET_AFTER;
      case LSTM -> LSTM;
    };
  }

  /** Gate blocks of H rows in weight_ih / weight_hh. */
  public int gates() {
    return gates;
  }

  /** For documentation: "GRU (reset after)". */
  public String title() {
    return title;
  }

  public boolean isGru() {
    return this == GRU_RESET_AFTER || this == GRU_RESET_BEFORE;
  }

  /** Whether the cell carries a cell state c beside h. */
  public boolean hasCellState() {
    return this == LSTM;
  }

  /**
   * Blocks of H in one step's gate workspace: the gates, plus for GRU one block that keeps the recurrent part
   * of the candidate (W_hn·h + b_hn, or its reset-before counterpart) which the backward pass needs.
   */
  public int workspaceBlocks() {
    return isGru() ? 4 : gates;
  }

  /** The runtime's cell enum (for the generated CONFIG). */
  public Cell cell() {
    return switch (this) {
      case RNN_TANH, RNN_RELU -> Cell.RNN;
      case GRU_RESET_AFTER, GRU_RESET_BEFORE -> Cell.GRU;
      case LSTM -> Cell.LSTM;
    };
  }
}
