package dev.rnnc.compiler.spec;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * Reads the keys of one YAML mapping (the top level or a section such as {@code head}) with typed
 * accessors. Every problem goes to the shared {@link ErrorList} with the position of the offending key or
 * value; accessors then return an invalid {@link Field} and reading goes on.
 *
 * <p>Numbers and booleans must be written plainly, as YAML types them: {@code hidden: "128"} is a string.
 */
final class MappingReader {
  private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");
  private static final Pattern TRUE = Pattern.compile("true|True|TRUE");
  private static final Pattern FALSE = Pattern.compile("false|False|FALSE");
  private static final Pattern DECIMAL = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");

  private final String section;
  private final Node missingAt;
  private final List<String> validKeys;
  private final ErrorList errors;
  private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
  /** Valid keys that an unknown key was taken for ("did you mean"): not reported again as missing. */
  private final Set<String> suggested = new HashSet<>();

  /**
   * @param section   the section's name, or null at the top level
   * @param mapping   the mapping to read
   * @param missingAt where a missing required key is reported: the document's root, or the section's key
   * @param validKeys keys this mapping may hold
   * @param errors    where problems go
   */
  MappingReader(String section, MappingNode mapping, Node missingAt, List<String> validKeys, ErrorList errors) {
    this.section = section;
    this.missingAt = missingAt;
    this.validKeys = validKeys;
    this.errors = errors;
    Map<String, Node> seen = new HashMap<>();
    for (NodeTuple entry : mapping.getValue()) {
      Node keyNode = entry.getKeyNode();
      if (!(keyNode instanceof ScalarNode scalar) || Describe.isNull(scalar)) {
        errors.at(keyNode, "keys must be names, got " + Describe.node(keyNode));
        continue;
      }
      String key = scalar.getValue();
      Node first = seen.putIfAbsent(key, keyNode);
      if (first != null) {
        errors.at(keyNode, "duplicate key '" + path(key) + "' (first given at line "
            + (first.getStartMark().map(m -> m.getLine() + 1).orElse(1)) + ")");
      } else if (!validKeys.contains(key)) {
        errors.at(keyNode, unknownKey(key));
      } else {
        entries.put(key, entry);
      }
    }
  }

  /** The dotted name of a key of this mapping, as messages show it: {@code hidden}, {@code head.size}. */
  String path(String key) {
    return section == null ? key : section + "." + key;
  }

  boolean has(String key) {
    return entries.containsKey(key);
  }

  /** Whether an unknown key of this mapping was reported with "did you mean '{@code key}'?". */
  boolean suggested(String key) {
    return suggested.contains(key);
  }

  /**
   * Reports {@code key} as missing when it is; {@code hint} is appended to the message. A key that a
   * misspelt key was already reported for ({@code hiden: 64}: "did you mean 'hidden'?") is not reported
   * a second time: that error says what to fix.
   */
  boolean require(String key, String hint) {
    if (has(key)) {
      return true;
    }
    if (!suggested.contains(key)) {
      errors.at(missingAt, "missing required key '" + path(key) + "'" + hint);
    }
    return false;
  }

  /** An integer in [min, max]; {@code whyMax} (may be empty) explains the upper bound. */
  Field<Integer> integer(String key, int min, int max, String whyMax) {
    NodeTuple entry = entries.get(key);
    if (entry == null) {
      return Field.absent();
    }
    Node node = entry.getValueNode();
    BigInteger value = plainMatch(node, INTEGER) ? new BigInteger(((ScalarNode) node).getValue()) : null;
    if (value == null || value.compareTo(BigInteger.valueOf(min)) < 0) {
      String kind = min == 0 ? "a non-negative integer" : min == 1 ? "a positive integer" : "an integer >= " + min;
      return invalid(entry, path(key) + " must be " + kind + ", got " + Describe.node(node));
    }
    if (value.compareTo(BigInteger.valueOf(max)) > 0) {
      return invalid(entry, path(key) + " must be at most " + max + ", got " + Describe.clip(value.toString())
          + whyMax);
    }
    return new Field<>(value.intValue(), entry.getKeyNode(), node);
  }

  /** A number in [0, 1), such as a dropout probability. */
  Field<Double> fraction(String key) {
    NodeTuple entry = entries.get(key);
    if (entry == null) {
      return Field.absent();
    }
    Node node = entry.getValueNode();
    double value = plainMatch(node, DECIMAL) ? Double.parseDouble(((ScalarNode) node).getValue()) : Double.NaN;
    if (!(value >= 0 && value < 1)) {
      return invalid(entry, path(key) + " must be a number in [0, 1), got " + Describe.node(node));
    }
    return new Field<>(value, entry.getKeyNode(), node);
  }

