package dev.rnnc.maven;

import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.verify.CodeVerifier;
import dev.rnnc.compiler.verify.Violation;
import java.util.List;

/**
 * Runs the source layer of {@link CodeVerifier} (JavaParser: no allocation, boxing, lambdas or strings in hot
 * methods) on a generated class, with rnnc's own hot-method rule. Its bytecode layer needs the compiled
 * class, which only exists after the project's compile step (on another JDK than Maven's); the compiler's
 * own tests run that layer on every class they generate.
 */
final class GeneratedSourceVerifier implements IncrementalGenerator.SourceCheck {
  private final CodeVerifier verifier = RnnCompiler.verifier();

  @Override
  public List<String> check(String qualifiedName, String source) {
    try {
      return verifier.verifySource(qualifiedName, source).stream().map(Violation::toString).toList();
    } catch (GeneratedCodeException e) {
      return List.of(e.getMessage());
    }
  }
}
