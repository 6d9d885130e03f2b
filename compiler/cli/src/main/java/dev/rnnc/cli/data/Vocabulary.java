package dev.rnnc.cli.data;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.AtomicFile;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Tokens and their ids, stored one token per line (line k, counting from 0, is token id k). Characters that
 * would break the one-per-line layout are escaped: {@code \n}, {@code \r}, {@code \t}, {@code \\}, and
 * {@code \}{@code uXXXX} for other control characters; a space is written as itself.
 */
public final class Vocabulary {
  private final List<String> tokens;
  private final Map<String, Integer> ids = new HashMap<>();

  private Vocabulary(List<String> tokens) {
    this.tokens = List.copyOf(tokens);
    for (int i = 0; i < this.tokens.size(); i++) {
      ids.put(this.tokens.get(i), i);
    }
  }

  /** The tokens sorted by code point order, so the same text always gives the same ids. */
  public static Vocabulary sorted(Collection<String> tokens) {
    return new Vocabulary(new ArrayList<>(new TreeSet<>(tokens)));
  }

  public int size() {
    return tokens.size();
  }

  /** The id of {@code token}, or -1. */
  public int id(String token) {
    Integer id = ids.get(token);
    return id == null ? -1 : id;
  }

  public String token(int id) {
    return tokens.get(id);
  }

  /** Reads a vocabulary file; duplicate tokens and bad escapes are errors naming the line. */
  public static Vocabulary read(Path file) {
    DataErrors.requireRegularFile(file);
    List<String> tokens = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    try (BufferedReader reader = DataErrors.utf8(file)) {
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        String token = unescape(file, number, line);
        Integer before = seen.putIfAbsent(token, number);
        if (before != null) {
          throw DataErrors.at(file, number, "token " + Numbers.quote(line) + " is already on line " + before);
        }
        tokens.add(token);
      }
    } catch (IOException e) {
      throw DataErrors.reading(file, e);
    }
    if (tokens.isEmpty()) {
      throw DataErrors.in(file, "is empty: a vocabulary file has one token per line");
    }
    return new Vocabulary(tokens);
  }

  /** Writes the vocabulary atomically. */
  public void write(Path file) {
    AtomicFile.write(file, channel -> {
      Writer writer = Channels.newWriter(channel, StandardCharsets.UTF_8);
      for (String token : tokens) {
        writer.write(escape(token));
        writer.write('\n');
      }
      writer.flush();
    });
  }

  static String escape(String token) {
    StringBuilder out = new StringBuilder(token.length());
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\\' -> out.append("\\\\");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  private static String unescape(Path file, int line, String text) {
    if (text.isEmpty()) {
      throw DataErrors.at(file, line, "empty line: every line holds one token (write a newline token as \\n)");
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (i + 1 >= text.length()) {
        throw DataErrors.at(file, line, "a backslash ends the line; write a backslash token as \\\\");
      }
      char next = text.charAt(++i);
      switch (next) {
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case '\\' -> out.append('\\');
        case 'u' -> {
          try {
            out.append((char) Integer.parseInt(text.substring(i + 1, i + 5), 16));
          } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw DataErrors.at(file, line, "\\u needs four hex digits");
          }
          i += 4;
        }
        default -> throw DataErrors.at(file, line, "unknown escape \\" + next + " (known: \\n \\r \\t \\\\ \\uXXXX)");
      }
    }
    return out.toString();
  }

  /** Thrown when a token is not in a given vocabulary. */
  static RnncException unknown(Path file, long line, String token, Path vocabulary) {
    return DataErrors.at(file, line, "token " + Numbers.quote(escape(token)) + " is not in the vocabulary "
        + vocabulary);
  }
}
