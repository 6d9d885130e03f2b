package dev.rnnc.compiler.plan;

import dev.rnnc.runtime.Packing;
import java.util.function.IntUnaryOperator;

/**
 * A per-row width of a workspace as the generated class spells it ({@code GX_STRIDE}, {@code FEATURES}) and as
 * a number for a given vector width, so that the generated constructor, {@code rnnc info} and the size checks
 * compute one and the same size.
 *
 * @param code        the generated Java expression
 * @param description what it is, for error messages
 * @param atLanes     its value for a vector of that many floats (1 on the scalar path)
 */
public record Width(String code, String description, IntUnaryOperator atLanes) {
  /** A size that does not depend on the vector width. */
  public static Width of(String code, String description, int value) {
    return new Width(code, description, lanes -> value);
  }

  /** {@code rows} rounded up to whole vectors, plus one vector of slack (kernels write whole panels). */
  public static Width padded(String code, String description, int rows) {
    return new Width(code, description, lanes -> Packing.paddedRows(rows, lanes) + lanes);
  }

  /** One vector of floats. */
  public static Width lanes() {
    return new Width("LANES", "one vector", lanes -> lanes);
  }

  public Width plus(Width other) {
    return new Width(code + " + " + other.code, description + " + " + other.description,
        lanes -> atLanes.applyAsInt(lanes) + other.atLanes.applyAsInt(lanes));
  }

  /** {@code count} of these side by side. */
  public Width times(int count) {
    String factor = code.contains(" + ") ? "(" + code + ")" : code;
    return count == 1 ? this : new Width(count + " * " + factor, count + " × " + description,
        lanes -> count * atLanes.applyAsInt(lanes));
  }

  public Width max(Width other) {
    return new Width("Math.max(" + code + ", " + other.code + ")", "the larger of " + description + " and "
        + other.description, lanes -> Math.max(atLanes.applyAsInt(lanes), other.atLanes.applyAsInt(lanes)));
  }

  public int at(int lanes) {
    return atLanes.applyAsInt(lanes);
  }
}
