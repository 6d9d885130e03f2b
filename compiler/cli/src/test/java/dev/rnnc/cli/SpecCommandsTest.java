package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** check, info, compile, and the top-level options: everything that needs no compiled model. */
class SpecCommandsTest {
  static final String GOOD = """
      model: Tiny
      package: t.cli
      cell: gru
      input: 3
      hidden: 5
      layers: 2
      bidirectional: true
      mode: many_to_one
      head: {size: 2, activation: softmax}
      limits: {max_batch: 4, max_length: 10}
      """;

  static final String BAD = """
      model: Bad
      package: t.cli
      cell: gru
      input: 3
      hidden: -5
      colour: blue
      """;

  @TempDir
  Path dir;

  @Test
  void checkAcceptsGoodSpecs() {
    Path spec = Cli.write(dir, "tiny.yaml", GOOD);
    Cli.Result r = Cli.run("check", spec);
    assertEquals(0, r.code(), r::toString);
    assertEquals("ok " + spec + "\n", r.out());
    assertEquals("", r.err());
  }

  @Test
  void checkReportsEveryErrorOneLineEach() {
    Path good = Cli.write(dir, "tiny.yaml", GOOD);
    Path bad = Cli.write(dir, "bad.yaml", BAD);
    Cli.Result r = Cli.run("check", bad, good);
    assertEquals(1, r.code(), r::toString);
    assertEquals("ok " + good + "\n", r.out(), "later specs are still checked");
    List<String> lines = r.err().lines().toList();
    assertEquals(2, lines.size(), r::toString);
    assertTrue(lines.get(0).matches("\\Q" + bad + "\\E:5:9: hidden .*"), lines.get(0));
    assertTrue(lines.get(1).matches("\\Q" + bad + "\\E:6:1: unknown key 'colour'.*"), lines.get(1));
  }

