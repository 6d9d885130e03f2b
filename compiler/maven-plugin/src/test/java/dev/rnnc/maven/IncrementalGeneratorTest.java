package dev.rnnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.verify.CodeVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncrementalGeneratorTest {
  private static final FileTime OLD = FileTime.fromMillis(1_000_000_000_000L);

  @TempDir Path dir;
  private Path specs;
  private Path out;
  private Path state;

  @BeforeEach
  void setUp() {
    specs = dir.resolve("specs");
    out = dir.resolve("out");
    state = dir.resolve("work/state.properties");
  }

  private void spec(String relative, String model, int hidden) throws IOException {
    Path file = specs.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, "model: " + model + "\npackage: org.x\ncell: gru\ninput: 2\nhidden: " + hidden + "\n");
  }

  private IncrementalGenerator.Result run(String generator) {
    IncrementalGenerator gen = new IncrementalGenerator(specs, out, state, generator, new RnnCompiler());
    return gen.run(SpecFiles.find(specs, List.of("**/*.yaml"), List.of()));
  }

  private Path generated(String name) {
    return out.resolve("org/x/" + name + ".java");
  }

  /** Backdates generated files so that any rewrite is visible whatever the clock's resolution. */
  private void backdate(String... names) throws IOException {
    for (String name : names) {
      Files.setLastModifiedTime(generated(name), OLD);
    }
  }

  @Test
  void firstRunGeneratesEverySpec() throws IOException {
    spec("a.yaml", "A", 4);
    spec("nested/b.yaml", "B", 4);
    var result = run("g1");
    assertEquals(List.of(), result.errors());
    assertEquals(List.of("org.x.A", "org.x.B"), result.written());
    assertTrue(Files.readString(generated("A")).contains("class A"));
    assertTrue(Files.isRegularFile(state));
  }

  @Test
  void secondRunTouchesNothing() throws IOException {
    spec("a.yaml", "A", 4);
    run("g1");
    backdate("A");
    String stateBefore = Files.readString(state);
    var result = run("g1");
    assertEquals(1, result.upToDate());
    assertEquals(List.of(), result.written());
    assertEquals(OLD, Files.getLastModifiedTime(generated("A")));
    assertEquals(stateBefore, Files.readString(state));
  }

  @Test
  void changedSpecRegeneratesOnlyItsClass() throws IOException {
    spec("a.yaml", "A", 4);
    spec("b.yaml", "B", 4);
    run("g1");
    backdate("A", "B");
    spec("b.yaml", "B", 6);
    var result = run("g1");
    assertEquals(List.of("org.x.B"), result.written());
    assertEquals(OLD, Files.getLastModifiedTime(generated("A")));
    assertNotEquals(OLD, Files.getLastModifiedTime(generated("B")));
    assertTrue(Files.readString(generated("B")).contains("HIDDEN = 6"));
  }

  @Test
  void newGeneratorRegeneratesButDoesNotRewriteIdenticalFiles() throws IOException {
    spec("a.yaml", "A", 4);
    run("g1");
    backdate("A");
    var result = run("g2");
    assertEquals(0, result.upToDate());
    assertEquals(1, result.unchanged());
    assertEquals(OLD, Files.getLastModifiedTime(generated("A")));
    assertTrue(Files.readString(state).contains("generator=g2"));
  }

  @Test
  void editedGeneratedFileIsRestored() throws IOException {
    spec("a.yaml", "A", 4);
    run("g1");
    String original = Files.readString(generated("A"));
    Files.writeString(generated("A"), "// edited by hand\n");
    var result = run("g1");
    assertEquals(List.of("org.x.A"), result.written());
    assertEquals(original, Files.readString(generated("A")));
  }

  @Test
  void deletedSpecRemovesItsClassAndEmptyFolders() throws IOException {
    spec("a.yaml", "A", 4);
    run("g1");
    Files.delete(specs.resolve("a.yaml"));
    var result = run("g1");
    assertEquals(List.of("org.x.A"), result.removed());
    assertFalse(Files.exists(generated("A")));
    assertFalse(Files.exists(out.resolve("org")), "empty package folders are removed");
  }

  @Test
  void renamedModelRemovesTheOldClass() throws IOException {
    spec("a.yaml", "A", 4);
    run("g1");
    spec("a.yaml", "Renamed", 4);
    var result = run("g1");
    assertEquals(List.of("org.x.Renamed"), result.written());
    assertEquals(List.of("org.x.A"), result.removed());
    assertFalse(Files.exists(generated("A")));
  }

  @Test
  void specErrorsChangeNothingAndAreReportedWithPositions() throws IOException {
    spec("a.yaml", "A", 4);
    run("g1");
    backdate("A");
    spec("a.yaml", "A", 8);
    Files.writeString(specs.resolve("bad.yaml"), "model: Bad\npackage: org.x\ncell: gru\ninput: 2\nhidden: -1\n");
    var result = run("g1");
    assertTrue(result.failed());
    assertEquals(1, result.errors().size(), result.errors().toString());
    assertTrue(result.errors().get(0).matches(".*bad\\.yaml:5:\\d+: .*hidden.*"), result.errors().get(0));
    assertEquals(OLD, Files.getLastModifiedTime(generated("A")), "a failed run writes nothing");
    assertFalse(Files.exists(generated("Bad")));
  }

  @Test
  void aClassFailingVerificationIsCountedAsAnRnncBugAndChangesNothing() throws IOException {
    spec("a.yaml", "A", 4);
    run("g1");
    backdate("A");
    spec("a.yaml", "A", 8);
    spec("b.yaml", "B", 4);
    // a verifier that rejects class B, as it would reject generated code breaking its rules
    RnnCompiler rejectingB = new RnnCompiler(new CodeVerifier(method -> {
      if (method.findAncestor(com.github.javaparser.ast.body.ClassOrInterfaceDeclaration.class)
          .map(type -> type.getNameAsString().equals("B")).orElse(false)) {
        throw new GeneratedCodeException("generated code failed verification (1 violation):\n  B.step: newarray");
      }
      return false;
    }));
    var result = new IncrementalGenerator(specs, out, state, "g1", rejectingB)
        .run(SpecFiles.find(specs, List.of("**/*.yaml"), List.of()));
    assertEquals(1, result.rnncBugs());
    assertEquals(1, result.errors().size(), result.errors().toString());
    assertTrue(result.errors().get(0).startsWith(specs.resolve("b.yaml") + ": the class generated from this spec"
        + " failed rnnc's verification; this is a bug in rnnc"), result.errors().get(0));
    assertEquals(OLD, Files.getLastModifiedTime(generated("A")), "a failed run writes nothing");
    assertFalse(Files.exists(generated("B")));
  }

  @Test
  void twoSpecsGeneratingOneClassFail() throws IOException {
    spec("a.yaml", "Same", 4);
    spec("b.yaml", "Same", 6);
    var result = run("g1");
    assertEquals(1, result.errors().size());
    String error = result.errors().get(0);
    assertTrue(error.contains("b.yaml") && error.contains("a.yaml") && error.contains("org.x.Same"), error);
    assertFalse(Files.exists(generated("Same")));
  }

  @Test
  void corruptStateRegeneratesEverything() throws IOException {
    spec("a.yaml", "A", 4);
    run("g1");
    Files.writeString(state, "format=something else\n");
    backdate("A");
    var result = run("g1");
    assertEquals(0, result.upToDate());
    assertEquals(1, result.unchanged());
    assertEquals(OLD, Files.getLastModifiedTime(generated("A")));
  }

  @Test
  void noSpecsIsNotAnError() {
    var result = run("g1");
    assertEquals(List.of(), result.errors());
    assertEquals(0, result.specs());
  }
}
