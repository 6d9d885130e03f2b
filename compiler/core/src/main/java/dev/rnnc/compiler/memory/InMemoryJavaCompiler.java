package dev.rnnc.compiler.memory;

import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.RnnModel;
import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.lang.model.SourceVersion;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * Compiles Java sources held in memory with the running JDK's compiler and returns the class files.
 *
 * <p>Generated code is compiled against {@link #currentClassPath()} (so it sees {@code dev.rnnc.runtime})
 * with {@code jdk.incubator.vector} added, debug information on (the verifier maps bytecode back to source
 * lines) and annotation processing off. One instance keeps one javac and one standard file manager, whose
 * jar and module caches make later calls much cheaper; compile many classes per call when you can.
 * Calls are serialised (javac's file manager is not thread-safe). Close the instance to release the jars.
 */
public final class InMemoryJavaCompiler implements AutoCloseable {
  /**
   * Options every compilation gets; callers' options come after and may add to them. On a javac that knows
   * the {@code incubating} lint category (not JDK 17, where Maven may run rnnc), {@value #QUIET_INCUBATING}
   * is added as well so the incubating-module warning does not trip a caller's {@code -Werror}.
   */
  public static final List<String> DEFAULT_OPTIONS = List.of(
      "--add-modules", "jdk.incubator.vector",
      "-proc:none",
      "-g",
      "-implicit:none",
      "-encoding", "UTF-8",
      "-Xlint:-options");

  private static final String QUIET_INCUBATING = "-Xlint:-incubating";

  private final JavaCompiler javac;
  private final StandardJavaFileManager standardFiles;
  private final List<String> options;

  /** Compiles against {@link #currentClassPath()} with {@link #DEFAULT_OPTIONS}. */
  public InMemoryJavaCompiler() {
    this(currentClassPath(), List.of());
  }

  /** Compiles against {@link #currentClassPath()} with the default options followed by {@code extraOptions}. */
  public InMemoryJavaCompiler(List<String> extraOptions) {
    this(currentClassPath(), extraOptions);
  }

  /**
   * Compiles against {@code classPath} with the default options followed by {@code extraOptions}
   * (for example {@code --release 25}).
   *
   * @throws RnncException if the running Java has no compiler (a JRE rather than a JDK)
   */
  public InMemoryJavaCompiler(List<Path> classPath, List<String> extraOptions) {
    this.javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) {
      throw new RnncException("rnnc compiles generated code with the JDK's Java compiler, but the running Java"
          + " (" + System.getProperty("java.home") + ") has none: it is a JRE or a jlink image without the"
          + " jdk.compiler module. Run rnnc with a full JDK.");
    }
    this.standardFiles = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
    try {
      standardFiles.setLocationFromPaths(StandardLocation.CLASS_PATH, classPath);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use class path " + classPath, e);
    }
    List<String> all = new ArrayList<>(DEFAULT_OPTIONS);
    if (javac.isSupportedOption(QUIET_INCUBATING) >= 0) {
      all.add(QUIET_INCUBATING);
    }
    all.addAll(extraOptions);
    this.options = List.copyOf(all);
  }

  /**
   * Compiles every source in one javac run.
   *
   * @param sources source code by fully qualified name of its top-level class
   * @return every class written, nested and synthetic ones included
   * @throws GeneratedCodeException listing javac's errors ({@code path:line:column: message}, the line's
   *     code) if any source does not compile: generated code that does not compile is an rnnc bug
   */
  public synchronized CompiledClasses compile(Map<String, String> sources) {
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("nothing to compile");
    }
    List<JavaFileObject> units = new ArrayList<>(sources.size());
    sources.forEach((name, code) -> {
      if (!SourceVersion.isName(name)) {
        throw new IllegalArgumentException("not a qualified class name: '" + name + "'");
      }
      units.add(MemoryFileManager.source(name, code));
    });
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    StringWriter javacOutput = new StringWriter();
    MemoryFileManager files = new MemoryFileManager(standardFiles);
    boolean ok = javac.getTask(javacOutput, files, diagnostics, options, null, units).call();
    if (!ok) {
      throw new GeneratedCodeException(describeFailure(diagnostics.getDiagnostics(), javacOutput.toString()));
    }
    return new CompiledClasses(files.classBytes());
  }

  /**
   * The class path of the running code: {@code java.class.path}, the URLs of every {@link URLClassLoader}
   * that loaded rnnc (a Maven plugin's class realm is one) and the location of {@code dev.rnnc.runtime}.
   */
  public static List<Path> currentClassPath() {
    Set<Path> entries = new LinkedHashSet<>();
    for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(Path.of(entry));
      }
    }
    for (ClassLoader l = InMemoryJavaCompiler.class.getClassLoader(); l != null; l = l.getParent()) {
      if (l instanceof URLClassLoader) {
        for (URL url : ((URLClassLoader) l).getURLs()) {
          addFileUrl(entries, url);
        }
      }
    }
    CodeSource runtime = RnnModel.class.getProtectionDomain().getCodeSource();
    if (runtime != null && runtime.getLocation() != null) {
      addFileUrl(entries, runtime.getLocation());
    }
    return List.copyOf(entries);
  }

  private static void addFileUrl(Set<Path> entries, URL url) {
    if (!"file".equals(url.getProtocol())) {
      return;
    }
    try {
      entries.add(Path.of(url.toURI()));
    } catch (URISyntaxException | IllegalArgumentException e) {
      // Not a plain file location (for example a nested jar): javac could not use it either.
    }
  }

  private static String describeFailure(List<Diagnostic<? extends JavaFileObject>> diagnostics, String output) {
    StringBuilder message = new StringBuilder("javac rejected generated code:");
    int errors = 0;
    for (Diagnostic<? extends JavaFileObject> d : diagnostics) {
      if (d.getKind() != Diagnostic.Kind.ERROR) {
        continue;
      }
      errors++;
      message.append("\n  ").append(location(d)).append(": ").append(d.getMessage(Locale.ROOT));
      String line = sourceLine(d);
      if (line != null) {
        message.append("\n      | ").append(line.strip());
      }
    }
    if (errors == 0) {
      // No diagnostics: javac failed for another reason (a bad option, say) and said so on its output.
      message.append("\n  ").append(output.isBlank() ? "(javac gave no reason)" : output.strip());
    }
    return message.toString();
  }

  private static String location(Diagnostic<? extends JavaFileObject> d) {
    if (d.getSource() == null) {
      return "javac";
    }
    String path = d.getSource().toUri().getPath().substring(1);
    return d.getLineNumber() == Diagnostic.NOPOS
        ? path
        : path + ":" + d.getLineNumber() + ":" + d.getColumnNumber();
  }

  private static String sourceLine(Diagnostic<? extends JavaFileObject> d) {
    if (d.getSource() == null || d.getLineNumber() == Diagnostic.NOPOS) {
      return null;
    }
    try {
      String[] lines = d.getSource().getCharContent(true).toString().split("\r\n|\r|\n", -1);
      long index = d.getLineNumber() - 1;
      return index < lines.length ? lines[(int) index] : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Releases the jar files the standard file manager holds open. */
  @Override
  public synchronized void close() {
    try {
      standardFiles.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
