package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.io.Tensor;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI failure table: every command against every way its files can be wrong — an input that is missing,
 * a directory, or unreadable; an output in a directory it cannot write to, an output that is one of its own
 * inputs, and a write that fails half-way — must exit 1 with one clear line on stderr (no stack trace), and
 * leave every file as it was: nothing overwritten, nothing created, no temporary file left behind.
 *
 * <p>Tests run as root in CI containers, where permission bits do not stop reads or writes: the "unreadable"
 * rows are then skipped (with that reason), and "read-only directory" uses places even root cannot write to:
 * {@code /proc}, and a path whose parent is a regular file. The failing write runs the command in a child JVM
 * under {@code ulimit -S -f 0} (a file-size limit of 0: the first byte written fails with EFBIG, as on a full
 * disk; the JVM ignores SIGXFSZ).
 */
class CliFailuresTest {
  @TempDir
  static Path dir;

  static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  static final String SPEC = """
      model: Failures
      package: t.failures
      cell: lstm
      input: 2
      hidden: 3
      head: {size: 2, activation: softmax}
      limits: {max_batch: 2, max_length: 4}
      training: {loss: cross_entropy}
      """;

  /** Valid files by role; a row swaps one of them for a bad path. */
  static final Map<String, Path> FILES = new LinkedHashMap<>();

  /** One command: the roles of the files it reads, whether it writes, and its command line. */
  record Command(String name, List<String> reads, boolean writes, Function<Map<String, Path>, List<Object>> line) {}

  static List<Command> commands() {
    return List.of(
        new Command("compile", List.of("spec"), true, f -> List.of("compile", f.get("spec"), "-d", f.get("out"))),
        new Command("check", List.of("spec"), false, f -> List.of("check", f.get("spec"))),
        new Command("info", List.of("spec"), false, f -> List.of("info", f.get("spec"))),
        new Command("run", List.of("spec", "weights", "input"), true, f -> List.of("run", f.get("spec"), "--weights",
            f.get("weights"), "--input", f.get("input"), "--output", f.get("out"))),
        new Command("grad", List.of("spec", "weights", "input"), true, f -> List.of("grad", f.get("spec"),
            "--weights", f.get("weights"), "--input", f.get("input"), "--output", f.get("out"))),
        new Command("train", List.of("spec", "weights", "input"), true, f -> List.of("train", f.get("spec"),
            "--weights", f.get("weights"), "--data", f.get("input"), "--steps", 1, "--output", f.get("out"))),
        new Command("bench", List.of("spec"), false, f -> List.of("bench", f.get("spec"), "--seconds", 0.01,
            "--warmup", 0, "--max-warmup", 0.01)),
        new Command("demo", List.of("spec"), false, f -> List.of("demo", "--spec", f.get("spec"), "--seconds", 0.1)),
        new Command("data csv", List.of("csv"), true, f -> List.of("data", "csv", f.get("csv"), "--output",
            f.get("out"))),
        new Command("data text", List.of("text"), true, f -> List.of("data", "text", f.get("text"), "--window", 2,
            "--vocab", f.get("vocab"), "--output", f.get("out"))),
        new Command("data jsonl", List.of("jsonl"), true, f -> List.of("data", "jsonl", f.get("jsonl"), "--output",
            f.get("out"))),
        new Command("data npy", List.of("npy"), true, f -> List.of("data", "npy", f.get("npy"), "--output",
            f.get("out"))),
        new Command("run (encoder-decoder)", List.of("s2s", "s2s weights", "s2s input"), true, f -> List.of("run",
            f.get("s2s"), "--weights", f.get("s2s weights"), "--input", f.get("s2s input"), "--output", f.get("out"))),
        new Command("grad (encoder-decoder)", List.of("s2s", "s2s weights", "s2s input"), true, f -> List.of("grad",
            f.get("s2s"), "--weights", f.get("s2s weights"), "--input", f.get("s2s input"), "--output", f.get("out"))),
        new Command("train (encoder-decoder)", List.of("s2s", "s2s weights", "s2s input"), true, f -> List.of("train",
            f.get("s2s"), "--weights", f.get("s2s weights"), "--data", f.get("s2s input"), "--steps", 1, "--output",
            f.get("out"))),
        new Command("translate", List.of("s2s", "s2s weights", "lines", "vocab file"), false, f -> List.of(
            "translate", f.get("s2s"), "--weights", f.get("s2s weights"), "--input", f.get("lines"), "--source-vocab",
            f.get("vocab file"))));
  }

