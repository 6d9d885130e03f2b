package dev.rnnc.compiler.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Encoder–decoder specs: the issue's example, every rule with its file:line:column error, and the refusal. */
class Seq2SeqSpecTest {
  static final String ISSUE_EXAMPLE = """
      model: DateNormalizer
      package: org.example.rnn
      encoder:
        cell: gru
        embedding: {vocab: 40, dim: 16}
        hidden: 64
        layers: 1
        bidirectional: true
      decoder:
        cell: gru
        embedding: {vocab: 14, dim: 16}
        hidden: 128
        layers: 1
        bridge: copy
        context: initial
      head: {size: 14, activation: softmax}
      decode: {start: 1, end: 2, max_length: 30}
      limits: {max_batch: 32, max_length: 64}
      training: {loss: cross_entropy}
      """;

  static Seq2SeqConfig parse(String yaml) {
    return assertInstanceOf(Seq2SeqSpec.class, SpecParser.parseAny("s.yaml", yaml)).config();
  }

  static List<String> errors(String yaml) {
    SpecException e = assertThrows(SpecException.class, () -> SpecParser.parseAny("s.yaml", yaml));
    return e.errors().stream().map(x -> x.line() + ":" + x.column() + ": " + x.message()).toList();
  }

  static void assertError(String yaml, String position, String... fragments) {
    List<String> errors = errors(yaml);
    assertTrue(errors.stream().anyMatch(e -> e.startsWith(position + ": ")
        && List.of(fragments).stream().allMatch(e::contains)),
        "expected an error at " + position + " with " + List.of(fragments) + ", got " + errors);
  }

  static String replace(String from, String to) {
    assertTrue(ISSUE_EXAMPLE.contains(from), from);
    return ISSUE_EXAMPLE.replace(from, to);
  }

  @Test
  void theIssuesExampleParses() {
    Seq2SeqConfig c = parse(ISSUE_EXAMPLE);
    assertEquals(ModelConfig.Cell.GRU, c.encoder().cell());
    assertTrue(c.encoder().bidirectional());
    assertEquals(40, c.encoder().vocab());
    assertEquals(128, c.contextSize());
    assertEquals(14, c.targetVocab());
    assertEquals(16, c.decoderInputSize());
    assertEquals(Seq2SeqConfig.Bridge.COPY, c.bridge());
    assertEquals(Seq2SeqConfig.Context.INITIAL, c.context());
    assertEquals(1, c.start());
    assertEquals(2, c.end());
    assertEquals(30, c.maxDecode());
    assertEquals(32, c.maxBatch());
    assertEquals(64, c.maxLength());
    assertEquals(List.of("encoder.embedding.weight", "encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l0",
        "encoder.rnn.bias_ih_l0", "encoder.rnn.bias_hh_l0", "encoder.rnn.weight_ih_l0_reverse",
        "encoder.rnn.weight_hh_l0_reverse", "encoder.rnn.bias_ih_l0_reverse", "encoder.rnn.bias_hh_l0_reverse",
        "decoder.embedding.weight", "decoder.rnn.weight_ih_l0", "decoder.rnn.weight_hh_l0", "decoder.rnn.bias_ih_l0",
        "decoder.rnn.bias_hh_l0", "head.weight", "head.bias"), c.parameterNames());
    Map<String, int[]> shapes = c.parameterShapes();
    assertEquals(List.of(14, 128), List.of(shapes.get("head.weight")[0], shapes.get("head.weight")[1]));
    assertEquals(3 * 128, shapes.get("decoder.rnn.weight_ih_l0")[0]);
    assertEquals(16, shapes.get("decoder.rnn.weight_ih_l0")[1]);
  }

