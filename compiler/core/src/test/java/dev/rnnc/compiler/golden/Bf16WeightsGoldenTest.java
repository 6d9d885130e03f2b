package dev.rnnc.compiler.golden;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.compiler.emit.GeneratedModels;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.PackedWeights;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code weights: bf16}: every golden case's model compiled with its weight matrices stored as bfloat16 (training
 * section removed: bf16 is for inference).
 *
 * <ul>
 *   <li>Exactness of the kernels: the generated class equals the reference model run on the same parameters with
 *       W_ih, W_hh, W_hr and head.weight rounded to bfloat16 (biases, embedding and peepholes stay float32), within
 *       the float tolerance every generated class is held to ({@code 1e-5 + 1e-4·|expected|}). So the only change
 *       bf16 makes is the rounding of those weights, nothing in how they are used.</li>
 *   <li>Accuracy against float32 PyTorch (the committed goldens): on every case, the largest |bf16 − PyTorch| over
 *       its outputs, states, logits and predictions is at most {@link #PYTORCH_BOUND} of the largest |value| among
 *       them (measured: 0.6 % worst, on a 3-layer relu RNN whose values reach 7; 0.05–0.3 % on the others). The
 *       README states this figure.</li>
 * </ul>
 */
class Bf16WeightsGoldenTest {
  /** Largest allowed |bf16 model − float32 PyTorch|, relative to the case's largest |value|. */
  static final double PYTORCH_BOUND = 1e-2;
  private static final double ABS = 1e-5;
  private static final double REL = 1e-4;

  /** Whether generated code stores this parameter as bfloat16 (the packed weight matrices). */
  static boolean stored16(String name) {
    return name.contains("weight_ih") || name.contains("weight_hh") || name.contains("weight_hr")
        || name.equals(ModelConfig.HEAD_WEIGHT);
  }

  static String bf16Spec(String spec) {
    String body = spec.lines().filter(line -> !line.startsWith("training:"))
        .collect(Collectors.joining("\n", "", "\n"));
    return body + "weights: bf16\n";
  }

  @TestFactory
  Stream<DynamicTest> bf16WeightsRoundOnlyTheWeights() {
    List<GoldenCase> cases = GoldenCases.all();
    List<String> specs = cases.stream().map(c -> bf16Spec(c.spec())).toList();
    List<GeneratedModels.Compiled> compiled = GeneratedModels.compile(specs);
    List<DynamicTest> tests = new ArrayList<>();
    double[] worst = {0};
    for (int i = 0; i < cases.size(); i++) {
      GoldenCase c = cases.get(i);
      GeneratedModels.Compiled model = compiled.get(i);
      tests.add(DynamicTest.dynamicTest(c.name(), () -> worst[0] = Math.max(worst[0], check(c, model))));
    }
    tests.add(DynamicTest.dynamicTest("bf16 rounding shows (the weights really are stored as bfloat16)",
        () -> assertTrue(worst[0] > 1e-4, "worst relative |bf16 - PyTorch float32| over all cases: " + worst[0])));
    return tests.stream();
  }

  /** Checks one case; returns its largest error against PyTorch relative to its largest |value|. */
  private static double check(GoldenCase c, GeneratedModels.Compiled compiled) {
    ModelParameters exact = c.parameters();
    ModelParameters rounded = exact.copy();
    int roundedCount = 0;
    for (String name : rounded.names()) {
      if (stored16(name)) {
        float[] values = rounded.get(name);
        for (int k = 0; k < values.length; k++) {
          values[k] = PackedWeights.fromBf16(PackedWeights.toBf16(values[k]));
        }
        roundedCount++;
      }
    }
    assertTrue(roundedCount >= 2, "no weight matrix found to round among " + rounded.names());
    RnnModel generated = (RnnModel) compiled.instantiate(exact);
    ModelConfig config = c.config();
    Batch batch = c.batch();
    ReferenceModel reference = new ReferenceModel(rounded, config.maxBatch(), config.maxLength());
    for (RnnModel m : new RnnModel[] {generated, reference}) {
      if (config.hasEmbedding()) {
        m.forwardTokens(batch.tokens, batch.batch, batch.steps, batch.lengths, batch.h0, batch.c0);
      } else {
        m.forward(batch.input, batch.batch, batch.steps, batch.lengths, batch.h0, batch.c0);
      }
    }
    Map<String, float[]> results = new java.util.LinkedHashMap<>();
    results.put("output", generated.output());
    results.put("h_n", generated.hN());
    if (config.hasCellState()) {
      results.put("c_n", generated.cN());
    }
    if (config.mode() == ModelConfig.Mode.MANY_TO_ONE) {
      results.put("features", generated.features());
    }
    if (config.hasHead()) {
      results.put("logits", generated.logits());
      results.put("prediction", generated.prediction());
    }
    double worst = 0;
    double scale = 0;
    for (Map.Entry<String, float[]> e : results.entrySet()) {
      String name = e.getKey();
      float[] actual = e.getValue();
      float[] expected = switch (name) {
        case "output" -> reference.output();
        case "h_n" -> reference.hN();
        case "c_n" -> reference.cN();
        case "features" -> reference.features();
        case "logits" -> reference.logits();
        default -> reference.prediction();
      };
      float[] pytorch = c.floats(name);
      for (int k = 0; k < pytorch.length; k++) {
        double error = Math.abs(actual[k] - expected[k]);
        if (!(error <= ABS + REL * Math.abs(expected[k]))) {
          fail(c.name() + " " + name + "[" + k + "]: generated bf16 " + actual[k] + ", reference on bf16-rounded"
              + " weights " + expected[k]);
        }
        worst = Math.max(worst, Math.abs(actual[k] - pytorch[k]));
        scale = Math.max(scale, Math.abs(pytorch[k]));
      }
    }
    assertTrue(worst <= PYTORCH_BOUND * scale, c.name() + ": |bf16 - PyTorch float32| reaches " + worst
        + ", more than " + PYTORCH_BOUND + " of the largest |value| " + scale);
    return worst / scale;
  }
}
