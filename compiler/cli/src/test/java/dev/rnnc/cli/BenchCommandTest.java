package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rnnc bench with tiny measuring times: output format and sanity of the numbers, not speed. */
class BenchCommandTest {
  static final String SPEC = """
      model: Bench
      package: t.bench
      cell: lstm
      input: 4
      hidden: 8
      head: {size: 3}
      limits: {max_batch: 2, max_length: 6}
      """;

  static final Pattern NUMBER = Pattern.compile("\"(\\w+)\": (-?[0-9.eE+-]+|true|false|\"[^\"]*\")");

  @TempDir
  Path dir;

  /** Parses one flat JSON line into key → raw value, checking it is exactly a flat object of those values. */
  static java.util.Map<String, String> parse(String line) {
    assertTrue(line.startsWith("{") && line.endsWith("}"), line);
    java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
    Matcher m = NUMBER.matcher(line);
    int covered = 1;
    while (m.find()) {
      fields.put(m.group(1), m.group(2));
      covered += m.group().length() + 2;
    }
    assertEquals(line.length() + 1, covered, "only flat key-value pairs: " + line);
    return fields;
  }

  @Test
  void streamsModeTimesBothBanksBesideTheSingleStep() {
    Path spec = Cli.write(dir, "bench.yaml", SPEC);
    for (String bank : List.of("generated", "generic")) {
      Cli.Result r = bank.equals("generated")
          ? Cli.run("bench", spec, "--mode", "streams", "--streams", 5, "--length", 6, "--seconds", 0.05,
              "--max-warmup", 1, "--json")
          : Cli.run("bench", spec, "--mode", "streams", "--streams", 5, "--length", 6, "--seconds", 0.05,
              "--max-warmup", 1, "--json", "--generic-bank");
      assertEquals(0, r.code(), r::toString);
      List<String> lines = r.out().lines().toList();
      assertEquals(1, lines.size(), r::toString);
      java.util.Map<String, String> f = parse(lines.get(0));
      assertEquals("\"streams\"", f.get("mode"));
      assertEquals("5", f.get("streams"));
      assertEquals("\"" + bank + "\"", f.get("bank"));
      double perStream = Double.parseDouble(f.get("ns_per_stream_step"));
      double single = Double.parseDouble(f.get("single_step_ns"));
      assertTrue(perStream > 0 && single > 0, lines.get(0));
      assertEquals(perStream / single, Double.parseDouble(f.get("ratio_to_single_step")), 1e-3 * perStream / single);
      assertEquals(perStream * 5, Double.parseDouble(f.get("p50_ns")), 1e-3 * perStream * 5);
      for (String key : List.of("gflops", "bytes_allocated_per_step", "p99_ns")) {
        assertTrue(f.containsKey(key), key + " in " + lines.get(0));
      }
    }
    Cli.Result bad = Cli.run("bench", spec, "--mode", "streams", "--streams", 0);
    assertTrue(bad.code() != 0 && bad.err().contains("--streams must be >= 1"), bad::toString);
  }

  @Test
  void stepAndSequenceModesPrintJsonLines() {
    Path spec = Cli.write(dir, "bench.yaml", SPEC);
    for (String mode : List.of("step", "sequence")) {
      Cli.Result r = Cli.run("bench", spec, "--mode", mode, "--batch", 1, "--length", 6, "--seconds", 0.05, "--max-warmup", 1,
          "--json");
      assertEquals(0, r.code(), r::toString);
      List<String> lines = r.out().lines().toList();
      assertEquals(1, lines.size(), r::toString);
      java.util.Map<String, String> f = parse(lines.get(0));
      assertEquals("\"" + mode + "\"", f.get("mode"));
      assertEquals("\"Bench\"", f.get("model"));
      assertEquals("1", f.get("batch"));
      assertEquals("6", f.get("length"));
      for (String key : List.of("ns_per_step", "gflops", "bytes_allocated_per_step", "p99_ns", "p999_ns")) {
        assertTrue(f.containsKey(key), key + " in " + lines.get(0));
      }
      double ns = Double.parseDouble(f.get("ns_per_step"));
      assertTrue(ns > 0 && ns <= Double.parseDouble(f.get("p99_ns")), lines.get(0));
      assertTrue(Double.parseDouble(f.get("gflops")) > 0, lines.get(0));
    }
  }

