package dev.rnnc.cli;

import java.util.Locale;
import java.util.Map;

/** One flat JSON object on one line, for machine-read output ({@code bench --json}). */
final class JsonLine {
  private JsonLine() {}

  /** Strings, booleans and numbers; non-finite numbers become {@code null}, as JSON has no NaN. */
  static String of(Map<String, ?> fields) {
    StringBuilder out = new StringBuilder("{");
    for (Map.Entry<String, ?> field : fields.entrySet()) {
      if (out.length() > 1) {
        out.append(", ");
      }
      string(out, field.getKey());
      out.append(": ");
      Object value = field.getValue();
      if (value == null) {
        out.append("null");
      } else if (value instanceof Double || value instanceof Float) {
        double d = ((Number) value).doubleValue();
        out.append(Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null");
      } else if (value instanceof Number || value instanceof Boolean) {
        out.append(value);
      } else {
        string(out, value.toString());
      }
    }
    return out.append('}').toString();
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
