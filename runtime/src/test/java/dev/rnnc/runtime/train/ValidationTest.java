package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** User errors: hyper-parameters (as torch checks them), non-finite gradients, optimiser state, datasets. */
class ValidationTest {

  private static void rejects(String fragment, Executable code) {
    RnncException e = assertThrows(RnncException.class, code);
    assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
  }

  @Test
  void hyperParametersAreCheckedLikeTorch() {
    rejects("learning rate", () -> new Sgd(-0.1));
    rejects("momentum", () -> new Sgd(0.1, -0.5, 0, false, 0));
    rejects("weight_decay", () -> new Sgd(0.1, 0, 0, false, -1));
    rejects("Nesterov", () -> new Sgd(0.1, 0, 0, true, 0));
    rejects("Nesterov", () -> new Sgd(0.1, 0.9, 0.1, true, 0));
    rejects("beta1", () -> new Adam(0.1, 1.0, 0.999, 1e-8, 0, false));
    rejects("beta2", () -> new Adam(0.1, 0.9, -0.1, 1e-8, 0, false));
    rejects("eps", () -> new Adam(0.1, 0.9, 0.999, -1, 0, false));
    rejects("learning rate", () -> Adam.adam(Double.NaN));
    rejects("learning rate", () -> Adam.adamW(0.1).setLearningRate(-1));
    assertEquals("0.01", Adam.adamW(1e-3).hyperParameters().get("weight_decay"));
    assertEquals("0.0", Adam.adam(1e-3).hyperParameters().get("weight_decay"));
  }

  @Test
  void nonFiniteGradientIsNamed() {
    ModelParameters grads = ModelParameters.zeros(Goldens.CONFIG);
    NonFiniteCheck check = new NonFiniteCheck(grads);
    check.check(3, 0.5);
    grads.get("rnn.bias_hh_l0")[4] = Float.NEGATIVE_INFINITY;
    RnncException e = assertThrows(RnncException.class, () -> check.check(3, 0.5));
    assertEquals("step 3: gradient of rnn.bias_hh_l0 is -Infinity at flat index 4" + NonFiniteCheck.ADVICE,
        e.getMessage());
    rejects("step 9: loss is +Infinity", () -> check.check(9, Double.POSITIVE_INFINITY));
  }

  @Test
  void optimizerStateMustFitTheOptimizerAndTheModel() {
    Optimizer adam = Adam.adam(0.01);
    ModelParameters params = Goldens.parameters("init.");
    adam.step(params, Goldens.parameters("grad.1."));
    Map<String, Tensor> state = adam.state();
    rejects("optimizer.exp_avg", () -> new Sgd(0.1, 0.9, 0, false, 0).loadState(state));
    rejects("no optimizer.step", () -> Adam.adam(0.01).loadState(Map.of()));

    Map<String, Tensor> missing = new LinkedHashMap<>(state);
    missing.remove("optimizer.exp_avg_sq.head.bias");
    Optimizer restored = Adam.adam(0.01);
    restored.loadState(missing);
    rejects("optimizer.exp_avg_sq.head.bias", () -> restored.attach(params));

    Map<String, Tensor> reshaped = new LinkedHashMap<>(state);
    reshaped.put("optimizer.exp_avg.head.bias", Tensor.ofFloats(new int[] {1, 2}, new float[2]));
    Optimizer bound = Adam.adam(0.01);
    bound.attach(params);
    rejects("has shape [1, 2]", () -> bound.loadState(reshaped));
    assertEquals(0, bound.steps(), "a rejected state leaves the optimiser as it was");

    ModelConfig other = new ModelConfig(ModelConfig.Cell.RNN, null, null, 3, 0, 2, 1, false,
        ModelConfig.Mode.MANY_TO_MANY, 2, ModelConfig.HeadActivation.LINEAR, 4, 2, null);
    ModelParameters otherParams = ModelParameters.zeros(other);
    rejects("holds state for parameters", () -> adam.step(otherParams, ModelParameters.zeros(other)));
  }