  @Test
  void sequenceModeSplitsTheBatchOverThreads() {
    Path spec = Cli.write(dir, "bench.yaml", SPEC);
    // the default warm-up waits for the JIT to settle, so the figure is the steady state's
    Cli.Result r = Cli.run("bench", spec, "--mode", "sequence", "--batch", 2, "--length", 6, "--threads", 2,
        "--seconds", 0.2, "--json");
    assertEquals(0, r.code(), r::toString);
    java.util.Map<String, String> f = parse(r.out().strip());
    assertEquals("2", f.get("threads"));
    assertEquals("true", f.get("warmup_settled"), r.out());
    assertEquals(0.0, Double.parseDouble(f.get("bytes_allocated_per_step")), r.out());
    Cli.Result step = Cli.run("bench", spec, "--mode", "step", "--threads", 2);
    assertTrue(step.code() != 0 && step.err().contains("--threads applies to --mode train and --mode sequence"),
        step::toString);
  }

  @Test
  void textOutputByDefault() {
    Path spec = Cli.write(dir, "bench.yaml", SPEC);
    Cli.Result r = Cli.run("bench", spec, "--mode", "sequence", "--batch", 2, "--seconds", 0.05, "--max-warmup", 1);
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().contains("ns/timestep (median)") && r.out().contains("GFLOP/s"), r::toString);
  }

  @Test
  void trainModeReportsMillisecondsPerIteration() {
    Path spec = Cli.write(dir, "trainable.yaml", SPEC.replace("head: {size: 3}", "head: {size: 3}\ntraining: {loss: mse}"));
    Cli.Result r = Cli.run("bench", spec, "--mode", "train", "--batch", 2, "--length", 3, "--seconds", 0.05,
        "--max-warmup", 1, "--json");
    assertEquals(0, r.code(), r::toString);
    java.util.Map<String, String> f = parse(r.out().strip());
    assertEquals("\"train\"", f.get("mode"));
    assertEquals("2", f.get("batch"));
    for (String key : List.of("ms_per_iteration", "gflops", "bytes_allocated_per_step", "p99_ns")) {
      assertTrue(f.containsKey(key), key + " in " + r.out());
    }
    assertTrue(!f.containsKey("ns_per_step"), r.out());
    assertTrue(Double.parseDouble(f.get("ms_per_iteration")) > 0, r.out());
  }

  @Test
  void trainModeNeedsATrainingSection() {
    Path spec = Cli.write(dir, "bench.yaml", SPEC);
    Cli.Result r = Cli.run("bench", spec, "--mode", "train", "--seconds", 0.05);
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("spec has no training section"), r::toString);
  }

  @Test
  void stepModeNeedsOneSequenceAndABidirectionalSpecSwitchesToSequenceMode() {
    Path spec = Cli.write(dir, "bench.yaml", SPEC);
    Cli.Result r = Cli.run("bench", spec, "--batch", 2, "--seconds", 0.05);
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("step mode runs one sequence"), r::toString);
    Path bi = Cli.write(dir, "bi.yaml", SPEC.replace("hidden: 8", "hidden: 8\nbidirectional: true"));
    Cli.Result r2 = Cli.run("bench", bi, "--seconds", 0.05, "--max-warmup", 1, "--json");
    assertEquals(0, r2.code(), r2::toString);
    assertTrue(r2.err().contains("is bidirectional, which cannot stream one step at a time; measuring --mode"
        + " sequence instead"), r2::toString);
    assertEquals("\"sequence\"", parse(r2.out().strip()).get("mode"));
    Cli.Result r3 = Cli.run("bench", bi, "--mode", "step", "--seconds", 0.05);
    assertEquals(1, r3.code(), r3::toString);
    assertTrue(r3.err().contains("step mode needs a unidirectional model"), r3::toString);
  }

  /**
   * The default warm-up lasts until the JIT has settled, so the allocation figure printed by default is the
   * allocation-free steady state the README promises (0 B), not the interpreter's or C1's temporaries.
   */
  @Test
  void trainModeAllocatesNothingAfterTheDefaultWarmUp() {
    Path spec = Cli.write(dir, "trainable.yaml", SPEC.replace("head: {size: 3}",
        "head: {size: 3, activation: softmax}\ntraining: {loss: cross_entropy}"));
    Cli.Result r = Cli.run("bench", spec, "--mode", "train", "--batch", 2, "--length", 4, "--seconds", 0.3);
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().contains(", 0.0 bytes allocated/step (0.0 per call)"), r::toString);
    assertTrue(r.out().contains("JIT settled"), r::toString);
  }

  @Test
  void unsettledWarmUpIsReported() {
    Path spec = Cli.write(dir, "bench.yaml", SPEC);
    Cli.Result r = Cli.run("bench", spec, "--seconds", 0.05, "--warmup", 0, "--max-warmup", 0, "--json");
    assertEquals(0, r.code(), r::toString);
    assertEquals("false", parse(r.out().strip()).get("warmup_settled"), r::toString);
    assertTrue(r.err().contains("the warm-up did not settle within 0 s"), r::toString);
  }
}
