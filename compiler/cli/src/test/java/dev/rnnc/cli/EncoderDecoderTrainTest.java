package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rnnc train} on an encoder–decoder: it learns to reverse digit strings (loss falls, greedy decoding of held-out
 * strings comes out reversed), checkpoints resume bit for bit, and failures leave the user's files as they were.
 */
class EncoderDecoderTrainTest {
  /** Tokens: 0 start, 1 end, 2..5 the digits (the same ids on both sides). */
  static final String SPEC = """
      model: Reverser
      package: t.s2s
      encoder:
        cell: gru
        embedding: {vocab: 6, dim: 6}
        hidden: 16
      decoder:
        cell: gru
        embedding: {vocab: 6, dim: 6}
        hidden: 16
        bridge: copy
        context: every_step
      head: {size: 6}
      decode: {start: 0, end: 1, max_length: 5}
      training: {loss: cross_entropy}
      """;
  static final int LENGTH = 3;

  @TempDir
  static Path dir;

  static Path spec;
  static Path data;
  static Path held;

  /** N random digit strings and their reverses followed by the end token. */
  static Map<String, Tensor> reversals(int n, long seed, boolean withTarget) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] source = new long[n * LENGTH];
    long[] target = new long[n * (LENGTH + 1)];
    for (int i = 0; i < n; i++) {
      for (int t = 0; t < LENGTH; t++) {
        source[i * LENGTH + t] = 2 + random.nextInt(4);
      }
      for (int t = 0; t < LENGTH; t++) {
        target[i * (LENGTH + 1) + t] = source[i * LENGTH + LENGTH - 1 - t];
      }
      target[i * (LENGTH + 1) + LENGTH] = 1;
    }
    Map<String, Tensor> x = new LinkedHashMap<>();
    x.put("source", Tensor.ofLongs(new int[] {n, LENGTH}, source));
    if (withTarget) {
      x.put("target", Tensor.ofLongs(new int[] {n, LENGTH + 1}, target));
    }
    return x;
  }

  @BeforeAll
  static void files() {
    spec = Cli.write(dir, "reverse.yaml", SPEC);
    data = Cli.tensors(dir, "train.safetensors", reversals(256, 1, true));
    held = Cli.tensors(dir, "held.safetensors", reversals(16, 2, true));
  }

  static double lastValidationLoss(String out) {
    Matcher m = Pattern.compile("validation loss ([0-9.e+-]+)").matcher(out);
    double last = Double.NaN;
    while (m.find()) {
      last = Double.parseDouble(m.group(1));
    }
    return last;
  }

  @Test
  void learnsToReverseDigitStrings() {
    Path out = dir.resolve("trained.safetensors");
    Cli.Result r = Cli.run("train", spec, "--data", data, "--validation", held, "--steps", 200, "--batch", 32,
        "--optimizer", "adam", "--lr", 0.02, "--eval-every", 50, "--best", dir.resolve("best.safetensors"),
        "--output", out);
    assertEquals(0, r.code(), r::toString);
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(0).startsWith("step 50  epoch 6  lr 0.02"), r.out());
    double first = Double.parseDouble(lines.get(0).replaceAll(".*validation loss ([0-9.e+-]+).*", "$1"));
    double last = lastValidationLoss(r.out());
    assertTrue(last < first / 4 && last < 0.05, "validation loss " + first + " -> " + last + "\n" + r.out());
    assertTrue(r.out().contains("trained 200 steps, 25 epochs (adam, lr 0.02): last loss"), r.out());
    assertTrue(r.out().contains("best validation (step "), r.out());

    // The trained weights reverse held-out strings when decoded greedily.
    Path x = Cli.tensors(dir, "fresh.safetensors", reversals(8, 3, false));
    Path y = dir.resolve("decoded.safetensors");
    Cli.Result run = Cli.run("run", spec, "--weights", out, "--input", x, "--output", y);
    assertEquals(0, run.code(), run::toString);
    long[] source = reversals(8, 3, true).get("target").toLongArray();
    long[] tokens = Cli.read(y).get("tokens").toLongArray();
    long[] lengths = Cli.read(y).get("lengths").toLongArray();
    int right = 0;
    for (int i = 0; i < 8; i++) {
      boolean same = lengths[i] == LENGTH + 1;
      for (int t = 0; t <= LENGTH && same; t++) {
        same = tokens[i * 5 + t] == source[i * (LENGTH + 1) + t];
      }
      right += same ? 1 : 0;
    }
    assertTrue(right >= 7, right + " of 8 held-out strings reversed exactly");
  }

  @Test
  void aResumedRunEndsBitForBitWhereAnUninterruptedOneDoes() {
    Path whole = dir.resolve("whole.safetensors");
    Path part = dir.resolve("part.safetensors");
    Object[] common = {"--data", data, "--batch", 20, "--optimizer", "adam", "--lr", 0.01, "--seed", 4,
        "--validation-split", 0.2, "--eval-every", 7, "--clip-norm", 1, "--lr-schedule", "step", "--lr-step-size", 10,
        "--warmup-steps", 5};
    Cli.Result a = Cli.run(concat(new Object[] {"train", spec, "--steps", 40, "--checkpoint-every", 10, "--output",
        whole}, common));
    assertEquals(0, a.code(), a::toString);
    Cli.Result b = Cli.run(concat(new Object[] {"train", spec, "--steps", 40, "--output", part}, common));
    assertEquals(0, b.code(), b::toString);
    // A run stopped after 17 steps (the schedule depends on the step number only), then resumed in place to 40.
    Path half = dir.resolve("half.safetensors");
    Cli.Result c = Cli.run(concat(new Object[] {"train", spec, "--steps", 17, "--output", half}, common));
    assertEquals(0, c.code(), c::toString);
    Cli.Result resumed = Cli.run("train", spec, "--data", data, "--resume", half, "--steps", 40, "--output", half);
    assertEquals(0, resumed.code(), resumed::toString);
    assertTrue(resumed.err().contains("resuming " + half + " after step 17"), resumed.err());
    SafeTensorsFile expected = SafeTensors.read(whole);
    SafeTensorsFile actual = SafeTensors.read(half);
    assertEquals(expected.tensors().keySet(), actual.tensors().keySet());
    for (String name : expected.tensors().keySet()) {
      assertEquals(expected.tensors().get(name), actual.tensors().get(name), name);
    }
    assertEquals(SafeTensors.read(part).tensors(), expected.tensors(), "periodic checkpoints change nothing");
  }

  static Object[] concat(Object[] a, Object[] b) {
    Object[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void failuresKeepTheUsersFilesAndUnsupportedOptionsSaySo() throws Exception {
    Path out = dir.resolve("kept.safetensors");
    Files.writeString(out, "the user's file");
    Cli.Result monitor = Cli.run("train", spec, "--data", data, "--steps", 3, "--validation", held, "--monitor", "mse",
        "--output", out);
    assertEquals(ExitCodes.USER_ERROR, monitor.code(), monitor::toString);
    assertTrue(monitor.err().contains("--monitor mse: an encoder–decoder reports [loss, accuracy, perplexity]"),
        monitor.err());
    Cli.Result threads = Cli.run("train", spec, "--data", data, "--steps", 3, "--threads", 2, "--output", out);
    assertTrue(threads.err().contains("--threads: encoder–decoder training runs on one thread"), threads.err());
    Map<String, Tensor> bad = reversals(4, 5, true);
    long[] ids = bad.get("target").toLongArray();
    ids[6] = 9;
    bad.put("target", Tensor.ofLongs(new int[] {4, LENGTH + 1}, ids));
    Cli.Result badData = Cli.run("train", spec, "--data", Cli.tensors(dir, "bad.safetensors", bad), "--steps", 3,
        "--output", out);
    assertTrue(badData.err().contains("'target'[1, 2] = 9 is outside the target vocabulary 0..5"), badData.err());
    Cli.Result notACheckpoint = Cli.run("train", spec, "--data", data, "--steps", 5, "--resume", held, "--output", out);
    assertEquals(ExitCodes.USER_ERROR, notACheckpoint.code(), notACheckpoint::toString);
    assertEquals("the user's file", Files.readString(out));
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp")), "no temporary files left");
    }
    Map<String, Tensor> noEnd = reversals(4, 5, true);
    long[] t = noEnd.get("target").toLongArray();
    t[3] = 2;
    t[4] = 0;
    noEnd.put("target", Tensor.ofLongs(new int[] {4, LENGTH + 1}, t));
    Path fine = dir.resolve("noend-out.safetensors");
    Cli.Result note = Cli.run("train", spec, "--data", Cli.tensors(dir, "noend.safetensors", noEnd), "--steps", 1,
        "--output", fine);
    assertEquals(0, note.code(), note::toString);
    assertTrue(note.err().contains("1 of 4 targets in " + dir.resolve("noend.safetensors") + " do not end with the end"
        + " token 1"), note.err());
    assertTrue(note.err().contains("1 of 4 targets in " + dir.resolve("noend.safetensors") + " begin with the start"
        + " token 0"), note.err());
    assertArrayEquals(new int[] {6, 16}, SafeTensors.read(fine).tensors().get("head.weight").shape());
  }
}
