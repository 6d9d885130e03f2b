package dev.rnnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.javaparser.ast.body.MethodDeclaration;
import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.verify.CodeVerifier;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.maven.plugin.MojoExecution;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.descriptor.MojoDescriptor;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugin.logging.SystemStreamLog;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The goal itself, configured as Maven would: what {@code verify} does, and how an rnnc bug reaches the user. */
class GenerateMojoTest {
  @TempDir Path dir;
  private Path generated;
  private final List<String> errors = new ArrayList<>();
  private final List<String> infos = new ArrayList<>();

  @BeforeEach
  void writeSpec() throws IOException {
    Path specs = Files.createDirectories(dir.resolve("src/main/rnnc"));
    Files.writeString(specs.resolve("m.yaml"), "model: M\npackage: p\ncell: lstm\ninput: 3\nhidden: 5\nhead: {size: 2}\n");
    generated = dir.resolve("target/generated-sources/rnnc/p/M.java");
  }

  private GenerateMojo mojo(boolean verify, Predicate<MethodDeclaration> hotRule) throws Exception {
    GenerateMojo mojo = new GenerateMojo();
    set(mojo, "sourceDirectory", dir.resolve("src/main/rnnc").toFile());
    set(mojo, "outputDirectory", dir.resolve("target/generated-sources/rnnc").toFile());
    set(mojo, "workDirectory", dir.resolve("target/rnnc-maven-plugin").toFile());
    set(mojo, "verify", verify);
    set(mojo, "project", new MavenProject());
    PluginDescriptor plugin = new PluginDescriptor();
    plugin.setVersion("1.0");
    set(mojo, "plugin", plugin);
    set(mojo, "execution", new MojoExecution(new MojoDescriptor(), "default"));
    mojo.verifier = new CodeVerifier(hotRule);
    mojo.setLog(new SystemStreamLog() {
      @Override
      public void error(CharSequence content) {
        errors.add(content.toString());
      }

      @Override
      public void info(CharSequence content) {
        infos.add(content.toString());
      }

      @Override
      public void debug(CharSequence content) {
        // not part of what these tests check
      }
    });
    return mojo;
  }

  private static void set(Object target, String name, Object value) throws ReflectiveOperationException {
    Field field = GenerateMojo.class.getDeclaredField(name);
    field.setAccessible(true);
    field.set(target, value);
  }

  /** rnnc's hot rule, counting the methods it is asked about. */
  private static Predicate<MethodDeclaration> counting(AtomicInteger calls) {
    return method -> {
      calls.incrementAndGet();
      return RnnCompiler.HOT_METHODS.test(method);
    };
  }

  @Test
  void verifiesEachGeneratedClassExactlyOnce() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    mojo(true, counting(calls)).execute();
    assertTrue(Files.isRegularFile(generated));

    // one pass of the source layer over the class asks the rule once per method
    AtomicInteger onePass = new AtomicInteger();
    new CodeVerifier(counting(onePass)).verifySource("p.M", Files.readString(generated));
    assertTrue(onePass.get() > 10, "methods seen in one pass: " + onePass.get());
    assertEquals(onePass.get(), calls.get(), "the build verified the class more or less than once");
  }

  @Test
  void verifyFalseSkipsVerification() throws Exception {
    mojo(false, method -> {
      throw new AssertionError("verified although rnnc.verify=false");
    }).execute();
    assertTrue(Files.isRegularFile(generated));
    assertTrue(infos.contains("rnnc: verification of the generated code is off (rnnc.verify=false)"), infos.toString());
  }

  @Test
  void turningVerificationBackOnVerifiesUnchangedClassesWithoutRewritingThem() throws Exception {
    mojo(false, method -> false).execute();
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(generated, old);
    AtomicInteger calls = new AtomicInteger();
    mojo(true, counting(calls)).execute();
    assertTrue(calls.get() > 0, "the class generated without verification was not verified");
    assertEquals(old, Files.getLastModifiedTime(generated), "identical content was rewritten");
  }

  @Test
  void aClassFailingVerificationFailsTheBuildWithAClearMessage() throws Exception {
    GenerateMojo mojo = mojo(true, method -> {
      // what the verifier throws when generated code breaks its rules
      throw new GeneratedCodeException("generated code failed verification (1 violation):\n  M.step: new float[] array (line 9)");
    });
    MojoExecutionException e = assertThrows(MojoExecutionException.class, mojo::execute);
    assertEquals("rnnc: 1 generated class failed rnnc's verification (listed above): a bug in rnnc, not in your specs;"
        + " please report it. -Drnnc.verify=false skips the check meanwhile.", e.getMessage());
    assertNull(e.getCause(), "a cause would only add a stack trace under -e that says nothing more");
    assertEquals(1, errors.size(), errors.toString());
    String error = errors.get(0);
    assertTrue(error.startsWith(dir.resolve("src/main/rnnc/m.yaml") + ": the class generated from this spec failed"
        + " rnnc's verification; this is a bug in rnnc, not in the spec"), error);
    assertTrue(error.contains("M.step: new float[] array (line 9)"), error);
    assertFalse(Files.exists(generated), "a class that failed verification was written");
  }
}
