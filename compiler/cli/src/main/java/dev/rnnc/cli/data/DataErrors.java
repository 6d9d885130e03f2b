package dev.rnnc.cli.data;

import dev.rnnc.runtime.RnncException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Messages and file opening shared by the converters: every error names the file as the user typed it. */
final class DataErrors {
  private DataErrors() {}

  /** {@code file:line: message}. */
  static RnncException at(Path file, long line, String message) {
    return new RnncException(file + ":" + line + ": " + message);
  }

  /** {@code file: message}. */
  static RnncException in(Path file, String message) {
    return new RnncException(file + ": " + message);
  }

  /** An I/O failure while reading {@code file}, as one line without Java class names. */
  static RnncException reading(Path file, IOException e) {
    if (e instanceof CharacterCodingException) {
      return in(file, "not valid UTF-8 text");
    }
    return new RnncException("cannot read " + file + ": " + describe(e), e);
  }

  static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    String message = e.getMessage();
    return message != null ? message : e.getClass().getSimpleName();
  }

  /** Checks {@code file} is a readable regular file before a converter opens it. */
  static void requireRegularFile(Path file) {
    if (Files.isDirectory(file)) {
      throw new RnncException("cannot read " + file + ": it is a directory, not a file");
    }
    if (!Files.exists(file)) {
      throw new RnncException("cannot read " + file + ": no such file");
    }
  }

  /** A UTF-8 reader that reports malformed bytes instead of replacing them. */
  static BufferedReader utf8(Path file) throws IOException {
    return new BufferedReader(new InputStreamReader(Files.newInputStream(file),
        StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16);
  }

  /** {@code a * b * ...} as an array length, or an error saying the data is too large for one tensor. */
  static int elements(Path file, String what, long... dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
      if (n > Integer.MAX_VALUE - 8) {
        throw in(file, what + " would have more elements than one Java array holds (" + java.util.Arrays.toString(dims)
            + "); split the file");
      }
    }
    return (int) n;
  }
}