  @Test
  void tokenIdsAreReadUnderTheNamesRunAndGradUse(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    ModelConfig config = ModelConfig.builder(ModelConfig.Cell.GRU).embedding(5, 3).hidden(4)
        .head(5, ModelConfig.HeadActivation.SOFTMAX).limits(2, 4)
        .training(new ModelConfig.TrainingConfig(ModelConfig.Loss.CROSS_ENTROPY, 0, 0)).build();
    long[] ids = {0, 1, 2, 3, 4, 0};
    Tensor target = Tensor.ofLongs(new int[] {2, 3}, new long[] {1, 2, 3, 4, 0, 1});
    Dataset canonical = Dataset.fromTensors(Map.of("input", Tensor.ofLongs(new int[] {2, 3}, ids), "target", target),
        config, "d");
    Dataset alias = Dataset.fromTensors(Map.of("tokens", Tensor.ofLongs(new int[] {2, 3}, ids), "target", target),
        config, "d");
    assertEquals(canonical.fingerprint(), alias.fingerprint(), "'tokens' is another name for 'input'");
    rejects("d: missing tensor 'input' (token ids [N, T] in 0..4)", () -> Dataset.fromTensors(Map.of("target", target), config, "d"));
    long[] outside = ids.clone();
    outside[4] = 5;
    rejects("d: token id [1, 1] = 5 is outside the vocabulary 0..4", () -> Dataset.fromTensors(
        Map.of("input", Tensor.ofLongs(new int[] {2, 3}, outside), "target", target), config, "d"));
    java.nio.file.Path typed = dir.resolve("data.safetensors");
    dev.rnnc.runtime.io.SafeTensors.write(typed, Map.of("target", target), Map.of());
    rejects(typed + ": missing tensor 'input'", () -> Dataset.load(typed, config)); // the path as given
  }

  @Test
  void datasetsAreCheckedAgainstTheModel() {
    ModelConfig config = Problems.echoConfig(ModelConfig.Cell.GRU, 4, 2, 0);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("input", Tensor.ofFloats(new int[] {2, 3, 2}, new float[12]));
    tensors.put("target", Tensor.ofLongs(new int[] {2, 3}, new long[] {0, 1, 1, 0, 0, 1}));
    tensors.put("lengths", Tensor.ofLongs(new int[] {2}, new long[] {3, 2}));
    Dataset data = Dataset.fromTensors(tensors, config, "data.safetensors");
    assertEquals(2, data.size());
    assertEquals(3, data.steps());
    assertEquals(2, data.length(1));

    Map<String, Tensor> badClass = new LinkedHashMap<>(tensors);
    badClass.put("target", Tensor.ofLongs(new int[] {2, 3}, new long[] {0, 1, 1, 0, 2, 1}));
    rejects("data.safetensors: target[1, 1] = 2 is not a class", () -> Dataset.fromTensors(badClass, config, "data.safetensors"));
    Map<String, Tensor> paddedBadClass = new LinkedHashMap<>(tensors);
    paddedBadClass.put("target", Tensor.ofLongs(new int[] {2, 3}, new long[] {0, 1, 1, 0, 0, 7}));
    Dataset.fromTensors(paddedBadClass, config, "data.safetensors"); // padded positions are never read

    Map<String, Tensor> badLength = new LinkedHashMap<>(tensors);
    badLength.put("lengths", Tensor.ofLongs(new int[] {2}, new long[] {3, 4}));
    rejects("lengths[1] = 4", () -> Dataset.fromTensors(badLength, config, "d"));
    Map<String, Tensor> badShape = new LinkedHashMap<>(tensors);
    badShape.put("input", Tensor.ofFloats(new int[] {2, 3, 5}, new float[30]));
    rejects("has shape [2, 3, 5], expected F32 [N, T, 2]", () -> Dataset.fromTensors(badShape, config, "d"));
    Map<String, Tensor> extra = new LinkedHashMap<>(tensors);
    extra.put("labels", Tensor.ofFloats(new int[] {1}, new float[1]));
    rejects("d: unexpected tensor [labels]", () -> Dataset.fromTensors(extra, config, "d"));
    Map<String, Tensor> integerInput = new LinkedHashMap<>(tensors);
    integerInput.put("input", Tensor.ofLongs(new int[] {2, 3}, new long[6]));
    rejects("'input' has dtype I64, but this model takes dense features: expected F32 [N, T, 2]",
        () -> Dataset.fromTensors(integerInput, config, "d"));
    Map<String, Tensor> both = new LinkedHashMap<>(tensors);
    both.put("tokens", Tensor.ofLongs(new int[] {2, 3}, new long[6]));
    rejects("holds both 'input' and 'tokens'", () -> Dataset.fromTensors(both, config, "d"));
    Map<String, Tensor> noTarget = new LinkedHashMap<>(tensors);
    noTarget.remove("target");
    rejects("d: missing tensor 'target' (class ids [2, 3])", () -> Dataset.fromTensors(noTarget, config, "d"));
    Map<String, Tensor> nan = new LinkedHashMap<>(tensors);
    float[] values = new float[12];
    values[7] = Float.NaN;
    nan.put("input", Tensor.ofFloats(new int[] {2, 3, 2}, values));
    rejects("flat index 7", () -> Dataset.fromTensors(nan, config, "d"));
  }
}
