package dev.rnnc.onnx;

import dev.rnnc.runtime.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * How one input or output of the ONNX graph corresponds to an array of rnnc's model: which array ({@link Role})
 * and how the ONNX tensor's axes map onto it. ONNX recurrent nodes are time-major ({@code [T, B, I]},
 * {@code Y [T, dirs, B, H]}) unless {@code layout = 1}, exporters transpose and reshape around them, and a graph
 * output may hold only some rows of rnnc's {@code h_n}; a binding captures all of that, so a caller can feed
 * ONNX-shaped data to rnnc and compare rnnc's results with ONNX Runtime's element by element.
 *
 * @param onnxName the graph input or output name
 * @param role     the rnnc array it corresponds to
 * @param axes     the ONNX tensor's axes, outermost first, each a list of factors (merged axes have several)
 */
public record Binding(String onnxName, Role role, List<List<Factor>> axes) {

  /** The rnnc arrays a graph input or output can stand for (inputs and results of {@code RnnModel}). */
  public enum Role {
    /** Dense input {@code [B, T, I]}. */
    INPUT("input"),
    /** Token ids {@code [B, T]}. */
    TOKENS("input"),
    /** Valid steps per sequence {@code [B]}. */
    LENGTHS("lengths"),
    /** Initial hidden state {@code [L*D, B, H]}. */
    H0("h0"),
    /** Initial LSTM cell state {@code [L*D, B, H]}. */
    C0("c0"),
    /** Per-step output of the last layer {@code [B, T, D*H]}. */
    OUTPUT("output"),
    /** Final hidden states {@code [L*D, B, H]}. */
    H_N("h_n"),
    /** Final LSTM cell states {@code [L*D, B, H]}. */
    C_N("c_n"),
    /** Head logits {@code [B, T, K]} or {@code [B, K]}. */
    LOGITS("logits"),
    /** Head prediction (activation of the logits), same layout. */
    PREDICTION("prediction");

    private final String tensorName;

    Role(String tensorName) {
      this.tensorName = tensorName;
    }

    /** The tensor name {@code rnnc run} reads or writes for this array. */
    public String tensorName() {
      return tensorName;
    }

    public boolean isInput() {
      return ordinal() <= C0.ordinal();
    }
  }

  public Binding {
    axes = List.copyOf(axes.stream().map(List::copyOf).toList());
  }

  /** The ONNX tensor's shape for a batch of {@code batch} sequences of {@code steps} steps. */
  public long[] onnxShape(int batch, int steps) {
    long[] shape = new long[axes.size()];
    for (int a = 0; a < shape.length; a++) {
      long size = 1;
      for (Factor factor : axes.get(a)) {
        size *= size(factor, batch, steps);
      }
      shape[a] = size;
    }
    return shape;
  }

  /**
   * For each element of the ONNX tensor (row-major, shape {@link #onnxShape}), the flat index of the same
   * element in rnnc's array for {@link #role()}.
   */
  public int[] rnncIndex(ModelConfig config, int batch, int steps) {
    List<Factor> flat = new ArrayList<>();
    axes.forEach(flat::addAll);
    long total = 1;
    long[] sizes = new long[flat.size()];
    for (int k = 0; k < sizes.length; k++) {
      sizes[k] = size(flat.get(k), batch, steps);
      total *= sizes[k];
    }
    int[] map = new int[Math.toIntExact(total)];
    int[] counter = new int[sizes.length];
    for (int element = 0; element < map.length; element++) {
      int b = 0;
      int t = 0;
      int width = 0;
      Factor.Slot slot = new Factor.Slot(0, 0);
      for (int k = 0; k < counter.length; k++) {
        Factor factor = flat.get(k);
        if (factor instanceof Factor.Named named) {
          if (named.equals(Factor.Named.BATCH)) {
            b = counter[k];
          } else {
            t = counter[k];
          }
        } else if (factor instanceof Factor.Stack stack) {
          slot = stack.slots().get(counter[k]);
        } else {
          width = counter[k];
        }
      }
      map[element] = rnncOffset(config, batch, steps, b, t, slot, width);
      for (int k = counter.length - 1; k >= 0; k--) {
        if (++counter[k] < sizes[k]) {
          break;
        }
        counter[k] = 0;
      }
    }
    return map;
  }

  private int rnncOffset(ModelConfig config, int batch, int steps, int b, int t, Factor.Slot slot, int width) {
    int dirs = config.directions();
    return switch (role) {
      case INPUT -> (b * steps + t) * config.inputSize() + width;
      case TOKENS -> b * steps + t;
      case LENGTHS -> b;
      case H0, H_N -> ((slot.layer() * dirs + slot.direction()) * batch + b) * config.stateSize() + width;
      case C0, C_N -> ((slot.layer() * dirs + slot.direction()) * batch + b) * config.hidden() + width;
      case OUTPUT -> ((b * steps + t) * dirs + slot.direction()) * config.stateSize() + width;
      case LOGITS, PREDICTION -> config.mode() == ModelConfig.Mode.MANY_TO_ONE
          ? b * config.headSize() + width : (b * steps + t) * config.headSize() + width;
    };
  }

  private static long size(Factor factor, int batch, int steps) {
    if (factor instanceof Factor.Named named) {
      return named.equals(Factor.Named.BATCH) ? batch : steps;
    }
    return factor.size();
  }

  /** E.g. "[time, batch, input(8)]" or "[batch, time, stack[l1, l1r]·hidden(16)]". */
  public String describeAxes() {
    StringBuilder out = new StringBuilder("[");
    for (int a = 0; a < axes.size(); a++) {
      out.append(a > 0 ? ", " : "");
      List<Factor> axis = axes.get(a);
      if (axis.isEmpty()) {
        out.append('1');
      }
      for (int k = 0; k < axis.size(); k++) {
        out.append(k > 0 ? "·" : "").append(axis.get(k));
      }
    }
    return out.append(']').toString();
  }

  @Override
  public String toString() {
    return onnxName + " " + describeAxes() + " <-> rnnc " + role.tensorName();
  }
}
