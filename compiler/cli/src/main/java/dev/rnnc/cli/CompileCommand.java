package dev.rnnc.cli;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.spec.SpecError;
import dev.rnnc.compiler.spec.SpecException;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc compile}: writes each spec's generated source under an output folder, in package folders.
 *
 * <p>All specs are generated before anything is written, so a bad spec writes nothing. A file whose content
 * is already identical is left alone (its timestamp too), so build tools see it as up to date.
 */
@Command(name = "compile", description = "Generates Java sources from specs.",
    footerHeading = "%nExamples:%n",
    footer = {"  rnnc compile specs/char_lstm.yaml -d src/generated/java",
        "  rnnc compile -q specs/*.yaml -d build/generated", ExitCodes.FOOTER})
final class CompileCommand extends RnncCommand {
  @Parameters(arity = "1..*", paramLabel = "SPEC", description = "Spec files (YAML).")
  List<Path> specs;

  @Option(names = "-d", required = true, paramLabel = "DIR", description = "Source root to write under (created if needed).")
  Path directory;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
  boolean quiet;

  @Override
  int execute() throws IOException {
    RnnCompiler compiler = new RnnCompiler();
    List<GeneratedSource> generated = new ArrayList<>();
    List<SpecError> errors = new ArrayList<>();
    for (Path spec : specs) {
      try {
        generated.add(compiler.compile(spec));
      } catch (SpecException e) {
        errors.addAll(e.errors());
      }
    }
    if (!errors.isEmpty()) {
      throw new SpecException(errors);
    }
    checkDistinct(generated);
    // Directories this run creates are removed again if a write fails, so a failed compile leaves nothing behind.
    List<Path> created = new ArrayList<>();
    boolean done = false;
    try {
      for (GeneratedSource source : generated) {
        Path file = directory.resolve(source.relativePath());
        byte[] bytes = source.source().getBytes(StandardCharsets.UTF_8);
        if (unchanged(file, bytes)) {
          if (verbose) {
            out().println("up to date " + file + " (" + source.spec().sourceName() + ")");
          } else if (!quiet) {
            out().println("up to date " + file);
          }
          continue;
        }
        createParents(file, created);
        AtomicFile.write(file, channel -> {
          ByteBuffer buffer = ByteBuffer.wrap(bytes);
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
        });
        if (verbose) {
          out().println("wrote " + file + " (" + source.qualifiedName() + " from " + source.spec().sourceName() + ", "
              + bytes.length + " bytes)");
        } else if (!quiet) {
          out().println("wrote " + file);
        }
      }
      done = true;
    } finally {
      if (!done) {
        removeEmpty(created);
      }
    }
    return ExitCodes.OK;
  }

  /** Two specs generating the same class would silently overwrite each other. */
  private static void checkDistinct(List<GeneratedSource> generated) {
    for (int i = 0; i < generated.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (generated.get(i).qualifiedName().equals(generated.get(j).qualifiedName())) {
          throw new RnncException(generated.get(j).spec().sourceName() + " and " + generated.get(i).spec().sourceName()
              + " both generate " + generated.get(i).qualifiedName() + "; give them different model or package names");
        }
      }
    }
  }

  /** Creates the missing parent directories of {@code file}, recording each one made, outermost first. */
  private static void createParents(Path file, List<Path> created) {
    List<Path> missing = new ArrayList<>();
    for (Path p = file.toAbsolutePath().getParent(); p != null && !Files.exists(p); p = p.getParent()) {
      missing.add(0, p);
    }
    try {
      for (Path directory : missing) {
        Files.createDirectory(directory);
        created.add(directory);
      }
    } catch (IOException e) {
      throw new RnncException("cannot create directory " + file.getParent() + ": " + describe(e), e);
    }
  }

  /** Whether {@code file} already holds exactly {@code bytes} (an unreadable file counts as different). */
  private static boolean unchanged(Path file, byte[] bytes) {
    try {
      return Files.isRegularFile(file) && Files.size(file) == bytes.length
          && Arrays.equals(Files.readAllBytes(file), bytes);
    } catch (IOException e) {
      return false;
    }
  }

  /** Deletes the directories this run created (innermost first), as long as they are still empty. */
  private static void removeEmpty(List<Path> created) {
    for (int i = created.size() - 1; i >= 0; i--) {
      try {
        Files.deleteIfExists(created.get(i));
      } catch (IOException ignored) {
        // Not empty (another process wrote there) or not removable: leave it.
      }
    }
  }

  private static String describe(IOException e) {
    if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
      return fse.getReason() + (fse.getFile() != null ? ": " + fse.getFile() : "");
    }
    if (e instanceof java.nio.file.AccessDeniedException denied) {
      return "permission denied: " + denied.getFile();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
