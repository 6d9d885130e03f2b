package dev.rnnc.compiler.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecException;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.RnncException;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing (Jazzer) of the spec parser: YAML (SnakeYAML Engine), the mapping reader and every
 * validation rule.
 *
 * <p>Any text must give either a {@link Spec} whose configuration answers its questions or a
 * {@link SpecException} whose errors each carry a position and a message; anything else (a
 * {@code NullPointerException} on a missing node, a {@code StackOverflowError} on deep nesting, a
 * {@code NumberFormatException}, a hang) is a bug. The default test run replays the committed corpus
 * ({@code src/test/resources/dev/rnnc/compiler/fuzz/SpecParserFuzzTestInputs/parse/}: the example specs, the
 * inputs that found bugs, inputs from earlier fuzzing runs); {@code JAZZER_FUZZ=1} fuzzes (README, "Fuzzing").
 */
class SpecParserFuzzTest {
  @FuzzTest
  @DictionaryEntries({"model: ", "package: ", "cell: ", "lstm", "gru", "rnn", "input: ", "hidden: ",
      "embedding: {vocab: ", "dim: ", "layers: ", "bidirectional: true", "mode: many_to_one", "head:", "size: ",
      "activation: softmax", "sigmoid", "limits:", "max_length: ", "max_batch: ", "training:", "loss: ",
      "cross_entropy", "bce", "mse", "dropout: ", "truncate: ", "nonlinearity: relu", "gru_reset: before",
      "peepholes: true", "proj_size: ", "65536", "2147483648", "&a ", "*a", "!!str ", "---", "{", "[", "~"})
  void parse(byte[] bytes) {
    Spec spec;
    try {
      spec = SpecParser.parse("fuzz.yaml", new String(bytes, StandardCharsets.UTF_8));
    } catch (SpecException e) {
      if (e.errors().isEmpty() || e.getMessage() == null || !e.getMessage().contains("fuzz.yaml:")) {
        throw new AssertionError("spec error without a position: " + e.getMessage(), e);
      }
      return;
    } catch (RnncException e) {
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        throw new AssertionError("exception without a message", e);
      }
      return;
    }
    // A valid spec's configuration must be usable: shapes and sizes are what the generator reads next.
    spec.config().parameterShapes();
    spec.qualifiedName();
  }
}
