package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.io.DType;
import dev.rnnc.runtime.io.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rnnc data: each format converted to the expected tensors (values spelled out), and malformed input failing
 * with {@code file:line: message}, exit 1 and no output file.
 */
class DataCommandTest {
  @TempDir
  Path dir;

  static final Path NPY = Path.of("src/test/resources/data/npy");

  private Path out() {
    return dir.resolve("x.safetensors");
  }

  private Map<String, Tensor> ok(Object... args) {
    Cli.Result r = Cli.run(args);
    assertEquals(0, r.code(), r::toString);
    return Cli.read(out());
  }

  /** Exit 1, the message contains {@code expected}, one line, and no output written. */
  private void fails(String expected, Object... args) {
    Cli.Result r = Cli.run(args);
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains(expected), () -> "expected '" + expected + "' in\n" + r);
    assertEquals(1, r.err().strip().lines().count(), r::toString);
    assertFalse(Files.exists(out()), "nothing written on failure");
    assertTrue(r.out().isEmpty(), r::toString);
  }

  // ---------------------------------------------------------------- CSV

  static final String SENSORS = """
      run,t,temp,pressure,label
      a,0,1.5,10,1
      a,1,2.5,11,1
      a,2,3.5,12,1
      b,0,-1,20,0
      "b",1,-2e-1,21,0
      """;

  @Test
  void csvGroupsConsecutiveRowsIntoPaddedSequences() {
    Path csv = Cli.write(dir, "sensors.csv", SENSORS);
    Map<String, Tensor> x = ok("data", "csv", csv, "--sequence", "run", "--features", "temp,pressure",
        "--target", "label", "--classes", "--target-per-sequence", "--output", out());
    assertEquals(List.of("input", "lengths", "target"), List.copyOf(x.keySet()));
    Tensor input = x.get("input");
    assertArrayEquals(new int[] {2, 3, 2}, input.shape());
    assertArrayEquals(new float[] {1.5f, 10, 2.5f, 11, 3.5f, 12, -1, 20, -0.2f, 21, 0, 0}, input.floats());
    assertArrayEquals(new long[] {3, 2}, x.get("lengths").longs());
    assertArrayEquals(new long[] {1, 0}, x.get("target").longs());
  }

  @Test
  void csvPerStepValueTargetsAndDefaultFeatures() {
    Path csv = Cli.write(dir, "series.csv", "x,y,next\n1,2,0.5\n3,4,0.25\n");
    Map<String, Tensor> x = ok("data", "csv", csv, "--target", "next", "--output", out());
    assertArrayEquals(new int[] {1, 2, 2}, x.get("input").shape());
    assertArrayEquals(new float[] {1, 2, 3, 4}, x.get("input").floats());
    assertEquals(DType.F32, x.get("target").dtype());
    assertArrayEquals(new int[] {1, 2, 1}, x.get("target").shape());
    assertArrayEquals(new float[] {0.5f, 0.25f}, x.get("target").floats());
  }

  @Test
  void csvTokenIds() {
    Path csv = Cli.write(dir, "ids.csv", "doc;id;next\nd1;3;4\nd1;4;1\nd2;5;0\n");
    Map<String, Tensor> x = ok("data", "csv", csv, "--delimiter", ";", "--sequence", "doc", "--features", "id",
        "--ids", "--target", "next", "--classes", "--output", out());
    assertEquals(DType.I64, x.get("input").dtype());
    assertArrayEquals(new long[] {3, 4, 5, 0}, x.get("input").longs());
    assertArrayEquals(new long[] {4, 1, 0, 0}, x.get("target").longs());
    assertArrayEquals(new long[] {2, 1}, x.get("lengths").longs());
  }

  @Test
  void malformedCsvNamesFileAndLine() {
    Path bad = Cli.write(dir, "bad.csv", "a,b\n1,2\n3,x\n");
    fails(bad + ":3: column 'b': 'x' is not a finite number", "data", "csv", bad, "--output", out());
    Path nan = Cli.write(dir, "nan.csv", "a,b\n1,NaN\n");
    fails(nan + ":2: column 'b': 'NaN' is not a finite number", "data", "csv", nan, "--output", out());
    Path ragged = Cli.write(dir, "ragged.csv", "a,b\n1,2\n3\n");
    fails(ragged + ":3: has 1 field, the header has 2", "data", "csv", ragged, "--output", out());
    Path quote = Cli.write(dir, "quote.csv", "a,b\n1,\"2\n");
    fails(quote + ":2: malformed CSV", "data", "csv", quote, "--output", out());
    Path unsorted = Cli.write(dir, "unsorted.csv", "s,v\na,1\nb,2\na,3\n");
    fails(unsorted + ":4: sequence 'a' (column 's') appears again", "data", "csv", unsorted, "--sequence", "s",
        "--output", out());
    Path changing = Cli.write(dir, "changing.csv", "s,v,y\na,1,0\na,2,1\n");
    fails(changing + ":3: column 'y': the target changes within a sequence", "data", "csv", changing, "--sequence",
        "s", "--target", "y", "--classes", "--target-per-sequence", "--output", out());
    fails("--target: " + bad + " has no column 'c'; its columns are a, b", "data", "csv", bad, "--target", "c",
        "--output", out());
    Path empty = Cli.write(dir, "empty.csv", "");
    fails(empty + ": is empty", "data", "csv", empty, "--output", out());
    Path headerOnly = Cli.write(dir, "header.csv", "a,b\n");
    fails(headerOnly + ": has a header but no data rows", "data", "csv", headerOnly, "--output", out());
  }

  @Test
  void invalidUtf8IsAnError() throws IOException {
    Path bad = dir.resolve("latin1.csv");
    Files.write(bad, new byte[] {'a', '\n', '1', '\n', (byte) 0xff, '\n'});
    fails(bad + ":", "data", "csv", bad, "--output", out());
  }

  // ---------------------------------------------------------------- text

  @Test
  void textWindowsWithNextTokenTargetsAndAVocabularyFile() throws IOException {
    Path text = Cli.write(dir, "corpus.txt", "abcab\nc");  // 7 tokens, 6 (input, next) pairs
    Map<String, Tensor> x = ok("data", "text", text, "--window", 4, "--output", out());
    List<String> vocab = Files.readAllLines(dir.resolve("x.vocab.txt"));
    assertEquals(List.of("\\n", "a", "b", "c"), vocab);
    // ids: \n=0 a=1 b=2 c=3; text ids 1 2 3 1 2 0 3
    assertArrayEquals(new int[] {2, 4}, x.get("input").shape());
    assertArrayEquals(new long[] {1, 2, 3, 1, 2, 0, 0, 0}, x.get("input").longs());
    assertArrayEquals(new long[] {2, 3, 1, 2, 0, 3, 0, 0}, x.get("target").longs());
    assertArrayEquals(new long[] {4, 2}, x.get("lengths").longs());
  }

  @Test
  void textOverlappingWordWindowsAndAGivenVocabulary() throws IOException {
    Path vocab = Cli.write(dir, "v.txt", "the\ncat\nsat\n");
    Path text = Cli.write(dir, "words.txt", "the cat\n  sat the  cat\n");
    Map<String, Tensor> x = ok("data", "text", text, "--words", "--window", 3, "--stride", 1, "--use-vocab", vocab,
        "--output", out());
    // ids 0 1 2 0 1: pairs 4; windows at 0 and 1 (the second reaches the end)
    assertArrayEquals(new long[] {0, 1, 2, 1, 2, 0}, x.get("input").longs());
    assertArrayEquals(new long[] {1, 2, 0, 2, 0, 1}, x.get("target").longs());
    assertArrayEquals(new long[] {3, 3}, x.get("lengths").longs());
    assertFalse(Files.exists(dir.resolve("x.vocab.txt")));
    Files.delete(out());
    Path other = Cli.write(dir, "other.txt", "the cat\nsat on\n");
    fails(other + ":2: token 'on' is not in the vocabulary " + vocab, "data", "text", other, "--words", "--window", 3,
        "--use-vocab", vocab, "--output", out());
    Path oneToken = Cli.write(dir, "one.txt", "x");
    fails(oneToken + ": has 1 token", "data", "text", oneToken, "--window", 3, "--output", out());
  }

  @Test
  void vocabularyEscapesRoundTrip() {
    Path text = Cli.write(dir, "tabs.txt", "a\tb\\c\r\n\u00e9\uD83D\uDE00");
    ok("data", "text", text, "--window", 8, "--output", out());
    Path reused = dir.resolve("y.safetensors");
    Cli.Result r = Cli.run("data", "text", text, "--window", 8, "--use-vocab", dir.resolve("x.vocab.txt"),
        "--output", reused);
    assertEquals(0, r.code(), r::toString);
    assertEquals(Cli.read(out()), Cli.read(reused));
  }

  // ---------------------------------------------------------------- JSON lines

  @Test
  void jsonLinesDenseWithClassPerSequence() {
    Path jsonl = Cli.write(dir, "x.jsonl", """
        {"input": [[0.5, 1], [2, 3]], "target": 2}

        {"target": 0, "input": [[4, 5.25]]}
        """);
    Map<String, Tensor> x = ok("data", "jsonl", jsonl, "--output", out());
    assertArrayEquals(new int[] {2, 2, 2}, x.get("input").shape());
    assertArrayEquals(new float[] {0.5f, 1, 2, 3, 4, 5.25f, 0, 0}, x.get("input").floats());
    assertArrayEquals(new long[] {2, 1}, x.get("lengths").longs());
    assertArrayEquals(new long[] {2, 0}, x.get("target").longs());
  }

  @Test
  void jsonLinesTokensAndValueTargets() {
    Path ids = Cli.write(dir, "ids.jsonl", "{\"tokens\": [1, 2, 3], \"target\": [2, 3, 0]}\n{\"tokens\": [4], \"target\": [1]}\n");
    Map<String, Tensor> x = ok("data", "jsonl", ids, "--output", out());
    assertArrayEquals(new long[] {1, 2, 3, 4, 0, 0}, x.get("input").longs());
    assertArrayEquals(new long[] {2, 3, 0, 1, 0, 0}, x.get("target").longs());

    Path values = Cli.write(dir, "v.jsonl", "{\"input\": [[1], [2]], \"target\": [[0.5], [0.75]]}\n");
    Path out2 = dir.resolve("v.safetensors");
    assertEquals(0, Cli.run("data", "jsonl", values, "--output", out2).code());
    Tensor t = Cli.read(out2).get("target");
    assertArrayEquals(new int[] {1, 2, 1}, t.shape());
    assertArrayEquals(new float[] {0.5f, 0.75f}, t.floats());

    Path perSequence = Cli.write(dir, "ps.jsonl", "{\"input\": [[1], [2]], \"target\": [1, 2, 3]}\n");
    Path out3 = dir.resolve("ps.safetensors");
    assertEquals(0, Cli.run("data", "jsonl", perSequence, "--target-type", "value", "--output", out3).code());
    assertArrayEquals(new int[] {1, 3}, Cli.read(out3).get("target").shape());
  }

  @Test
  void malformedJsonLinesNameFileAndLine() {
    Path broken = Cli.write(dir, "broken.jsonl", "{\"input\": [[1]]}\n{\"input\": [[1]\n");
    fails(broken + ":2: malformed JSON", "data", "jsonl", broken, "--output", out());
    Path ragged = Cli.write(dir, "ragged.jsonl", "{\"input\": [[1, 2], [3]]}\n");
    fails(ragged + ":1: \"input\" is ragged", "data", "jsonl", ragged, "--output", out());
    Path width = Cli.write(dir, "width.jsonl", "{\"input\": [[1, 2]]}\n{\"input\": [[1, 2, 3]]}\n");
    fails(width + ":2: \"input\" has 3 features per step, but the first line (1) has 2", "data", "jsonl", width,
        "--output", out());
    Path key = Cli.write(dir, "key.jsonl", "{\"inputs\": [[1]]}\n");
    fails(key + ":1: unknown key 'inputs'", "data", "jsonl", key, "--output", out());
    Path string = Cli.write(dir, "string.jsonl", "{\"input\": [[\"1\"]]}\n");
    fails(string + ":1: \"input\" holds a string", "data", "jsonl", string, "--output", out());
    Path missing = Cli.write(dir, "missing.jsonl", "{\"input\": [[1]], \"target\": 1}\n{\"input\": [[1]]}\n");
    fails(missing + ":2: has no \"target\"", "data", "jsonl", missing, "--output", out());
    Path steps = Cli.write(dir, "steps.jsonl", "{\"input\": [1, 2], \"target\": [1, 2, 3]}\n");
    fails(steps + ":1: \"target\" has a different number of class ids", "data", "jsonl", steps, "--output", out());
    Path nan = Cli.write(dir, "nan.jsonl", "{\"input\": [[NaN]]}\n");
    fails(nan + ":1: malformed JSON", "data", "jsonl", nan, "--output", out());
  }

  // ---------------------------------------------------------------- NumPy

  static final float[] NPY_INPUT = {0, 0.25f, 0.5f, 0.75f, 1, 1.25f, 1.5f, 1.75f, 2, 2.25f, 2.5f, 2.75f};

  @Test
  void npyFilesNamedByFileOrByNameEquals() {
    Map<String, Tensor> x = ok("data", "npy", NPY.resolve("input.npy"), NPY.resolve("lengths.npy"),
        "target=" + NPY.resolve("target.npy"), "v2=" + NPY.resolve("version2.npy"), "d=" + NPY.resolve("doubles.npy"),
        "be=" + NPY.resolve("big_endian.npy"), "s=" + NPY.resolve("scalar.npy"), "--output", out());
    assertEquals(List.of("input", "lengths", "target", "v2", "d", "be", "s"), List.copyOf(x.keySet()));
    assertArrayEquals(new int[] {2, 3, 2}, x.get("input").shape());
    assertArrayEquals(NPY_INPUT, x.get("input").floats());
    assertArrayEquals(new long[] {3, 2}, x.get("lengths").longs());
    assertArrayEquals(new int[] {1, 0, 2, 2, 1, 0}, x.get("target").ints());
    assertArrayEquals(new long[] {0, 1, 2, 3, 4}, x.get("v2").longs());
    assertArrayEquals(new double[] {0.5, -1.5, 2.0, 1e-3}, x.get("d").doubles());
    assertArrayEquals(new float[] {1.5f, -2.25f, 3.0f}, x.get("be").floats());
    assertArrayEquals(new int[0], x.get("s").shape());
    assertArrayEquals(new long[] {7}, x.get("s").longs());
  }

  @Test
  void npzArchivesStoredAndCompressed() {
    Map<String, Tensor> x = ok("data", "npy", NPY.resolve("batch.npz"), "--output", out());
    assertEquals(List.of("input", "lengths", "target"), List.copyOf(x.keySet()));
    assertArrayEquals(NPY_INPUT, x.get("input").floats());
    Path compressed = dir.resolve("c.safetensors");
    assertEquals(0, Cli.run("data", "npy", NPY.resolve("compressed.npz"), "--output", compressed).code());
    assertArrayEquals(NPY_INPUT, Cli.read(compressed).get("input").floats());
  }

  @Test
  void unsupportedOrBrokenNpy() throws IOException {
    fails("dtype '|u1' is not supported", "data", "npy", NPY.resolve("bytes.npy"), "--output", out());
    fails("Fortran order", "data", "npy", NPY.resolve("fortran.npy"), "--output", out());
    fails("truncated.npy: the header's shape [2, 3, 2] of <f4 needs 48 data bytes, but the file has 43", "data",
        "npy", NPY.resolve("truncated.npy"), "--output", out());
    Path notNpy = Cli.write(dir, "x.npy", "hello");
    fails(notNpy + ": not an .npy array", "data", "npy", notNpy, "--output", out());
    Path notZip = Cli.write(dir, "x.npz", "hello");
    fails(notZip + ": not a valid .npz", "data", "npy", notZip, "--output", out());
    fails("a second array named 'input'", "data", "npy", NPY.resolve("input.npy"), NPY.resolve("batch.npz"),
        "--output", out());
    byte[] header = Files.readAllBytes(NPY.resolve("input.npy"));
    Path badHeader = dir.resolve("h.npy");
    byte[] copy = header.clone();
    copy[10] = '[';
    Files.write(badHeader, copy);
    fails(badHeader + ": malformed .npy header", "data", "npy", badHeader, "--output", out());
  }

  // ---------------------------------------------------------------- end to end: data → run → csv / jsonl

  static final String SPEC = """
      model: Tagger
      package: t.data
      cell: gru
      input: 2
      hidden: 3
      head: {size: 2, activation: softmax}
      """;

  @Test
  void runWritesCsvAndJsonLinesByExtension() throws IOException {
    Path spec = Cli.write(dir, "tagger.yaml", SPEC);
    Path csv = Cli.write(dir, "sensors.csv", SENSORS);
    assertEquals(0, Cli.run("data", "csv", csv, "--sequence", "run", "--features", "temp,pressure",
        "--output", out()).code());
    Path safetensors = dir.resolve("y.safetensors");
    Path resultCsv = dir.resolve("y.csv");
    Path resultJsonl = dir.resolve("y.jsonl");
    for (Path output : List.of(safetensors, resultCsv, resultJsonl)) {
      Cli.Result r = Cli.run("run", spec, "--seed", 3, "--input", out(), "--output", output);
      assertEquals(0, r.code(), r::toString);
    }
    float[] prediction = Cli.read(safetensors).get("prediction").floats(); // [2, 3, 2]
    List<String> rows = Files.readAllLines(resultCsv);
    assertEquals("sequence,step,prediction_0,prediction_1", rows.get(0));
    assertEquals(1 + 3 + 2, rows.size(), "one row per valid step: " + rows);
    assertEquals("1,1," + prediction[(3 + 1) * 2] + "," + prediction[(3 + 1) * 2 + 1], rows.get(5));
    List<String> lines = Files.readAllLines(resultJsonl);
    assertEquals(2, lines.size());
    assertTrue(lines.get(1).startsWith("{\"sequence\": 1, \"length\": 2, \"output\": [["), lines.get(1));
    assertTrue(lines.get(1).contains("\"prediction\": [[" + prediction[6] + ", " + prediction[7] + "], ["
        + prediction[8] + ", " + prediction[9] + "]]}"), lines.get(1));
    assertTrue(lines.get(1).contains("\"h_n\": [["), lines.get(1));
    Cli.Result unknown = Cli.run("run", spec, "--input", out(), "--output", dir.resolve("y.npy"));
    assertEquals(1, unknown.code(), unknown::toString);
    assertTrue(unknown.err().contains(".npy is not an output format rnnc writes"), unknown::toString);
  }

  @Test
  void manyToOneResultsAreOneRowPerSequence() throws IOException {
    Path spec = Cli.write(dir, "encoder.yaml", SPEC.replace("head: {size: 2, activation: softmax}",
        "mode: many_to_one\nbidirectional: true"));
    Path jsonl = Cli.write(dir, "x.jsonl", "{\"input\": [[1, 2], [3, 4], [5, 6]]}\n{\"input\": [[0.5, 0]]}\n");
    assertEquals(0, Cli.run("data", "jsonl", jsonl, "--output", out()).code());
    Path safetensors = dir.resolve("y.safetensors");
    Path csv = dir.resolve("y.csv");
    Path lines = dir.resolve("y.jsonl");
    for (Path output : List.of(safetensors, csv, lines)) {
      Cli.Result r = Cli.run("run", spec, "--seed", 5, "--input", out(), "--output", output);
      assertEquals(0, r.code(), r::toString);
    }
    float[] features = Cli.read(safetensors).get("features").floats(); // [2, 6]
    List<String> rows = Files.readAllLines(csv);
    assertEquals("sequence,features_0,features_1,features_2,features_3,features_4,features_5", rows.get(0));
    assertEquals(3, rows.size(), rows::toString);
    assertTrue(rows.get(2).startsWith("1," + features[6] + "," + features[7] + ","), rows::toString);
    List<String> objects = Files.readAllLines(lines);
    assertTrue(objects.get(1).startsWith("{\"sequence\": 1, \"length\": 1, \"output\": [["), objects.get(1));
    assertTrue(objects.get(1).contains("\"features\": [" + features[6] + ", "), objects.get(1));
    assertTrue(objects.get(0).contains("\"h_n\": [[") && !objects.get(0).contains("\"c_n\""), objects.get(0));
  }
}
