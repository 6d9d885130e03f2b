package dev.rnnc.compiler.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rnnc.compiler.spec.SpecException;
import dev.rnnc.compiler.spec.SpecParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What fuzzing the spec parser found, kept as plain tests with their expected messages (the inputs themselves
 * are also in {@link SpecParserFuzzTest}'s corpus, as {@code regression-*}).
 */
class FuzzFindingsTest {
  /**
   * Deeply nested collections overflowed the stack in SnakeYAML's recursive composer (10,000 levels of
   * {@code {a: } with an 8 MB stack): now refused at the first level past 64, with its position.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "[|]|1:71",
      "{a:|}|1:197",
      "- ||1:129"})
  void deepNestingIsRefusedWithAPosition(String open, String close, String position) {
    String text = open.startsWith("-") ? (open + " ").repeat(20_000) + "x"
        : "model: " + open.repeat(20_000) + (open.startsWith("{") ? "1" : "") + close.repeat(20_000);
    SpecException e = assertThrows(SpecException.class, () -> SpecParser.parse("deep.yaml", text));
    assertEquals("deep.yaml:" + position + ": collections nest more than 64 levels deep here; a spec needs three",
        e.getMessage());
  }

  /**
   * A tag that decodes to trailing white space ({@code !%20}, or {@code !%c} at the very end, read as {@code !\f})
   * made SnakeYAML's composer throw an unpositioned {@code IllegalArgumentException}: now a spec error at the tag.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "'!%c'|1:1|'!\\u000C'",
      "'model: !%20 x'|1:8|'! '"})
  void tagsEndingInWhiteSpaceAreSpecErrors(String text, String position, String shown) {
    SpecException e = assertThrows(SpecException.class, () -> SpecParser.parse("tag.yaml", text));
    assertEquals("tag.yaml:" + position + ": invalid YAML tag '" + shown + "': a tag must not be empty or begin or end"
        + " with spaces (a spec needs no tags)", e.getMessage());
  }
}
