package dev.rnnc.compiler.spec;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean" for misspelled keys: the closest valid key by edit distance, if it is close enough. */
final class Suggestions {
  private Suggestions() {}

  /**
   * The candidate closest to {@code typo}, or null when none is plausibly what was meant. Up to one edit
   * is accepted for short words and two for longer ones, so {@code hiden} suggests {@code hidden} but
   * {@code size} does not suggest {@code dim}. Case is ignored ({@code Hidden} suggests {@code hidden}).
   */
  static String closest(String typo, Collection<String> candidates) {
    String word = typo.toLowerCase(Locale.ROOT);
    int allowed = Math.min(2, Math.max(1, word.length() / 3));
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      int distance = distance(word, candidate);
      if (distance <= allowed && distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best;
  }

  /**
   * Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two adjacent
   * characters each cost 1 (a swap is the commonest typo, {@code modle}).
   */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
