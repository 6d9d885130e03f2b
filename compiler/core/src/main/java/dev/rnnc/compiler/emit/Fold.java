package dev.rnnc.compiler.emit;

/**
 * Index expressions folded while they are written, so the generated source reads {@code b * HIDDEN}, not
 * {@code (0 * batch + b) * HIDDEN}, and {@code row * FEATURES}, not {@code row * FEATURES + 0}.
 */
final class Fold {
  private Fold() {}

  /** {@code a + b}, dropping a zero term. */
  static String plus(String a, String b) {
    if (b.equals("0")) {
      return a;
    }
    if (a.equals("0")) {
      return b;
    }
    return a + " + " + b;
  }

  /** {@code k * x}: {@code 0}, {@code x}, or {@code k * x}. */
  static String times(int k, String x) {
    return k == 0 || x.equals("0") ? "0" : k == 1 ? x : k + " * " + x;
  }

  /** Offset of sequence {@code b}'s state of run {@code stateIndex}: {@code (stateIndex * batch + b) * width}. */
  static String state(int stateIndex, String b, String width) {
    return stateIndex == 0 ? b + " * " + width : "(" + times(stateIndex, "batch") + " + " + b + ") * " + width;
  }

  /** Offset of a row's HIDDEN-wide slot of run {@code stateIndex} in a per-run store: {@code (i * maxRows + row) * HIDDEN}. */
  static String store(int stateIndex, String row) {
    return stateIndex == 0 ? row + " * HIDDEN" : "(" + times(stateIndex, "maxRows") + " + " + row + ") * HIDDEN";
  }
}
