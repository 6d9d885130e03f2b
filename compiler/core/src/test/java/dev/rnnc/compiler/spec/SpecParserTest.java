package dev.rnnc.compiler.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.GruReset;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelConfig.Mode;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;
import dev.rnnc.runtime.ModelConfig.TrainingConfig;
import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Good specs parse to the expected model; files, hashes and the error report behave as documented. */
class SpecParserTest {

  @Test
  void fullSpecSetsEveryField() {
    Spec spec = SpecParser.parse(resource("full.yaml"));
    assertEquals("FullSpec", spec.modelName());
    assertEquals("org.example.rnn.full", spec.packageName());
    assertEquals("org.example.rnn.full.FullSpec", spec.qualifiedName());
    assertEquals(new ModelConfig(Cell.RNN, Nonlinearity.RELU, GruReset.AFTER, 12, 0, 24, 3, true, Mode.MANY_TO_ONE,
        5, HeadActivation.SIGMOID, 100, 7, new TrainingConfig(Loss.BCE, 0.25, 20)), spec.config());
  }

  @Test
  void minimalSpecTakesTheDefaults() {
    Spec spec = SpecParser.parse(resource("minimal.yaml"));
    assertEquals(new ModelConfig(Cell.GRU, Nonlinearity.TANH, GruReset.AFTER, 3, 0, 5, 1, false, Mode.MANY_TO_MANY,
        0, HeadActivation.LINEAR, 256, 32, null), spec.config());
    assertFalse(spec.config().hasHead());
    assertFalse(spec.config().hasEmbedding());
  }

  @Test
  void embeddingGivesInputSizeAndVocab() {
    Spec spec = SpecParser.parse("e.yaml", """
        model: Tokens
        package: a.b
        cell: lstm
        embedding:
          vocab: 1000
          dim: 16
        hidden: 32
        training: {loss: mse, truncate: 0}
        """);
    assertEquals(16, spec.config().inputSize());
    assertEquals(1000, spec.config().vocab());
    assertEquals(0, spec.config().headSize());
    assertEquals(new TrainingConfig(Loss.MSE, 0.0, 0), spec.config().training());
  }

  @Test
  void lstmProjectionAndPeepholes() {
    Spec spec = SpecParser.parse("p.yaml", """
        model: Projected
        package: a.b
        cell: lstm
        proj_size: 3
        peepholes: true
        input: 4
        hidden: 8
        bidirectional: true
        """);
    assertEquals(ModelConfig.builder(Cell.LSTM).input(4).hidden(8).projSize(3).peepholes(true).bidirectional(true)
        .build(), spec.config());
    assertEquals(6, spec.config().featureSize());
    Spec plain = SpecParser.parse("q.yaml", "model: Plain\npackage: a.b\ncell: lstm\ninput: 4\nhidden: 8\n"
        + "peepholes: false\n");
    assertEquals(0, plain.config().projSize());
    assertFalse(plain.config().peepholes());
  }

  @Test
  void quotedNamesAndYamlBooleanSpellingsAreAccepted() {
    Spec spec = SpecParser.parse("q.yaml", """
        model: "Quoted"
        package: 'org.quoted'
        cell: "gru"
        gru_reset: before
        input: +8
        hidden: 8
        bidirectional: True
        limits: {max_length: 65536, max_batch: 1}
        """);
    assertEquals("org.quoted.Quoted", spec.qualifiedName());
    assertEquals(GruReset.BEFORE, spec.config().gruReset());
    assertTrue(spec.config().bidirectional());
    assertEquals(65536, spec.config().maxLength());
  }