  /** {@code true} or {@code false}. */
  Field<Boolean> bool(String key) {
    NodeTuple entry = entries.get(key);
    if (entry == null) {
      return Field.absent();
    }
    Node node = entry.getValueNode();
    if (plainMatch(node, TRUE)) {
      return new Field<>(true, entry.getKeyNode(), node);
    }
    if (plainMatch(node, FALSE)) {
      return new Field<>(false, entry.getKeyNode(), node);
    }
    return invalid(entry, path(key) + " must be true or false, got " + Describe.node(node));
  }

  /** One of an enum's constants, spelled as {@link SpecSchema#spelling(Enum)} says. */
  <E extends Enum<E>> Field<E> choice(String key, Class<E> type) {
    NodeTuple entry = entries.get(key);
    if (entry == null) {
      return Field.absent();
    }
    Node node = entry.getValueNode();
    if (node instanceof ScalarNode scalar && !Describe.isNull(scalar)) {
      for (E constant : type.getEnumConstants()) {
        if (SpecSchema.spelling(constant).equals(scalar.getValue())) {
          return new Field<>(constant, entry.getKeyNode(), node);
        }
      }
    }
    List<String> options = Stream.of(type.getEnumConstants()).map(SpecSchema::spelling).toList();
    return invalid(entry, path(key) + " must be one of " + String.join(", ", options) + ", got "
        + Describe.node(node) + valueHint(node, options));
  }

  /** Any non-empty scalar, as text; {@code what} says what is expected ("a Java class name"). */
  Field<String> text(String key, String what) {
    NodeTuple entry = entries.get(key);
    if (entry == null) {
      return Field.absent();
    }
    Node node = entry.getValueNode();
    if (node instanceof ScalarNode scalar && !Describe.isNull(scalar)) {
      return new Field<>(scalar.getValue(), entry.getKeyNode(), node);
    }
    return invalid(entry, path(key) + " must be " + what + ", got " + Describe.node(node));
  }

  /** A nested mapping with the keys {@link SpecSchema#SECTION_KEYS} lists for {@code key}. */
  Field<MappingReader> section(String key) {
    NodeTuple entry = entries.get(key);
    if (entry == null) {
      return Field.absent();
    }
    List<String> keys = SpecSchema.SECTION_KEYS.get(key);
    Node node = entry.getValueNode();
    if (node instanceof MappingNode mapping) {
      return new Field<>(new MappingReader(path(key), mapping, entry.getKeyNode(), keys, errors),
          entry.getKeyNode(), node);
    }
    return invalid(entry, path(key) + " must be a mapping with keys " + String.join(", ", keys) + ", got "
        + Describe.node(node));
  }

  /** Reports a problem with a value that was read successfully but breaks a rule involving other keys. */
  void reject(Field<?> field, String message) {
    errors.at(field.node(), message);
  }

  private <T> Field<T> invalid(NodeTuple entry, String message) {
    errors.at(entry.getValueNode(), message);
    return new Field<>(null, entry.getKeyNode(), entry.getValueNode());
  }

  private static boolean plainMatch(Node node, Pattern pattern) {
    return node instanceof ScalarNode scalar && scalar.getScalarStyle() == ScalarStyle.PLAIN
        && pattern.matcher(scalar.getValue()).matches();
  }

  /**
   * "Did you mean" for a misspelt or wrongly capitalised value ({@code cell: GRU}), or "" when no option is
   * close; values are always lower case, which the hint says when case is the only difference.
   */
  private static String valueHint(Node node, List<String> options) {
    if (!(node instanceof ScalarNode scalar) || Describe.isNull(scalar)) {
      return "";
    }
    String value = scalar.getValue();
    String closest = Suggestions.closest(value, options);
    if (closest == null) {
      return "";
    }
    return closest.equalsIgnoreCase(value)
        ? " (did you mean '" + closest + "'? values are lower case)"
        : " (did you mean '" + closest + "'?)";
  }

  private String unknownKey(String key) {
    String where = section == null ? "" : " in " + section;
    String home = SpecSchema.TOP_KEYS.contains(key) ? "" : SpecSchema.sectionOf(key);
    String hint;
    if (home != null && !home.equals(section)) {
      hint = home.isEmpty() ? " (it belongs at the top level)" : " (it belongs in the " + home + " section)";
    } else {
      String closest = Suggestions.closest(key, validKeys);
      hint = closest == null ? "" : " (did you mean '" + closest + "'?)";
      if (closest != null) {
        suggested.add(closest);
      }
    }
    return "unknown key '" + Describe.clip(key) + "'" + where + hint + "; valid keys: " + String.join(", ", validKeys);
  }
}
