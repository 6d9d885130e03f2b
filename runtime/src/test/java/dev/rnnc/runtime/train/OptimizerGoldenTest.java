package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.io.Tensor;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Replays torch.optim trajectories step by step (see {@link Goldens} for the tolerance). */
class OptimizerGoldenTest {

  static Stream<String> cases() {
    return Goldens.FILE.metadata().keySet().stream().filter(k -> k.startsWith("case.")).map(k -> k.substring(5))
        .sorted();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void followsTorchStepByStep(String caseName) {
    Optimizer optimizer = Goldens.optimizer(caseName);
    ModelParameters params = Goldens.parameters("init.");
    for (int k = 1; k <= Goldens.steps(); k++) {
      optimizer.step(params, Goldens.parameters("grad." + k + "."));
      ModelParameters expected = Goldens.parameters(caseName + ".step" + k + ".");
      for (String name : params.names()) {
        Goldens.assertClose(caseName + " step " + k + " " + name, expected.get(name), params.get(name));
      }
    }
    assertEquals(Goldens.steps(), optimizer.steps());
  }

  @ParameterizedTest
  @MethodSource("cases")
  void exportsTorchState(String caseName) {
    Optimizer optimizer = Goldens.optimizer(caseName);
    ModelParameters params = Goldens.parameters("init.");
    for (int k = 1; k <= Goldens.steps(); k++) {
      optimizer.step(params, Goldens.parameters("grad." + k + "."));
    }
    Map<String, Tensor> state = optimizer.state();
    assertEquals(Goldens.steps(), state.get(Optimizer.STEP_STATE).toLongArray()[0]);
    String prefix = caseName + ".state.";
    int slots = 0;
    for (Map.Entry<String, Tensor> golden : Goldens.FILE.tensors().entrySet()) {
      String key = golden.getKey();
      if (!key.startsWith(prefix) || key.equals(prefix + "step")) {
        continue;
      }
      Tensor mine = state.get(Optimizer.STATE_PREFIX + key.substring(prefix.length()));
      assertNotNull(mine, "state " + key.substring(prefix.length()) + " of " + caseName + ": have " + state.keySet());
      assertArrayEquals(golden.getValue().shape(), mine.shape(), key);
      Goldens.assertClose(key, golden.getValue().toFloatArray(), mine.toFloatArray());
      slots++;
    }
    // Every exported tensor beside the step counter corresponds to one of torch's.
    assertEquals(slots, state.size() - 1, "state " + state.keySet());
    if (Goldens.FILE.tensors().containsKey(prefix + "step")) {
      assertEquals(Goldens.FILE.tensor(prefix + "step").toFloatArray()[0], (float) Goldens.steps());
    }
  }

  /** Stopping after 3 steps, exporting and restoring into a fresh optimiser continues bit for bit. */
  @ParameterizedTest
  @MethodSource("cases")
  void resumesFromExportedStateExactly(String caseName) {
    Optimizer straight = Goldens.optimizer(caseName);
    ModelParameters straightParams = Goldens.parameters("init.");
    Optimizer first = Goldens.optimizer(caseName);
    ModelParameters resumedParams = Goldens.parameters("init.");
    for (int k = 1; k <= 3; k++) {
      straight.step(straightParams, Goldens.parameters("grad." + k + "."));
      first.step(resumedParams, Goldens.parameters("grad." + k + "."));
    }
    Optimizer resumed = Goldens.optimizer(caseName);
    resumed.loadState(first.state());
    assertEquals(3, resumed.steps());
    for (int k = 4; k <= Goldens.steps(); k++) {
      straight.step(straightParams, Goldens.parameters("grad." + k + "."));
      resumed.step(resumedParams, Goldens.parameters("grad." + k + "."));
    }
    for (String name : straightParams.names()) {
      assertArrayEquals(straightParams.get(name), resumedParams.get(name), caseName + " " + name);
    }
    assertFalse(resumed.state().isEmpty());
    assertTrue(resumedParams.allFinite());
  }
}
