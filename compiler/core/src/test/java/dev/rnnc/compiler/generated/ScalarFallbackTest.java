package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.VectorSupport;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The scalar kernels a generated class falls back to without {@code jdk.incubator.vector} (forced here with
 * {@code rnnc.vector=false}) are as right as the vector ones: forward and streaming equal the reference,
 * and the vector and scalar classes of the same spec agree.
 */
class ScalarFallbackTest {
  private static final int SPECS = 24;

  @TestFactory
  Stream<DynamicTest> scalarKernelsEqualReferenceAndVectorKernels() {
    assertTrue(VectorSupport.available(), "tests run with --add-modules=jdk.incubator.vector, so vector kernels "
        + "must be available; without them this test would compare the scalar path with itself");
    long seed = RandomSpecsTest.seed() + 10;
    List<String> specs = new SpecGenerator(seed, "t.scalar", SpecGenerator.Options.ANY).next(SPECS);
    List<GeneratedCase> scalar = GeneratedCase.compile(specs, false, seed);
    List<GeneratedCase> vector = GeneratedCase.compile(specs, true, seed);
    assertFalse(VectorSupport.available() && "false".equals(System.getProperty("rnnc.vector")),
        "rnnc.vector must be restored after the scalar classes are initialised");
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < SPECS; i++) {
      GeneratedCase s = scalar.get(i);
      GeneratedCase v = vector.get(i);
      tests.add(DynamicTest.dynamicTest(s.name(), () -> check(s, v, seed)));
    }
    return tests.stream();
  }

  private static void check(GeneratedCase scalarCase, GeneratedCase vectorCase, long seed) {
    assertFalse(scalarCase.compiled().usesVectorKernels(), "rnnc.vector=false must select the scalar kernels\n"
        + scalarCase.context());
    assertTrue(vectorCase.compiled().usesVectorKernels(), "by default the vector kernels run\n"
        + vectorCase.context());
    assertEquals(scalarCase.compiled().source().source(), vectorCase.compiled().source().source(),
        "one source serves both paths; only class initialisation chooses");
    ModelConfig config = scalarCase.config();
    RnnModel scalar = scalarCase.generated();
    RnnModel vector = vectorCase.generated();
    ReferenceModel reference = scalarCase.reference();
    SplittableRandom random = new SplittableRandom(seed ^ scalarCase.yaml().hashCode());
    for (int i = 0; i < 3; i++) {
      Call call = Call.random(config, config.maxBatch(), config.maxLength(), random);
      ForwardCheck.compare(reference, scalar, call, scalarCase.context() + "\nscalar kernels vs reference");
      call.runOn(vector);
      ForwardCheck.compareResults(scalar, vector, call, vectorCase.context() + "\nvector vs scalar kernels\n"
          + call.describe());
    }
    if (!config.bidirectional()) {
      StreamCheck.check(scalarCase, scalarCase.generated(), seed);
    }
  }
}
