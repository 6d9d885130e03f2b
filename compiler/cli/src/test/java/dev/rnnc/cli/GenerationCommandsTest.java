package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.reference.ReferenceModel;
import dev.rnnc.runtime.reference.ReferenceSeq2Seq;
import dev.rnnc.runtime.train.Sampler;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rnnc sample, rnnc translate and rnnc bench --mode decode. */
class GenerationCommandsTest {
  static final String LANGUAGE_MODEL = """
      model: Chars
      package: t.gen
      cell: lstm
      embedding: {vocab: 5, dim: 4}
      hidden: 6
      head: {size: 5, activation: softmax}
      """;

  /** Source characters a, b, c (ids 0..2); target: <s> </s> x y z (ids 0..4). */
  static final String TRANSLATOR = """
      model: Translator
      package: t.gen
      encoder:
        cell: gru
        embedding: {vocab: 3, dim: 4}
        hidden: 5
        bidirectional: true
      decoder:
        cell: lstm
        embedding: {vocab: 5, dim: 3}
        hidden: 10
        bridge: copy
      head: {size: 5}
      decode: {start: 0, end: 1, max_length: 6}
      limits: {max_batch: 4, max_length: 8}
      """;

  @TempDir
  static Path dir;

  static Path lm;
  static Path lmWeights;
  static Path charsVocab;
  static Path translator;
  static Path translatorWeights;
  static Path sourceVocab;
  static Path targetVocab;

  @BeforeAll
  static void files() {
    lm = Cli.write(dir, "lm.yaml", LANGUAGE_MODEL);
    lmWeights = dir.resolve("lm.safetensors");
    ModelParameters.initialize(SpecParser.parse(lm).config(), 3).save(lmWeights);
    charsVocab = Cli.write(dir, "chars.vocab.txt", "a\nb\n \n\\n\nc\n");
    translator = Cli.write(dir, "tr.yaml", TRANSLATOR);
    translatorWeights = dir.resolve("tr.safetensors");
    Seq2SeqParameters p = Seq2SeqParameters.initialize(config(), 5);
    scale(p.get("head.weight"), 4);
    p.save(translatorWeights);
    sourceVocab = Cli.write(dir, "src.vocab.txt", "a\nb\nc\n");
    targetVocab = Cli.write(dir, "tgt.vocab.txt", "<s>\n</s>\nx\ny\nz\n");
  }

  static Seq2SeqConfig config() {
    return ((Seq2SeqSpec) SpecParser.parseAny(translator)).config();
  }

  static void scale(float[] values, float factor) {
    for (int i = 0; i < values.length; i++) {
      values[i] *= factor;
    }
  }

  @Test
  void sampleFeedsThePrimeAndDrawsWhatTheSamplerDraws() {
    Cli.Result r = Cli.run("sample", lm, "--weights", lmWeights, "--prime-ids", "0,1", "--length", 12,
        "--temperature", 0.9, "--top-k", 3, "--seed", 4, "--reference");
    assertEquals(0, r.code(), r::toString);
    ModelConfig config = SpecParser.parse(lm).config();
    ReferenceModel model = new ReferenceModel(ModelParameters.load(lmWeights, config), 1, 1);
    Sampler sampler = new Sampler(model, config, 4);
    int[] out = new int[12];
    sampler.generate(new int[] {0, 1}, 2, 0.9, 3, out, 12);
    StringBuilder expected = new StringBuilder("0 1");
    for (int id : out) {
      expected.append(' ').append(id);
    }
    assertEquals(expected + "\n", r.out());
    Cli.Result again = Cli.run("sample", lm, "--weights", lmWeights, "--prime-ids", "0,1", "--length", 12,
        "--temperature", 0.9, "--top-k", 3, "--seed", 4);
    assertEquals(0, again.code(), again::toString);
    assertEquals(r.out(), again.out(), "the generated class samples the same tokens (same seed)");
  }

