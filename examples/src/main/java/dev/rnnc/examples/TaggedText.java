package dev.rnnc.examples;

import java.util.SplittableRandom;

/**
 * Generated strings of words, numbers and punctuation with a tag per character. Most tags follow from the
 * character itself, except '.': inside a number ("3.14") it is part of the NUMBER, elsewhere ("end.") it is
 * PUNCT — deciding needs the characters on both sides, which is what a bidirectional model sees.
 */
final class TaggedText {
  static final String CHARSET = " abcdefghijklmnopqrstuvwxyz0123456789.,;:!?-'()";
  static final int WORD = 0;
  static final int NUMBER = 1;
  static final int PUNCT = 2;
  static final int SPACE = 3;
  static final String TAG_LETTERS = "WNP_";
  static final int MAX_LENGTH = 48;

  /** {@code size} texts padded to {@link #MAX_LENGTH}: character ids, lengths, and a tag per character. */
  record Texts(int size, int[] chars, int[] lengths, int[] tags) {
    String text(int n) {
      StringBuilder s = new StringBuilder();
      for (int t = 0; t < lengths[n]; t++) {
        s.append(CHARSET.charAt(chars[n * MAX_LENGTH + t]));
      }
      return s.toString();
    }

    /** Tags of text {@code n} as letters: W word, N number, P punctuation, _ space. */
    String tagLine(int[] tagArray, int n) {
      StringBuilder s = new StringBuilder();
      for (int t = 0; t < lengths[n]; t++) {
        s.append(TAG_LETTERS.charAt(tagArray[n * MAX_LENGTH + t]));
      }
      return s.toString();
    }
  }

  private TaggedText() {}

  static Texts generate(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] chars = new int[size * MAX_LENGTH];
    int[] lengths = new int[size];
    int[] tags = new int[size * MAX_LENGTH];
    for (int n = 0; n < size; n++) {
      String text = randomText(random, random.nextInt(16, MAX_LENGTH + 1));
      lengths[n] = text.length();
      int[] textTags = tag(text);
      for (int t = 0; t < text.length(); t++) {
        chars[n * MAX_LENGTH + t] = CHARSET.indexOf(text.charAt(t));
        tags[n * MAX_LENGTH + t] = textTags[t];
      }
    }
    return new Texts(size, chars, lengths, tags);
  }

  private static String randomText(SplittableRandom random, int length) {
    StringBuilder s = new StringBuilder();
    while (s.length() < length) {
      double u = random.nextDouble();
      if (u < 0.5) {
        for (int i = random.nextInt(1, 7); i > 0; i--) {
          s.append((char) ('a' + random.nextInt(26)));
        }
      } else {
        digits(random, s);
        if (u < 0.8) { // a decimal number
          s.append('.');
          digits(random, s);
        }
      }
      if (random.nextDouble() < 0.45) {
        s.append(".,;:!?-'()".charAt(random.nextInt(10)));
        if (random.nextDouble() < 0.3) {
          s.append('.'); // "3.14.", "(x)."
        }
      }
      s.append(' ');
    }
    return s.substring(0, length);
  }

  private static void digits(SplittableRandom random, StringBuilder s) {
    for (int i = random.nextInt(1, 4); i > 0; i--) {
      s.append((char) ('0' + random.nextInt(10)));
    }
  }

  /** The rule the model has to learn. */
  static int[] tag(String text) {
    int[] tags = new int[text.length()];
    for (int t = 0; t < text.length(); t++) {
      char c = text.charAt(t);
      if (c == ' ') {
        tags[t] = SPACE;
      } else if (Character.isLetter(c)) {
        tags[t] = WORD;
      } else if (Character.isDigit(c)) {
        tags[t] = NUMBER;
      } else if (c == '.' && t > 0 && t + 1 < text.length()
          && Character.isDigit(text.charAt(t - 1)) && Character.isDigit(text.charAt(t + 1))) {
        tags[t] = NUMBER;
      } else {
        tags[t] = PUNCT;
      }
    }
    return tags;
  }
}
