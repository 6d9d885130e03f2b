package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training survives kills: real {@code rnnc train} processes (child JVMs running {@link Main}) are killed with
 * SIGKILL at random moments — between steps, inside a step, in the middle of writing a checkpoint — and resumed in
 * place ({@code --resume X --output X}) each time; the final checkpoint is byte for byte the one an uninterrupted
 * run writes. A SIGTERM makes the process write a last checkpoint and exit 143, and that checkpoint resumes to the
 * same bytes too.
 *
 * <p>The run exercises everything a resume must restore: shuffled mini-batches, dropout between two layers, Adam,
 * a cosine schedule with warm-up, clipping, validation with early-stopping bookkeeping. The children train the
 * reference implementation ({@code --reference}) so that each starts in a second rather than compiling generated
 * code; the trainer, checkpoints and signal handling are the same for both (TrainingCommandsTest checks that the
 * generated class and the reference train alike).
 */
class KillResumeTest {
  private static final int STEPS = 240;
  private static final String SPEC = """
      model: KillLstm
      package: t.kill
      cell: lstm
      input: 4
      hidden: 16
      layers: 2
      head: {size: 3, activation: softmax}
      limits: {max_batch: 8, max_length: 12}
      training: {loss: cross_entropy, dropout: 0.25}
      """;
  private static final Pattern STEP_LINE = Pattern.compile("^step (\\d+)/" + STEPS + " .*");

  @TempDir
  Path dir;
  private Path spec;
  private Path data;

