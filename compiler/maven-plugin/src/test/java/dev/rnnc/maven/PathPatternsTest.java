package dev.rnnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathPatternsTest {
  @ParameterizedTest
  @CsvSource({
      "**/*.yaml, model.yaml, true",
      "**/*.yaml, a/b/model.yaml, true",
      "**/*.yaml, model.yml, false",
      "**/*.yaml, a/model.yaml.bak, false",
      "*.yaml, a/model.yaml, false",
      "*.yaml, model.yaml, true",
      "drafts/**, drafts/x/y.yaml, true",
      "drafts/, drafts/y.yaml, true",
      "drafts/**, other/drafts.yaml, false",
      "m?del.yaml, model.yaml, true",
      "**/test/*.yml, a/test/x.yml, true",
      "**/test/*.yml, a/test/b/x.yml, false",
      "a.b.yaml, aXb.yaml, false",
  })
  void matchesAntStyle(String pattern, String path, boolean expected) {
    assertEquals(expected, new PathPatterns(List.of(pattern)).matches(path));
  }
}
