package dev.rnnc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class DigitReverserTest {
  @Test
  void stringsAreEncodedAsTheModelReadsThem() {
    DigitReverser.Strings strings = new DigitReverser.Strings();
    strings.set(1, "407");
    int width = DigitReverser.MAX_DIGITS;
    assertEquals(4, strings.source[width]);
    assertEquals(7, strings.source[width + 2]);
    assertEquals(3, strings.sourceLengths[1]);
    int targetWidth = width + 1;
    int digit = DigitReverser.FIRST_DIGIT;
    assertEquals(digit + 7, strings.target[targetWidth]);
    assertEquals(digit + 4, strings.target[targetWidth + 2]);
    assertEquals(DigitReverser.END, strings.target[targetWidth + 3]);
    assertEquals(4, strings.targetLengths[1]);
  }

  /** Trained from scratch by the generated gradients: 99 % of held-out strings come back exactly reversed. */
  @Test
  void learnsToReverseHeldOutDigitStringsWithGreedyAndBeamDecoding() {
    DigitReverser.Report report = DigitReverser.run(1, STEPS, new PrintStream(OutputStream.nullOutputStream()));
    assertTrue(report.finalLoss() < report.firstLoss() / 10, report.toString());
    assertTrue(report.greedyExact() >= 0.99, "greedy: " + report);
    assertTrue(report.beamExact() >= 0.99, "beam: " + report);
  }

  private static final int STEPS = 6000;
}