  @Test
  void linearBridgeAndEveryStepContextShapeTheParameters() {
    Seq2SeqConfig c = parse(replace("bridge: copy\n  context: initial", "bridge: linear\n  context: every_step")
        .replace("hidden: 128", "hidden: 32"));
    assertEquals(List.of(32, 128), List.of(c.parameterShapes().get("bridge.weight")[0],
        c.parameterShapes().get("bridge.weight")[1]));
    assertEquals(32, c.parameterShapes().get("bridge.bias")[0]);
    assertEquals(16 + 128, c.parameterShapes().get("decoder.rnn.weight_ih_l0")[1]);
    List<String> names = c.parameterNames();
    assertTrue(names.indexOf("bridge.weight") > names.indexOf("encoder.rnn.bias_hh_l0_reverse")
        && names.indexOf("bridge.bias") < names.indexOf("decoder.embedding.weight"));
  }

  @Test
  void oneToManyIsASingleStepSource() {
    Seq2SeqConfig c = parse(replace("  embedding: {vocab: 40, dim: 16}\n  hidden: 64", "  input: 5\n  hidden: 64"));
    assertEquals(0, c.encoder().vocab());
    assertEquals(5, c.encoder().inputSize());
  }

  @Test
  void topLevelStackKeysAreErrorsThatSaySo() {
    assertError(ISSUE_EXAMPLE + "hidden: 8\n", "20:1", "'hidden' is not a top-level key in an encoder–decoder spec",
        "under encoder: and/or decoder:");
    assertError(ISSUE_EXAMPLE + "cell: lstm\n", "20:1", "'cell' is not a top-level key");
    assertError(ISSUE_EXAMPLE + "bidirectional: true\n", "20:1", "'bidirectional' is not a top-level key");
    assertError(ISSUE_EXAMPLE + "embedding: {vocab: 3, dim: 2}\n", "20:1", "'embedding' is not a top-level key");
    assertError(ISSUE_EXAMPLE + "input: 3\n", "20:1", "'input' is not a top-level key");
    assertError(ISSUE_EXAMPLE + "layers: 2\n", "20:1", "'layers' is not a top-level key");
    assertError(ISSUE_EXAMPLE + "mode: many_to_one\n", "20:1", "'mode' does not apply to an encoder–decoder spec");
  }

  @Test
  void copyBridgeWithMismatchedSizesNamesBoth() {
    assertError(replace("hidden: 128", "hidden: 100"), "14:11", "bridge copy", "decoder.hidden 100",
        "2 directions × encoder.hidden 64 = 128", "bridge: linear");
  }

  @Test
  void copyBridgeBetweenLstmsAlsoNeedsTheCellStateWidth() {
    String lstms = ISSUE_EXAMPLE.replace("cell: gru", "cell: lstm").replace("hidden: 128", "hidden: 64")
        .replace("  layers: 1\n  bidirectional: true", "  layers: 1\n  bidirectional: true\n  proj_size: 32");
    assertError(lstms, "15:11", "bridge copy of an lstm encoder into an lstm decoder", "decoder.hidden 64",
        "2 × encoder.hidden 64 = 128");
  }

  @Test
  void bridgesNeedEqualLayers() {
    assertError(replace("  hidden: 128\n  layers: 1", "  hidden: 128\n  layers: 2"), "13:11",
        "decoder.layers 2 must equal encoder.layers 1", "(bridge copy)");
    assertError(replace("  hidden: 128\n  layers: 1\n  bridge: copy", "  hidden: 128\n  layers: 3\n  bridge: linear"),
        "13:11", "decoder.layers 3 must equal encoder.layers 1", "(bridge linear)");
  }

  @Test
  void decoderLayersDefaultToTheEncoders() {
    Seq2SeqConfig c = parse(ISSUE_EXAMPLE.replace("  layers: 1\n  bidirectional: true",
        "  layers: 2\n  bidirectional: true").replace("  hidden: 128\n  layers: 1\n", "  hidden: 128\n"));
    assertEquals(2, c.decoder().layers());
  }

