package dev.rnnc.compiler.golden;

import dev.rnnc.compiler.emit.GeneratedModels;
import dev.rnnc.runtime.RnnModel;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Parity with PyTorch for generated code: every golden case's spec goes through the whole compiler
 * (parse, plan, emit, javac) and the generated class must reproduce PyTorch's forward outputs and
 * gradients. All cases compile in one javac run.
 */
class GeneratedGoldenTest {

  @TestFactory
  Stream<DynamicTest> generatedClassesMatchPyTorch() {
    List<GoldenCase> cases = GoldenCases.all();
    List<DynamicTest> tests = new ArrayList<>();
    List<String> specs = new ArrayList<>();
    for (GoldenCase c : cases) {
      specs.add(c.spec());
    }
    List<GeneratedModels.Compiled> compiled = GeneratedModels.compile(specs);
    for (int i = 0; i < cases.size(); i++) {
      GoldenCase c = cases.get(i);
      GeneratedModels.Compiled model = compiled.get(i);
      tests.add(DynamicTest.dynamicTest(c.name(), () -> GoldenCheck.check(c, p -> (RnnModel) model.instantiate(p))));
    }
    return tests.stream();
  }
}
