package dev.rnnc.compiler.spec;

import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/** How error messages show what the user wrote. */
final class Describe {
  private Describe() {}

  /** Longest excerpt of a user value quoted in a message. */
  private static final int MAX_SHOWN = 40;

  /**
   * What a node holds, for "got ..." in messages: {@code 'abc'} for a plain scalar, {@code "128" (a quoted
   * string)} for a quoted one (YAML makes it a string, not a number), "nothing" for an empty value, and
   * "a mapping" or "a list" for collections.
   */
  static String node(Node node) {
    if (node instanceof ScalarNode scalar) {
      if (isNull(scalar)) {
        return "nothing";
      }
      if (scalar.getScalarStyle() == ScalarStyle.PLAIN) {
        return "'" + clip(scalar.getValue()) + "'";
      }
      return "\"" + clip(scalar.getValue()) + "\" (a quoted string)";
    }
    return node instanceof MappingNode ? "a mapping" : "a list";
  }

  /** Whether a scalar is YAML's null: empty, {@code ~} or {@code null} written plainly. */
  static boolean isNull(ScalarNode scalar) {
    if (scalar.getScalarStyle() != ScalarStyle.PLAIN) {
      return false;
    }
    String value = scalar.getValue();
    return value.isEmpty() || value.equals("~") || value.equals("null") || value.equals("Null")
        || value.equals("NULL");
  }

  /** {@code text}, shortened with an ellipsis and with line breaks and tabs escaped so a message stays one line. */
  static String clip(String text) {
    String oneLine = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t");
    return oneLine.length() <= MAX_SHOWN ? oneLine : oneLine.substring(0, MAX_SHOWN) + "...";
  }
}
