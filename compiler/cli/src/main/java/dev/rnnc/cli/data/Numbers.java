package dev.rnnc.cli.data;

import java.util.regex.Pattern;

/** Strict parsing of the numbers in text files: decimal notation only, finite, in range. */
final class Numbers {
  private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");

  private Numbers() {}

  /** The float {@code text} spells, or null when it is not a finite decimal number in float range. */
  static Float parseFloat(String text) {
    if (!DECIMAL.matcher(text).matches()) {
      return null;
    }
    float value = Float.parseFloat(text);
    return Float.isFinite(value) ? value : null;
  }

  /** The integer {@code text} spells, or null when it is not a decimal integer in long range. */
  static Long parseLong(String text) {
    if (!INTEGER.matcher(text).matches()) {
      return null;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Shortens a cell quoted in a message. */
  static String quote(String text) {
    return "'" + (text.length() > 40 ? text.substring(0, 37) + "..." : text) + "'";
  }
}
