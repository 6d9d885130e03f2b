package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** The PyTorch trajectories written by {@code src/test/python/make_optim_goldens.py}. */
final class Goldens {
  /** The model whose state_dict the golden tensors form: GRU, input 3, hidden 2, one layer, 2-output head. */
  static final ModelConfig CONFIG = new ModelConfig(ModelConfig.Cell.GRU, null, null, 3, 0, 2, 1, false,
      ModelConfig.Mode.MANY_TO_MANY, 2, ModelConfig.HeadActivation.LINEAR, 4, 2, null);

  /**
   * Both sides run the same float32 operations in the same order; they differ only where torch's vectorised
   * CPU kernels contract a multiply-add into an FMA (one rounding instead of two, ≤ 1 ulp ≈ 6e-8 relative per
   * operation). A few such operations per step over five steps stay well below 1e-6 relative. The absolute
   * floor covers values that cancel towards 0, whose error is relative to the O(1) terms that cancelled.
   * A wrong formula moves values by far more; even eps added before instead of after the bias correction
   * (a 1e-6-sized effect with eps 1e-6, large with the adam_large_eps case) fails four Adam cases.
   */
  static final double RELATIVE_TOLERANCE = 1e-6;
  static final double ABSOLUTE_TOLERANCE = 1e-7;

  static final SafeTensorsFile FILE = load();

  private Goldens() {}

  private static SafeTensorsFile load() {
    try {
      return SafeTensors.read(Path.of(Goldens.class.getResource("/optim/optim_goldens.safetensors").toURI()));
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static int steps() {
    return Integer.parseInt(FILE.metadata().get("steps"));
  }

  /** The tensors {@code prefix + name} for every parameter name, as a ModelParameters of {@link #CONFIG}. */
  static ModelParameters parameters(String prefix) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (String name : CONFIG.parameterNames()) {
      tensors.put(name, FILE.tensor(prefix + name));
    }
    return ModelParameters.fromTensors(tensors, CONFIG, "goldens");
  }

  /** Hyper-parameters of a case: "kind=sgd lr=0.1 ..." parsed into a map. */
  static Map<String, String> describe(String caseName) {
    Map<String, String> out = new HashMap<>();
    for (String part : FILE.metadata().get("case." + caseName).split(" ")) {
      String[] kv = part.split("=", 2);
      out.put(kv[0], kv[1]);
    }
    return out;
  }

  /** The optimiser a case describes. */
  static Optimizer optimizer(String caseName) {
    Map<String, String> h = describe(caseName);
    double lr = Double.parseDouble(h.get("lr"));
    double wd = Double.parseDouble(h.get("weight_decay"));
    switch (h.get("kind")) {
      case "sgd":
        return new Sgd(lr, Double.parseDouble(h.get("momentum")), Double.parseDouble(h.get("dampening")),
            h.get("nesterov").equals("1"), wd);
      case "adam":
      case "adamw":
        return new Adam(lr, Double.parseDouble(h.get("beta1")), Double.parseDouble(h.get("beta2")),
            Double.parseDouble(h.get("eps")), wd, h.get("kind").equals("adamw"));
      default:
        throw new IllegalArgumentException(h.toString());
    }
  }

  static void assertClose(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double error = Math.abs((double) actual[i] - expected[i]);
      if (!(error <= RELATIVE_TOLERANCE * Math.abs(expected[i]) + ABSOLUTE_TOLERANCE)) {
        fail(what + "[" + i + "]: expected " + expected[i] + " but was " + actual[i] + " (error " + error + ")\n"
            + "expected " + Arrays.toString(expected) + "\nactual   " + Arrays.toString(actual));
      }
    }
  }
}
