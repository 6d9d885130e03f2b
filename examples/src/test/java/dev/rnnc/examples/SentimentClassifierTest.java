package dev.rnnc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class SentimentClassifierTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  @Test
  void negationFlipsTheNextSentimentWord() {
    int[] words = {SentimentCorpus.id("not"), SentimentCorpus.id("good"), SentimentCorpus.id("movie")};
    assertEquals(-1, SentimentCorpus.score(words, 3));
    int[] later = {SentimentCorpus.id("not"), SentimentCorpus.id("movie"), SentimentCorpus.id("good")};
    assertEquals(1, SentimentCorpus.score(later, 3), "'not' only flips the word right after it");
  }

  @Test
  void corpusIsSeededAndLabelled() {
    SentimentCorpus.Sentences a = SentimentCorpus.generate(200, 5);
    SentimentCorpus.Sentences b = SentimentCorpus.generate(200, 5);
    assertEquals(a.text(17), b.text(17));
    int positive = 0;
    for (int n = 0; n < a.size(); n++) {
      int[] words = java.util.Arrays.copyOfRange(a.tokens(), n * SentimentCorpus.MAX_LENGTH,
          n * SentimentCorpus.MAX_LENGTH + a.lengths()[n]);
      assertEquals(SentimentCorpus.score(words, words.length) > 0 ? 1 : 0, a.labels()[n]);
      positive += a.labels()[n];
    }
    assertTrue(positive > 60 && positive < 140, "classes roughly balanced: " + positive + " of 200 positive");
  }

  @Test
  void trainsToClassifyUnseenSentences() {
    SentimentClassifier.Report report = SentimentClassifier.run(3, 1500, 3, QUIET);
    assertTrue(report.finalLoss() < report.firstLoss() / 4, report.toString());
    assertTrue(report.testAccuracy() > 0.9, report.toString());
    assertTrue(report.negationAccuracy() > 0.85, "negated sentences need word order: " + report);
  }
}
