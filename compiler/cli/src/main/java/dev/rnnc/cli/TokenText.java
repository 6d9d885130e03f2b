package dev.rnnc.cli;

import dev.rnnc.cli.data.Vocabulary;
import dev.rnnc.runtime.RnncException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Text ↔ token ids for {@code rnnc sample} and {@code rnnc translate}, through a vocabulary file in the format
 * {@code rnnc data text} writes ({@link Vocabulary}: one token per line, line k = id k, with escapes). Tokens are
 * characters (Unicode code points) or, with {@code words}, runs of non-whitespace; a line without a vocabulary is
 * token ids separated by spaces.
 */
final class TokenText {
  private final Vocabulary vocabulary;
  private final Path file;
  private final boolean words;

  private TokenText(Vocabulary vocabulary, Path file, boolean words) {
    this.vocabulary = vocabulary;
    this.file = file;
    this.words = words;
  }

  /** Plain ids (no vocabulary file). */
  static TokenText ids() {
    return new TokenText(null, null, false);
  }

  /** Reads a vocabulary file (checked: duplicates and bad escapes name their line). */
  static TokenText read(Path file, boolean words) {
    return new TokenText(Vocabulary.read(file), file, words);
  }

  boolean hasVocabulary() {
    return vocabulary != null;
  }

  int size() {
    return vocabulary.size();
  }

  Path file() {
    return file;
  }

  /**
   * The ids of one line of input; {@code where} names it in errors ("stdin line 3"). Every id must be below
   * {@code limit} (the model's vocabulary).
   *
   * @throws RnncException naming the line, the column and the unknown character, word or id
   */
  int[] encode(String line, String where, int limit, String what) {
    if (vocabulary == null) {
      String[] parts = line.trim().split("\\s+");
      if (line.isBlank()) {
        return new int[0];
      }
      int[] ids = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        try {
          ids[i] = Integer.parseInt(parts[i]);
        } catch (NumberFormatException e) {
          throw new RnncException(where + ", token " + (i + 1) + ": '" + parts[i] + "' is not a token id (without a"
              + " vocabulary file each line is token ids separated by spaces; give --vocab to read text)");
        }
        if (ids[i] < 0 || ids[i] >= limit) {
          throw new RnncException(where + ", token " + (i + 1) + ": id " + ids[i] + " is outside the " + what + " 0.."
              + (limit - 1));
        }
      }
      return ids;
    }
    int[] ids = new int[line.length()];
    int count = 0;
    int i = 0;
    while (i < line.length()) {
      int end;
      if (words) {
        if (Character.isWhitespace(line.codePointAt(i))) {
          i += Character.charCount(line.codePointAt(i));
          continue;
        }
        end = i;
        while (end < line.length() && !Character.isWhitespace(line.codePointAt(end))) {
          end += Character.charCount(line.codePointAt(end));
        }
      } else {
        end = i + Character.charCount(line.codePointAt(i));
      }
      String token = line.substring(i, end);
      int id = vocabulary.id(token);
      if (id < 0) {
        int column = line.codePointCount(0, i) + 1;
        throw new RnncException(where + ", column " + column + ": " + (words ? "word" : "character") + " '"
            + printable(token) + "'" + (words ? "" : " (U+" + String.format("%04X", token.codePointAt(0)) + ")")
            + " is not in the vocabulary " + file);
      }
      if (id >= limit) {
        throw new RnncException(where + ", column " + (line.codePointCount(0, i) + 1) + ": '" + printable(token)
            + "' has id " + id + " in " + file + ", outside the " + what + " 0.." + (limit - 1));
      }
      ids[count++] = id;
      i = end;
    }
    return Arrays.copyOf(ids, count);
  }

  /** One token as output text: its string (a space before each word after the first), or its id. */
  String token(int id, boolean first) {
    if (vocabulary == null) {
      return (first ? "" : " ") + id;
    }
    return (words && !first ? " " : "") + vocabulary.token(id);
  }

  private static String printable(String token) {
    StringBuilder out = new StringBuilder();
    token.codePoints().forEach(c -> {
      if (Character.isISOControl(c)) {
        out.append(String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }
}
