package dev.rnnc.onnx;

import java.util.List;

/**
 * One factor of a tensor axis as the graph analysis sees it. An axis is a list of factors, outermost first: a
 * plain axis has one, an axis that a Reshape merged has several (a bidirectional output's feature axis is
 * {@code [Stack(fwd, bwd), Width(hidden)]}, i.e. forward then backward, as rnnc and PyTorch lay it out).
 */
public sealed interface Factor {
  /** Known size, or -1 when symbolic (a batch or time dimension whose size only the caller knows). */
  long size();

  /** Axis {@code axis} of graph input {@code input}; its meaning is learnt from where the input is used. */
  record Free(String input, int axis, long size) implements Factor {
    @Override
    public String toString() {
      return input + "[" + axis + "]";
    }
  }

  /** Rows {@code [start, end)} of axis {@code whole} of a graph input (a per-layer Slice of a stacked h0). */
  record Rows(Free whole, int start, int end) implements Factor {
    @Override
    public long size() {
      return end - start;
    }

    @Override
    public String toString() {
      return whole + "[" + start + ":" + end + "]";
    }
  }

  /** The batch or time dimension, once known. */
  record Named(String role) implements Factor {
    static final Named BATCH = new Named("batch");
    static final Named TIME = new Named("time");

    @Override
    public long size() {
      return -1;
    }

    @Override
    public String toString() {
      return role;
    }
  }

  /** A run of (layer, direction) slots: the direction axis of Y, the layers×directions axis of Y_h. */
  record Stack(List<Slot> slots) implements Factor {
    @Override
    public long size() {
      return slots.size();
    }

    @Override
    public String toString() {
      return "stack" + slots;
    }
  }

  /** A feature dimension of known width: "hidden", "input", "embedding", "head". */
  record Width(String role, int width) implements Factor {
    @Override
    public long size() {
      return width;
    }

    @Override
    public String toString() {
      return role + "(" + width + ")";
    }
  }

  /** One layer and direction (0 forward, 1 backward). */
  record Slot(int layer, int direction) {
    @Override
    public String toString() {
      return "l" + layer + (direction == 0 ? "" : "r");
    }
  }
}
