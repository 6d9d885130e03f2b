package dev.rnnc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {

  @Test
  void parsesObjectsArraysStringsAndIntegersKeepingKeyOrder() throws Exception {
    Object value = Json.parse(" {\"b\": [1, -2, 0, 9223372036854775807], \"a\": {\"s\": \"x\\\"\\\\\\/\\n\\u00e9\\ud834\\udd1e\"},"
        + " \"e\": [], \"o\": {}}\n ");
    Map<?, ?> root = (Map<?, ?>) value;
    assertEquals(List.of("b", "a", "e", "o"), List.copyOf(root.keySet()));
    assertEquals(List.of(1L, -2L, 0L, Long.MAX_VALUE), root.get("b"));
    assertEquals("x\"\\/\n\u00e9\ud834\udd1e", ((Map<?, ?>) root.get("a")).get("s"));
    assertEquals(List.of(), root.get("e"));
    assertEquals(Map.of(), root.get("o"));
  }

  @Test
  void acceptsNestingUpToTheLimit() throws Exception {
    String json = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    Json.parse(json);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "{\"a\":1,\"a\":2}                | duplicate key \"a\"",
      "{\"a\":1} x                      | unexpected 'x' after the end of the JSON value",
      "{\"a\":1}{}                      | after the end of the JSON value",
      "[[[[[[[[[1]]]]]]]]]              | nesting deeper than 8 levels",
      "[9223372036854775808]            | integer out of range",
      "[-99999999999999999999]          | integer out of range",
      "[1.5]                            | only integers are allowed",
      "[1e3]                            | only integers are allowed",
      "[01]                             | leading zero",
      "[-]                              | expected a digit after '-'",
      "[true]                           | expected an object, array, string or integer but found 't'",
      "{\"a\":1,}                       | expected a string key but found '}'",
      "[1,]                             | expected an object, array, string or integer but found ']'",
      "[1 2]                            | expected ',' or ']' but found '2'",
      "{\"a\" 1}                        | expected ':' but found '1'",
      "{\"a\":1                         | expected ',' or '}' but found end of input",
      "\"abc                            | unterminated string",
      "\"\\x\"                          | invalid escape \\'x'",
      "\"\\ud834\"                      | unpaired surrogate escape",
      "\"\\udd1e\"                      | unpaired surrogate escape",
      "\"\\u12\"                        | truncated \\u escape",
      "\"\\u12zz\"                      | invalid \\u escape",
      "``                               | unexpected end of input",
  })
  void rejectsMalformedInput(String json, String expected) {
    Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(json));
    assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage());
  }

  @Test
  void rejectsRawControlCharactersInStrings() {
    Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("\"a\tb\""));
    assertEquals("unescaped control character U+0009 in a string", e.getMessage());
    assertEquals(2, e.offset());
  }

  @Test
  void quoteEscapesWhatTheParserUnescapes() throws Exception {
    String tricky = "q\"b\\s/n\nr\rt\tz\u0001é𝄞";
    assertEquals(tricky, Json.parse(Json.quote(tricky)));
    assertEquals("\"\\u0001\"", Json.quote("\u0001"));
  }
}
