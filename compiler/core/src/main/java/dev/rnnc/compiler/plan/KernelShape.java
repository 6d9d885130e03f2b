package dev.rnnc.compiler.plan;

import java.util.List;
import java.util.TreeSet;

/**
 * The shape of a matrix–vector product, {@code rows × cols}: what its specialised kernels are emitted for. Products
 * of one shape share them, so a deep or bidirectional model gets one set of kernels per distinct shape, not per
 * layer.
 *
 * @param rows outputs
 * @param cols inputs: the trip count of every column loop of the shape's kernels
 */
public record KernelShape(int rows, int cols) {
  /**
   * Vector widths, in floats, a generated class may run at: 64-bit vectors up to SVE's 2048 bits. The emitter keeps
   * a panel group in a shape's kernel only when some width among these needs it.
   */
  public static final List<Integer> LANES = List.of(2, 4, 8, 16, 32, 64);

  public KernelShape {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("shape " + rows + " x " + cols);
    }
  }

  /** {@code 512x320}: the suffix of its kernels' names. */
  public String name() {
    return rows + "x" + cols;
  }

  /** The kernel for {@code sweep} inputs per sweep over W: {@code product512x320}, {@code pair...}, {@code quad...}. */
  public String kernel(int sweep) {
    return switch (sweep) {
      case 1 -> "product" + name();
      case 2 -> "pair" + name();
      case 4 -> "quad" + name();
      default -> throw new IllegalArgumentException("a sweep serves 1, 2 or 4 inputs, got " + sweep);
    };
  }

  /**
   * The panel groups a product of {@code rows} rows is packed in at {@code lanes} floats per vector, as
   * {@code dev.rnnc.runtime.Packing} packs them: as many groups of the largest size as fit, then each smaller size
   * (halving) at most once. {@code groups} is the plan's {@link Blocking#groups}, largest first, each half the one
   * before.
   */
  public static List<Integer> groupsAt(int rows, int lanes, List<Integer> groups) {
    requireHalving(groups);
    int panels = (rows + lanes - 1) / lanes;
    int largest = groups.get(0);
    List<Integer> sequence = new java.util.ArrayList<>();
    for (int k = 0; k < panels / largest; k++) {
      sequence.add(largest);
    }
    for (int group : groups.subList(1, groups.size())) {
      if ((panels & group) != 0) {
        sequence.add(group);
      }
    }
    return sequence;
  }

  /** The group sizes some width of {@link #LANES} packs this shape's rows in, largest first. */
  public List<Integer> groups(List<Integer> groups) {
    TreeSet<Integer> used = new TreeSet<>(java.util.Comparator.reverseOrder());
    for (int lanes : LANES) {
      used.addAll(groupsAt(rows, lanes, groups));
    }
    return List.copyOf(used);
  }

  private static void requireHalving(List<Integer> groups) {
    for (int k = 0; k < groups.size(); k++) {
      int expected = groups.get(0) >> k;
      if (groups.get(k) != expected || (k == groups.size() - 1 && expected != 1)) {
        throw new IllegalArgumentException("panel groups must halve down to 1, got " + groups);
      }
    }
  }
}
