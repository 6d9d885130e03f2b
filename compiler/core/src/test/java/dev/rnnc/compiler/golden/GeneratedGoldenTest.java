package dev.rnnc.compiler.golden;

import dev.rnnc.compiler.emit.GeneratedModels;
import dev.rnnc.runtime.RnnModel;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
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
    List<GoldenCase> cases = new ArrayList<>();
    List<DynamicTest> tests = new ArrayList<>();
    for (GoldenCase c : GoldenCases.all()) {
      if (awaitsVariantEmitters(c)) {
        tests.add(DynamicTest.dynamicTest(c.name(), () -> Assumptions.abort(
            "the code generator does not emit LSTM projections or peepholes yet; the reference model is checked "
                + "against this case by ReferenceGoldenTest")));
      } else {
        cases.add(c);
      }
    }
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

  // Skipped until the projection/peephole emitters land; remove this method and its use then, so every case runs.
  private static boolean awaitsVariantEmitters(GoldenCase c) {
    return c.config().hasProjection() || c.config().peepholes();
  }
}
