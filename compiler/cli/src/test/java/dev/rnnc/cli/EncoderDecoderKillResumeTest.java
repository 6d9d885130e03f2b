package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encoder–decoder training in real {@code rnnc train} processes: SIGKILLed at random moments and resumed, it ends
 * with the uninterrupted run's checkpoint byte for byte; SIGTERM writes a last checkpoint and exits 143.
 */
class EncoderDecoderKillResumeTest {
  private static final int STEPS = 300;
  private static final Pattern STEP_LINE = Pattern.compile("^step (\\d+) .*");

  @TempDir
  Path dir;
  private Path spec;
  private Path data;

  @BeforeEach
  void files() {
    spec = Cli.write(dir, "reverse.yaml", EncoderDecoderTrainTest.SPEC);
    data = Cli.tensors(dir, "data.safetensors", EncoderDecoderTrainTest.reversals(60, 7, true));
  }

  private List<String> arguments() {
    return new ArrayList<>(List.of("train", spec.toString(), "--data", data.toString(), "--steps",
        Integer.toString(STEPS), "--optimizer", "adam", "--lr", "0.01", "--batch", "8", "--seed", "3", "--clip-norm",
        "1", "--lr-schedule", "cosine", "--warmup-steps", "10", "--validation-split", "0.2", "--eval-every", "1",
        "--patience", "1000"));
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
    for (int attempt = 0; attempt < 6 && kills < 3; attempt++) {
      List<String> args = arguments();
      args.addAll(List.of("--checkpoint-every", "5", "--output", output.toString()));
      if (Files.exists(output)) {
        args.addAll(List.of("--resume", output.toString()));
      }
      Child child = Child.start(args, dir.resolve("kill" + attempt + ".log"));
      long at = lastSeen + 1 + random.nextInt((int) Math.max(1, (STEPS - lastSeen) / 2));
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
        SafeTensorsFile checkpoint = SafeTensors.read(output);
        assertTrue(Long.parseLong(checkpoint.metadata().get("step")) <= printed, child::log);
      }
    }
    assertTrue(kills >= 2, "the test needs runs killed mid-training, got " + kills);
    List<String> args = arguments();
    args.addAll(List.of("--checkpoint-every", "5", "--output", output.toString(), "--resume", output.toString()));
    Child last = Child.start(args, dir.resolve("last.log"));
    assertEquals(0, last.finish(), last::log);
    assertSameCheckpoint(straight, output);
  }

  @Test
  void sigtermWritesALastCheckpointThatResumesInPlace() throws Exception {
    Path straight = dir.resolve("straight.safetensors");
    List<String> uninterrupted = arguments();
    uninterrupted.addAll(List.of("--output", straight.toString()));
    Child reference = Child.start(uninterrupted, dir.resolve("straight.log"));
    assertEquals(0, reference.finish(), reference::log);

    Path output = dir.resolve("run.safetensors");
    List<String> args = arguments();
    args.addAll(List.of("--output", output.toString()));
    Child child = Child.start(args, dir.resolve("term.log"));
    assertTrue(child.awaitStep(STEPS / 4) >= STEPS / 4, child::log);
    assertTrue(child.process.toHandle().destroy());
    child.awaitStep(Long.MAX_VALUE);
    int status = child.process.waitFor();
    String log = child.log();
    Matcher stopped = Pattern.compile("stopped by a signal after step (\\d+); wrote " + Pattern.quote(output.toString()))
        .matcher(log);
    if (status == 0) {
      fail("the run ended before the signal arrived; make it longer:\n" + log);
    }
    assertEquals(143, status, log);
    assertTrue(stopped.find(), log);
    assertEquals(stopped.group(1), SafeTensors.read(output).metadata().get("step"), log);
    Child resumed = Child.start(List.of("train", spec.toString(), "--data", data.toString(), "--resume",
        output.toString(), "--output", output.toString()), dir.resolve("resumed.log"));
    assertEquals(0, resumed.finish(), resumed::log);
    assertSameCheckpoint(straight, output);
  }

  /** Same tensors, same metadata (the trainer's position, running metrics, settings), same bytes. */
  private static void assertSameCheckpoint(Path expected, Path actual) throws IOException {
    SafeTensorsFile a = SafeTensors.read(expected);
    SafeTensorsFile b = SafeTensors.read(actual);
    assertEquals(a.tensors(), b.tensors());
    assertEquals(a.metadata(), b.metadata());
    assertEquals(-1L, Files.mismatch(expected, actual), "the files, byte for byte");
  }

  /** An {@code rnnc} child JVM whose stdout is read line by line. */
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
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectError(log.resolveSibling(log.getFileName() + ".err").toFile());
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
}