  @Test
  void reportsEveryProblemAtOnceInFileOrder() {
    Path file = resource("many_errors.yaml");
    SpecException e = assertThrows(SpecException.class, () -> SpecParser.parse(file));
    String f = file.toString();
    List<String> expected = List.of(
        f + ":2:8: model must be a Java identifier (letters, digits, _ or $, not starting with a digit), got '2Fast'",
        f + ":5:1: nonlinearity applies only to cell rnn, not gru; remove it",
        f + ":6:29: embedding.dim must be a positive integer, got '0'",
        f + ":9:1: unknown key 'bidirectinal' (did you mean 'bidirectional'?); valid keys: model, package, cell, "
            + "nonlinearity, gru_reset, proj_size, peepholes, input, embedding, hidden, layers, bidirectional, mode, "
            + "head, limits, weights, training",
        f + ":13:9: training.loss cross_entropy needs head.size >= 2 (one logit per class), got 1; "
            + "use bce for a single yes/no output",
        f + ":14:12: training.dropout must be 0 when layers is 1: dropout only acts between stacked layers "
            + "(PyTorch warns the same); use layers >= 2 or remove dropout");
    assertEquals(expected, e.errors().stream().map(SpecError::toString).toList());
    assertEquals(String.join("\n", expected), e.getMessage());
    assertInstanceOf(RnncException.class, e);
  }

  @Test
  void hashIsTheSha256OfTheFileBytesAndStable() throws IOException {
    Path file = resource("full.yaml");
    // From `sha256sum full.yaml`, computed outside Java.
    String expected = "2ff14de555663e6e916b3ee462ffa5efa604a7fb55d038e242ce6c2e65ae77c6";
    assertEquals(expected, SpecParser.parse(file).sha256());
    assertEquals(expected, SpecParser.parse(file).sha256());
    String text = Files.readString(file);
    assertEquals(expected, SpecParser.parse("other-name.yaml", text).sha256());
    String edited = text.replace("hidden: 24", "hidden: 25");
    assertNotEquals(expected, SpecParser.parse("full.yaml", edited).sha256());
    // A comment changes the bytes and so the hash, though not the model.
    Spec commented = SpecParser.parse("full.yaml", text + "# note\n");
    assertNotEquals(expected, commented.sha256());
    assertEquals(SpecParser.parse(file).config(), commented.config());
  }