  static void fixtures() {
    if (!FILES.isEmpty()) {
      return;
    }
    Path spec = Cli.write(dir, "model.yaml", SPEC);
    ModelConfig config = SpecParser.parse(spec).config();
    Path weights = dir.resolve("weights.safetensors");
    ModelParameters.initialize(config, 1).save(weights);
    Map<String, Tensor> x = new LinkedHashMap<>();
    x.put("input", Tensor.ofFloats(new int[] {2, 3, 2}, new float[] {1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1}));
    x.put("target", Tensor.ofLongs(new int[] {2, 3}, new long[] {0, 1, 1, 1, 0, 0}));
    FILES.put("spec", spec);
    FILES.put("weights", weights);
    FILES.put("input", Cli.tensors(dir, "x.safetensors", x));
    FILES.put("csv", Cli.write(dir, "rows.csv", "a,b\n1,2\n3,4\n"));
    Path s2s = Cli.write(dir, "s2s.yaml", EncoderDecoderSpecCommandsTest.SPEC.replace("input: 3", "embedding: {vocab: 3,"
        + " dim: 2}") + "training: {loss: cross_entropy}\n");
    Path s2sWeights = dir.resolve("s2s-weights.safetensors");
    dev.rnnc.runtime.Seq2SeqParameters.initialize(((dev.rnnc.compiler.spec.Seq2SeqSpec) SpecParser.parseAny(s2s))
        .config(), 1).save(s2sWeights);
    Map<String, Tensor> pairs = new LinkedHashMap<>();
    pairs.put("source", Tensor.ofLongs(new int[] {2, 2}, new long[] {0, 1, 2, 2}));
    pairs.put("target", Tensor.ofLongs(new int[] {2, 2}, new long[] {3, 1, 4, 1}));
    FILES.put("s2s", s2s);
    FILES.put("s2s weights", s2sWeights);
    FILES.put("s2s input", Cli.tensors(dir, "pairs.safetensors", pairs));
    FILES.put("lines", Cli.write(dir, "lines.txt", "ab\nc\n"));
    FILES.put("vocab file", Cli.write(dir, "abc.vocab.txt", "a\nb\nc\n"));
    FILES.put("text", Cli.write(dir, "corpus.txt", "hello world\n"));
    FILES.put("jsonl", Cli.write(dir, "rows.jsonl", "{\"input\": [[1, 2]], \"target\": 1}\n"));
    try {
      Path npy = dir.resolve("array.npy");
      Files.copy(Path.of("src/test/resources/data/npy/input.npy"), npy, StandardCopyOption.REPLACE_EXISTING);
      FILES.put("npy", npy);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The table: rows × commands, each row a dynamic test. */
  @TestFactory
  Stream<DynamicTest> everyCommandFailsCleanlyAndKeepsEveryFile() {
    fixtures();
    List<DynamicTest> tests = new ArrayList<>();
    for (Command command : commands()) {
      for (String role : command.reads()) {
        tests.add(dynamicTest(command.name() + ": missing " + role, () -> {
          Map<String, Path> f = files();
          f.put(role, dir.resolve("no-such-dir/missing-" + role));
          expectFailure(command, f, f.get(role).toString());
        }));
        tests.add(dynamicTest(command.name() + ": directory as " + role, () -> {
          Map<String, Path> f = files();
          Path directory = Files.createDirectories(dir.resolve("a-directory"));
          f.put(role, directory);
          expectFailure(command, f, directory.toString());
        }));
        tests.add(dynamicTest(command.name() + ": unreadable " + role, () -> {
          Assumptions.assumeFalse(ROOT, "running as root: permission bits do not stop root from reading");
          Map<String, Path> f = files();
          Path copy = dir.resolve("unreadable-" + FILES.get(role).getFileName());
          Files.copy(FILES.get(role), copy);
          Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("---------"));
          try {
            f.put(role, copy);
            expectFailure(command, f, copy.toString());
          } finally {
            Files.delete(copy);
          }
        }));
      }
      if (!command.writes()) {
        continue;
      }
      tests.add(dynamicTest(command.name() + ": output under a regular file", () -> {
        Map<String, Path> f = files();
        f.put("out", FILES.get("csv").resolve("out.safetensors"));
        f.put("vocab", FILES.get("csv").resolve("out.vocab.txt"));
        expectFailure(command, f, FILES.get("csv").toString());
      }));
      tests.add(dynamicTest(command.name() + ": output in a directory nobody may write (/proc)", () -> {
        Map<String, Path> f = files();
        f.put("out", command.name().equals("compile") ? Path.of("/proc") : Path.of("/proc/rnnc-test.safetensors"));
        f.put("vocab", Path.of("/proc/rnnc-test.vocab.txt"));
        expectFailure(command, f, "/proc");
      }));
      tests.add(dynamicTest(command.name() + ": output in a read-only directory", () -> {
        Assumptions.assumeFalse(ROOT, "running as root: a read-only directory does not stop root from writing");
        Path readOnly = Files.createDirectories(dir.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
          Map<String, Path> f = files();
          f.put("out", command.name().equals("compile") ? readOnly : readOnly.resolve("out.safetensors"));
          f.put("vocab", readOnly.resolve("out.vocab.txt"));
          expectFailure(command, f, readOnly.toString());
        } finally {
          Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
      }));
      for (String role : command.reads()) {
        tests.add(dynamicTest(command.name() + ": output is the " + role + " it reads", () -> {
          Map<String, Path> f = files();
          f.put("out", f.get(role));
          expectFailure(command, f, f.get(role).toString());
        }));
      }
      tests.add(dynamicTest(command.name() + ": the write fails half-way (file-size limit)", () -> {
        Map<String, Path> f = files();
        Path existing = Cli.write(dir, "existing-output.safetensors", "an earlier result the user keeps");
        Path existingVocab = Cli.write(dir, "existing.vocab.txt", "an earlier vocabulary");
        Path sources = Files.createDirectories(dir.resolve("sources"));
        f.put("out", command.name().equals("compile") ? sources : existing);
        f.put("vocab", existingVocab);
        try {
          expectFailureInChild(command, f);
        } finally {
          Files.delete(existing);
          Files.delete(existingVocab);
        }
      }));
    }
    return tests.stream();
  }

  /** The valid files, the default output path and the vocabulary path. */
  private static Map<String, Path> files() {
    Map<String, Path> f = new LinkedHashMap<>(FILES);
    f.put("out", dir.resolve("out.safetensors"));
    f.put("vocab", dir.resolve("out.vocab.txt"));
    return f;
  }

  private static void expectFailure(Command command, Map<String, Path> f, String named) {
    Map<String, String> before = snapshot();
    List<Object> line = command.line().apply(f);
    Cli.Result r = Cli.run(line.toArray());
    unchanged(before, line, r.toString());
    checkFailure(line, r.code(), r.err(), named);
  }

  /** Fails if any file changed, after putting the fixtures back so that the other rows still test something. */
  private static void unchanged(Map<String, String> before, List<Object> line, String output) {
    Map<String, String> after = snapshot();
    if (!before.equals(after)) {
      FILES.clear();
      fixtures();
      assertEquals(before, after, () -> line + ": files changed\n" + output);
    }
  }

  private static void checkFailure(List<Object> line, int code, String err, String named) {
    assertEquals(1, code, () -> line + ": exit code\n" + err);
    List<String> lines = err.strip().lines().filter(l -> !l.startsWith("WARNING: Using incubator")).toList();
    assertEquals(1, lines.size(), () -> line + ": one line on stderr, got:\n" + err);
    assertTrue(lines.get(0).startsWith("rnnc: ") || lines.get(0).startsWith("/"), () -> line + ": " + err);
    assertFalse(err.contains("Exception") || err.contains("\tat "), () -> line + ": a stack trace:\n" + err);
    if (named != null) {
      assertTrue(err.contains(named), () -> line + ": the message names " + named + ":\n" + err);
    }
  }

  /** Runs the command in a child JVM whose file-size limit is 0, so its first write fails. */
  private static void expectFailureInChild(Command command, Map<String, Path> f) throws Exception {
    Map<String, String> before = snapshot();
    List<Object> line = command.line().apply(f);
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> jvm = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:-UsePerfData",
        "-Xss8m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    for (Object word : line) {
      jvm.add(word.toString());
    }
    StringBuilder script = new StringBuilder("ulimit -S -f 0 && exec");
    for (String word : jvm) {
      script.append(" '").append(word.replace("'", "'\\''")).append('\'');
    }
    Process child = new ProcessBuilder("bash", "-c", script.toString()).redirectErrorStream(false).start();
    child.getOutputStream().close();
    byte[] err;
    try (InputStream stderr = child.getErrorStream(); InputStream stdout = child.getInputStream()) {
      Thread drain = Thread.ofVirtual().start(() -> {
        try {
          stdout.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
          // the child is gone
        }
      });
      err = stderr.readAllBytes();
      drain.join();
    }
    assertTrue(child.waitFor(120, TimeUnit.SECONDS), line + ": the child JVM did not finish");
    String message = new String(err, StandardCharsets.UTF_8);
    unchanged(before, line, message);
    checkFailure(line, child.exitValue(), message, null);
    assertTrue(message.contains("File too large"), () -> line + ": the message says why the write failed:\n" + message);
  }

  /** Every file under the temporary directory with the SHA-256 of its content. */
  private static Map<String, String> snapshot() {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.toList()) {
        if (Files.isRegularFile(p) && Files.isReadable(p)) {
          byte[] hash = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
          files.put(dir.relativize(p).toString(), HexFormat.of().formatHex(hash));
        } else {
          files.put(dir.relativize(p).toString() + File.separator, "");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return files;
  }
}