  @Test
  void theDecoderIsUnidirectionalWithARequiredEmbedding() {
    assertError(replace("  hidden: 128\n  layers: 1\n", "  hidden: 128\n  layers: 1\n  bidirectional: true\n"),
        "14:18", "decoder.bidirectional must be false");
    assertError(replace("  embedding: {vocab: 14, dim: 16}\n", ""), "9:1", "missing required key "
        + "'decoder.embedding'");
    assertError(replace("  embedding: {vocab: 14, dim: 16}\n", "  input: 4\n"), "11:3", "decoder.input does not "
        + "apply");
  }

  @Test
  void theHeadScoresTheTargetVocabulary() {
    assertError(replace("head: {size: 14, activation: softmax}", "head: {size: 15, activation: softmax}"), "16:14",
        "head.size 15 must equal decoder.embedding.vocab 14");
    assertError(replace("head: {size: 14, activation: softmax}\n", ""), "1:1", "missing required key 'head'");
    assertError(replace("activation: softmax", "activation: sigmoid"), "16:30", "head.activation sigmoid");
  }

  @Test
  void startAndEndMustBeTargetTokens() {
    assertError(replace("start: 1", "start: 14"), "17:17", "decode.start must be a target token id below "
        + "decoder.embedding.vocab (14), got 14");
    assertError(replace("end: 2", "end: 20"), "17:25", "decode.end must be a target token id below");
    assertError(replace("decode: {start: 1, end: 2, max_length: 30}\n", ""), "1:1", "missing required key 'decode'");
    assertError(replace("max_length: 30}", "max_length: 0}"), "17:40", "decode.max_length must be a positive "
        + "integer");
    assertError(replace("max_length: 30}", "max_length: 65}"), "17:40", "decode.max_length 65 must be at most "
        + "limits.max_length 64");
  }

  @Test
  void cellOptionsArePerStack() {
    assertError(replace("  cell: gru\n  embedding: {vocab: 40", "  cell: gru\n  nonlinearity: relu\n  embedding: "
        + "{vocab: 40"), "5:3", "encoder.nonlinearity applies only to cell rnn, not gru");
    Seq2SeqConfig before = parse(replace("  cell: gru\n  embedding: {vocab: 40",
        "  cell: gru\n  gru_reset: before\n  embedding: {vocab: 40"));
    assertEquals(ModelConfig.GruReset.BEFORE, before.encoder().gruReset());
    assertEquals(ModelConfig.GruReset.AFTER, before.decoder().gruReset());
    assertError(replace("  cell: gru\n  embedding: {vocab: 14", "  cell: gru\n  peepholes: true\n  embedding: "
        + "{vocab: 14"), "11:3", "decoder.peepholes apply only to cell lstm");
  }

  @Test
  void trainingIsCrossEntropy() {
    assertError(replace("loss: cross_entropy", "loss: mse"), "19:18", "must be cross_entropy");
    assertError(replace("loss: cross_entropy", "loss: cross_entropy, dropout: 0.2"), "19:42", "training.dropout");
  }

  @Test
  void encoderNeedsExactlyOneInputKind() {
    assertError(replace("  embedding: {vocab: 40, dim: 16}\n", ""), "3:1", "missing required key 'encoder.input'");
    assertError(replace("  embedding: {vocab: 40, dim: 16}\n", "  embedding: {vocab: 40, dim: 16}\n  input: 3\n"),
        "6:3", "either encoder.input");
  }

  @Test
  void unknownKeysInSectionsSayWhereTheyBelong() {
    assertError(replace("  bidirectional: true\n", "  bidirectional: true\n  bridge: copy\n"), "9:3",
        "unknown key 'bridge' in encoder (it belongs in the decoder section)");
  }

  @Test
  void everyErrorIsReportedAtOnce() {
    List<String> errors = errors(replace("start: 1", "start: 99").replace("size: 14", "size: 13")
        .replace("hidden: 128", "hidden: 7"));
    assertEquals(3, errors.size(), errors.toString());
  }

