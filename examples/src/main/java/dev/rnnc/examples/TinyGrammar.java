package dev.rnnc.examples;

import java.util.List;
import java.util.SplittableRandom;

/** Generated English-like text from a small grammar: "the small cat sees a red ball." and so on. */
final class TinyGrammar {
  static final String ALPHABET = " .abcdefghijklmnopqrstuvwxyz";
  private static final List<String> DETERMINERS = List.of("the", "a", "my", "every");
  private static final List<String> ADJECTIVES = List.of("small", "red", "happy", "old", "quick", "quiet");
  private static final List<String> NOUNS = List.of("cat", "dog", "bird", "ball", "tree", "house", "child");
  private static final List<String> VERBS = List.of("sees", "likes", "finds", "chases", "hears");

  private TinyGrammar() {}

  /** About {@code length} characters of sentences, cut at exactly {@code length}. */
  static String text(int length, SplittableRandom random) {
    StringBuilder s = new StringBuilder();
    while (s.length() < length) {
      nounPhrase(s, random);
      s.append(' ').append(pick(VERBS, random)).append(' ');
      nounPhrase(s, random);
      s.append(". ");
    }
    return s.substring(0, length);
  }

  private static void nounPhrase(StringBuilder s, SplittableRandom random) {
    s.append(pick(DETERMINERS, random)).append(' ');
    if (random.nextDouble() < 0.5) {
      s.append(pick(ADJECTIVES, random)).append(' ');
    }
    s.append(pick(NOUNS, random));
  }

  private static String pick(List<String> words, SplittableRandom random) {
    return words.get(random.nextInt(words.size()));
  }

  static int id(char c) {
    int id = ALPHABET.indexOf(c);
    if (id < 0) {
      throw new IllegalArgumentException("not in the alphabet: '" + c + "'");
    }
    return id;
  }

  static char character(int id) {
    return id < ALPHABET.length() ? ALPHABET.charAt(id) : '?';
  }
}
