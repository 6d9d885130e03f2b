package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Streaming {@code step}/{@code stepToken} equals whole-sequence {@code forward}, for random unidirectional specs. */
class StreamingTest {
  private static final int SPECS = 90;

  @TestFactory
  Stream<DynamicTest> stepsEqualForward() {
    long seed = RandomSpecsTest.seed() + 1;
    SpecGenerator generator = new SpecGenerator(seed, "t.stream", SpecGenerator.Options.STREAMING);
    List<GeneratedCase> cases = GeneratedCase.compile(generator.next(SPECS), true, seed);
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      RnnModel generated = c.generated();
      assertInstanceOf(StreamingModel.class, generated, "a unidirectional model streams\n" + c.context());
      StreamCheck.check(c, generated, seed);
    }));
  }

  @Test
  void onlyUnidirectionalModelsStream() {
    long seed = RandomSpecsTest.seed() + 2;
    List<String> specs = new SpecGenerator(seed, "t.bidi", SpecGenerator.Options.ANY).next(12);
    for (GeneratedCase c : GeneratedCase.compile(specs, true, seed)) {
      boolean streams = StreamingModel.class.isAssignableFrom(c.compiled().type());
      if (c.config().bidirectional()) {
        assertFalse(streams, "a bidirectional layer needs the whole sequence, so no step API\n" + c.context());
      } else {
        assertTrue(streams, c.context());
      }
    }
  }

  @Test
  void wrongStepKindIsRejected() {
    long seed = RandomSpecsTest.seed() + 3;
    List<String> specs = new SpecGenerator(seed, "t.kind", SpecGenerator.Options.STREAMING).next(8);
    for (GeneratedCase c : GeneratedCase.compile(specs, true, seed)) {
      StreamingModel stream = (StreamingModel) c.generated();
      if (c.config().hasEmbedding()) {
        assertThrows(IllegalArgumentException.class, () -> stream.step(new float[c.config().inputSize()], 0),
            c.context());
      } else {
        assertThrows(IllegalArgumentException.class, () -> stream.stepToken(0), c.context());
      }
    }
  }
}