  @Test
  void singleStackParsingRefusesAnEncoderDecoderSpecWithOneClearMessage() {
    RnncException e = assertThrows(RnncException.class, () -> SpecParser.parse("s.yaml", ISSUE_EXAMPLE));
    assertEquals("s.yaml: this is an encoder–decoder spec, whose generated class implements Seq2SeqModel; this use "
        + "needs a single-stack spec (a model implementing RnnModel)", e.getMessage());
  }

  @Test
  void theRepositorysEncoderDecoderSpecsParse() throws java.io.IOException {
    java.nio.file.Path dir = null;
    for (java.nio.file.Path d = java.nio.file.Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (java.nio.file.Files.isDirectory(d.resolve("specs/encoder_decoder"))) {
        dir = d.resolve("specs/encoder_decoder");
        break;
      }
    }
    assertTrue(dir != null, "no specs/encoder_decoder above the module");
    Seq2SeqConfig date = assertInstanceOf(Seq2SeqSpec.class,
        SpecParser.parseAny(dir.resolve("date_normalizer_seq2seq.yaml"))).config();
    assertEquals(parse(ISSUE_EXAMPLE), date);
    Seq2SeqConfig melody = assertInstanceOf(Seq2SeqSpec.class,
        SpecParser.parseAny(dir.resolve("melody_one_to_many.yaml"))).config();
    assertEquals(8, melody.encoder().inputSize());
    assertTrue(melody.copiesCellState());
  }

  /**
   * Mutations of valid encoder–decoder specs (lines dropped, duplicated or re-indented, values swapped for other
   * plausible or broken values) give either a config or positioned spec errors — never another exception.
   */
  @Test
  void mutatedEncoderDecoderSpecsGiveConfigsOrPositionedErrors() {
    String[] values = {"0", "1", "-1", "2", "7", "64", "128", "65537", "true", "false", "gru", "lstm", "rnn",
        "copy", "linear", "every_step", "initial", "before", "relu", "{}", "[]", "~", "{vocab: 3, dim: 2}",
        "{size: 14}", "{start: 0, end: 13}", "softmax", "sigmoid", "mse", "x"};
    String[] bases = {ISSUE_EXAMPLE, ISSUE_EXAMPLE.replace("cell: gru", "cell: lstm").replace("bridge: copy",
        "bridge: linear").replace("context: initial", "context: every_step")};
    java.util.SplittableRandom random = new java.util.SplittableRandom(2026);
    int configs = 0;
    int errors = 0;
    for (int trial = 0; trial < 3000; trial++) {
      List<String> lines = new java.util.ArrayList<>(List.of(bases[trial % 2].split("\n")));
      int mutations = 1 + random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        int at = random.nextInt(lines.size());
        String line = lines.get(at);
        switch (random.nextInt(4)) {
          case 0 -> lines.remove(at);
          case 1 -> lines.add(random.nextInt(lines.size() + 1), line.strip());
          case 2 -> lines.set(at, line.startsWith("  ") ? line.strip() : "  " + line);
          default -> {
            int colon = line.indexOf(": ");
            if (colon > 0) {
              lines.set(at, line.substring(0, colon + 2) + values[random.nextInt(values.length)]);
            }
          }
        }
      }
      String text = String.join("\n", lines) + "\n";
      try {
        ParsedSpec parsed = SpecParser.parseAny("m.yaml", text);
        if (parsed instanceof Seq2SeqSpec spec) {
          spec.config().parameterShapes();
        }
        configs++;
      } catch (SpecException e) {
        assertTrue(!e.errors().isEmpty() && e.getMessage().contains("m.yaml:"), text);
        errors++;
      } catch (RuntimeException e) {
        throw new AssertionError("unexpected " + e + " for\n" + text, e);
      }
    }
    assertTrue(configs > 100 && errors > 1000, configs + " configs, " + errors + " errors");
  }

  @Test
  void singleStackSpecsAreUnchanged() {
    ParsedSpec parsed = SpecParser.parseAny("m.yaml", "model: M\npackage: p\ncell: gru\ninput: 3\nhidden: 4\n");
    assertInstanceOf(Spec.class, parsed);
  }
}