  @Test
  void sampleReadsAndWritesTextThroughTheVocabulary() {
    Cli.Result r = Cli.run("sample", lm, "--weights", lmWeights, "--vocab", charsVocab, "--prime", "ab c",
        "--length", 30, "--seed", 1, "--reference");
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().startsWith("ab c"), r.out());
    assertTrue(r.out().length() >= 4 + 30, r.out());
    assertTrue(r.out().chars().allMatch(c -> "abc \n".indexOf(c) >= 0), r.out());
    Cli.Result unknown = Cli.run("sample", lm, "--weights", lmWeights, "--vocab", charsVocab, "--prime", "abd",
        "--reference");
    assertEquals(ExitCodes.USER_ERROR, unknown.code(), unknown::toString);
    assertEquals("rnnc: --prime, column 3: character 'd' (U+0064) is not in the vocabulary " + charsVocab + "\n",
        unknown.err());
    Cli.Result id = Cli.run("sample", lm, "--prime-ids", "2,5", "--reference");
    assertTrue(id.err().contains("--prime-ids: id 5 (token 2) is outside the head's classes 0..4"), id.err());
    Cli.Result noVocab = Cli.run("sample", lm, "--prime", "ab", "--reference");
    assertTrue(noVocab.err().contains("--prime TEXT needs --vocab"), noVocab.err());
    Cli.Result seq2seq = Cli.run("sample", translator, "--prime-ids", "1");
    assertTrue(seq2seq.err().contains("is an encoder-decoder; sample generates from single-stack language models"),
        seq2seq.err());
    Path small = Cli.write(dir, "small.vocab.txt", "a\nb\n");
    Cli.Result tooSmall = Cli.run("sample", lm, "--vocab", small, "--prime", "a", "--reference");
    assertTrue(tooSmall.err().contains("has 2 tokens, but the head scores 5"), tooSmall.err());
  }

  /** What greedy decoding of one id sequence gives, by the reference directly. */
  static int[] greedy(int... source) {
    Seq2SeqConfig c = config();
    ReferenceSeq2Seq model = new ReferenceSeq2Seq(Seq2SeqParameters.load(translatorWeights, c), 1, 8, 1);
    model.encode(source, null, 1, source.length, null);
    int[] tokens = new int[c.maxDecode()];
    int[] lengths = new int[1];
    model.decodeGreedy(tokens, lengths);
    int n = lengths[0] > 0 && tokens[lengths[0] - 1] == c.end() ? lengths[0] - 1 : lengths[0];
    return java.util.Arrays.copyOf(tokens, n);
  }

  static String ids(int[] tokens) {
    StringBuilder out = new StringBuilder();
    for (int t : tokens) {
      out.append(out.length() == 0 ? "" : " ").append(t);
    }
    return out.toString();
  }

  @Test
  void translateDecodesOneLinePerLineFromIdsOrText() {
    Path idLines = Cli.write(dir, "ids.txt", "0 1 2\n2 2\n1\n");
    Cli.Result r = Cli.run("translate", translator, "--weights", translatorWeights, "--input", idLines);
    assertEquals(0, r.code(), r::toString);
    String expected = ids(greedy(0, 1, 2)) + "\n" + ids(greedy(2, 2)) + "\n" + ids(greedy(1)) + "\n";
    assertEquals(expected, r.out());
    Cli.Result beam = Cli.run("translate", translator, "--weights", translatorWeights, "--input", idLines, "--beam",
        1);
    assertEquals(expected, beam.out(), "beam width 1 is greedy");

    Path text = Cli.write(dir, "text.txt", "abc\ncc\nb\n");
    Cli.Result t = Cli.run("translate", translator, "--weights", translatorWeights, "--input", text,
        "--source-vocab", sourceVocab, "--target-vocab", targetVocab);
    assertEquals(0, t.code(), t::toString);
    String[] xyz = {"<s>", "</s>", "x", "y", "z"};
    StringBuilder fromText = new StringBuilder();
    for (int[] source : new int[][] {{0, 1, 2}, {2, 2}, {1}}) {
      for (int id : greedy(source)) {
        fromText.append(xyz[id]);
      }
      fromText.append('\n');
    }
    assertEquals(fromText.toString(), t.out());

    Cli.Result sampledA = Cli.run("translate", translator, "--weights", translatorWeights, "--input", idLines,
        "--temperature", 2, "--seed", 9);
    Cli.Result sampledB = Cli.run("translate", translator, "--weights", translatorWeights, "--input", idLines,
        "--temperature", 2, "--seed", 9);
    assertEquals(0, sampledA.code(), sampledA::toString);
    assertEquals(sampledA.out(), sampledB.out(), "same seed, same tokens");
    assertEquals(3, sampledA.out().lines().count());
  }

  @Test
  void translateStopsAtBadInputWithItsPlaceAfterPrintingWhatCameBefore() {
    Path text = Cli.write(dir, "bad.txt", "ab\nabxc\n");
    Cli.Result r = Cli.run("translate", translator, "--weights", translatorWeights, "--input", text,
        "--source-vocab", sourceVocab);
    assertEquals(ExitCodes.USER_ERROR, r.code(), r::toString);
    assertEquals(1, r.out().lines().count(), "the first line was translated before the second failed:\n" + r);
    assertEquals("rnnc: " + text + " line 2, column 3: character 'x' (U+0078) is not in the vocabulary " + sourceVocab
        + "\n", r.err());

    Path ids = Cli.write(dir, "badids.txt", "0 3\n");
    Cli.Result range = Cli.run("translate", translator, "--input", ids);
    assertTrue(range.err().contains(ids + " line 1, token 2: id 3 is outside the source vocabulary 0..2"),
        range.err());
    Path negative = Cli.write(dir, "neg.txt", "-1\n");
    assertTrue(Cli.run("translate", translator, "--input", negative).err()
        .contains("id -1 is outside the source vocabulary 0..2"));
    Path words = Cli.write(dir, "words.txt", "0 one\n");
    assertTrue(Cli.run("translate", translator, "--input", words).err()
        .contains("token 2: 'one' is not a token id"));
    Path empty = Cli.write(dir, "empty.txt", "1\n\n");
    Cli.Result blank = Cli.run("translate", translator, "--input", empty);
    assertTrue(blank.err().contains(empty + " line 2 is empty: a source needs at least one token"), blank.err());
    Path longLine = Cli.write(dir, "long.txt", "0 0 0 0 0 0 0 0 0\n");
    assertTrue(Cli.run("translate", translator, "--input", longLine).err()
        .contains("line 1 has 9 tokens; the spec's limits.max_length is 8"));
    Cli.Result short_ = Cli.run("translate", translator, "--input", ids, "--target-vocab", sourceVocab);
    assertTrue(short_.err().contains("target vocabulary " + sourceVocab + " has 3 tokens, the decoder's vocabulary 5"
        + " (line k = id k; the start (id 0) and end (id 1) tokens need lines too"), short_.err());
    Cli.Result single = Cli.run("translate", lm, "--input", ids);
    assertTrue(single.err().contains("is a single-stack model; translate decodes encoder-decoder specs"),
        single.err());
    Cli.Result missing = Cli.run("translate", translator, "--input", dir.resolve("nope.txt"));
    assertTrue(missing.err().contains("cannot read --input " + dir.resolve("nope.txt") + ": no such file"),
        missing.err());
  }

  @Test
  void benchDecodeReportsTokensPerSecondAndAllocatesNothing() {
    double allocated = Double.NaN;
    // Up to three runs: a warm-up that did not settle may still see the JIT allocate while replacing code.
    for (int attempt = 0; attempt < 3 && allocated != 0; attempt++) {
      Cli.Result r = Cli.run("bench", translator, "--mode", "decode", "--batch", 2, "--length", 5, "--beam", 2,
          "--seconds", 0.2, "--warmup", 0.5, "--max-warmup", 10, "--json");
      assertEquals(0, r.code(), r::toString);
      List<String> lines = r.out().lines().toList();
      assertEquals(1, lines.size(), r::toString);
      Map<String, String> f = BenchCommandTest.parse(lines.get(0));
      assertEquals(List.of("mode", "spec", "model", "implementation", "batch", "length", "decoder", "beam",
          "tokens_per_call", "tokens_per_second", "ns_per_token", "p50_ns", "p99_ns", "p999_ns",
          "bytes_allocated_per_call", "bytes_allocated_per_token", "calls", "seconds", "warmup_seconds",
          "warmup_settled"), List.copyOf(f.keySet()));
      assertEquals("\"decode\"", f.get("mode"));
      assertEquals("\"beam\"", f.get("decoder"));
      assertEquals("2", f.get("beam"));
      double tokens = Double.parseDouble(f.get("tokens_per_call"));
      assertTrue(tokens >= 2 && tokens <= 2 * 6, lines.get(0));
      double ns = Double.parseDouble(f.get("ns_per_token"));
      assertEquals(1e9 / ns, Double.parseDouble(f.get("tokens_per_second")), 1e-3 * 1e9 / ns);
      assertEquals(Double.parseDouble(f.get("p50_ns")) / tokens, ns, 1e-3 * ns);
      allocated = Double.parseDouble(f.get("bytes_allocated_per_call"));
    }
    assertEquals(0.0, allocated, "decoding allocates nothing once warm");

    Cli.Result text = Cli.run("bench", translator, "--mode", "decode", "--temperature", 1, "--seconds", 0.05,
        "--max-warmup", 1);
    assertEquals(0, text.code(), text::toString);
    assertTrue(text.out().contains("mode decode, sampling (temperature 1.0, top-k 0, seed 1), batch 1, source length"
        + " 8"), text.out());
    assertTrue(text.out().contains("tokens/s"), text.out());
    Cli.Result wrongMode = Cli.run("bench", translator, "--mode", "sequence");
    assertTrue(wrongMode.err().contains("is an encoder–decoder: use --mode decode"), wrongMode.err());
    Cli.Result single = Cli.run("bench", lm, "--mode", "decode");
    assertTrue(single.err().contains("--mode decode is for encoder–decoder specs;"), single.err());
    assertNotEquals(0, single.code());
  }

  @Test
  void decodingOptionsOnASingleStackRunAndGradWithoutTrainingAreRefused() {
    Path x = dir.resolve("lm-x.safetensors");
    dev.rnnc.runtime.io.SafeTensors.write(x, java.util.Map.of("input", dev.rnnc.runtime.io.Tensor.ofLongs(
        new int[] {1, 2}, new long[] {0, 1})), java.util.Map.of());
    Cli.Result r = Cli.run("run", lm, "--input", x, "--output", dir.resolve("lm-y.safetensors"), "--beam", 2);
    assertEquals(ExitCodes.USER_ERROR, r.code(), r::toString);
    assertTrue(r.err().contains("decode encoder–decoder models; " + lm + " is a single-stack model (use 'rnnc sample'"),
        r.err());
    Path source = dir.resolve("tr-x.safetensors");
    dev.rnnc.runtime.io.SafeTensors.write(source, java.util.Map.of(
        "source", dev.rnnc.runtime.io.Tensor.ofLongs(new int[] {1, 2}, new long[] {0, 1}),
        "target", dev.rnnc.runtime.io.Tensor.ofLongs(new int[] {1, 2}, new long[] {2, 1})), java.util.Map.of());
    Cli.Result g = Cli.run("grad", translator, "--input", source, "--output", dir.resolve("tr-g.safetensors"));
    assertEquals(ExitCodes.USER_ERROR, g.code(), g::toString);
    assertTrue(g.err().contains(translator + ": spec has no training section"), g.err());
    // the generated class's scalar kernels compute what its vector kernels do (within float rounding)
    Path vectorOut = dir.resolve("tr-vector.safetensors");
    Path scalarOut = dir.resolve("tr-scalar.safetensors");
    assertEquals(0, Cli.run("run", translator, "--input", source, "--output", vectorOut).code());
    Cli.Result scalar = Cli.run("run", translator, "--input", source, "--output", scalarOut, "--scalar");
    assertEquals(0, scalar.code(), scalar::toString);
    float[] v = Cli.read(vectorOut).get("logits").floats();
    float[] s = Cli.read(scalarOut).get("logits").floats();
    assertEquals(v.length, s.length);
    for (int i = 0; i < v.length; i++) {
      assertEquals(v[i], s[i], 1e-5 + 1e-4 * Math.abs(v[i]), "logits[" + i + "]");
    }
    Cli.Result both = Cli.run("run", translator, "--input", source, "--output", dir.resolve("tr-y.safetensors"),
        "--scalar", "--reference");
    assertTrue(both.code() != 0 && both.err().contains("give one of them"), both::toString);
  }

  @Test
  void helpListsTheNewCommands() {
    Cli.Result r = Cli.run("--help");
    assertTrue(r.out().contains("sample") && r.out().contains("translate"), r.out());
  }
}
