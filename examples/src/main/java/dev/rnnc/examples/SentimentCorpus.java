package dev.rnnc.examples;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Generated movie-review-like sentences over a 32-word vocabulary. A sentence is positive when its positive
 * words outnumber its negative ones, where "not" flips the sentiment word right after it — so word order
 * matters, and a bag of words is not enough.
 */
final class SentimentCorpus {
  static final List<String> POSITIVE = List.of("good", "great", "love", "excellent", "fun", "wonderful");
  static final List<String> NEGATIVE = List.of("bad", "awful", "hate", "terrible", "dull", "boring");
  static final List<String> NEUTRAL = List.of("the", "movie", "film", "was", "is", "a", "plot", "acting", "story",
      "and", "it", "this", "very", "really", "but", "actors", "music", "ending", "quite");
  static final String NOT = "not";

  /** Word id → word; ids are what the model's embedding reads. */
  static final List<String> VOCABULARY = vocabulary();

  static final int MIN_LENGTH = 4;
  static final int MAX_LENGTH = 16;

  /** A generated corpus: {@code size} sentences padded to {@link #MAX_LENGTH}, label 1 = positive. */
  record Sentences(int size, int[] tokens, int[] lengths, int[] labels) {
    String text(int n) {
      StringBuilder s = new StringBuilder();
      for (int t = 0; t < lengths[n]; t++) {
        s.append(t == 0 ? "" : " ").append(VOCABULARY.get(tokens[n * MAX_LENGTH + t]));
      }
      return s.toString();
    }
  }

  private SentimentCorpus() {}

  private static List<String> vocabulary() {
    List<String> words = new java.util.ArrayList<>();
    words.addAll(POSITIVE);
    words.addAll(NEGATIVE);
    words.addAll(NEUTRAL);
    words.add(NOT);
    return List.copyOf(words);
  }

  static Sentences generate(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] tokens = new int[size * MAX_LENGTH];
    int[] lengths = new int[size];
    int[] labels = new int[size];
    int[] sentence = new int[MAX_LENGTH];
    for (int n = 0; n < size; n++) {
      int length;
      int score;
      do {
        length = random.nextInt(MIN_LENGTH, MAX_LENGTH + 1);
        for (int t = 0; t < length; t++) {
          sentence[t] = randomWord(random);
        }
        score = score(sentence, length);
      } while (score == 0); // ties have no label
      System.arraycopy(sentence, 0, tokens, n * MAX_LENGTH, length);
      lengths[n] = length;
      labels[n] = score > 0 ? 1 : 0;
    }
    return new Sentences(size, tokens, lengths, labels);
  }

  private static int randomWord(SplittableRandom random) {
    double u = random.nextDouble();
    if (u < 0.12) {
      return id(POSITIVE.get(random.nextInt(POSITIVE.size())));
    } else if (u < 0.24) {
      return id(NEGATIVE.get(random.nextInt(NEGATIVE.size())));
    } else if (u < 0.34) {
      return id(NOT);
    }
    return id(NEUTRAL.get(random.nextInt(NEUTRAL.size())));
  }

  /** Positive minus negative words, each flipped when "not" comes right before it. */
  static int score(int[] words, int length) {
    int score = 0;
    for (int t = 0; t < length; t++) {
      String word = VOCABULARY.get(words[t]);
      int value = POSITIVE.contains(word) ? 1 : NEGATIVE.contains(word) ? -1 : 0;
      boolean negated = t > 0 && VOCABULARY.get(words[t - 1]).equals(NOT);
      score += negated ? -value : value;
    }
    return score;
  }

  static int id(String word) {
    return VOCABULARY.indexOf(word);
  }
}
