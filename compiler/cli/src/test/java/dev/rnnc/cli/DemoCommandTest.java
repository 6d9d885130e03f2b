package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rnnc demo with short time budgets: every section appears in order, the built-in model learns (its loss on the
 * text falls well below a uniform guess) and writes text of its alphabet, and --spec runs other specs, training
 * the ones the built-in text can train and saying in one line why it skips the others.
 */
class DemoCommandTest {
  private static final Pattern LOSS =
      Pattern.compile("held-out loss (\\d+\\.\\d+) -> (\\d+\\.\\d+) nats/char \\([\\d.]+ bits/char, perplexity [\\d.]+\\)"
          + " after (\\d+) steps");
  private static final Pattern BENCH = Pattern.compile("([\\d,]+) ns/step median, p99 ([\\d,]+) ns, [\\d.]+ GFLOP/s, ");
  private static final Pattern SAMPLE = Pattern.compile("^   \"(.*)\"$", Pattern.MULTILINE);

  @TempDir
  Path dir;

  @Test
  void builtInModelTrainsSamplesAndBenchmarks() {
    Cli.Result r = Cli.run("demo", "--seconds", 1);
    assertEquals(0, r.code(), r::toString);
    assertEquals("", r.err(), r::toString);
    assertInOrder(r, "rnnc demo: a character-level language model", "1. Spec  (demo/char_lstm.yaml, built in)",
        "DemoCharLstm: lstm, embedding 40×16, hidden 64", "parameters  24,232", "FLOPs/step  46,080",
        "2. Compile", "dev.rnnc.demo.DemoCharLstm: source generated in", "3. Train",
        "held out: the text's last 10% (", "held-out loss ", "training loss ", "on the text it trained on", "4. Sample",
        "5. Benchmark",
        "Next steps", "./rnnc compile", "rnnc-maven-plugin", "README.md");

    Matcher loss = LOSS.matcher(r.out());
    assertTrue(loss.find(), r::toString);
    double before = Double.parseDouble(loss.group(1));
    double after = Double.parseDouble(loss.group(2));
    assertEquals(Math.log(40), before, 0.1, "untrained: about a uniform guess over 40 classes\n" + r);
    // At least 40 Adam steps, even on a loaded machine: the letter frequencies alone are worth ~0.8 on unseen text.
    assertTrue(after < before - 0.5, "the loss must fall: " + before + " -> " + after + "\n" + r);
    assertTrue(Integer.parseInt(loss.group(3)) >= 40, r::toString);

    Matcher sample = SAMPLE.matcher(r.out());
    assertTrue(sample.find(), r::toString);
    String text = sample.group(1);
    assertEquals(4 + 80, text.length(), text);
    assertTrue(text.startsWith("the "), text);
    String alphabet = DemoCommand.Corpus.load().alphabet();
    assertTrue(text.chars().allMatch(c -> alphabet.indexOf(c) >= 0), "only the text's characters: " + text);

    Matcher bench = BENCH.matcher(r.out());
    assertTrue(bench.find(), r::toString);
    long median = Long.parseLong(bench.group(1).replace(",", ""));
    long p99 = Long.parseLong(bench.group(2).replace(",", ""));
    assertTrue(median > 0 && p99 >= median, r::toString);
  }

  @Test
  void builtInTextIsPlainAndFitsTheBuiltInVocabulary() {
    DemoCommand.Corpus corpus = DemoCommand.Corpus.load();
    assertTrue(corpus.text().length() > 1000, "enough text for a hundred training windows");
    assertFalse(corpus.text().contains("\n") || corpus.text().contains("  "), "whitespace folded to single spaces");
    assertTrue(corpus.alphabet().length() <= 40, "the built-in spec's vocabulary is 40: " + corpus.alphabet());
    assertEquals(List.of(0, 1), List.of(corpus.alphabet().indexOf(' '), corpus.alphabet().indexOf(',')),
        "ids in code-point order: " + corpus.alphabet());
  }

  @Test
  void specWithoutTrainingSectionIsBenchmarkedOnly() {
    Cli.Result r = Cli.run("demo", "--spec", repositoryFile("specs/lstm_64_128.yaml"), "--seconds", 0.5);
    assertEquals(0, r.code(), r::toString);
    assertInOrder(r, "Lstm64x128 from ", "with random weights (seed 42)", "1. Spec", "parameters  99,328",
        "2. Compile", "3. Train and sample  (skipped)", "the spec has no training section", "4. Benchmark",
        "streaming step", "Next steps");
    assertFalse(r.out().contains("Sample"), r::toString);
    assertFalse(r.out().contains("5. "), "sections are numbered without gaps\n" + r);
    assertTrue(BENCH.matcher(r.out()).find(), r::toString);
  }

  @Test
  void ownCharacterModelTrainsOnTheBuiltInText() {
    Path spec = Cli.write(dir, "gru.yaml", """
        model: TinyCharGru
        package: t.demo
        cell: gru
        embedding: {vocab: 32, dim: 8}
        hidden: 16
        head: {size: 32, activation: softmax}
        training: {loss: cross_entropy}
        """);
    Cli.Result r = Cli.run("demo", "--spec", spec, "--seconds", 0.5);
    assertEquals(0, r.code(), r::toString);
    assertInOrder(r, "TinyCharGru from ", "3. Train", "4. Sample", "5. Benchmark");
    Matcher loss = LOSS.matcher(r.out());
    assertTrue(loss.find(), r::toString);
    assertTrue(Double.parseDouble(loss.group(2)) < Double.parseDouble(loss.group(1)), r::toString);
  }

  @Test
  void modelTheTextCannotTrainIsSkippedWithTheReason() {
    Path spec = Cli.write(dir, "small.yaml", """
        model: SmallVocab
        package: t.demo
        cell: rnn
        embedding: {vocab: 12, dim: 4}
        hidden: 8
        bidirectional: true
        head: {size: 12, activation: softmax}
        training: {loss: cross_entropy}
        """);
    Cli.Result r = Cli.run("demo", "--spec", spec, "--seconds", 0.3);
    assertEquals(0, r.code(), r::toString);
    assertInOrder(r, "3. Train and sample  (skipped)",
        "the built-in text has 30 distinct characters, its vocabulary only 12; train it on your own data with",
        "4. Benchmark  (bidirectional, so no streaming step");
  }

  @Test
  void badOptionsAreUserErrors() {
    Cli.Result zero = Cli.run("demo", "--seconds", 0);
    assertEquals(1, zero.code(), zero::toString);
    assertEquals("rnnc: --seconds must be a positive number, got 0.0\n", zero.err(), zero::toString);
    Cli.Result missing = Cli.run("demo", "--spec", dir.resolve("missing.yaml"));
    assertEquals(1, missing.code(), missing::toString);
    assertTrue(missing.err().contains("missing.yaml"), missing::toString);
    assertFalse(missing.err().contains("\tat "), "no stack trace: " + missing);
  }

  private static void assertInOrder(Cli.Result r, String... parts) {
    int at = 0;
    for (String part : parts) {
      int found = r.out().indexOf(part, at);
      assertTrue(found >= 0, "'" + part + "' (in this order) in\n" + r);
      at = found + part.length();
    }
  }

  /** A file of the repository; tests run in the module's folder, two levels below the root. */
  private static Path repositoryFile(String relative) {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve(relative))) {
        return d.resolve(relative);
      }
    }
    throw new AssertionError(relative + " not found above " + Path.of("").toAbsolutePath());
  }
}
