package dev.rnnc.cli;

import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks made on an output path before a command does any work, so that a mistake costs nothing: the output
 * must not be one of the files the command reads (writing it would destroy an input the user still has), must
 * not be a directory, and must be in a directory that exists. The write itself is atomic (see
 * {@link dev.rnnc.runtime.io.AtomicFile}); these checks only make the common mistakes fail early and clearly.
 */
final class OutputFiles {
  private OutputFiles() {}

  /**
   * @param option  the option naming the output, e.g. {@code --output}
   * @param output  the output path as the user typed it
   * @param inputs  option name, path pairs of the files the command reads (null paths are skipped)
   */
  static void check(String option, Path output, Object... inputs) {
    if (Files.isDirectory(output)) {
      throw new RnncException("cannot write " + option + " " + output + ": it is a directory");
    }
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new RnncException("cannot write " + option + " " + output + ": " + parent
          + (Files.exists(parent) ? " is not a directory" : " does not exist"));
    }
    for (int i = 0; i + 1 < inputs.length; i += 2) {
      String inputOption = (String) inputs[i];
      Path input = (Path) inputs[i + 1];
      if (input != null && sameFile(output, input)) {
        throw new RnncException(option + " " + output + " is also the " + inputOption + " file; writing it would"
            + " destroy that input: choose another output path");
      }
    }
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      if (Files.exists(a) && Files.exists(b)) {
        return Files.isSameFile(a, b);
      }
    } catch (IOException e) {
      // Fall through to comparing the names.
    }
    return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
  }
}
