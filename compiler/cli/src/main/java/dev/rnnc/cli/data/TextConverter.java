package dev.rnnc.cli.data;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.Tensor;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Plain UTF-8 text → language-model windows: {@code input} I64 token ids {@code [W, T]}, {@code target} I64
 * {@code [W, T]} (each position's next token) and {@code lengths} I64 {@code [W]}.
 *
 * <p>Tokens are characters (Unicode code points, newlines included) or words (maximal runs of non-whitespace).
 * The text's N tokens give N − 1 (input, next token) pairs; window w covers pairs {@code w·stride ...
 * w·stride + T − 1}. Windows are taken until one reaches the end of the text; that last one may be shorter
 * than T and is padded (its {@code lengths} entry says how long it is). Ids come from a vocabulary built from
 * the text (sorted by code point, so the same text always gives the same ids) or from a given one, in which
 * case a token outside it is an error naming its line.
 */
public final class TextConverter {
  /** What a token is. */
  public enum Tokens { CHARACTERS, WORDS }

  /**
   * @param tokens          characters or words
   * @param window          T, steps per window
   * @param stride          pairs between the starts of consecutive windows (T: no overlap)
   * @param vocabulary      ids to use, or null to build them from the text
   * @param vocabularyFile  where {@code vocabulary} came from (for messages), or null
   */
  public record Options(Tokens tokens, int window, int stride, Vocabulary vocabulary, Path vocabularyFile) {}

  /** The tensors and the vocabulary they use. */
  public record Result(Map<String, Tensor> tensors, Vocabulary vocabulary) {}

  private final Path file;
  private final Options options;

  private TextConverter(Path file, Options options) {
    this.file = file;
    this.options = options;
  }

  public static Result convert(Path file, Options options) {
    if (options.window() < 1) {
      throw new RnncException("--window must be >= 1, got " + options.window());
    }
    if (options.stride() < 1) {
      throw new RnncException("--stride must be >= 1, got " + options.stride());
    }
    DataErrors.requireRegularFile(file);
    return new TextConverter(file, options).convert();
  }

  private Result convert() {
    // Pass 1: count tokens, collect (or check against) the vocabulary.
    Set<String> seen = new HashSet<>();
    long[] count = {0};
    tokenize((token, line) -> {
      if (options.vocabulary() == null) {
        seen.add(token);
      } else if (options.vocabulary().id(token) < 0) {
        throw Vocabulary.unknown(file, line, token, options.vocabularyFile());
      }
      count[0]++;
    });
    long n = count[0];
    if (n < 2) {
      throw DataErrors.in(file, "has " + n + (n == 1 ? " token" : " tokens") + "; a language-model window needs"
          + " at least two (an input and the token after it)");
    }
    Vocabulary vocabulary = options.vocabulary() != null ? options.vocabulary() : Vocabulary.sorted(seen);
    long pairs = n - 1;
    int stride = options.stride();
    int steps = (int) Math.min(options.window(), pairs);
    long windows = pairs <= steps ? 1 : (pairs - steps + stride - 1) / stride + 1;
    int size = DataErrors.elements(file, "the windows", windows, steps);
    long[] input = new long[size];
    long[] target = new long[size];
    long[] lengths = new long[(int) windows];
    for (int w = 0; w < windows; w++) {
      lengths[w] = Math.min(steps, pairs - (long) w * stride);
    }

    // Pass 2: every token goes to the windows holding its position as an input, and the previous one as a target.
    long[] index = {0};
    tokenize((token, line) -> {
      long i = index[0]++;
      if (i >= n) {
        throw DataErrors.at(file, line, "the file changed while it was being converted");
      }
      int id = vocabulary.id(token);
      if (id < 0) {
        throw DataErrors.at(file, line, "the file changed while it was being converted");
      }
      if (i < pairs) {
        place(input, i, id, steps, stride, windows);
      }
      if (i >= 1) {
        place(target, i - 1, id, steps, stride, windows);
      }
    });
    if (index[0] != n) {
      throw DataErrors.in(file, "the file changed while it was being converted");
    }
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    int[] shape = {(int) windows, steps};
    tensors.put("input", Tensor.ofLongs(shape, input));
    tensors.put("lengths", Tensor.ofLongs(new int[] {(int) windows}, lengths));
    tensors.put("target", Tensor.ofLongs(shape, target));
    return new Result(tensors, vocabulary);
  }

  /** Writes {@code id} at pair position {@code p} of every window that covers it. */
  private static void place(long[] into, long p, int id, int steps, int stride, long windows) {
    long first = Math.max(0, Math.floorDiv(p - steps + 1 + stride - 1, stride));
    long last = Math.min(windows - 1, p / stride);
    for (long w = first; w <= last; w++) {
      long offset = p - w * stride;
      into[(int) (w * steps + offset)] = id;
    }
  }

  @FunctionalInterface
  private interface TokenSink {
    void accept(String token, long line);
  }

  /** Streams the tokens of the file with the line each starts on. */
  private void tokenize(TokenSink sink) {
    boolean words = options.tokens() == Tokens.WORDS;
    char[] buffer = new char[1 << 16];
    StringBuilder word = new StringBuilder();
    long line = 1;
    long wordLine = 1;
    char pendingHigh = 0;
    try (Reader reader = DataErrors.utf8(file)) {
      int read;
      while ((read = readChars(reader, buffer, line)) >= 0) {
        for (int k = 0; k < read; k++) {
          char c = buffer[k];
          if (words) {
            if (Character.isWhitespace(c)) {
              if (word.length() > 0) {
                sink.accept(word.toString(), wordLine);
                word.setLength(0);
              }
            } else {
              if (word.length() == 0) {
                wordLine = line;
              }
              word.append(c);
            }
          } else if (Character.isHighSurrogate(c)) {
            pendingHigh = c;
          } else if (Character.isLowSurrogate(c) && pendingHigh != 0) {
            sink.accept(new String(new char[] {pendingHigh, c}), line);
            pendingHigh = 0;
          } else {
            sink.accept(String.valueOf(c), line);
          }
          if (c == '\n') {
            line++;
          }
        }
      }
      if (word.length() > 0) {
        sink.accept(word.toString(), wordLine);
      }
    } catch (IOException e) {
      throw DataErrors.reading(file, e);
    }
  }

  private int readChars(Reader reader, char[] buffer, long line) throws IOException {
    try {
      return reader.read(buffer);
    } catch (java.nio.charset.CharacterCodingException e) {
      // The decoder stops at the bad bytes; the line is the one reached so far (or a later line of this buffer).
      throw DataErrors.at(file, line, "not valid UTF-8 text");
    }
  }
}
