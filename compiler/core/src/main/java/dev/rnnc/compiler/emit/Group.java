package dev.rnnc.compiler.emit;

import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How many sequences one sweep over a weight matrix serves: one, a pair or a quad. Kernel and method
 * parameters are named per group ({@code hOff}; {@code hA, hB}; {@code h0 ... h3}), so one emitter writes all three.
 *
 * @param size      sequences per sweep
 * @param matvec    the matrix–vector kernel of this width
 * @param offsets   suffixes of offset parameters ({@code Off}, {@code A}, {@code 0})
 * @param locals    suffixes of per-sequence locals ({@code row}, {@code rowA}, {@code row0})
 * @param sequences names of the sequence-index parameters
 */
record Group(int size, String matvec, List<String> offsets, List<String> locals, List<String> sequences) {
  static final Group ONE = new Group(1, "matvec", List.of("Off"), List.of(""), List.of("b"));
  static final Group PAIR = new Group(2, "matvec2", List.of("A", "B"), List.of("A", "B"), List.of("a", "b"));
  static final Group QUAD = new Group(4, "matvec4", List.of("0", "1", "2", "3"), List.of("0", "1", "2", "3"),
      List.of("b0", "b1", "b2", "b3"));

  /** {@code hA, hB}: the offset parameters of one array. */
  String offsets(String array) {
    return offsets.stream().map(s -> array + s).collect(Collectors.joining(", "));
  }

  /** {@code gA + 3 * HIDDEN, gB + 3 * HIDDEN}: offset parameters shifted by a block. */
  String offsets(String array, String plus) {
    return offsets.stream().map(s -> Fold.plus(array + s, plus)).collect(Collectors.joining(", "));
  }

  /** {@code prefix<local>} per sequence, e.g. {@code rowA * GX_STRIDE} for ("row", " * GX_STRIDE"). */
  String locals(String prefix, String suffix) {
    return locals.stream().map(s -> prefix + s + suffix).collect(Collectors.joining(", "));
  }

  /** The k-th of {@code count} scratch slots of the given stride: {@code 0, STRIDE, 2 * STRIDE}. */
  String slots(String stride) {
    StringBuilder s = new StringBuilder();
    for (int k = 0; k < size; k++) {
      s.append(k == 0 ? "" : ", ").append(Fold.times(k, stride));
    }
    return s.toString();
  }

  /** "two", "four": the group's size in words, for documentation. */
  String words() {
    return switch (size) {
      case 1 -> "one";
      case 2 -> "two";
      default -> "four";
    };
  }

  /** {@code 0, 0}: one zero offset per sequence. */
  String zeros() {
    return String.join(", ", Collections.nCopies(size, "0"));
  }
}