  @BeforeEach
  void files() {
    spec = Cli.write(dir, "kill.yaml", SPEC);
    SplittableRandom random = new SplittableRandom(17);
    int n = 40;
    int t = 12;
    float[] input = new float[n * t * 4];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextGaussian();
    }
    long[] target = new long[n * t];
    for (int i = 0; i < target.length; i++) {
      target[i] = random.nextInt(3);
    }
    long[] lengths = new long[n];
    for (int i = 0; i < n; i++) {
      lengths[i] = 3 + random.nextInt(t - 2);
    }
    data = Cli.tensors(dir, "data.safetensors", Map.of(
        "input", Tensor.ofFloats(new int[] {n, t, 4}, input),
        "target", Tensor.ofLongs(new int[] {n, t}, target),
        "lengths", Tensor.ofLongs(new int[] {n}, lengths)));
  }

  /** The training command line, minus the output and resume options. */
  private List<String> arguments() {
    return new ArrayList<>(List.of("train", spec.toString(), "--reference", "--data", data.toString(),
        "--steps", Integer.toString(STEPS), "--optimizer", "adam", "--lr", "0.02", "--batch", "8", "--seed", "5",
        "--clip-norm", "1", "--lr-schedule", "cosine", "--warmup-steps", "20", "--validation-split", "0.2",
        "--eval-every", "10", "--patience", "1000", "--log-every", "1"));
  }

  @Test
  void sigkillAtRandomMomentsThenResumingGivesTheUninterruptedCheckpoint() throws Exception {
    Path straight = dir.resolve("straight.safetensors");
    List<String> uninterrupted = arguments();
    uninterrupted.addAll(List.of("--output", straight.toString()));
    Child reference = Child.start(uninterrupted, dir.resolve("straight.log"));
    assertEquals(0, reference.finish(), reference::log);

    Path output = dir.resolve("run.safetensors");
    SplittableRandom random = new SplittableRandom(System.nanoTime());
    int kills = 0;
    long lastSeen = 0;
    for (int attempt = 0; attempt < 6 && kills < 4; attempt++) {
      Child child = Child.start(resumable(output), dir.resolve("kill" + attempt + ".log"));
      // A random step between the last position seen and the end; the kill lands a little after that line is read,
      // anywhere in the child's loop (a step, a checkpoint write).
      long at = lastSeen + 1 + random.nextInt((int) Math.max(1, (STEPS - lastSeen) * 3 / 4));
      long seen = child.awaitStep(at);
      // Through the handle: Process.destroyForcibly would also close our end of the child's stdout.
      child.process.toHandle().destroyForcibly();
      int status = child.process.waitFor();
      // The child runs on while the kill is on its way: the last step it printed (each line is flushed before that
      // step's checkpoint is written) is in the pipe, not necessarily the line that triggered the kill.
      long printed = Math.max(seen, child.awaitStep(Long.MAX_VALUE));
      if (seen >= at && printed < STEPS) {
        kills++;
        assertEquals(137, status, child::log);
      }
      lastSeen = Math.max(lastSeen, printed);
      if (Files.exists(output)) {
        // Whatever moment the kill hit, the checkpoint on disk is complete and readable.
        SafeTensorsFile checkpoint = SafeTensors.read(output);
        assertTrue(Long.parseLong(checkpoint.metadata().get("step")) <= printed, child::log);
      }
    }
    assertTrue(kills >= 3, "the test needs runs killed mid-training, got " + kills);
    Child last = Child.start(resumable(output), dir.resolve("last.log"));
    assertEquals(0, last.finish(), last::log);
    assertSameCheckpoint(straight, output);
    try (var files = Files.list(dir)) {
      assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".tmp")).toList(),
          "temporary files of writes the kills interrupted are cleared away");
    }
  }

  @Test
  void sigtermWritesALastCheckpointAndExits143() throws Exception {
    Path straight = dir.resolve("straight.safetensors");
    List<String> uninterrupted = arguments();
    uninterrupted.addAll(List.of("--output", straight.toString()));
    Child reference = Child.start(uninterrupted, dir.resolve("straight.log"));
    assertEquals(0, reference.finish(), reference::log);

    Path output = dir.resolve("run.safetensors");
    List<String> args = arguments(); // no --checkpoint-every: the only checkpoint is the one the signal writes
    args.addAll(List.of("--output", output.toString()));
    Child child = Child.start(args, dir.resolve("term.log"));
    assertTrue(child.awaitStep(STEPS / 3) >= STEPS / 3, child::log);
    // SIGTERM, through the handle: Process.destroy() would also close our end of its stdout.
    assertTrue(child.process.toHandle().destroy());
    child.awaitStep(Long.MAX_VALUE); // the rest of its output, up to its end
    assertEquals(143, child.process.waitFor(), child::log);
    String log = child.log();
    Matcher stopped = Pattern.compile("stopped by a signal after step (\\d+); wrote " + Pattern.quote(output.toString())
        + "; continue with --resume").matcher(log);
    assertTrue(stopped.find(), log);
    long step = Long.parseLong(stopped.group(1));
    assertTrue(step >= STEPS / 3 && step < STEPS, log);
    assertEquals(Long.toString(step), SafeTensors.read(output).metadata().get("step"), log);

    // In place, with nothing but the data: every setting comes from the checkpoint.
    Child resumed = Child.start(List.of("train", spec.toString(), "--reference", "--data", data.toString(),
        "--resume", output.toString(), "--output", output.toString()), dir.resolve("resumed.log"));
    assertEquals(0, resumed.finish(), resumed::log);
    assertTrue(resumed.log().contains("resuming " + output + " after step " + step), resumed::log);
    assertSameCheckpoint(straight, output);
  }

  private List<String> resumable(Path output) {
    List<String> args = arguments();
    args.addAll(List.of("--checkpoint-every", "5", "--output", output.toString()));
    if (Files.exists(output)) {
      args.addAll(List.of("--resume", output.toString()));
    }
    return args;
  }

  private static void assertSameCheckpoint(Path expected, Path actual) throws IOException {
    SafeTensorsFile a = SafeTensors.read(expected);
    SafeTensorsFile b = SafeTensors.read(actual);
    assertEquals(a.tensors().keySet(), b.tensors().keySet());
    for (String name : a.tensors().keySet()) {
      Tensor x = a.tensors().get(name);
      Tensor y = b.tensors().get(name);
      if (x.dtype().isFloatingPoint()) {
        assertArrayEquals(x.toFloatArray(), y.toFloatArray(), name);
      } else {
        assertArrayEquals(x.toLongArray(), y.toLongArray(), name);
      }
    }
    assertEquals(a.metadata(), b.metadata());
    assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(actual), "the files, byte for byte");
  }

  /** One {@code rnnc train} child JVM; stdout is read line by line, everything is copied to a log file. */
  private static final class Child {
    final Process process;
    final BufferedReader out;
    final Path logFile;
    final StringBuilder seen = new StringBuilder();

    private Child(Process process, Path logFile) {
      this.process = process;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.logFile = logFile;
    }

    static Child start(List<String> args, Path log) throws IOException {
      String java = ProcessHandle.current().info().command()
          .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
          "-cp", System.getProperty("java.class.path"), Main.class.getName()));
      command.addAll(args);
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.resolveSibling(log.getFileName() + ".err")
          .toFile());
      builder.environment().remove("JDK_JAVA_OPTIONS");
      builder.environment().remove("JAVA_TOOL_OPTIONS");
      return new Child(builder.start(), log);
    }

    /** Reads stdout until the child reports step {@code step} (or ends); returns the last step it reported. */
    long awaitStep(long step) throws IOException {
      long last = 0;
      String line;
      while ((line = out.readLine()) != null) {
        seen.append(line).append('\n');
        Matcher m = STEP_LINE.matcher(line);
        if (m.matches()) {
          last = Long.parseLong(m.group(1));
          if (last >= step) {
            break;
          }
        }
      }
      return last;
    }

    /** Waits for the end (at most two minutes) and returns the exit status. */
    int finish() throws Exception {
      awaitStep(Long.MAX_VALUE);
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("the child did not finish in 120 s:\n" + log());
      }
      return process.exitValue();
    }

    String log() {
      try {
        Path err = logFile.resolveSibling(logFile.getFileName() + ".err");
        String text = "--- stdout\n" + seen + "--- stderr\n" + (Files.exists(err) ? Files.readString(err) : "");
        Files.writeString(logFile, text);
        return text;
      } catch (IOException e) {
        return "--- stdout\n" + seen + "(stderr unreadable: " + e + ")";
      }
    }
  }

  @Test
  void everyStepLineIsRecognised() {
    assertTrue(STEP_LINE.matcher("step 12/" + STEPS + "  loss 0.5  12.0 seq/s").matches());
    assertFalse(STEP_LINE.matcher("eval step 10  epoch 2").matches());
  }
}
