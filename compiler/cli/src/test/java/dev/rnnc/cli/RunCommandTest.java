package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.io.Tensor;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rnnc run: outputs against the reference implementation, and every kind of bad input. */
class RunCommandTest {
  static final String DENSE = """
      model: Dense
      package: t.run
      cell: lstm
      input: 3
      hidden: 6
      layers: 2
      bidirectional: true
      mode: many_to_one
      head: {size: 4, activation: softmax}
      limits: {max_batch: 2, max_length: 3}
      """;

  static final String TOKENS = """
      model: Tokens
      package: t.run
      cell: gru
      embedding: {vocab: 7, dim: 4}
      hidden: 5
      mode: many_to_many
      head: {size: 3, activation: sigmoid}
      """;

  static final int B = 3;
  static final int T = 5;

  @TempDir
  static Path dir;

  static Path dense;
  static Path tokens;

  @BeforeAll
  static void specs() {
    dense = Cli.write(dir, "dense.yaml", DENSE);
    tokens = Cli.write(dir, "tokens.yaml", TOKENS);
  }

  static float[] random(SplittableRandom r, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextDouble(-1, 1);
    }
    return out;
  }

  /** Dense input beyond the spec's limits (B = 3 > max_batch 2, T = 5 > max_length 3), with lengths and h0/c0. */
  static Map<String, Tensor> denseInput() {
    SplittableRandom r = new SplittableRandom(3);
    Map<String, Tensor> x = new LinkedHashMap<>();
    x.put("input", Tensor.ofFloats(new int[] {B, T, 3}, random(r, B * T * 3)));
    x.put("lengths", Tensor.ofLongs(new int[] {B}, new long[] {5, 2, 4}));
    x.put("h0", Tensor.ofFloats(new int[] {4, B, 6}, random(r, 4 * B * 6)));
    x.put("c0", Tensor.ofFloats(new int[] {4, B, 6}, random(r, 4 * B * 6)));
    return x;
  }

  static void assertClose(float[] expected, Tensor actual, int[] shape, String name) {
    assertArrayEquals(shape, actual.shape(), name + " shape");
    float[] values = actual.floats();
    for (int i = 0; i < values.length; i++) {
      assertEquals(expected[i], values[i], 2e-5, name + "[" + i + "]");
    }
  }

  @Test
  void denseModelWithSeededWeightsMatchesTheReference() {
    Map<String, Tensor> x = denseInput();
    Path in = Cli.tensors(dir, "dense-x.safetensors", x);
    Path out = dir.resolve("dense-y.safetensors");
    Cli.Result r = Cli.run("run", dense, "--seed", 11, "--input", in, "--output", out);
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.err().contains("seed 11"), "says the weights are random:\n" + r);

    ModelConfig config = SpecParser.parse(dense).config();
    ReferenceModel ref = new ReferenceModel(ModelParameters.initialize(config, 11), B, T);
    int[] lengths = {5, 2, 4};
    ref.forward(x.get("input").floats(), B, T, lengths, x.get("h0").floats(), x.get("c0").floats());
    Map<String, Tensor> y = Cli.read(out);
    assertEquals(List.of("output", "h_n", "c_n", "features", "logits", "prediction"), List.copyOf(y.keySet()));
    assertClose(ref.output(), y.get("output"), new int[] {B, T, 12}, "output");
    assertClose(ref.hN(), y.get("h_n"), new int[] {4, B, 6}, "h_n");
    assertClose(ref.cN(), y.get("c_n"), new int[] {4, B, 6}, "c_n");
    assertClose(ref.features(), y.get("features"), new int[] {B, 12}, "features");
    assertClose(ref.logits(), y.get("logits"), new int[] {B, 4}, "logits");
    assertClose(ref.prediction(), y.get("prediction"), new int[] {B, 4}, "prediction");
  }

  @Test
  void scalarKernelsGiveTheSameResults() {
    Path in = Cli.tensors(dir, "dense-x2.safetensors", denseInput());
    Path vector = dir.resolve("vector.safetensors");
    Path scalar = dir.resolve("scalar.safetensors");
    assertEquals(0, Cli.run("run", dense, "--input", in, "--output", vector).code());
    Cli.Result r = Cli.run("run", dense, "--input", in, "--output", scalar, "--scalar");
    assertEquals(0, r.code(), r::toString);
    Map<String, Tensor> v = Cli.read(vector);
    Map<String, Tensor> s = Cli.read(scalar);
    for (String name : v.keySet()) {
      assertClose(v.get(name).floats(), s.get(name), v.get(name).shape(), name);
    }
  }

  @Test
  void threadsSplitTheBatchWithoutChangingAResult() {
    // 11 sequences of uneven lengths: the slices group rows into 4-, 2- and 1-row sweeps differently from the
    // whole batch, which must not change a sequence's values
    int n = 11;
    SplittableRandom random = new SplittableRandom(5);
    Map<String, Tensor> x = new LinkedHashMap<>();
    x.put("input", Tensor.ofFloats(new int[] {n, T, 3}, random(random, n * T * 3)));
    x.put("lengths", Tensor.ofLongs(new int[] {n}, new long[] {5, 2, 4, 1, 5, 5, 3, 2, 5, 4, 1}));
    x.put("h0", Tensor.ofFloats(new int[] {4, n, 6}, random(random, 4 * n * 6)));
    x.put("c0", Tensor.ofFloats(new int[] {4, n, 6}, random(random, 4 * n * 6)));
    Path in = Cli.tensors(dir, "dense-x3.safetensors", x);
    Path one = dir.resolve("one.safetensors");
    Path two = dir.resolve("two.safetensors");
    assertEquals(0, Cli.run("run", dense, "--input", in, "--output", one).code());
    Cli.Result r = Cli.run("run", dense, "--input", in, "--output", two, "--threads", 2);
    assertEquals(0, r.code(), r::toString);
    Map<String, Tensor> a = Cli.read(one);
    Map<String, Tensor> b = Cli.read(two);
    assertEquals(a.keySet(), b.keySet());
    for (String name : a.keySet()) {
      assertTrue(Arrays.equals(a.get(name).floats(), b.get(name).floats()), name + " differs with --threads 2");
    }
    Cli.Result bad = Cli.run("run", dense, "--input", in, "--output", dir.resolve("x.safetensors"), "--threads", 0);
    assertTrue(bad.code() != 0 && bad.err().contains("--threads must be >= 1"), bad::toString);
  }

  @Test
  void tokenModelWithWeightsFileMatchesTheReference() {
    ModelConfig config = SpecParser.parse(tokens).config();
    ModelParameters weights = ModelParameters.initialize(config, 5);
    Path w = dir.resolve("tokens-w.safetensors");
    weights.save(w);
    int[] ids = {0, 6, 3, 2, 1, 5, 4, 0, 9, 9, 1, 1, 1, 1, 1};  // row 1 is 3 long: its 9s are padding
    Path in = Cli.tensors(dir, "tokens-x.safetensors", Map.of(
        "input", Tensor.ofLongs(new int[] {B, T}, Arrays.stream(ids).asLongStream().toArray()),
        "lengths", Tensor.ofInts(new int[] {B}, new int[] {5, 3, 5})));
    Path out = dir.resolve("tokens-y.safetensors");
    Cli.Result r = Cli.run("run", tokens, "--weights", w, "--input", in, "--output", out);
    assertEquals(0, r.code(), r::toString);
    assertEquals("", r.err());

    ReferenceModel ref = new ReferenceModel(weights, B, T);
    ref.forwardTokens(ids, B, T, new int[] {5, 3, 5}, null, null);
    Map<String, Tensor> y = Cli.read(out);
    assertEquals(List.of("output", "h_n", "logits", "prediction"), List.copyOf(y.keySet()));
    assertClose(ref.output(), y.get("output"), new int[] {B, T, 5}, "output");
    assertClose(ref.hN(), y.get("h_n"), new int[] {1, B, 5}, "h_n");
    assertClose(ref.logits(), y.get("logits"), new int[] {B, T, 3}, "logits");
    assertClose(ref.prediction(), y.get("prediction"), new int[] {B, T, 3}, "prediction");
  }

  /** Runs with {@code x} and checks the error message and that the existing output file was not touched. */
  static void assertRejected(Path spec, Map<String, Tensor> x, String expectedMessage, Object... extra) throws Exception {
    Path in = Cli.tensors(dir, "bad-x.safetensors", x);
    Path out = dir.resolve("existing.safetensors");
    Files.write(out, new byte[] {1, 2, 3, 4});
    Object[] args = {"run", spec, "--input", in, "--output", out};
    Object[] all = Arrays.copyOf(args, args.length + extra.length);
    System.arraycopy(extra, 0, all, args.length, extra.length);
    Cli.Result r = Cli.run(all);
    assertEquals(1, r.code(), r::toString);
    String message = r.err().lines().filter(line -> !line.contains("seed")).findFirst().orElse("");
    assertTrue(message.startsWith("rnnc: "), r::toString);
    assertTrue(message.contains(expectedMessage), "expected '" + expectedMessage + "' in:\n" + r);
    assertEquals(1, r.err().lines().filter(line -> !line.contains("seed")).count(), "one line:\n" + r);
    assertArrayEquals(new byte[] {1, 2, 3, 4}, Files.readAllBytes(out), "the output file was left alone");
  }

  @Test
  void wrongShapeIsNamed() throws Exception {
    Map<String, Tensor> x = new LinkedHashMap<>(denseInput());
    x.put("input", Tensor.ofFloats(new int[] {B, T, 2}, new float[B * T * 2]));
    assertRejected(dense, x, "'input' has shape [3, 5, 2], expected [B, T, 3]");
    x = new LinkedHashMap<>(denseInput());
    x.put("h0", Tensor.ofFloats(new int[] {2, B, 6}, new float[2 * B * 6]));
    assertRejected(dense, x, "'h0' has shape [2, 3, 6], expected [4, 3, 6]");
  }

  @Test
  void wrongDtypeIsNamed() throws Exception {
    assertRejected(tokens, Map.of("input", Tensor.ofFloats(new int[] {1, 2}, new float[2])),
        "'input' has dtype F32, but this model embeds token ids: expected I64 or I32 token ids [B, T] in 0..6");
  }

  @Test
  void lengthsOutOfRange() throws Exception {
    Map<String, Tensor> x = new LinkedHashMap<>(denseInput());
    x.put("lengths", Tensor.ofLongs(new int[] {B}, new long[] {5, 0, 4}));
    assertRejected(dense, x, "'lengths'[1] = 0 is outside 1..5");
    x.put("lengths", Tensor.ofLongs(new int[] {B}, new long[] {5, 6, 4}));
    assertRejected(dense, x, "'lengths'[1] = 6 is outside 1..5");
  }

  @Test
  void tokenIdOutOfRange() throws Exception {
    assertRejected(tokens, Map.of("input", Tensor.ofLongs(new int[] {1, 3}, new long[] {1, 7, 2})),
        "'input'[0, 1] = 7 is outside the vocabulary 0..6");
  }

  @Test
  void nonFiniteInput() throws Exception {
    Map<String, Tensor> x = new LinkedHashMap<>(denseInput());
    float[] input = new float[B * T * 3];
    input[3 * 3 + 2] = Float.NaN;
    x.put("input", Tensor.ofFloats(new int[] {B, T, 3}, input));
    assertRejected(dense, x, "'input'[0, 3, 2] is NaN");
  }

  @Test
  void nanWeights() throws Exception {
    ModelConfig config = SpecParser.parse(dense).config();
    ModelParameters weights = ModelParameters.initialize(config, 1);
    weights.get("rnn.weight_hh_l1")[7] = Float.NaN;
    Path w = dir.resolve("nan-w.safetensors");
    weights.save(w);
    assertRejected(dense, denseInput(), "rnn.weight_hh_l1 contains NaN at flat index 7", "--weights", w);
  }

  @Test
  void missingTensorsAndFiles() throws Exception {
    assertRejected(dense, Map.of("lengths", Tensor.ofLongs(new int[] {1}, new long[] {1})),
        "missing tensor 'input' (F32 [B, T, 3])");
    ModelConfig config = SpecParser.parse(dense).config();
    Map<String, Tensor> partial = new LinkedHashMap<>(ModelParameters.initialize(config, 1).toTensors());
    partial.remove("head.bias");
    Path w = Cli.tensors(dir, "partial-w.safetensors", partial);
    assertRejected(dense, denseInput(), "missing 1 tensor [head.bias]", "--weights", w);
    assertRejected(dense, denseInput(), "nope.safetensors", "--weights", dir.resolve("nope.safetensors"));
  }

  @Test
  void missingInputFileIsAUserError() {
    Path out = dir.resolve("never.safetensors");
    Cli.Result r = Cli.run("run", dense, "--input", dir.resolve("absent.safetensors"), "--output", out);
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("absent.safetensors"), r::toString);
    assertTrue(Files.notExists(out));
  }
}
