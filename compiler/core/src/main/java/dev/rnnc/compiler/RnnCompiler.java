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
 * The compiler's front door: spec → plan → emitted source. Stateless and thread-safe; the same spec always
 * gives byte-identical source.
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
   * constructed or first given parameters.
   */
  public static final Predicate<MethodDeclaration> HOT_METHODS =
      method -> !Set.of("checkShapes", "bufferSize").contains(method.getNameAsString());

  /** A verifier with rnnc's hot-method rule. */
  public static CodeVerifier verifier() {
    return new CodeVerifier(HOT_METHODS);
  }

  /** Parses, validates and generates; spec errors throw {@link dev.rnnc.compiler.spec.SpecException}. */
  public GeneratedSource compile(Path specFile) {
    return compile(SpecParser.parse(specFile));
  }

  /** Generates the class of a parsed spec. */
  public GeneratedSource compile(Spec spec) {
    String fileName = Path.of(spec.sourceName()).getFileName().toString();
    ModelPlan plan = ModelPlan.of(spec.packageName(), spec.modelName(), fileName, spec.sha256(), spec.config());
    String source = new ClassEmitter(plan, VERSION).emit().toString();
    List<Violation> violations = verifier().verifySource(spec.qualifiedName(), source);
    if (!violations.isEmpty()) {
      throw new GeneratedCodeException("rnnc bug: generated code for " + spec.sourceName()
          + " breaks its own rules:\n  " + String.join("\n  ", violations.stream().map(Violation::toString).toList()));
    }
    String path = spec.qualifiedName().replace('.', '/') + ".java";
    return new GeneratedSource(spec.qualifiedName(), path, source, spec);
  }
}
