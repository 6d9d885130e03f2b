package dev.rnnc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.spec.SpecParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratedSourceVerifierTest {
  private final GeneratedSourceVerifier verifier = new GeneratedSourceVerifier();

  @Test
  void generatedModelPasses() {
    var generated = new RnnCompiler().compile(SpecParser.parse("m.yaml",
        "model: M\npackage: p\ncell: lstm\ninput: 3\nhidden: 5\nhead: {size: 2}\n"));
    assertEquals(List.of(), verifier.check(generated.qualifiedName(), generated.source()));
  }

  @Test
  void allocationInHotMethodIsReported() {
    String source = "package p;\npublic final class M {\n  public void step(float[] x, int offset) {\n"
        + "    float[] copy = new float[x.length];\n  }\n}\n";
    List<String> problems = verifier.check("p.M", source);
    assertFalse(problems.isEmpty());
    assertTrue(problems.get(0).contains("step"), problems.toString());
  }

  @Test
  void unparsableSourceIsReported() {
    List<String> problems = verifier.check("p.M", "package p; public class M { void step( }");
    assertEquals(1, problems.size());
  }
}
