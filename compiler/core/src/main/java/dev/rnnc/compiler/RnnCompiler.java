package dev.rnnc.compiler;

import dev.rnnc.compiler.emit.ClassEmitter;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import com.github.javaparser.ast.body.MethodDeclaration;
import dev.rnnc.compiler.verify.CodeVerifier;
import dev.rnnc.compiler.verify.Violation;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The compiler's front door: spec → plan → emitted source → source verification. Stateless and
 * thread-safe; the same spec always gives byte-identical source.
 */
public final class RnnCompiler {
  /** Version recorded in generated headers. */
  public static final String VERSION = "0.1.0";

  /**
   * Generated source of one model.
   *
   * @param qualifiedName fully qualified class name
   * @param relativePath  where the file goes under a source root ({@code org/example/Model.java})
   * @param source        the Java source
   * @param spec          what it was generated from
   */
  public record GeneratedSource(String qualifiedName, String relativePath, String source, Spec spec) {}

  /**
   * Which generated methods must not allocate: all of them except the few that only run while a model is
   * constructed or first given parameters, or that construct something ({@code newStreamBank}).
   */
  public static final Predicate<MethodDeclaration> HOT_METHODS =
      method -> !Set.of("checkShapes", "bufferSize", "newStreamBank").contains(method.getNameAsString());

  /** A verifier with rnnc's hot-method rule. */
  public static CodeVerifier verifier() {
    return new CodeVerifier(HOT_METHODS);
  }

  /** Checks what {@link #compile} generates (source layer), or {@code null} for no check. */
  private final CodeVerifier sourceVerifier;

  /** A compiler that checks every class it generates with {@link #verifier()}'s source layer. */
  public RnnCompiler() {
    this(verifier());
  }

  /**
   * A compiler that checks every class it generates with {@code sourceVerifier}'s source layer, or, when it
   * is {@code null}, not at all: for callers that verify the compiled classes themselves (source and
   * bytecode layer in one pass, {@link CodeVerifier#verify(java.util.Map, java.util.Map)}) or whose user turned verification
   * off, so that no source is verified twice or against the user's wish.
   */
  public RnnCompiler(CodeVerifier sourceVerifier) {
    this.sourceVerifier = sourceVerifier;
  }

  /** A compiler that generates without verifying; see {@link #RnnCompiler(CodeVerifier)}. */
  public static RnnCompiler unverified() {
    return new RnnCompiler(null);
  }

  /** Parses, validates and generates; spec errors throw {@link dev.rnnc.compiler.spec.SpecException}. */
  public GeneratedSource compile(Path specFile) {
    return compile(SpecParser.parse(specFile));
  }

  /** Generates the class of a parsed spec. */
  public GeneratedSource compile(Spec spec) {
    String fileName = Path.of(spec.sourceName()).getFileName().toString();
    ModelPlan plan = ModelPlan.of(spec.packageName(), spec.modelName(), fileName, spec.sha256(), spec.config(),
        spec.weights());
    String source = new ClassEmitter(plan, VERSION).emit().toString();
    if (sourceVerifier != null) {
      List<Violation> violations = sourceVerifier.verifySource(spec.qualifiedName(), source);
      if (!violations.isEmpty()) {
        throw new GeneratedCodeException("rnnc bug: generated code for " + spec.sourceName()
            + " breaks its own rules (" + violations.size() + " violation" + (violations.size() == 1 ? "" : "s")
            + "):\n  " + String.join("\n  ", violations.stream().map(Violation::toString).toList()));
      }
    }
    String path = spec.qualifiedName().replace('.', '/') + ".java";
    return new GeneratedSource(spec.qualifiedName(), path, source, spec);
  }
}
