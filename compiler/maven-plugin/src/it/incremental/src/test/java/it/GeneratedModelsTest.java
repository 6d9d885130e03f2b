package it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnnc.runtime.ModelParameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/** Runs in each of the four builds: uses a generated class, and records the generated files' state. */
class GeneratedModelsTest {
  private static final Path GENERATED = Path.of("target/generated-sources/rnnc/it");

  @Test
  void generatedStreamingModelMatchesWholeSequenceForward() {
    Alpha whole = new Alpha(ModelParameters.initialize(Alpha.CONFIG, 7));
    Alpha stream = new Alpha(whole.weights(), 1, 4);
    float[] input = new float[4 * Alpha.INPUT_SIZE];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) Math.sin(i);
    }
    whole.forward(input, 1, 4, null, null, null);
    stream.resetState();
    float[] last = null;
    for (int t = 0; t < 4; t++) {
      stream.step(input, t * Alpha.INPUT_SIZE);
      last = stream.stepLogits().clone();
    }
    float[] expected = new float[Alpha.HEAD_SIZE];
    System.arraycopy(whole.logits(), 3 * Alpha.HEAD_SIZE, expected, 0, Alpha.HEAD_SIZE);
    assertArrayEquals(expected, last, 1e-5f);
  }

  /** Appends "alphaMtime betaMtime betaHidden" (-1 for a missing file or class) to target/generated-state.txt. */
  @Test
  void recordGeneratedFiles() throws Exception {
    long alpha = Files.getLastModifiedTime(GENERATED.resolve("Alpha.java")).toMillis();
    Path betaFile = GENERATED.resolve("Beta.java");
    long beta = Files.exists(betaFile) ? Files.getLastModifiedTime(betaFile).toMillis() : -1;
    int hidden = -1;
    if (beta >= 0) {
      hidden = Class.forName("it.Beta").getField("HIDDEN").getInt(null);
    } else {
      assertEquals(false, classExists("it.Beta"), "Beta.class should be gone with its spec");
    }
    Files.writeString(Path.of("target/generated-state.txt"), alpha + " " + beta + " " + hidden + "\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static boolean classExists(String name) {
    try {
      Class.forName(name);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
