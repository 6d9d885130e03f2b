package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.io.Tensor;
import dev.rnnc.runtime.reference.ReferenceModel;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.Dataset;
import dev.rnnc.runtime.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rnnc grad and rnnc train, on the reference implementation ({@code --reference}) so the tests do not depend on
 * which generated classes implement training yet: they check the command plumbing (tensor names, shapes,
 * targets, optimiser options, checkpoints), not the generated kernels.
 */
class TrainingCommandsTest {
  static final String SPEC = """
      model: Trainee
      package: t.train
      cell: gru
      input: 3
      hidden: 4
      mode: many_to_many
      head: {size: 3, activation: softmax}
      training: {loss: cross_entropy}
      """;

  @TempDir
  Path dir;

  static float[] random(SplittableRandom r, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextDouble(-1, 1);
    }
    return out;
  }

  @Test
  void gradWritesLossAndEveryGradient() {
    checkGrad(true, 0);
  }

  @Test
  void generatedGradMatchesTheReference() {
    checkGrad(false, 2e-5);
  }

  /** grad on the reference (bit-identical expected) or on the generated class (within {@code tolerance}). */
  private void checkGrad(boolean reference, double tolerance) {
    Path spec = Cli.write(dir, "trainee.yaml", SPEC);
    ModelConfig config = SpecParser.parse(spec).config();
    SplittableRandom r = new SplittableRandom(2);
    int b = 2;
    int t = 4;
    float[] input = random(r, b * t * 3);
    float[] h0 = random(r, b * 4);
    long[] target = {0, 2, 1, 1, 2, 0, 9, 9};  // sequence 1 is 2 long: its 9s are padding
    Path in = Cli.tensors(dir, "xy.safetensors", Map.of(
        "input", Tensor.ofFloats(new int[] {b, t, 3}, input),
        "lengths", Tensor.ofLongs(new int[] {b}, new long[] {4, 2}),
        "h0", Tensor.ofFloats(new int[] {1, b, 4}, h0),
        "target", Tensor.ofLongs(new int[] {b, t}, target)));
    Path out = dir.resolve("g.safetensors");
    Cli.Result res = reference
        ? Cli.run("grad", spec, "--reference", "--seed", 4, "--input", in, "--output", out)
        : Cli.run("grad", spec, "--seed", 4, "--input", in, "--output", out);
    assertEquals(0, res.code(), res::toString);

    ReferenceModel ref = new ReferenceModel(ModelParameters.initialize(config, 4), b, t);
    Batch batch = new Batch();
    batch.input = input;
    batch.batch = b;
    batch.steps = t;
    batch.lengths = new int[] {4, 2};
    batch.h0 = h0;
    batch.classTargets = new int[] {0, 2, 1, 1, 2, 0, 9, 9};
    float loss = ref.computeGradients(batch);

    Map<String, Tensor> g = Cli.read(out);
    List<String> names = new java.util.ArrayList<>(List.of("loss"));
    config.parameterNames().forEach(name -> names.add("grad." + name));
    names.addAll(List.of("grad.input", "grad.h0"));
    assertEquals(names, List.copyOf(g.keySet()));
    assertEquals(loss, g.get("loss").floats()[0], Math.max(tolerance, 1e-6));
    for (String name : config.parameterNames()) {
      assertArrayEquals(config.parameterShapes().get(name), g.get("grad." + name).shape(), name);
      assertArrayEquals(ref.gradients().get(name), g.get("grad." + name).floats(), (float) tolerance, name);
    }
    assertArrayEquals(new int[] {b, t, 3}, g.get("grad.input").shape());
    assertArrayEquals(ref.inputGradient(), g.get("grad.input").floats(), (float) tolerance);
    assertArrayEquals(new int[] {1, b, 4}, g.get("grad.h0").shape());
    assertArrayEquals(ref.h0Gradient(), g.get("grad.h0").floats(), (float) tolerance);
  }

  @Test
  void gradChecksTargets() throws Exception {
    Path spec = Cli.write(dir, "trainee.yaml", SPEC);
    Path out = dir.resolve("g.safetensors");
    Files.write(out, new byte[] {7});
    Map<String, Tensor> x = new LinkedHashMap<>();
    x.put("input", Tensor.ofFloats(new int[] {1, 2, 3}, new float[6]));
    Path noTarget = Cli.tensors(dir, "x.safetensors", x);
    Cli.Result r = Cli.run("grad", spec, "--reference", "--input", noTarget, "--output", out);
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("missing tensor 'target' (I64 class ids [B, T] for cross_entropy)"), r::toString);

    x.put("target", Tensor.ofLongs(new int[] {1, 2}, new long[] {0, 3}));
    Path badClass = Cli.tensors(dir, "x2.safetensors", x);
    r = Cli.run("grad", spec, "--reference", "--input", badClass, "--output", out);
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("'target'[0, 1] = 3 is outside the classes 0..2"), r::toString);
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(out));
  }

  @Test
  void gradAndTrainNeedATrainingSection() {
    Path spec = Cli.write(dir, "plain.yaml", SPEC.replace("training: {loss: cross_entropy}\n", ""));
    Path in = Cli.tensors(dir, "x.safetensors", Map.of("input", Tensor.ofFloats(new int[] {1, 1, 3}, new float[3])));
    Cli.Result r = Cli.run("grad", spec, "--input", in, "--output", dir.resolve("g.safetensors"));
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("spec has no training section"), r::toString);
    r = Cli.run("train", spec, "--data", in, "--steps", 1, "--output", dir.resolve("w.safetensors"));
    assertEquals(1, r.code(), r::toString);
    assertTrue(r.err().contains("spec has no training section"), r::toString);
  }

  @Test
  void trainMatchesTheTrainerAndWritesAResumableCheckpoint() {
    Path spec = Cli.write(dir, "trainee.yaml", SPEC);
    ModelConfig config = SpecParser.parse(spec).config();
    SplittableRandom r = new SplittableRandom(9);
    int n = 5;
    int t = 3;
    float[] input = random(r, n * t * 3);
    int[] target = new int[n * t];
    for (int i = 0; i < target.length; i++) {
      target[i] = r.nextInt(3);
    }
    Path data = Cli.tensors(dir, "data.safetensors", Map.of(
        "input", Tensor.ofFloats(new int[] {n, t, 3}, input),
        "target", Tensor.ofInts(new int[] {n, t}, target)));
    Path out = dir.resolve("w1.safetensors");
    Cli.Result res = Cli.run("train", spec, "--reference", "--data", data, "--steps", 6, "--optimizer", "adam",
        "--lr", 0.01, "--batch", 2, "--seed", 3, "--clip-norm", 1, "--log-every", 2, "--output", out);
    assertEquals(0, res.code(), res::toString);
    List<String> lines = res.out().lines().toList();
    assertTrue(lines.get(0).matches("step 2/6  loss [0-9.e+-]+  [0-9.]+ seq/s"), lines.get(0));
    // 5 sequences in batches of 2: an epoch is 3 steps, evaluated at its end.
    assertTrue(lines.get(1).matches("eval step 3  epoch 1  lr 0.01000  train loss [0-9.]+  accuracy [0-9.]+"),
        lines.get(1));
    assertTrue(lines.get(lines.size() - 3).matches(" +loss +accuracy"), res::toString);
    assertTrue(lines.get(lines.size() - 2).matches("train \\(running\\) +[0-9.]+ +[0-9.]+"), res::toString);
    assertTrue(lines.get(lines.size() - 1).startsWith("trained 6 steps, 2 epochs (adam, lr 0.01): last loss "),
        res::toString);

    ModelParameters expected = ModelParameters.initialize(config, 3);
    Trainer trainer = new Trainer(new ReferenceModel(expected, 2, t), expected, Adam.adam(0.01),
        Dataset.fromTensors(Cli.read(data), config, "data"), new Trainer.Options(2, 3, 1, 0));
    trainer.train(6, null);
    ModelParameters trained = ModelParameters.load(out, config);
    for (String name : config.parameterNames()) {
      assertArrayEquals(expected.get(name), trained.get(name), name);
    }

    Path more = dir.resolve("w2.safetensors");
    // --steps counts the whole run; every setting not given comes from the checkpoint (optimizer, lr, batch, seed).
    Cli.Result resumed = Cli.run("train", spec, "--reference", "--data", data, "--steps", 8, "--resume", out,
        "--output", more);
    assertEquals(0, resumed.code(), resumed::toString);
    assertTrue(resumed.err().contains("resuming " + out + " after step 6"), resumed::toString);
    assertTrue(resumed.out().contains("step 8/8"), resumed::toString);
    ModelParameters afterSix = expected.copy();
    trainer.train(2, null);
    ModelParameters continued = ModelParameters.load(more, config);
    for (String name : config.parameterNames()) {
      assertArrayEquals(expected.get(name), continued.get(name), "resumed, " + name);
    }

    Path generated = dir.resolve("w-generated.safetensors");
    Cli.Result gen = Cli.run("train", spec, "--data", data, "--steps", 6, "--optimizer", "adam", "--lr", 0.01,
        "--batch", 2, "--seed", 3, "--clip-norm", 1, "--output", generated);
    assertEquals(0, gen.code(), gen::toString);
    ModelParameters generatedWeights = ModelParameters.load(generated, config);
    for (String name : config.parameterNames()) {
      assertArrayEquals(afterSix.get(name), generatedWeights.get(name), 1e-4f, "generated class, " + name);
    }

    Cli.Result wrongKind = Cli.run("train", spec, "--reference", "--data", data, "--steps", 9, "--optimizer", "sgd",
        "--resume", out, "--output", dir.resolve("w3.safetensors"));
    assertEquals(1, wrongKind.code(), wrongKind::toString);
    assertTrue(wrongKind.err().contains("adam"), wrongKind::toString);
  }
}
