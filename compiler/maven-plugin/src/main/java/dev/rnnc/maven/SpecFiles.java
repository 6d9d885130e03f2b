package dev.rnnc.maven;

import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Finds the spec files of a source directory by include and exclude patterns. */
final class SpecFiles {
  private SpecFiles() {}

  /**
   * The regular files under {@code root} whose relative path matches an include and no exclude, as
   * {@code /}-separated relative paths in sorted order (so generation order, and with it error order, is
   * stable). A missing root has no specs.
   */
  static List<String> find(Path root, List<String> includes, List<String> excludes) {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    PathPatterns include = new PathPatterns(includes);
    PathPatterns exclude = new PathPatterns(excludes);
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile)
          .map(file -> relative(root, file))
          .filter(name -> include.matches(name) && !exclude.matches(name))
          .sorted()
          .toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new RnncException("cannot list specs in " + root + ": " + e.getMessage(), e);
    }
  }

  static String relative(Path root, Path file) {
    return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
  }
}
