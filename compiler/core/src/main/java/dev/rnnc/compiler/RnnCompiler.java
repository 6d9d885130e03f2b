package dev.rnnc.compiler;

import dev.rnnc.compiler.emit.ClassEmitter;
import dev.rnnc.compiler.emit.Seq2SeqEmitter;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.Seq2SeqPlan;
import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
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
  public record GeneratedSource(String qualifiedName, String relativePath, String source, ParsedSpec spec) {}

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

  /**
   * Parses, validates and generates a spec of either kind; spec errors throw
   * {@link dev.rnnc.compiler.spec.SpecException}.
   */
  public GeneratedSource compile(Path specFile) {
    return compile(SpecParser.parseAny(specFile));
  }

  /** Generates the class of a parsed spec of either kind. */
  public GeneratedSource compile(ParsedSpec spec) {
    if (spec instanceof Seq2SeqSpec seq2seq) {
      return compile(seq2seq);
    }
    return compile((Spec) spec);
  }

  /** Generates the class of a parsed single-stack spec. */
  public GeneratedSource compile(Spec spec) {
    String fileName = Path.of(spec.sourceName()).getFileName().toString();
    ModelPlan plan = ModelPlan.of(spec.packageName(), spec.modelName(), fileName, spec.sha256(), spec.config(),
        spec.weights());
    return verified(spec, new ClassEmitter(plan, VERSION).emit().toString());
  }

  /**
   * Generates the class of an encoder–decoder spec: one source file whose class implements
   * {@link dev.rnnc.runtime.Seq2SeqModel} with its two stacks nested in it.
   */
  public GeneratedSource compile(Seq2SeqSpec spec) {
    String fileName = Path.of(spec.sourceName()).getFileName().toString();
    Seq2SeqPlan plan = Seq2SeqPlan.of(spec.packageName(), spec.modelName(), fileName, spec.sha256(), spec.config());
    return verified(spec, new Seq2SeqEmitter(plan, VERSION).emit().toString());
  }

  private GeneratedSource verified(ParsedSpec spec, String source) {
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
