package dev.rnnc.compiler.golden;

import dev.rnnc.runtime.reference.ReferenceModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The runtime's reference model against PyTorch, on every golden case. */
class ReferenceGoldenTest {

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.rnnc.compiler.golden.GoldenCases#all")
  void matchesPyTorch(GoldenCase c) {
    GoldenCheck.check(c, ReferenceModel::new);
  }
}
