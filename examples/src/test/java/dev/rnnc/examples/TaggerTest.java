package dev.rnnc.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class TaggerTest {
  private static final int W = TaggedText.WORD;
  private static final int N = TaggedText.NUMBER;
  private static final int P = TaggedText.PUNCT;
  private static final int S = TaggedText.SPACE;

  @Test
  void dotBelongsToANumberOnlyBetweenDigits() {
    assertArrayEquals(new int[] {N, N, N, N, P, S, W, P, S, P, N}, TaggedText.tag("3.14. a. .5"));
  }

  @Test
  void generatedTextsUseOnlyTheCharset() {
    TaggedText.Texts texts = TaggedText.generate(100, 9);
    for (int n = 0; n < texts.size(); n++) {
      assertTrue(texts.lengths()[n] >= 16 && texts.lengths()[n] <= TaggedText.MAX_LENGTH);
      for (int t = 0; t < texts.lengths()[n]; t++) {
        int c = texts.chars()[n * TaggedText.MAX_LENGTH + t];
        assertTrue(c >= 0 && c < TaggedText.CHARSET.length());
      }
    }
  }

  @Test
  void learnsToTagEveryCharacterIncludingDots() {
    Tagger.Report report = Tagger.run(2, 600, 2, new PrintStream(OutputStream.nullOutputStream()));
    assertTrue(report.accuracy() > 0.98, report.toString());
    assertTrue(report.dotAccuracy() > 0.95, "'.' needs both neighbours: " + report);
  }
}
