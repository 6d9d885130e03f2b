package dev.rnnc.onnx;

import java.util.ArrayList;
import java.util.List;

/** What the graph analysis knows about one tensor of the graph: an abstract value. */
sealed interface Value {

  /** A value the analysis gave up on; the reason was reported at the node that produced it. */
  record Unknown() implements Value {}

  /** A constant tensor of floats (weights, biases). */
  record Constant(OnnxTensor tensor) implements Value {}

  /**
   * A small integer tensor of rank 0 or 1 whose elements are numbers ({@code Long}) or symbolic dimensions
   * ({@link Factor}): shapes, indices, axes — what Shape arithmetic computes.
   */
  record Ints(boolean scalar, List<Object> elements) implements Value {
    public Ints {
      elements = java.util.Collections.unmodifiableList(new ArrayList<>(elements));
    }

    boolean allKnown() {
      return elements.stream().allMatch(e -> e instanceof Long);
    }

    long[] longs() {
      long[] out = new long[elements.size()];
      for (int k = 0; k < out.length; k++) {
        out[k] = (Long) elements.get(k);
      }
      return out;
    }
  }

  /** An all-zero tensor (an initial state made by ConstantOfShape, sliced or reshaped): the same as none. */
  record Zeros() implements Value {}

  /** What a data tensor is: the flow from the graph inputs through the recurrent stack to the head. */
  enum Kind {
    /** A graph input whose role is learnt where it is used. */
    GRAPH_INPUT,
    /** The input after an embedding lookup. */
    EMBEDDED,
    /** Per-step output Y of a recurrent layer. */
    Y,
    /** Final hidden states Y_h. */
    H,
    /** Final LSTM cell states Y_c. */
    C,
    /** Head logits before the bias is added (MatMul alone). */
    LOGITS_NO_BIAS,
    /** Head logits. */
    LOGITS,
    /** Head activation of the logits. */
    PREDICTION
  }

  /**
   * A data tensor: its kind and its axes, each a list of factors.
   *
   * @param input the graph input name, for {@link Kind#GRAPH_INPUT}
   */
  record Data(Kind kind, String input, List<List<Factor>> axes) implements Value {
    public Data {
      List<List<Factor>> copy = new ArrayList<>();
      for (List<Factor> axis : axes) {
        copy.add(List.copyOf(axis));
      }
      axes = List.copyOf(copy);
    }

    Data withAxes(List<List<Factor>> newAxes) {
      return new Data(kind, input, newAxes);
    }

    Data withKind(Kind newKind) {
      return new Data(newKind, input, axes);
    }

    int rank() {
      return axes.size();
    }
  }
}
