package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.memory.CompiledClasses;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.SpecParser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the top-level README compiles against the runtime and the class generated
 * from the spec it names, and the ones marked {@code run} run, so the README cannot drift from the API.
 *
 * <p>Convention (documented in the README's "README snippets" note): each Java block is preceded by an HTML
 * comment, invisible when the README is rendered,
 *
 * <pre>
 * &lt;!-- snippet
 * spec: specs/char_lstm.yaml        (optional: the spec whose generated class the snippet uses)
 * run                               (optional: also run it)
 * before:                           (optional: Java statements declaring what the snippet uses)
 *   int[] tokens = new int[3 * 40];
 * --&gt;
 * </pre>
 *
 * The block becomes the body of {@code main} (after the {@code before} statements) of a class in the spec's
 * package, importing {@code dev.rnnc.runtime}, {@code dev.rnnc.runtime.io}, {@code dev.rnnc.runtime.train},
 * {@code dev.rnnc.runtime.stream}, {@code dev.rnnc.loader},
 * {@code java.nio.file} and {@code java.util}. Runnable snippets run in a child JVM whose working directory
 * is a fresh temporary directory, so files they read or write by relative path stay there.
 */
class ReadmeSnippetsTest {
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final Pattern BLOCK = Pattern.compile("(?:<!--\\s*snippet\\b((?:(?!-->).)*?)-->\\s*\\n)?```java\\n(.*?)```",
      Pattern.DOTALL);

  @TempDir
  Path dir;

  record Snippet(int number, int line, Path spec, boolean run, String before, String code) {
    String className(Map<Path, ParsedSpec> specs) {
      return pkg(specs) + ".ReadmeSnippet" + number;
    }

    String pkg(Map<Path, ParsedSpec> specs) {
      return spec == null ? "readme" : specs.get(spec).packageName();
    }
  }

  static List<Snippet> snippets(String readme) {
    List<Snippet> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(readme);
    while (m.find()) {
      int line = (int) readme.substring(0, m.start(2)).lines().count();
      String header = m.group(1);
      if (header == null) {
        fail("README.md:" + line + ": a ```java block without a '<!-- snippet ... -->' comment before it; every Java"
            + " snippet must say how it is compiled (see ReadmeSnippetsTest)");
      }
      Path spec = null;
      boolean run = false;
      StringBuilder before = new StringBuilder();
      boolean inBefore = false;
      for (String raw : header.split("\n")) {
        String text = raw.strip();
        if (inBefore) {
          before.append(raw).append('\n');
        } else if (text.startsWith("spec:")) {
          spec = ROOT.resolve(text.substring(5).strip());
        } else if (text.equals("run")) {
          run = true;
        } else if (text.startsWith("before:")) {
          inBefore = true;
          before.append(text.substring(7)).append('\n');
        } else if (!text.isEmpty()) {
          fail("README.md:" + line + ": unknown snippet directive '" + text + "'");
        }
      }
      out.add(new Snippet(out.size() + 1, line, spec, run, before.toString(), m.group(2)));
    }
    return out;
  }

  @Test
  void everyJavaSnippetCompilesAndTheMarkedOnesRun() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    List<Snippet> snippets = snippets(readme);
    assertTrue(snippets.size() >= 3, "the README's Java snippets were found: " + snippets.size());
    Map<Path, ParsedSpec> specs = new LinkedHashMap<>();
    Map<String, String> sources = new LinkedHashMap<>();
    for (Snippet s : snippets) {
      if (s.spec() != null && !specs.containsKey(s.spec())) {
        assertTrue(Files.isRegularFile(s.spec()), "README.md:" + s.line() + ": no spec " + s.spec());
        ParsedSpec spec = SpecParser.parseAny(s.spec());
        specs.put(s.spec(), spec);
        GeneratedSource source = new RnnCompiler().compile(spec);
        sources.put(source.qualifiedName(), source.source());
      }
    }
    for (Snippet s : snippets) {
      sources.put(s.className(specs), """
          package %s;

          import dev.rnnc.runtime.*;
          import dev.rnnc.runtime.io.*;
          import dev.rnnc.runtime.train.*;
          import dev.rnnc.runtime.stream.*;
          import dev.rnnc.loader.*;
          import java.nio.file.*;
          import java.util.*;

          /** README.md line %d. */
          public final class ReadmeSnippet%d {
            public static void main(String[] args) throws Exception {
          %s
          %s
            }
          }
          """.formatted(s.pkg(specs), s.line(), s.number(), s.before(), s.code()));
    }
    CompiledClasses classes;
    try (InMemoryJavaCompiler javac = new InMemoryJavaCompiler()) {
      classes = javac.compile(sources); // a compile error names the snippet's class and line
    }
    Path classDir = dir.resolve("classes");
    for (Map.Entry<String, byte[]> entry : classes.classBytes().entrySet()) {
      Path file = classDir.resolve(entry.getKey().replace('.', '/') + ".class");
      Files.createDirectories(file.getParent());
      Files.write(file, entry.getValue());
    }
    int ran = 0;
    for (Snippet s : snippets) {
      if (s.run()) {
        runInChild(s, s.className(specs), classDir);
        ran++;
      }
    }
    assertTrue(ran >= 3, "the main snippets run: " + ran);
  }

  private void runInChild(Snippet s, String className, Path classDir) throws IOException, InterruptedException {
    Path work = Files.createDirectories(dir.resolve("run" + s.number()));
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = List.of(java, "--add-modules", "jdk.incubator.vector", "-cp",
        System.getProperty("java.class.path") + File.pathSeparator + classDir, className);
    Process child = new ProcessBuilder(command).directory(work.toFile())
        .redirectOutput(work.resolve("out.txt").toFile())
        .redirectError(work.resolve("err.txt").toFile())
        .start();
    if (!child.waitFor(120, TimeUnit.SECONDS)) {
      child.destroyForcibly();
      fail("README.md:" + s.line() + ": the snippet did not finish in 120 s");
    }
    String err = Files.readString(work.resolve("err.txt"), StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(), () -> "README.md:" + s.line() + ": the snippet failed:\n" + err);
    assertFalse(err.contains("Exception"), () -> "README.md:" + s.line() + ":\n" + err);
  }
}
