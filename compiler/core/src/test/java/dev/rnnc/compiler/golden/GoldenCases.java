package dev.rnnc.compiler.golden;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The golden cases committed under {@code src/test/resources/golden}, for {@code @MethodSource}. */
public final class GoldenCases {
  /** Where the cases live, relative to the module directory (the working directory of Maven's tests). */
  public static final Path DIRECTORY = Path.of("src", "test", "resources", "golden");

  private static final String SUFFIX = ".safetensors";

  private GoldenCases() {}

  /**
   * Every case, sorted by name. Fails rather than returning nothing, so a parameterized test cannot pass
   * vacuously when the directory is missing (for example when run from the wrong working directory).
   */
  public static List<GoldenCase> all() {
    if (!Files.isDirectory(DIRECTORY)) {
      throw new IllegalStateException("golden directory " + DIRECTORY.toAbsolutePath()
          + " not found; tests must run with the compiler/core module as working directory");
    }
    List<Path> files;
    try (Stream<Path> listing = Files.list(DIRECTORY)) {
      files = listing.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + DIRECTORY, e);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no golden cases in " + DIRECTORY.toAbsolutePath()
          + "; regenerate them with /usr/bin/python3 compiler/core/src/test/python/make_goldens.py");
    }
    return files.stream().map(GoldenCase::load).collect(Collectors.toList());
  }

  /** The case called {@code name} (its file name without {@code .safetensors}). */
  public static GoldenCase named(String name) {
    return GoldenCase.load(DIRECTORY.resolve(name + SUFFIX));
  }
}
