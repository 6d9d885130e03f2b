package dev.rnnc.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the ONNX reader and importer: protobuf wire parsing with checked sizes,
 * graph order checks and the graph analysis that maps nodes onto an rnnc spec.
 *
 * <p>Any bytes must give an imported model whose spec text and parameters exist, or an {@link OnnxException} (an
 * {@link RnncException}) with a message; anything else (an index error on a short tensor, an
 * {@code OutOfMemoryError} from a claimed size, a {@code StackOverflowError} on deep nesting, a hang) is a bug. The
 * default test run replays the committed corpus ({@code src/test/resources/dev/rnnc/onnx/OnnxFuzzTestInputs/
 * importModel/}: small exported and hand-built models, good and bad); {@code JAZZER_FUZZ=1} fuzzes (README,
 * "Fuzzing").
 */
class OnnxFuzzTest {
  /** External data resolves against an empty folder: a file naming some is refused, never read from elsewhere. */
  private static final Path EMPTY_FOLDER = emptyFolder();

  @FuzzTest
  void importModel(byte[] bytes) {
    ImportedModel imported;
    try {
      imported = OnnxImporter.importModel(OnnxReader.read("fuzz.onnx", bytes, EMPTY_FOLDER), Path.of("fuzz.onnx"),
          "Fuzzed", "fuzz");
    } catch (RnncException e) {
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        throw new AssertionError("exception without a message", e);
      }
      return;
    }
    if (imported.specYaml().isBlank() || imported.parameters().names().isEmpty()) {
      throw new AssertionError("an import without a spec or parameters");
    }
  }

  private static Path emptyFolder() {
    try {
      return Files.createTempDirectory("rnnc-onnx-fuzz");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
