package dev.rnnc.runtime.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser for the subset a safetensors header uses: objects, arrays, strings and integers.
 * It exists so the runtime needs no dependency, and it is strict because the header decides how much memory
 * is allocated and where data is read: duplicate keys, trailing content, deep nesting, fractions, literals and
 * integers outside {@code long} are all errors rather than guesses.
 *
 * <p>Values come back as {@code LinkedHashMap<String, Object>} (key order kept), {@code List<Object>},
 * {@code String} and {@code Long}.
 */
final class Json {
  /** Deepest nesting accepted; a safetensors header needs 3 (header, tensor entry, shape). */
  static final int MAX_DEPTH = 8;

  /** A syntax error, with the character offset where it was found. */
  static final class ParseException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int offset;

    ParseException(String message, int offset) {
      super(message);
      this.offset = offset;
    }

    int offset() {
      return offset;
    }
  }

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one complete JSON value; only whitespace may follow it. */
  static Object parse(String text) throws ParseException {
    Json parser = new Json(text);
    parser.skipWhitespace();
    Object value = parser.value(1);
    parser.skipWhitespace();
    if (parser.pos != text.length()) {
      throw parser.error("unexpected " + parser.describeCurrent() + " after the end of the JSON value");
    }
    return value;
  }

  private Object value(int depth) throws ParseException {
    if (pos >= text.length()) {
      throw error("unexpected end of input, expected a value");
    }
    char c = text.charAt(pos);
    if (c == '{') {
      return object(depth);
    }
    if (c == '[') {
      return array(depth);
    }
    if (c == '"') {
      return string();
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return integer();
    }
    throw error("expected an object, array, string or integer but found " + describeCurrent());
  }

  private Map<String, Object> object(int depth) throws ParseException {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> members = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return members;
    }
    while (true) {
      if (peek() != '"') {
        throw error("expected a string key but found " + describeCurrent());
      }
      int keyStart = pos;
      String key = string();
      if (members.containsKey(key)) {
        throw new ParseException("duplicate key \"" + key + "\"", keyStart);
      }
      skipWhitespace();
      expect(':');
      skipWhitespace();
      members.put(key, value(depth + 1));
      skipWhitespace();
      char next = peek();
      pos++;
      if (next == '}') {
        return members;
      }
      if (next != ',') {
        pos--;
        throw error("expected ',' or '}' but found " + describeCurrent());
      }
      skipWhitespace();
    }
  }

  private List<Object> array(int depth) throws ParseException {
    checkDepth(depth);
    pos++; // '['
    List<Object> elements = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return elements;
    }
    while (true) {
      elements.add(value(depth + 1));
      skipWhitespace();
      char next = peek();
      pos++;
      if (next == ']') {
        return elements;
      }
      if (next != ',') {
        pos--;
        throw error("expected ',' or ']' but found " + describeCurrent());
      }
      skipWhitespace();
    }
  }

  private void checkDepth(int depth) throws ParseException {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH + " levels");
    }
  }

  private String string() throws ParseException {
    int start = pos;
    pos++; // opening quote
    StringBuilder out = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new ParseException("unterminated string", start);
      }
      char c = text.charAt(pos);
      if (c == '"') {
        pos++;
        return out.toString();
      }
      if (c == '\\') {
        escape(out);
      } else if (c < 0x20) {
        throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string");
      } else {
        out.append(c);
        pos++;
      }
    }
  }

  private void escape(StringBuilder out) throws ParseException {
    int start = pos;
    pos++; // backslash
    if (pos >= text.length()) {
      throw new ParseException("unterminated string", start);
    }
    char c = text.charAt(pos++);
    switch (c) {
      case '"': out.append('"'); break;
      case '\\': out.append('\\'); break;
      case '/': out.append('/'); break;
      case 'b': out.append('\b'); break;
      case 'f': out.append('\f'); break;
      case 'n': out.append('\n'); break;
      case 'r': out.append('\r'); break;
      case 't': out.append('\t'); break;
      case 'u': {
        char unit = hex4(start);
        if (Character.isHighSurrogate(unit)) {
          // A surrogate pair must arrive as two escapes; a lone half is not a character.
          if (!text.startsWith("\\u", pos)) {
            throw new ParseException("unpaired surrogate escape", start);
          }
          int lowStart = pos;
          pos += 2;
          char low = hex4(lowStart);
          if (!Character.isLowSurrogate(low)) {
            throw new ParseException("unpaired surrogate escape", start);
          }
          out.append(unit).append(low);
        } else if (Character.isLowSurrogate(unit)) {
          throw new ParseException("unpaired surrogate escape", start);
        } else {
          out.append(unit);
        }
        break;
      }
      default:
        throw new ParseException("invalid escape \\" + describe(c), start);
    }
  }

  private char hex4(int escapeStart) throws ParseException {
    if (pos + 4 > text.length()) {
      throw new ParseException("truncated \\u escape", escapeStart);
    }
    int value = 0;
    for (int i = 0; i < 4; i++) {
      int digit = Character.digit(text.charAt(pos + i), 16);
      if (digit < 0) {
        throw new ParseException("invalid \\u escape", escapeStart);
      }
      value = value * 16 + digit;
    }
    pos += 4;
    return (char) value;
  }

  private Long integer() throws ParseException {
    int start = pos;
    boolean negative = false;
    if (text.charAt(pos) == '-') {
      negative = true;
      pos++;
    }
    if (pos >= text.length() || !isDigit(text.charAt(pos))) {
      throw error("expected a digit after '-'");
    }
    if (text.charAt(pos) == '0' && pos + 1 < text.length() && isDigit(text.charAt(pos + 1))) {
      throw new ParseException("number with a leading zero", start);
    }
    long magnitude = 0;
    while (pos < text.length() && isDigit(text.charAt(pos))) {
      int digit = text.charAt(pos) - '0';
      if (magnitude > (Long.MAX_VALUE - digit) / 10) {
        throw new ParseException("integer out of range (beyond " + Long.MAX_VALUE + ")", start);
      }
      magnitude = magnitude * 10 + digit;
      pos++;
    }
    if (pos < text.length() && (text.charAt(pos) == '.' || text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
      throw new ParseException("only integers are allowed here, not fractions or exponents", start);
    }
    return negative ? -magnitude : magnitude;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private void expect(char wanted) throws ParseException {
    if (peek() != wanted) {
      throw error("expected '" + wanted + "' but found " + describeCurrent());
    }
    pos++;
  }

  /** The current character, or U+0000 at the end (never valid where a structural character is expected). */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private String describeCurrent() {
    return pos >= text.length() ? "end of input" : describe(text.charAt(pos));
  }

  private static String describe(char c) {
    return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }

  private ParseException error(String message) {
    return new ParseException(message, pos);
  }

  /** The JSON string literal for {@code s}, escaping quotes, backslashes and control characters. */
  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    return out.append('"').toString();
  }
}
