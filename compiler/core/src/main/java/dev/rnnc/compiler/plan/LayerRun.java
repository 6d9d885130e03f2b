package dev.rnnc.compiler.plan;

import dev.rnnc.runtime.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One recurrent layer in one direction: the cell it computes, its sizes, where its state lives, and the
 * generated names of its methods and weights.
 *
 * @param module     PyTorch module prefix of its parameters ({@code rnn}, later {@code encoder.rnn})
 * @param layer      layer index
 * @param direction  0 forwards, 1 backwards in time
 * @param cell       the cell formulation
 * @param inputSize  width of what the layer reads per step
 * @param hidden     hidden size H (gate blocks, the LSTM cell state)
 * @param stateSize  width of h: the projection size P of a projected LSTM, else H
 * @param peepholes  LSTM peephole connections
 * @param stateIndex index into {@code h_n}: {@code layer * directions + direction}
 * @param projectsAhead whether the whole-sequence pass may project every valid step's inputs before the recurrence
 *                   ({@link ModelPlan#PROJECT_AHEAD_BYTES})
 * @param unitStep   whether the streaming step (with vector kernels) sweeps [W_ih | W_hh] packed unit-blocked
 *                   ({@link ModelPlan#UNIT_STEP_BYTES}), each block of hidden units updated from its registers
 * @param names      the generated name of every {@link Member}
 */
public record LayerRun(String module, int layer, int direction, CellKind cell, int inputSize, int hidden, int stateSize,
    boolean peepholes, int stateIndex, boolean projectsAhead, boolean unitStep, Map<Member, String> names) implements Node {

  public LayerRun {
    names = Map.copyOf(names);
  }

  /** Suffix of its Java names: {@code L0}, {@code L1Reverse}. */
  public String suffix() {
    return suffix(layer, direction);
  }

  static String suffix(int layer, int direction) {
    return "L" + layer + (direction == 0 ? "" : "Reverse");
  }

  public boolean reverse() {
    return direction == 1;
  }

  /** Whether h is projected to fewer values than the cell state (LSTM proj_size). */
  public boolean projection() {
    return stateSize != hidden;
  }

  /**
   * Its PyTorch parameters, by kind ({@code weight_ih}, ...), in {@code state_dict} order, each with the member
   * that holds its gradient.
   */
  public Map<String, Member> parameters() {
    Map<String, Member> parameters = new LinkedHashMap<>();
    parameters.put("weight_ih", Member.GRAD_WIH);
    parameters.put("weight_hh", Member.GRAD_WHH);
    parameters.put("bias_ih", Member.GRAD_BIH);
    parameters.put("bias_hh", Member.GRAD_BHH);
    if (peepholes) {
      parameters.put("weight_ph", Member.GRAD_WPH);
    }
    if (projection()) {
      parameters.put("weight_hr", Member.GRAD_WHR);
    }
    return parameters;
  }

  /** The generated name of one of its members. */
  public String name(Member member) {
    return names.get(member);
  }

  /** The PyTorch name of one of its parameters, e.g. {@code kind = "weight_ih"} → {@code rnn.weight_ih_l0}. */
  public String parameter(String kind) {
    return ModelConfig.recurrentParameter(module, kind, layer, direction);
  }

  /** "layer 1 (reverse)", for documentation. */
  public String where() {
    return "layer " + layer + (reverse() ? " (reverse)" : "");
  }

  /** The generated constant naming its input width: {@code INPUT_SIZE} for layer 0, {@code FEATURES} above. */
  public String inputWidth() {
    return layer == 0 ? "INPUT_SIZE" : "FEATURES";
  }
}
