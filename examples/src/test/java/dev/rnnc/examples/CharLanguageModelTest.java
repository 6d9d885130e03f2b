package dev.rnnc.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CharLanguageModelTest {
  @Test
  void grammarTextUsesTheAlphabetOnly() {
    String text = TinyGrammar.text(500, new SplittableRandom(3));
    assertTrue(text.length() == 500 && text.chars().allMatch(c -> TinyGrammar.ALPHABET.indexOf(c) >= 0), text);
  }

  @Test
  void learnsTheGrammarAndWritesWordsOfIt() {
    CharLanguageModel.Report report =
        CharLanguageModel.run(2, 640, 4, new PrintStream(OutputStream.nullOutputStream()));
    assertTrue(report.bitsBefore() > 4, report.toString());
    assertTrue(report.bitsAfter() < 1.2, "far below uniform (4.8 bits): " + report);
    String[] words = report.sample().replace('.', ' ').trim().split(" +");
    long known = java.util.Arrays.stream(words)
        .filter(w -> TinyGrammar.text(20_000, new SplittableRandom(1)).contains(" " + w + " ")).count();
    assertTrue(known >= words.length * 0.7, "most sampled words come from the grammar: " + report.sample());
  }
}
