package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Compares what generated code computes with what the reference computes, and on failure says exactly
 * where: the array, the first mismatching index (also as coordinates when a shape is given), both values,
 * how many elements disagree, and the case (seed and spec text).
 *
 * <p>The tolerance is the one PyTorch parity is held to: {@code |actual - expected| <= 1e-5 + 1e-4·|expected|}.
 * Generated code runs in float with its own summation order; the reference runs in double, so this bounds
 * float rounding, not a looser notion of "close".
 */
final class Agreement {
  static final double ABS = 1e-5;
  static final double REL = 1e-4;
  /** Gradients pass through twice as many products (forward and backward), hence PyTorch's gradcheck-like bound. */
  static final double GRAD_ABS = 1e-4;
  static final double GRAD_REL = 1e-3;

  private Agreement() {}

  /** Asserts the first {@code count} values agree within the forward tolerance. */
  static void assertClose(String what, float[] expected, float[] actual, int count, Shape shape, String context) {
    assertClose(what, expected, actual, count, shape, context, ABS, REL);
  }

  /** Asserts the first {@code count} values agree within {@code abs + rel·|expected|}; NaN never agrees. */
  static void assertClose(String what, float[] expected, float[] actual, int count, Shape shape, String context,
      double abs, double rel) {
    if (expected == null || actual == null) {
      fail(what + ": expected " + describe(expected) + " but generated code returned " + describe(actual)
          + "\n" + context);
    }
    if (actual.length < count || expected.length < count) {
      fail(what + ": needs " + count + " values, expected array has " + expected.length + ", actual has "
          + actual.length + "\n" + context);
    }
    int first = -1;
    int mismatches = 0;
    double worst = 0;
    for (int i = 0; i < count; i++) {
      double e = expected[i];
      double a = actual[i];
      double error = Math.abs(a - e);
      boolean ok = error <= abs + rel * Math.abs(e); // false for NaN on either side
      if (!ok) {
        mismatches++;
        worst = Double.isNaN(error) ? Double.NaN : Math.max(worst, error);
        if (first < 0) {
          first = i;
        }
      }
    }
    if (first >= 0) {
      fail(String.format("%s: %d of %d values differ (worst error %.3g, allowed %.0e + %.0e·|expected|); first at "
              + "index %d%s: expected %.9g, actual %.9g%n%s", what, mismatches, count, worst, abs, rel, first,
          shape == null ? "" : " " + shape.coordinates(first), expected[first], actual[first], context));
    }
  }

  /** Asserts values {@code [from, to)} are exactly 0 (padded steps, as pad_packed_sequence leaves them). */
  static void assertZero(String what, float[] actual, int from, int to, Shape shape, String context) {
    for (int i = from; i < to; i++) {
      if (actual[i] != 0f) {
        fail(String.format("%s: padded value at index %d%s is %.9g, must be exactly 0%n%s", what, i,
            shape == null ? "" : " " + shape.coordinates(i), actual[i], context));
      }
    }
  }

  /** Asserts an optional result is absent, as the contract says for models without it. */
  static void assertAbsent(String what, Object actual, String context) {
    if (actual != null) {
      fail(what + " must be null for this model\n" + context);
    }
  }

  private static String describe(float[] values) {
    return values == null ? "null" : "an array of " + values.length;
  }

  /** Names of a row-major array's axes and their sizes, to turn a flat index into coordinates. */
  record Shape(String[] axes, int[] sizes) {
    static Shape of(String axes, int... sizes) {
      return new Shape(axes.split(","), sizes);
    }

    String coordinates(int index) {
      int[] at = new int[sizes.length];
      int rest = index;
      for (int d = sizes.length - 1; d >= 0; d--) {
        at[d] = rest % sizes[d];
        rest /= sizes[d];
      }
      StringBuilder text = new StringBuilder("[");
      for (int d = 0; d < sizes.length; d++) {
        text.append(d == 0 ? "" : ", ").append(axes[d].strip()).append('=').append(at[d]);
      }
      return text.append(']').toString();
    }
  }
}
