package dev.rnnc.compiler.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import dev.rnnc.runtime.reference.ReferenceSeq2Seq;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference encoder–decoder against PyTorch ({@code src/test/python/make_seq2seq_goldens.py}): teacher-forced
 * logits, prediction, loss, final states, every parameter's gradient (and the float source's), greedy tokens.
 * Tolerances are those of the single-stack goldens ({@link GoldenCheck}).
 */
class Seq2SeqGoldenTest {
  static final Path DIR = Path.of("src/test/resources/golden_seq2seq");

  /** One golden file with its spec, parameters and tensors. */
  record Case(String name, SafeTensorsFile file, Seq2SeqConfig config, Seq2SeqParameters parameters) {
    Tensor tensor(String name) {
      Tensor t = file.tensors().get(name);
      assertNotNull(t, this.name + " has no tensor " + name);
      return t;
    }

    int[] ints(String name) {
      return tensor(name).toIntArray();
    }

    float[] floats(String name) {
      return tensor(name).toFloatArray();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> cases() {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.filter(p -> p.toString().endsWith(".safetensors")).sorted().map(Seq2SeqGoldenTest::load).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Case load(Path path) {
    SafeTensorsFile file = SafeTensors.read(path);
    Seq2SeqSpec spec = (Seq2SeqSpec) SpecParser.parseAny(path + " (spec)", file.metadata().get("spec"));
    // The files hold inputs and expectations beside the weights; the loader (rightly) rejects unknown tensors.
    java.util.Map<String, Tensor> weights = new java.util.LinkedHashMap<>();
    for (String name : spec.config().parameterNames()) {
      if (file.tensors().containsKey(name)) {
        weights.put(name, file.tensors().get(name));
      }
    }
    Seq2SeqParameters parameters = Seq2SeqParameters.fromTensors(weights, spec.config(), path.toString());
    String name = path.getFileName().toString().replace(".safetensors", "");
    return new Case(name, file, spec.config(), parameters);
  }

  static double[] run(Case c, ReferenceSeq2Seq model, boolean gradients) {
    Tensor source = c.tensor("source");
    int batch = source.shape()[0];
    int steps = source.shape()[1];
    int[] target = c.ints("target");
    int targetSteps = c.tensor("target").shape()[1];
    int[] tokens = c.config().sourceTokens() ? source.toIntArray() : null;
    float[] features = c.config().sourceTokens() ? null : source.toFloatArray();
    double loss = gradients
        ? model.computeGradients(tokens, features, batch, steps, c.ints("source_lengths"), target, targetSteps,
            c.ints("target_lengths"))
        : model.teacherForce(tokens, features, batch, steps, c.ints("source_lengths"), target, targetSteps,
            c.ints("target_lengths"));
    return new double[] {loss, batch, steps};
  }

  static float[] narrow(double[] values, int count) {
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  static void forward(Case c, String name, double[] actual) {
    float[] expected = c.floats(name);
    GoldenCheck.assertClose(c.name + " " + name, expected, narrow(actual, expected.length), expected.length,
        GoldenCheck.FORWARD_ABS, GoldenCheck.FORWARD_REL);
  }

  static void gradient(Case c, String name, double[] actual) {
    float[] expected = c.floats(name);
    double scale = 0;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    double abs = Math.min(GoldenCheck.GRADIENT_ABS, GoldenCheck.GRADIENT_SCALED_ABS * scale + 1e-7);
    GoldenCheck.assertClose(c.name + " " + name, expected, narrow(actual, expected.length), expected.length, abs,
        GoldenCheck.GRADIENT_REL);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void teacherForcedForwardMatchesPyTorch(Case c) {
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(c.parameters(), 8, 16, 8);
    double loss = run(c, model, false)[0];
    forward(c, "loss", new double[] {loss});
    forward(c, "logits", model.logits());
    forward(c, "prediction", model.prediction());
    forward(c, "h_n", model.decoderHN());
    forward(c, "encoder_h_n", model.encoderHN());
    if (c.file().tensors().containsKey("c_n")) {
      forward(c, "c_n", model.decoderCN());
    }
    if (c.file().tensors().containsKey("encoder_c_n")) {
      forward(c, "encoder_c_n", model.encoderCN());
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void gradientsMatchPyTorch(Case c) {
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(c.parameters(), 8, 16, 8);
    run(c, model, true);
    for (String name : c.config().parameterNames()) {
      gradient(c, "grad." + name, model.gradient(name));
    }
    if (!c.config().sourceTokens()) {
      gradient(c, "grad.source", model.sourceGradient());
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void greedyDecodingMatchesPyTorch(Case c) {
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(c.parameters(), 8, 16, 8);
    Tensor source = c.tensor("source");
    int batch = source.shape()[0];
    model.encode(c.config().sourceTokens() ? source.toIntArray() : null,
        c.config().sourceTokens() ? null : source.toFloatArray(), batch, source.shape()[1], c.ints("source_lengths"));
    int[] tokens = new int[batch * c.config().maxDecode()];
    int[] lengths = new int[batch];
    model.decodeGreedy(tokens, lengths);
    assertArrayEquals(c.ints("greedy_tokens"), tokens, c.name);
    assertArrayEquals(c.ints("greedy_lengths"), lengths, c.name);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void goldensCoverTheSpecParametersInStateDictOrder(Case c) {
    List<String> stored = c.file().tensors().keySet().stream()
        .filter(n -> !n.startsWith("grad.") && c.config().parameterShapes().containsKey(n)).toList();
    assertEquals(c.config().parameterNames().size(), stored.size(), c.name);
    for (String name : c.config().parameterNames()) {
      assertArrayEquals(c.config().parameterShapes().get(name), c.tensor(name).shape(), name);
    }
  }

  /** The comparison can fail: one head bias off by 1e-3 moves the loss and logits beyond the tolerance. */
  @Test
  void aPerturbedModelFailsTheComparison() {
    Case c = cases().get(0);
    Seq2SeqParameters perturbed = c.parameters().copy();
    perturbed.get("head.bias")[0] += 1e-3f;
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(perturbed, 8, 16, 8);
    run(c, model, false);
    assertThrows(AssertionError.class, () -> forward(c, "logits", model.logits()));
  }

  @Test
  void coversTheCasesTheIssueAsksFor() {
    List<Case> all = cases();
    assertTrue(all.stream().anyMatch(c -> c.config().encoder().bidirectional()
        && c.config().bridge() == Seq2SeqConfig.Bridge.COPY && c.config().encoder().cell().name().equals("GRU")));
    assertTrue(all.stream().anyMatch(c -> c.config().layers() == 2 && !c.config().sourceTokens()
        && c.config().bridge() == Seq2SeqConfig.Bridge.LINEAR
        && c.config().context() == Seq2SeqConfig.Context.EVERY_STEP));
    assertTrue(all.stream().anyMatch(c -> c.config().encoder().gruReset().name().equals("BEFORE")
        && c.config().decoder().hasCellState()));
    int maxDecode = all.stream().mapToInt(c -> c.config().maxDecode()).max().orElse(0);
    // Greedy goldens include a row that stopped at the end token and one that ran to max_length.
    assertTrue(all.stream().anyMatch(c -> java.util.Arrays.stream(c.ints("greedy_lengths"))
        .anyMatch(n -> n < c.config().maxDecode())));
    assertTrue(all.stream().anyMatch(c -> java.util.Arrays.stream(c.ints("greedy_lengths"))
        .anyMatch(n -> n == c.config().maxDecode())) && maxDecode > 0);
  }
}