  @Test
  void byteOrderMarkIsSkippedWithoutShiftingColumns(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("bom.yaml");
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] body = "model: 9Lives\npackage: p\ncell: rnn\ninput: 1\nhidden: 2\n".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[bom.length + body.length];
    System.arraycopy(bom, 0, bytes, 0, bom.length);
    System.arraycopy(body, 0, bytes, bom.length, body.length);
    Files.write(file, bytes);
    SpecException e = assertThrows(SpecException.class, () -> SpecParser.parse(file));
    assertEquals(new SpecError(file.toString(), 1, 8,
        "model must be a Java identifier (letters, digits, _ or $, not starting with a digit), got '9Lives'"),
        e.errors().get(0));
  }

  @Test
  void unreadableFilesAreUserErrorsWithoutPositions(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("nope.yaml");
    RnncException e = assertThrows(RnncException.class, () -> SpecParser.parse(missing));
    assertEquals("cannot read spec " + missing + ": no such file", e.getMessage());

    Path latin1 = dir.resolve("latin1.yaml");
    Files.write(latin1, new byte[] {'m', 'o', 'd', 'e', 'l', ':', ' ', (byte) 0xE9});
    e = assertThrows(RnncException.class, () -> SpecParser.parse(latin1));
    assertEquals("cannot read spec " + latin1 + ": it is not UTF-8 text", e.getMessage());
  }

  @Test
  void aliasBombsAreRefused() {
    StringBuilder yaml = new StringBuilder("a: &a [1, 2]\nb: [");
    for (int i = 0; i < 60; i++) {
      yaml.append(i == 0 ? "" : ", ").append("*a");
    }
    yaml.append("]\n");
    SpecException e = assertThrows(SpecException.class, () -> SpecParser.parse("bomb.yaml", yaml.toString()));
    assertEquals(1, e.errors().size());
    assertTrue(e.getMessage().contains("aliases"), e.getMessage());
  }

  @Test
  void controlCharactersAreReportedWhereTheyAre() {
    SpecException e = assertThrows(SpecException.class,
        () -> SpecParser.parse("ctl.yaml", "model: M\npackage: p\u0001\n"));
    assertEquals(List.of("ctl.yaml:2:11: unacceptable character #1: special characters are not allowed"),
        e.errors().stream().map(SpecError::toString).toList());
  }

  @Test
  void suggestionsNeedACloseMatch() {
    List<String> keys = SpecSchema.TOP_KEYS;
    assertEquals("hidden", Suggestions.closest("hiden", keys));
    assertEquals("model", Suggestions.closest("modle", keys));
    assertEquals("bidirectional", Suggestions.closest("bidirectinal", keys));
    assertEquals("package", Suggestions.closest("pakage", keys));
    assertEquals(null, Suggestions.closest("size", keys));
    assertEquals(null, Suggestions.closest("x", keys));
    assertEquals(1, Suggestions.distance("ab", "ba"));
    assertEquals(3, Suggestions.distance("kitten", "sitting"));
  }

  @Test
  void exceptionNeedsAnError() {
    assertThrows(IllegalArgumentException.class, () -> new SpecException(List.of()));
  }

  @Test
  void exampleSpecsInTheRepositoryParse() throws IOException {
    Path specs = repositorySpecs();
    List<Path> files;
    try (Stream<Path> list = Files.list(specs)) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertTrue(files.size() >= 6, "examples in " + specs + ": " + files);
    for (Path file : files) {
      Spec spec = SpecParser.parse(file);
      assertEquals(64, spec.sha256().length());
    }
    assertEquals(new ModelConfig(Cell.LSTM, Nonlinearity.TANH, GruReset.AFTER, 32, 96, 128, 2, false,
        Mode.MANY_TO_MANY, 96, HeadActivation.SOFTMAX, 256, 32, new TrainingConfig(Loss.CROSS_ENTROPY, 0.1, 0)),
        SpecParser.parse(specs.resolve("char_lstm.yaml")).config());
    ModelConfig sentiment = SpecParser.parse(specs.resolve("sentiment_gru.yaml")).config();
    assertEquals(Cell.GRU, sentiment.cell());
    assertEquals(Mode.MANY_TO_ONE, sentiment.mode());
    assertTrue(sentiment.bidirectional() && sentiment.hasEmbedding());
    assertEquals(2, sentiment.headSize());
    assertEquals(HeadActivation.SOFTMAX, sentiment.headActivation());
    ModelConfig tagger = SpecParser.parse(specs.resolve("tagger_bilstm.yaml")).config();
    assertTrue(tagger.bidirectional() && tagger.hasEmbedding() && tagger.cell() == Cell.LSTM);
    assertEquals(Mode.MANY_TO_MANY, tagger.mode());
    ModelConfig forecaster = SpecParser.parse(specs.resolve("forecaster_gru.yaml")).config();
    assertEquals(List.of(Cell.GRU, 32, 1, HeadActivation.LINEAR, Loss.MSE),
        List.of(forecaster.cell(), forecaster.hidden(), forecaster.headSize(), forecaster.headActivation(),
            forecaster.training().loss()));
    assertEquals(new ModelConfig(Cell.LSTM, Nonlinearity.TANH, GruReset.AFTER, 64, 0, 128, 1, false,
        Mode.MANY_TO_MANY, 0, HeadActivation.LINEAR, 1024, 1, null),
        SpecParser.parse(specs.resolve("lstm_64_128.yaml")).config());
    assertEquals(Nonlinearity.RELU, SpecParser.parse(specs.resolve("anomaly_rnn_relu.yaml")).config().nonlinearity());
  }

  private static Path resource(String name) {
    try {
      return Path.of(SpecParserTest.class.getResource("/specs/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new AssertionError("missing test resource specs/" + name, e);
    }
  }

  /** The repository's {@code specs/} folder, found from the module folder Maven runs tests in. */
  private static Path repositorySpecs() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("specs/char_lstm.yaml"))) {
        return dir.resolve("specs");
      }
    }
    throw new AssertionError("no specs/char_lstm.yaml above " + Path.of("").toAbsolutePath());
  }
}
