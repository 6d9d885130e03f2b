package dev.rnnc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.compiler.RnnCompiler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The whole generated source of a handful of specs (each cell kind, bidirectional, training, embedding,
 * projection, peepholes), committed under {@code src/test/resources/snapshots} and compared byte for byte, the
 * way Wire and Dagger keep golden generated files: any change to generated code shows up as a reviewable diff.
 *
 * <p>After an intended change, refresh the committed files and review the diff:
 * <pre>mvn -o -pl compiler/core -am test -Dtest=SnapshotTest -Dsurefire.failIfNoSpecifiedTests=false -Drnnc.updateSnapshots=true</pre>
 */
class SnapshotTest {
  /** Where the specs and their generated sources live, relative to the module (surefire's working directory). */
  static final Path SNAPSHOTS = Path.of("src", "test", "resources", "snapshots");
  private static final boolean UPDATE = Boolean.getBoolean("rnnc.updateSnapshots");

  static List<Path> specs() throws IOException {
    try (Stream<Path> files = Files.list(SNAPSHOTS)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList();
    }
  }

  static Path snapshotOf(Path spec) {
    String name = spec.getFileName().toString();
    return spec.resolveSibling(name.substring(0, name.length() - ".yaml".length()) + ".java.txt");
  }

  @TestFactory
  Stream<DynamicTest> generatedSourceEqualsTheCommittedSnapshot() throws IOException {
    List<Path> specs = specs();
    assertTrue(specs.size() >= 6, "the snapshot specs are in " + SNAPSHOTS.toAbsolutePath());
    return specs.stream().map(spec -> DynamicTest.dynamicTest(spec.getFileName().toString(), () -> {
      String source = new RnnCompiler().compile(spec).source();
      Path snapshot = snapshotOf(spec);
      if (UPDATE) {
        Files.writeString(snapshot, source, StandardCharsets.UTF_8);
        return;
      }
      assertTrue(Files.exists(snapshot), snapshot + " is missing; create it with -Drnnc.updateSnapshots=true");
      String expected = Files.readString(snapshot, StandardCharsets.UTF_8);
      if (!expected.equals(source)) {
        fail("generated source of " + spec + " differs from " + snapshot + " at line " + firstDifferentLine(expected,
            source) + "; if the change is intended, refresh with -Drnnc.updateSnapshots=true and review the diff");
      }
    }));
  }

  /** Every committed snapshot has its spec (a renamed or deleted spec leaves no stale file behind). */
  @Test
  void everySnapshotHasASpec() throws IOException {
    List<Path> specs = specs();
    try (Stream<Path> files = Files.list(SNAPSHOTS)) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".java.txt")).toList()) {
        assertTrue(specs.stream().anyMatch(spec -> snapshotOf(spec).equals(file)), file + " has no spec");
      }
    }
  }

  /**
   * Another JVM (its own class loading, hash seeds and identity hash codes) generates the same bytes: nothing in
   * generation depends on iteration order of an unordered collection or on the process.
   */
  @Test
  void aSecondJvmGeneratesTheSameBytes() throws Exception {
    List<Path> specs = specs();
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Digests.class.getName()));
    specs.forEach(spec -> command.add(spec.toString()));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child JVM finished");
    assertEquals(0, child.exitValue(), output);
    List<String> childDigests = output.lines().filter(l -> !l.startsWith("WARNING")).toList();
    List<String> digests = new ArrayList<>();
    for (Path spec : specs) {
      digests.add(Digests.sha256(new RnnCompiler().compile(spec).source()) + " " + spec);
    }
    assertFalse(digests.isEmpty());
    assertEquals(digests, childDigests);
  }

  /** Run in the child JVM: prints "sha256 spec" per spec given. */
  public static final class Digests {
    public static void main(String[] args) {
      for (String spec : args) {
        System.out.println(sha256(new RnnCompiler().compile(Path.of(spec)).source()) + " " + spec);
      }
    }

    static String sha256(String text) {
      try {
        return HexFormat.of().formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static int firstDifferentLine(String a, String b) {
    List<String> x = a.lines().toList();
    List<String> y = b.lines().toList();
    int n = Math.min(x.size(), y.size());
    for (int i = 0; i < n; i++) {
      if (!x.get(i).equals(y.get(i))) {
        return i + 1;
      }
    }
    return n + 1;
  }
}
