package dev.rnnc.compiler.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad spec text → the exact list of errors, one row per rule (and per way of breaking it). */
class SpecErrorsTest {
  private static final String FILE = "bad.yaml";
  private static final String TOP = "model, package, cell, nonlinearity, gru_reset, proj_size, peepholes, input, "
      + "embedding, hidden, layers, bidirectional, mode, head, limits, weights, training";
  /** A valid spec's first five lines; rows append to it, so their own lines start at 6. */
  private static final String BASE = """
      model: M
      package: p
      cell: lstm
      input: 4
      hidden: 8
      """;

  static Stream<Arguments> rows() {
    return Stream.of(
        // --- unknown keys
        row("misspelt required key suggests the closest and is not also reported missing", """
            model: M
            package: p
            cell: lstm
            input: 4
            hiden: 8
            """,
            "5:1: unknown key 'hiden' (did you mean 'hidden'?); valid keys: " + TOP),
        row("misspelt embedding is not also reported as a missing input", """
            model: M
            package: p
            cell: lstm
            embeding: {vocab: 10, dim: 4}
            hidden: 8
            """,
            "4:1: unknown key 'embeding' (did you mean 'embedding'?); valid keys: " + TOP),
        row("a required key still missing beside an unrelated misspelling", """
            model: M
            package: p
            cell: lstm
            input: 4
            layres: 2
            """,
            "1:1: missing required key 'hidden'",
            "5:1: unknown key 'layres' (did you mean 'layers'?); valid keys: " + TOP),
        row("unknown key without a close match", BASE + "colour: red\n",
            "6:1: unknown key 'colour'; valid keys: " + TOP),
        row("key case is suggested", BASE + "Layers: 2\n",
            "6:1: unknown key 'Layers' (did you mean 'layers'?); valid keys: " + TOP),
        row("section key at the top level", BASE + "dropout: 0.1\n",
            "6:1: unknown key 'dropout' (it belongs in the training section); valid keys: " + TOP),
        row("top-level key inside a section", BASE + "head: {size: 3, hidden: 4}\n",
            "6:17: unknown key 'hidden' in head (it belongs at the top level); valid keys: size, activation"),
        row("misspelt required section key", BASE + "head:\n  sise: 3\n",
            "7:3: unknown key 'sise' in head (did you mean 'size'?); valid keys: size, activation"),
        row("key that is not a name", BASE + "? [a, b]\n: 1\n",
            "6:3: keys must be names, got a list"),
        row("duplicate key", BASE + "hidden: 16\n",
            "6:1: duplicate key 'hidden' (first given at line 5)"),
        row("duplicate key in a section", BASE + "limits:\n  max_batch: 4\n  max_batch: 8\n",
            "8:3: duplicate key 'limits.max_batch' (first given at line 7)"),

        // --- types and bounds
        row("integer that is a word", BASE.replace("hidden: 8", "hidden: abc"),
            "5:9: hidden must be a positive integer, got 'abc'"),
        row("integer zero", BASE.replace("hidden: 8", "hidden: 0"),
            "5:9: hidden must be a positive integer, got '0'"),
        row("negative input", BASE.replace("input: 4", "input: -4"),
            "4:8: input must be a positive integer, got '-4'"),
        row("fractional size", BASE.replace("input: 4", "input: 4.5"),
            "4:8: input must be a positive integer, got '4.5'"),
        row("quoted number is a string", BASE.replace("hidden: 8", "hidden: \"128\""),
            "5:9: hidden must be a positive integer, got \"128\" (a quoted string)"),
        row("empty value", BASE.replace("hidden: 8", "hidden:"),
            "5:8: hidden must be a positive integer, got nothing"),
        row("mapping where a number belongs", BASE.replace("hidden: 8", "hidden: {size: 8}"),
            "5:9: hidden must be a positive integer, got a mapping"),
        row("size above MAX_DIMENSION", BASE.replace("hidden: 8", "hidden: 70000"),
            "5:9: hidden must be at most 65536, got 70000"),
        row("size beyond long", BASE.replace("input: 4", "input: 123456789012345678901234567890"),
            "4:8: input must be at most 65536, got 123456789012345678901234567890"),
        row("too many layers says why", BASE + "layers: 17\n",
            "6:9: layers must be at most 16, got 17 (no practical recurrent model is deeper, and the "
                + "generated code grows with every layer)"),
        row("zero layers", BASE + "layers: 0\n",
            "6:9: layers must be a positive integer, got '0'"),
        row("boolean spelled yes", BASE + "bidirectional: yes\n",
            "6:16: bidirectional must be true or false, got 'yes'"),
        row("limits that are not positive", BASE + "limits: {max_length: 0, max_batch: -1}\n",
            "6:22: limits.max_length must be a positive integer, got '0'",
            "6:36: limits.max_batch must be a positive integer, got '-1'"),

        // --- enumerations
        row("misspelt cell", BASE.replace("cell: lstm", "cell: lstn"),
            "3:7: cell must be one of rnn, gru, lstm, got 'lstn' (did you mean 'lstm'?)"),
        row("cell in capitals", BASE.replace("cell: lstm", "cell: LSTM"),
            "3:7: cell must be one of rnn, gru, lstm, got 'LSTM' (did you mean 'lstm'? values are lower case)"),
        row("cell capitalised", BASE.replace("cell: lstm", "cell: Gru"),
            "3:7: cell must be one of rnn, gru, lstm, got 'Gru' (did you mean 'gru'? values are lower case)"),
        row("mode in capitals", BASE + "mode: MANY_TO_ONE\n",
            "6:7: mode must be one of many_to_many, many_to_one, got 'MANY_TO_ONE' (did you mean 'many_to_one'? "
                + "values are lower case)"),
        row("unknown mode", BASE + "mode: many_to_few\n",
            "6:7: mode must be one of many_to_many, many_to_one, got 'many_to_few'"),
        row("unknown nonlinearity", BASE.replace("lstm", "rnn") + "nonlinearity: sigmoid\n",
            "6:15: nonlinearity must be one of tanh, relu, got 'sigmoid'"),
        row("unknown gru_reset", BASE.replace("lstm", "gru") + "gru_reset: never\n",
            "6:12: gru_reset must be one of after, before, got 'never'"),
        row("unknown head activation", BASE + "head: {size: 4, activation: relu}\n",
            "6:29: head.activation must be one of linear, sigmoid, softmax, got 'relu'"),
        row("unknown loss", BASE + "head: {size: 4}\ntraining: {loss: nll}\n",
            "7:18: training.loss must be one of cross_entropy, bce, mse, got 'nll'"),

        // --- required keys and sections
        row("empty mapping misses every required key", "{}\n",
            "1:1: missing required key 'model'",
            "1:1: missing required key 'package'",
            "1:1: missing required key 'cell'",
            "1:1: missing required key 'hidden'",
            "1:1: missing required key 'input' (or 'embedding' for token-id inputs)"),
        row("missing keys point at the document start", "# a comment\nhidden: 8\ninput: 3\ncell: gru\n",
            "2:1: missing required key 'model'",
            "2:1: missing required key 'package'"),
        row("section that is not a mapping", BASE + "head: 96\n",
            "6:7: head must be a mapping with keys size, activation, got '96'"),
        row("empty section", BASE + "training:\n",
            "6:10: training must be a mapping with keys loss, dropout, truncate, got nothing"),
        row("embedding without dim", "model: M\npackage: p\ncell: gru\nhidden: 8\nembedding: {vocab: 10}\n",
            "5:1: missing required key 'embedding.dim'"),
        row("vocabulary above the runtime bound", "model: M\npackage: p\ncell: gru\nhidden: 8\n"
                + "embedding: {vocab: 2000000, dim: 8}\n",
            "5:20: embedding.vocab must be at most 1048576, got 2000000"),
        row("training without loss", BASE + "training: {dropout: 0.0}\n",
            "6:1: missing required key 'training.loss'"),

        // --- contradictions
        row("input and embedding", BASE + "embedding: {vocab: 10, dim: 4}\n",
            "6:1: give either input (dense features) or embedding (token ids), not both"),
        row("nonlinearity on a gru", BASE.replace("lstm", "gru") + "nonlinearity: relu\n",
            "6:1: nonlinearity applies only to cell rnn, not gru; remove it"),
        row("nonlinearity on an lstm", BASE + "nonlinearity: tanh\n",
            "6:1: nonlinearity applies only to cell rnn, not lstm; remove it"),
        row("gru_reset on an rnn", BASE.replace("lstm", "rnn") + "gru_reset: before\n",
            "6:1: gru_reset applies only to cell gru, not rnn; remove it"),
        row("gru_reset on an lstm", BASE + "gru_reset: after\n",
            "6:1: gru_reset applies only to cell gru, not lstm; remove it"),
        row("proj_size on a gru", BASE.replace("lstm", "gru") + "proj_size: 4\n",
            "6:1: proj_size applies only to cell lstm, not gru; remove it"),
        row("proj_size on an rnn", BASE.replace("lstm", "rnn") + "proj_size: 4\n",
            "6:1: proj_size applies only to cell lstm, not rnn; remove it"),
        row("proj_size equal to hidden", BASE + "proj_size: 8\n",
            "6:12: proj_size must be less than hidden (8), got 8: the projection narrows h from hidden to "
                + "proj_size values, as in torch.nn.LSTM; remove proj_size for none"),
        row("proj_size above hidden", BASE + "proj_size: 12\n",
            "6:12: proj_size must be less than hidden (8), got 12: the projection narrows h from hidden to "
                + "proj_size values, as in torch.nn.LSTM; remove proj_size for none"),
        row("proj_size zero", BASE + "proj_size: 0\n",
            "6:12: proj_size must be a positive integer, got '0'"),
        row("proj_size that is a word", BASE + "proj_size: half\n",
            "6:12: proj_size must be a positive integer, got 'half'"),
        row("peepholes on a gru", BASE.replace("lstm", "gru") + "peepholes: true\n",
            "6:1: peepholes apply only to cell lstm, not gru; remove them"),
        row("peepholes false on an rnn", BASE.replace("lstm", "rnn") + "peepholes: false\n",
            "6:1: peepholes apply only to cell lstm, not rnn; remove them"),
        row("peepholes spelled yes", BASE + "peepholes: yes\n",
            "6:12: peepholes must be true or false, got 'yes'"),
        row("bf16 weights with training", BASE + "weights: bf16\ntraining: {loss: mse}\n",
            "6:10: weights bf16 is for inference: training updates float32 weights; remove the training section, "
                + "or use weights: f32 (the default) to train, then compile a bf16 spec for the trained weights"),
        row("fp16 weights", BASE + "weights: fp16\n", "6:10: weights must be one of f32, bf16, got 'fp16'"),
        row("cross_entropy without a head", BASE + "training: {loss: cross_entropy}\n",
            "6:18: training.loss cross_entropy needs a head (it scores the head's logits); add head: {size: N}"),
        row("bce without a head", BASE + "training: {loss: bce}\n",
            "6:18: training.loss bce needs a head (it scores the head's logits); add head: {size: N}"),
        row("cross_entropy with one output", BASE + "head: {size: 1}\ntraining: {loss: cross_entropy}\n",
            "7:18: training.loss cross_entropy needs head.size >= 2 (one logit per class), got 1; "
                + "use bce for a single yes/no output"),
        row("mse on a softmax head", BASE + "head: {size: 3, activation: softmax}\ntraining: {loss: mse}\n",
            "7:18: training.loss mse cannot train a softmax head: mse compares the prediction with the target; "
                + "use head activation linear or sigmoid"),
        row("dropout of one", BASE + "layers: 2\ntraining: {loss: mse, dropout: 1.0}\n",
            "7:32: training.dropout must be a number in [0, 1), got '1.0'"),
        row("negative dropout", BASE + "layers: 2\ntraining: {loss: mse, dropout: -0.1}\n",
            "7:32: training.dropout must be a number in [0, 1), got '-0.1'"),
        row("dropout that is not a number", BASE + "layers: 2\ntraining: {loss: mse, dropout: .nan}\n",
            "7:32: training.dropout must be a number in [0, 1), got '.nan'"),
        row("dropout with one layer", BASE + "training: {loss: mse, dropout: 0.5}\n",
            "6:32: training.dropout must be 0 when layers is 1: dropout only acts between stacked layers "
                + "(PyTorch warns the same); use layers >= 2 or remove dropout"),
        row("negative truncate", BASE + "training: {loss: mse, truncate: -1}\n",
            "6:33: training.truncate must be a non-negative integer, got '-1'"),

        // --- names
        row("model starting with a digit", BASE.replace("model: M", "model: 3Cell"),
            "1:8: model must be a Java identifier (letters, digits, _ or $, not starting with a digit), got '3Cell'"),
        row("model with a dash", BASE.replace("model: M", "model: char-lstm"),
            "1:8: model must be a Java identifier (letters, digits, _ or $, not starting with a digit), "
                + "got 'char-lstm'"),
        row("model that is a keyword", BASE.replace("model: M", "model: class"),
            "1:8: model 'class' is a Java keyword"),
        row("model that is a restricted identifier", BASE.replace("model: M", "model: record"),
            "1:8: model 'record' cannot name a Java class (it is a restricted identifier)"),
        row("model clashing with java.lang", BASE.replace("model: M", "model: Math"),
            "1:8: model 'Math' would clash with java.lang.Math, which generated code uses without importing; "
                + "choose another name"),
        row("model clashing with the runtime", BASE.replace("model: M", "model: Batch"),
            "1:8: model 'Batch' would clash with dev.rnnc.runtime.Batch, which the generated class imports; "
                + "choose another name"),
        row("package with an empty segment", BASE.replace("package: p", "package: org..rnn"),
            "2:10: package must be a dotted Java name such as org.example.rnn, got 'org..rnn'"),
        row("package segment starting with a digit", BASE.replace("package: p", "package: org.3d"),
            "2:10: package must be a dotted Java name such as org.example.rnn; '3d' is not a Java identifier"),
        row("package segment that is a keyword", BASE.replace("package: p", "package: org.new.rnn"),
            "2:10: package must be a dotted Java name such as org.example.rnn; 'new' is a Java keyword"),
        row("package under java", BASE.replace("package: p", "package: java.rnn"),
            "2:10: package 'java.rnn' is reserved for the JDK; the JVM refuses to define classes in it"),

        // --- sizes
        row("buffer product over 2^28 via limits", BASE + "limits:\n  max_batch: 4096\n  max_length: 4096\n",
            "6:1: the input projections would hold max_batch × max_length × (gates × hidden, padded) = "
                + "4096 × 4096 × (48) = 805306368 floats, more than the 268435456 (2^28) one buffer may hold; lower limits.max_batch "
                + "or limits.max_length"),
        row("buffer product over 2^28 via a wide head", BASE + "head: {size: 65536}\n",
            "6:14: the head logits would hold max_batch × max_length × (head.size) = 32 × 256 × (65536) = "
                + "536870912 floats, more than the 268435456 (2^28) one buffer may hold; lower limits.max_batch "
                + "or limits.max_length"),
        row("recurrent weights over 2^28", BASE.replace("hidden: 8", "hidden: 9000"),
            "5:9: rnn.weight_hh_l0 would have 36000 × 9000 = 324000000 elements, more than the 268435456 (2^28) "
                + "one tensor may hold; use smaller sizes",
            "5:9: the input projections would hold max_batch × max_length × (gates × hidden, padded) = "
                + "32 × 256 × (36016) = 295043072 floats, more than the 268435456 (2^28) one buffer may hold; lower limits.max_batch "
                + "or limits.max_length"),
        row("embedding table over 2^28", "model: M\npackage: p\ncell: gru\nhidden: 8\n"
                + "embedding: {vocab: 1048576, dim: 512}\n",
            "5:1: embedding.weight would have 1048576 × 512 = 536870912 elements, more than the 268435456 (2^28) "
                + "one tensor may hold; use smaller sizes"),

        // --- documents
        row("empty file", "",
            "1:1: the spec is empty: expected a mapping with at least model, package, cell, input (or embedding) "
                + "and hidden"),
        row("only comments", "# nothing yet\n",
            "1:1: the spec is empty: expected a mapping with at least model, package, cell, input (or embedding) "
                + "and hidden"),
        row("a list", "- model: M\n- package: p\n",
            "1:1: the spec must be a YAML mapping of keys to values, got a list"),
        row("a scalar", "just text\n",
            "1:1: the spec must be a YAML mapping of keys to values, got 'just text'"),
        row("two documents", BASE + "---\nmodel: N\n",
            "6:1: a spec holds one YAML document; remove this second one"),
        row("syntax error: bad indentation", "model: M\n  package: p\n",
            "2:10: mapping values are not allowed here"),
        row("syntax error: unclosed flow", BASE + "head: {size: 3\n",
            "7:1: expected ',' or '}', but got <stream end> (while parsing a flow mapping)"),
        row("syntax error: undefined alias", BASE + "layers: *deep\n",
            "6:9: found undefined alias deep"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void reportsExactly(String name, String yaml, List<String> expected) {
    SpecException e = assertThrows(SpecException.class, () -> SpecParser.parse(FILE, yaml));
    List<String> actual = e.errors().stream().map(SpecError::toString).toList();
    assertEquals(expected.stream().map(m -> FILE + ":" + m).toList(), actual);
    assertEquals(String.join("\n", actual), e.getMessage());
  }

  private static Arguments row(String name, String yaml, String... expected) {
    return Arguments.of(name, yaml, Arrays.asList(expected));
  }
}
