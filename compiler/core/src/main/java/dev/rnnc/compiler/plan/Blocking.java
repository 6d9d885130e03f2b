package dev.rnnc.compiler.plan;

import java.util.List;

/**
 * Fusion and register-blocking choices, made once for a model here and followed by the emitters.
 *
 * @param fusedStep         the streaming step multiplies one packed [W_ih | W_hh] by [x; h] (cells whose every
 *                          gate adds both products unscaled: RNN and LSTM, not GRU)
 * @param quadSweeps        the recurrence (and its backward W_hh^T product) also runs four sequences per sweep over
 *                          the recurrent weights (cells whose step is one matrix product: not GRU)
 * @param fusedCrossEntropy cross-entropy on a softmax head reuses the forward softmax and its log-sum-exp
 * @param groups            panels per register-blocked matrix–vector group, largest first; the first is the
 *                          packing group
 */
public record Blocking(boolean fusedStep, boolean quadSweeps, boolean fusedCrossEntropy, List<Integer> groups) {
  public Blocking {
    groups = List.copyOf(groups);
  }

  /** The largest group, which the weights are packed for. */
  public int packingGroup() {
    return groups.get(0);
  }
}
