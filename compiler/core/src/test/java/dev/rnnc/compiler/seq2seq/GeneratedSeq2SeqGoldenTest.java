package dev.rnnc.compiler.seq2seq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rnnc.compiler.golden.GoldenCheck;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated encoder–decoder class against the PyTorch goldens ({@code make_seq2seq_goldens.py}): teacher-forced
 * logits, prediction, loss, final states, every parameter's gradient and the float source's, greedy tokens; with the
 * tolerances of the single-stack goldens ({@link GoldenCheck}).
 */
class GeneratedSeq2SeqGoldenTest {
  static final Path DIR = Path.of("src/test/resources/golden_seq2seq");

  record Case(String name, SafeTensorsFile file, GeneratedSeq2Seq.Compiled compiled, Seq2SeqParameters parameters) {
    float[] floats(String tensor) {
      return file.tensors().get(tensor).toFloatArray();
    }

    int[] ints(String tensor) {
      return file.tensors().get(tensor).toIntArray();
    }

    boolean tokens() {
      return compiled.spec().config().sourceTokens();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static List<Case> cases;

  @BeforeAll
  static void compileAll() {
    cases = load();
  }

  static List<Case> cases() {
    if (cases == null) {
      cases = load();
    }
    return cases;
  }

  private static List<Case> load() {
    return load(true);
  }

  private static List<Case> load(boolean vectorKernels) {
    List<Path> paths;
    try (Stream<Path> files = Files.list(DIR)) {
      paths = files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<SafeTensorsFile> files = paths.stream().map(SafeTensors::read).toList();
    List<String> specs = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      // one javac run for all cases: give each its own class name
      specs.add(files.get(i).metadata().get("spec").replaceFirst("(?m)^model: *\\w+", "model: Golden" + i));
    }
    List<GeneratedSeq2Seq.Compiled> compiled = GeneratedSeq2Seq.compile(specs, vectorKernels);
    List<Case> out = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      SafeTensorsFile file = files.get(i);
      Map<String, Tensor> weights = new LinkedHashMap<>();
      for (String name : compiled.get(i).spec().config().parameterNames()) {
        weights.put(name, file.tensors().get(name));
      }
      Seq2SeqParameters parameters = Seq2SeqParameters.fromTensors(weights, compiled.get(i).spec().config(),
          paths.get(i).toString());
      out.add(new Case(paths.get(i).getFileName().toString().replace(".safetensors", ""), file, compiled.get(i),
          parameters));
    }
    return out;
  }

  static float run(Case c, Seq2SeqModel model, boolean gradients) {
    Tensor source = c.file().tensors().get("source");
    int batch = source.shape()[0];
    int steps = source.shape()[1];
    int[] tokens = c.tokens() ? source.toIntArray() : null;
    float[] features = c.tokens() ? null : source.toFloatArray();
    int targetSteps = c.file().tensors().get("target").shape()[1];
    return gradients
        ? model.computeGradients(tokens, features, batch, steps, c.ints("source_lengths"), c.ints("target"),
            targetSteps, c.ints("target_lengths"))
        : model.teacherForce(tokens, features, batch, steps, c.ints("source_lengths"), c.ints("target"), targetSteps,
            c.ints("target_lengths"));
  }

  static void forward(Case c, String name, float[] actual) {
    float[] expected = c.floats(name);
    GoldenCheck.assertClose(c.name() + " " + name, expected, actual, expected.length, GoldenCheck.FORWARD_ABS,
        GoldenCheck.FORWARD_REL);
  }

  static void gradient(Case c, String name, float[] actual) {
    float[] expected = c.floats(name);
    double scale = 0;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    double abs = Math.min(GoldenCheck.GRADIENT_ABS, GoldenCheck.GRADIENT_SCALED_ABS * scale + 1e-7);
    GoldenCheck.assertClose(c.name() + " " + name, expected, actual, expected.length, abs, GoldenCheck.GRADIENT_REL);
  }

  private static void checkForward(Case c, Seq2SeqModel model, float loss) {
    forward(c, "loss", new float[] {loss});
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
  void teacherForcedForwardMatchesPyTorch(Case c) {
    Seq2SeqModel model = c.compiled().instantiate(c.parameters(), 8, 16, 8);
    checkForward(c, model, run(c, model, false));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void gradientsMatchPyTorch(Case c) {
    Seq2SeqModel model = c.compiled().instantiate(c.parameters(), 8, 16, 8);
    float loss = run(c, model, true);
    checkForward(c, model, loss);
    for (String name : c.compiled().spec().config().parameterNames()) {
      gradient(c, "grad." + name, model.gradients().get(name));
    }
    if (c.tokens()) {
      assertNull(model.sourceGradient());
    } else {
      gradient(c, "grad.source", model.sourceGradient());
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void greedyDecodingMatchesPyTorch(Case c) {
    Seq2SeqModel model = c.compiled().instantiate(c.parameters(), 8, 16, 8);
    Tensor source = c.file().tensors().get("source");
    int batch = source.shape()[0];
    model.encode(c.tokens() ? source.toIntArray() : null, c.tokens() ? null : source.toFloatArray(), batch,
        source.shape()[1], c.ints("source_lengths"));
    int[] tokens = new int[batch * c.compiled().spec().config().maxDecode()];
    int[] lengths = new int[batch];
    model.decodeGreedy(tokens, lengths);
    assertArrayEquals(c.ints("greedy_tokens"), tokens, c.name());
    assertArrayEquals(c.ints("greedy_lengths"), lengths, c.name());
  }

  /** The scalar kernels (no jdk.incubator.vector) of both nested stacks agree with PyTorch as well. */
  @Test
  void scalarKernelsMatchPyTorchToo() throws ReflectiveOperationException {
    for (Case c : load(false)) {
      for (String stack : List.of("Encoder", "Decoder")) {
        java.lang.reflect.Field vector = Class.forName(c.compiled().type().getName() + "$" + stack, false,
            c.compiled().type().getClassLoader()).getDeclaredField("VECTOR");
        vector.setAccessible(true);
        org.junit.jupiter.api.Assertions.assertFalse(vector.getBoolean(null), c + " " + stack);
      }
      Seq2SeqModel model = c.compiled().instantiate(c.parameters(), 8, 16, 8);
      float loss = run(c, model, true);
      checkForward(c, model, loss);
      for (String name : c.compiled().spec().config().parameterNames()) {
        gradient(c, "grad." + name, model.gradients().get(name));
      }
    }
  }

  /** The comparisons can fail: a perturbed parameter of each stack moves results beyond the tolerances. */
  @Test
  void perturbedModelsFailTheComparison() {
    Case c = cases().get(0);
    for (String name : List.of("head.bias", "encoder.rnn.bias_hh_l0", "decoder.embedding.weight")) {
      Seq2SeqParameters perturbed = c.parameters().copy();
      // the start token's embedding row is read at every first step (row 0 may be a padding id nobody reads)
      int at = name.equals("decoder.embedding.weight")
          ? c.compiled().spec().config().start() * c.compiled().spec().config().embeddingDim() : 0;
      perturbed.get(name)[at] += 2e-2f;
      Seq2SeqModel model = c.compiled().instantiate(perturbed, 8, 16, 8);
      float loss = run(c, model, true);
      assertThrows(AssertionError.class, () -> {
        checkForward(c, model, loss);
        for (String p : c.compiled().spec().config().parameterNames()) {
          gradient(c, "grad." + p, model.gradients().get(p));
        }
      }, name);
    }
  }
}