  @Test
  void checkOfAMissingFileIsAUserError() {
    Cli.Result r = Cli.run("check", dir.resolve("nope.yaml"));
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("nope.yaml") && r.err().contains("no such file"), r::toString);
  }

  @Test
  void infoListsParametersCountsAndSizes() {
    Path spec = Cli.write(dir, "tiny.yaml", GOOD);
    Cli.Result r = Cli.run("info", spec);
    assertEquals(0, r.code(), r::toString);
    String out = r.out();
    assertTrue(out.contains("class:       t.cli.Tiny"), out);
    assertTrue(out.contains("rnn.weight_ih_l0_reverse  [15, 3]"), out);
    assertTrue(out.contains("rnn.weight_ih_l1          [15, 10]"), out);
    assertTrue(out.contains("head.weight               [2, 10]"), out);
    // 2 directions × (layer 0: 15·3 + 15·5 + 30; layer 1: 15·10 + 15·5 + 30) + head 2·10 + 2
    long count = 2 * (45 + 75 + 30) + 2 * (150 + 75 + 30) + 20 + 2;
    assertTrue(out.contains("parameter count:   " + String.format("%,d", count)), out);
    // 2·dirs·gateRows·(in + H) summed over layers; no head term for many_to_one
    long flops = 2L * 2 * 15 * (3 + 5) + 2L * 2 * 15 * (10 + 5);
    assertTrue(out.contains("FLOPs per step:    " + String.format("%,d", flops)), out);
    // B=4, T=10, R=40, 16-float vectors: lengths 4 + valid rows 40 + running 4 + projections 40·(16 + 16)
    // (15 gate rows padded to 16, plus a vector of slack) + gate scratch 4·(32 + 16) (4H = 20 rows) + layer-0 output
    // 40·10 + last output 40·10 + h_n 2·2·4·5 + features 4·10 + logits/prediction 2·4·2 + head scratch 2·(16 + 16)
    // + running rows 4 + the blocked product's panel of a chunk, 104·(max(3, 10) + 5) (bidirectional: no streaming state)
    // + the batched recurrence's gate rows 4·48 (a GRU resetting after keeps its recurrent products apart)
    long workspace = 4L * (4 + 40 + 4 + 4 + 40 * 32 + 4 * 48 + 104 * 15 + 400 + 400 + 80 + 40 + 16 + 64 + 4 * 48);
    assertTrue(out.contains("workspace bytes:   " + String.format("%,d", workspace)), out);
  }

  @Test
  void infoSaysWhatBf16WeightsStream() {
    Path spec = Cli.write(dir, "half.yaml", """
        model: Half
        package: t.cli
        cell: gru
        input: 3
        hidden: 5
        head: {size: 2}
        weights: bf16
        """);
    Cli.Result r = Cli.run("info", spec);
    assertEquals(0, r.code(), r::toString);
    // W_ih 15·3 + W_hh 15·5 + head 2·5 (biases stay float32)
    assertTrue(r.out().contains("weight storage:    bf16: the weight matrices (130 values) are read as 260 bytes per "
        + "step instead of 520 (inference only)"), r::toString);
    Cli.Result f32 = Cli.run("info", Cli.write(dir, "full.yaml", GOOD));
    assertTrue(!f32.out().contains("weight storage"), f32::toString);
  }

  @Test
  void infoOfABadSpecPrintsItsErrors() {
    Path bad = Cli.write(dir, "bad.yaml", BAD);
    Cli.Result r = Cli.run("info", bad);
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().startsWith(bad + ":5:9: "), r::toString);
  }

  @Test
  void compileWritesSourcesAndKeepsUpToDateFilesUntouched() throws Exception {
    Path spec = Cli.write(dir, "tiny.yaml", GOOD);
    Path out = dir.resolve("gen");
    Cli.Result first = Cli.run("compile", spec, "-d", out);
    assertEquals(0, first.code(), first::toString);
    Path file = out.resolve("t/cli/Tiny.java");
    assertEquals("wrote " + file + "\n", first.out());
    assertTrue(Files.readString(file).contains("class Tiny"));

    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(file, old);
    Cli.Result second = Cli.run("compile", spec, "-d", out);
    assertEquals(0, second.code(), second::toString);
    assertEquals("up to date " + file + "\n", second.out());
    assertEquals(old, Files.getLastModifiedTime(file), "an identical file is not rewritten");

    Files.writeString(file, "stale");
    Cli.Result third = Cli.run("compile", "-q", spec, "-d", out);
    assertEquals(0, third.code(), third::toString);
    assertEquals("", third.out());
    assertTrue(Files.readString(file).contains("class Tiny"));
  }

  @Test
  void compileWritesNothingWhenAnySpecIsBad() {
    Path good = Cli.write(dir, "tiny.yaml", GOOD);
    Path bad = Cli.write(dir, "bad.yaml", BAD);
    Path out = dir.resolve("gen");
    Cli.Result r = Cli.run("compile", good, bad, "-d", out);
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().startsWith(bad + ":5:9: "), r::toString);
    assertTrue(Files.notExists(out));
  }

  @Test
  void versionNamesRnncAndTheJdk() {
    Cli.Result r = Cli.run("--version");
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().startsWith("rnnc 0."), r.out());
    assertTrue(r.out().contains("Java " + Runtime.version()), r.out());
  }

  @Test
  void helpPagesDocumentExitCodesAndExamples() {
    Cli.Result top = Cli.run("--help");
    assertEquals(0, top.code(), top::toString);
    for (String command : List.of("compile", "check", "info", "run", "grad", "train", "bench")) {
      assertTrue(top.out().contains(command), command);
      Cli.Result page = Cli.run(command, "--help");
      assertEquals(0, page.code(), page::toString);
      assertTrue(page.out().contains("Exit codes:"), command + ":\n" + page.out());
      assertTrue(page.out().contains("rnnc " + command), command + ":\n" + page.out());
    }
    assertTrue(top.out().contains("Exit codes:"), top.out());
  }

  @Test
  void badUsageIsAUserError() {
    Cli.Result r = Cli.run("compile", "x.yaml");
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("Missing required option: '-d=DIR'"), r::toString);
    Cli.Result unknown = Cli.run("compil");
    assertEquals(1, unknown.code(), unknown::toString);
    assertTrue(unknown.err().contains("compile"), "suggests the command:\n" + unknown);
  }

  @Test
  void noCommandPrintsTheUsageAsAUserError() {
    Cli.Result r = Cli.run();
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().startsWith("Usage: rnnc"), r::toString);
  }

  @Test
  void unexpectedExceptionsAreInternalErrors() {
    java.io.StringWriter text = new java.io.StringWriter();
    int code = Main.report(new IllegalStateException("boom"), new java.io.PrintWriter(text, true), false);
    assertEquals(2, code);
    assertEquals("rnnc: internal error: java.lang.IllegalStateException: boom\nrun with -v for details\n",
        text.toString().replace(System.lineSeparator(), "\n"));
    java.io.StringWriter verbose = new java.io.StringWriter();
    assertEquals(2, Main.report(new IllegalStateException("boom"), new java.io.PrintWriter(verbose, true), true));
    assertTrue(verbose.toString().contains("\tat dev.rnnc.cli.SpecCommandsTest"), verbose.toString());
    java.io.StringWriter user = new java.io.StringWriter();
    assertEquals(1, Main.report(new dev.rnnc.runtime.RnncException("bad"), new java.io.PrintWriter(user, true), false));
    assertEquals("rnnc: bad", user.toString().strip());
  }
}
