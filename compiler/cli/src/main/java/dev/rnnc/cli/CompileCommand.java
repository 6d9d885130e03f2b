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
    for (GeneratedSource source : generated) {
      Path file = directory.resolve(source.relativePath());
      byte[] bytes = source.source().getBytes(StandardCharsets.UTF_8);
      if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), bytes)) {
        if (verbose) {
          out().println("up to date " + file + " (" + source.spec().sourceName() + ")");
        } else if (!quiet) {
          out().println("up to date " + file);
        }
        continue;
      }
      createParents(file);
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

  private static void createParents(Path file) {
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new RnncException("cannot create directory " + file.getParent() + ": " + e.getMessage(), e);
    }
  }
}
