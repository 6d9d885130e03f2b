package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.Seq2SeqConfig;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code rnnc run} and {@code rnnc grad} on encoder–decoder specs against the PyTorch goldens of compiler/core
 * ({@code make_seq2seq_goldens.py}: spec, weights, inputs and expected tensors in one file per case, read in place),
 * decoding (greedy = the goldens' tokens, beam width 1 = greedy, sampling reproducible by seed) and bad input.
 */
class EncoderDecoderRunTest {
  static final Path GOLDEN = Path.of("../core/src/test/resources/golden_seq2seq");
  /** Tolerances of the compiler's golden tests (GoldenCheck): forward 1e-5 + 1e-4·|x|, gradients 1e-4 + 1e-3·|x|. */
  static final double FORWARD_ABS = 1e-5;
  static final double FORWARD_REL = 1e-4;
  static final double GRADIENT_ABS = 1e-4;
  static final double GRADIENT_REL = 1e-3;

  @TempDir
  Path dir;

  /** One golden case split into the files a user has: spec, weights, input. */
  record Case(String name, SafeTensorsFile golden, Seq2SeqConfig config, Path spec, Path weights) {
    Tensor expected(String tensor) {
      Tensor t = golden.tensors().get(tensor);
      assertNotNull(t, name + " has no " + tensor);
      return t;
    }

    /** An input file of the named golden tensors. */
    Path input(Path dir, String file, String... names) {
      Map<String, Tensor> x = new LinkedHashMap<>();
      for (String n : names) {
        x.put(n, expected(n));
      }
      return Cli.tensors(dir, name + "-" + file, x);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static List<String> names() {
    try (Stream<Path> files = Files.list(GOLDEN)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors"))
          .map(n -> n.substring(0, n.length() - ".safetensors".length())).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Case load(String name) {
    SafeTensorsFile golden = SafeTensors.read(GOLDEN.resolve(name + ".safetensors"));
    Path spec = Cli.write(dir, name + ".yaml", golden.metadata().get("spec"));
    Seq2SeqConfig config = ((Seq2SeqSpec) SpecParser.parseAny(spec)).config();
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (String parameter : config.parameterNames()) {
      weights.put(parameter, golden.tensors().get(parameter));
    }
    return new Case(name, golden, config, spec, Cli.tensors(dir, name + "-weights.safetensors", weights));
  }

  static void assertClose(Case c, String name, Tensor actual, double abs, double rel) {
    Tensor expected = c.expected(name);
    assertArrayEquals(expected.shape(), actual.shape(), c + " " + name + " shape");
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(e[i] - a[i]) <= abs + rel * Math.abs(e[i]),
          c + " " + name + "[" + i + "]: expected " + e[i] + ", got " + a[i]);
    }
  }

  @ParameterizedTest
  @MethodSource("names")
  void teacherForcedRunMatchesPyTorch(String name) {
    Case c = load(name);
    Path x = c.input(dir, "x.safetensors", "source", "source_lengths", "target", "target_lengths");
    Path y = dir.resolve(name + "-y.safetensors");
    Cli.Result r = Cli.run("run", c.spec(), "--weights", c.weights(), "--input", x, "--output", y);
    assertEquals(0, r.code(), r::toString);
    Map<String, Tensor> out = Cli.read(y);
    List<String> expected = new ArrayList<>(List.of("logits", "prediction", "h_n"));
    if (c.config().decoder().hasCellState()) {
      expected.add("c_n");
    }
    expected.add("encoder_h_n");
    if (c.config().encoder().hasCellState()) {
      expected.add("encoder_c_n");
    }
    assertEquals(expected, List.copyOf(out.keySet()));
    for (String tensor : expected) {
      assertClose(c, tensor, out.get(tensor), FORWARD_ABS, FORWARD_REL);
    }
  }

  @ParameterizedTest
  @MethodSource("names")
  void gradMatchesPyTorch(String name) {
    Case c = load(name);
    Path x = c.input(dir, "xy.safetensors", "source", "source_lengths", "target", "target_lengths");
    Path g = dir.resolve(name + "-g.safetensors");
    Cli.Result r = Cli.run("grad", c.spec(), "--weights", c.weights(), "--input", x, "--output", g);
    assertEquals(0, r.code(), r::toString);
    Map<String, Tensor> out = Cli.read(g);
    assertClose(c, "loss", out.get("loss"), FORWARD_ABS, FORWARD_REL);
    for (String parameter : c.config().parameterNames()) {
      assertClose(c, "grad." + parameter, out.get("grad." + parameter), GRADIENT_ABS, GRADIENT_REL);
    }
    assertEquals(!c.config().sourceTokens(), out.containsKey("grad.source"));
    if (!c.config().sourceTokens()) {
      assertClose(c, "grad.source", out.get("grad.source"), GRADIENT_ABS, GRADIENT_REL);
    }
    assertEquals(1 + c.config().parameterNames().size() + (c.config().sourceTokens() ? 0 : 1), out.size());
  }

  /** Runs a decode and returns {tokens, lengths}. */
  long[][] decode(Case c, Path x, String file, Object... options) {
    Path y = dir.resolve(c.name() + "-" + file);
    List<Object> args = new ArrayList<>(List.of("run", c.spec(), "--weights", c.weights(), "--input", x, "--output", y));
    args.addAll(List.of(options));
    Cli.Result r = Cli.run(args.toArray());
    assertEquals(0, r.code(), r::toString);
    Map<String, Tensor> out = Cli.read(y);
    assertEquals(List.of("tokens", "lengths"), List.copyOf(out.keySet()));
    return new long[][] {out.get("tokens").toLongArray(), out.get("lengths").toLongArray()};
  }

  @ParameterizedTest
  @MethodSource("names")
  void greedyAndBeamOfWidthOneDecodeThePyTorchGreedyTokens(String name) {
    Case c = load(name);
    Path x = c.input(dir, "src.safetensors", "source", "source_lengths");
    long[][] greedy = decode(c, x, "greedy.safetensors");
    assertArrayEquals(c.expected("greedy_tokens").toLongArray(), greedy[0]);
    assertArrayEquals(c.expected("greedy_lengths").toLongArray(), greedy[1]);
    assertArrayEquals(c.expected("greedy_tokens").shape(), Cli.read(dir.resolve(name + "-greedy.safetensors"))
        .get("tokens").shape());
    long[][] beam1 = decode(c, x, "beam1.safetensors", "--beam", 1);
    assertArrayEquals(greedy[0], beam1[0]);
    assertArrayEquals(greedy[1], beam1[1]);
    long[][] sampledCold = decode(c, x, "cold.safetensors", "--temperature", 0);
    assertArrayEquals(greedy[0], sampledCold[0], "temperature 0 is greedy");
  }

  @Test
  void beamSearchAndSamplingAreValidAndSamplingIsReproducibleBySeed() {
    Case c = load("gru_bi_copy_tokens");
    Path x = c.input(dir, "src.safetensors", "source", "source_lengths");
    int maxDecode = c.config().maxDecode();
    long[][] beam = decode(c, x, "beam3.safetensors", "--beam", 3, "--length-penalty", 0.5);
    checkDecoded(c, beam, maxDecode);
    long[][] a = decode(c, x, "s1.safetensors", "--temperature", 1.5, "--top-k", 4, "--seed", 7);
    long[][] b = decode(c, x, "s2.safetensors", "--temperature", 1.5, "--top-k", 4, "--seed", 7);
    checkDecoded(c, a, maxDecode);
    assertArrayEquals(a[0], b[0]);
    assertArrayEquals(a[1], b[1]);
    boolean differs = false;
    for (int seed = 8; seed < 20 && !differs; seed++) {
      long[][] other = decode(c, x, "s" + seed + ".safetensors", "--temperature", 1.5, "--seed", seed);
      differs = !java.util.Arrays.equals(a[0], other[0]);
    }
    assertTrue(differs, "another seed draws other tokens");
  }

  /** Lengths in 1..max, the end token exactly at the last position of a finished sequence, zeros after. */
  static void checkDecoded(Case c, long[][] decoded, int maxDecode) {
    for (int item = 0; item < decoded[1].length; item++) {
      int length = (int) decoded[1][item];
      assertTrue(length >= 1 && length <= maxDecode, "length " + length);
      for (int t = 0; t < maxDecode; t++) {
        long token = decoded[0][item * maxDecode + t];
        if (t >= length) {
          assertEquals(0, token, "padding after the end");
        } else if (t < length - 1) {
          assertTrue(token != c.config().end(), "end only at the last position");
        }
        assertTrue(token >= 0 && token < c.config().targetVocab());
      }
    }
  }

  @Test
  void badInputIsOneClearLineAndWritesNothing() {
    Case c = load("gru_bi_copy_tokens");
    Map<String, Tensor> x = new LinkedHashMap<>();
    x.put("source", Tensor.ofLongs(new int[] {1, 2}, new long[] {3, 7}));
    assertBad(c, x, "'source'[0, 1] = 7 is outside the source vocabulary 0..6");
    x.put("source", Tensor.ofLongs(new int[] {1, 2}, new long[] {-1, 2}));
    assertBad(c, x, "'source'[0, 0] = -1 is outside the source vocabulary 0..6");
    x.put("source", Tensor.ofLongs(new int[] {1, 2}, new long[] {3, 2}));
    x.put("target", Tensor.ofLongs(new int[] {1, 3}, new long[] {1, 6, 2}));
    assertBad(c, x, "'target'[0, 1] = 6 is outside the target vocabulary 0..5");
    x.put("target", Tensor.ofLongs(new int[] {1, 3}, new long[] {1, 3, 2}));
    x.put("target_lengths", Tensor.ofLongs(new int[] {1}, new long[] {4}));
    assertBad(c, x, "'target_lengths'[0] = 4 is outside 1..3");
    x.remove("target_lengths");
    x.put("source_lengths", Tensor.ofLongs(new int[] {1}, new long[] {0}));
    assertBad(c, x, "'source_lengths'[0] = 0 is outside 1..2");
    x.clear();
    x.put("input", Tensor.ofLongs(new int[] {1, 2}, new long[] {3, 2}));
    assertBad(c, x, "unexpected tensor [input]");
    x.clear();
    x.put("source", Tensor.ofFloats(new int[] {1, 2, 3}, new float[6]));
    assertBad(c, x, "this encoder embeds token ids: expected I64 or I32 token ids [N, S] in 0..6");
    x.clear();
    x.put("source_lengths", Tensor.ofLongs(new int[] {1}, new long[] {1}));
    assertBad(c, x, "missing tensor 'source' (I64 or I32 token ids [N, S] in 0..6)");

    Path src = c.input(dir, "src.safetensors", "source", "source_lengths");
    Path y = dir.resolve("nothing.safetensors");
    Cli.Result both = Cli.run("run", c.spec(), "--weights", c.weights(), "--input", src, "--output", y, "--beam", 2,
        "--temperature", 1);
    assertEquals(ExitCodes.USER_ERROR, both.code(), both::toString);
    assertTrue(both.err().contains("--beam and --temperature select different decoders"), both.err());
    Cli.Result topK = Cli.run("run", c.spec(), "--input", src, "--output", y, "--top-k", 2);
    assertTrue(topK.err().contains("--top-k applies to sampling: give --temperature T"), topK.err());
    Cli.Result csv = Cli.run("run", c.spec(), "--input", src, "--output", dir.resolve("y.csv"));
    assertTrue(csv.err().contains("encoder–decoder results are written as safetensors"), csv.err());
    Path xy = c.input(dir, "xy.safetensors", "source", "source_lengths", "target");
    Cli.Result forced = Cli.run("run", c.spec(), "--input", xy, "--output", y, "--beam", 2);
    assertTrue(forced.err().contains("has a target, which runs teacher forcing"), forced.err());
    Cli.Result grad = Cli.run("grad", c.spec(), "--input", src, "--output", y);
    assertTrue(grad.err().contains("missing tensor 'target' (I64 token ids [N, T] in 0..5, each sequence ending with"
        + " the end token 2)"), grad.err());
    assertFalse(Files.exists(y));
  }

  void assertBad(Case c, Map<String, Tensor> tensors, String message) {
    Path x = Cli.tensors(dir, "bad.safetensors", tensors);
    Path y = dir.resolve("bad-y.safetensors");
    Cli.Result r = Cli.run("run", c.spec(), "--weights", c.weights(), "--input", x, "--output", y);
    assertEquals(ExitCodes.USER_ERROR, r.code(), r::toString);
    assertTrue(r.err().contains(message), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertFalse(Files.exists(y));
  }
}
