package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rnnc train as people expect it: validation, metrics, early stopping, the best checkpoint, schedules, resuming. */
class TrainCommandTest {
  /** A character-level language model with dropout: perplexity and bits per token, masks that must replay. */
  private static final String LANGUAGE_MODEL = """
      model: TinyLm
      package: t.train
      cell: lstm
      embedding: {vocab: 7, dim: 4}
      hidden: 8
      layers: 2
      head: {size: 7, activation: softmax}
      training: {loss: cross_entropy, dropout: 0.2}
      """;

  @TempDir
  Path dir;

  /** Token ids under the canonical name {@code input} (as run and grad read them); targets the next id. */
  private Path tokens(String name, int n, int t, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[] ids = new long[n * t];
    long[] next = new long[n * t];
    for (int s = 0; s < n; s++) {
      long id = r.nextInt(7);
      for (int i = 0; i < t; i++) {
        ids[s * t + i] = id;
        id = (id + 1 + r.nextInt(2)) % 7;
        next[s * t + i] = id;
      }
    }
    return Cli.tensors(dir, name, Map.of("input", Tensor.ofLongs(new int[] {n, t}, ids),
        "target", Tensor.ofLongs(new int[] {n, t}, next)));
  }

  @Test
  void generatedClassResumesBitForBitAndReportsLanguageModelMetrics() throws Exception {
    Path spec = Cli.write(dir, "lm.yaml", LANGUAGE_MODEL);
    Path data = tokens("text.safetensors", 12, 6, 1);
    Object[] common = {"train", spec, "--data", data, "--optimizer", "adam", "--lr", 0.05, "--batch", 3, "--seed", 2,
        "--validation-split", 0.25, "--eval-every", 2, "--lr-schedule", "step", "--lr-step-size", 3, "--lr-gamma", 0.5};
    Path straight = dir.resolve("straight.safetensors");
    Cli.Result a = Cli.run(concat(common, "--steps", 8, "--output", straight));
    assertEquals(0, a.code(), a::toString);
    assertTrue(a.out().contains("eval step 2  epoch 0  lr 0.05000  train loss "), a::toString);
    assertTrue(a.out().contains("| validation loss "), a::toString);
    assertTrue(a.out().lines().anyMatch(l -> l.matches(" +loss +accuracy +perplexity +bits_per_token")), a::toString);
    assertTrue(a.out().lines().anyMatch(l -> l.matches("validation( +[0-9.]+){4}")), a::toString);

    Path run = dir.resolve("run.safetensors");
    Cli.Result half = Cli.run(concat(common, "--steps", 4, "--output", run));
    assertEquals(0, half.code(), half::toString);
    Cli.Result rest = Cli.run("train", spec, "--data", data, "--steps", 8, "--resume", run, "--output", run);
    assertEquals(0, rest.code(), rest::toString);
    assertTrue(rest.out().contains("step 8/8"), rest::toString);
    assertArrayEquals(Files.readAllBytes(straight), Files.readAllBytes(run),
        "4 steps, then 4 more after a resume: the 8-step run's checkpoint, byte for byte");
  }

  @Test
  void trainingFiguresComeFromTheSameOutputsAsTheForwardPass() {
    // With a learning rate of 0 and no dropout every step sees the initial weights, so the running training figures
    // (read from the generated class's gradient computation) must be the validation figures of the same data (its
    // forward pass).
    Path spec = Cli.write(dir, "lm.yaml", LANGUAGE_MODEL.replace(", dropout: 0.2", ""));
    Path data = tokens("text.safetensors", 8, 5, 3);
    Cli.Result r = Cli.run("train", spec, "--data", data, "--validation", data, "--steps", 4, "--batch", 0,
        "--lr", 0, "--eval-every", 4, "--output", dir.resolve("w.safetensors"));
    assertEquals(0, r.code(), r::toString);
    Matcher line = Pattern.compile("train (loss .*)  \\| validation (loss .*?)  \\(best\\)").matcher(r.out());
    assertTrue(line.find(), r::toString);
    String[] train = line.group(1).split(" +");
    String[] validation = line.group(2).split(" +");
    assertEquals(8, train.length, r::toString);
    for (int i = 0; i < train.length; i += 2) {
      assertEquals(validation[i], train[i]);
      double expected = Double.parseDouble(validation[i + 1]);
      // Printed to 5 significant digits; the model's float loss and the evaluation's double one differ by ~1e-7.
      assertEquals(expected, Double.parseDouble(train[i + 1]), 2e-4 * expected, train[i] + "\n" + r);
    }
  }

  @Test
  void earlyStoppingKeepsTheBestCheckpoint() {
    Path spec = Cli.write(dir, "lm.yaml", LANGUAGE_MODEL);
    Path data = tokens("text.safetensors", 12, 6, 1);
    Path noise = Cli.tensors(dir, "noise.safetensors", Map.of(
        "tokens", Tensor.ofLongs(new int[] {4, 6}, new long[24]),
        "target", Tensor.ofLongs(new int[] {4, 6}, new long[] {
            3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 0, 2, 6, 4, 3, 3, 0, 2, 1, 4, 6, 2, 6, 4})));
    Path output = dir.resolve("out.safetensors");
    Path best = dir.resolve("best.safetensors");
    Cli.Result r = Cli.run("train", spec, "--reference", "--data", data, "--validation", noise, "--steps", 400,
        "--optimizer", "adam", "--lr", 0.05, "--batch", 4, "--eval-every", 5, "--patience", 3, "--min-delta", 0.001,
        "--best", best, "--output", output);
    assertEquals(0, r.code(), r::toString);
    Matcher stopped = Pattern.compile("stopped early at step (\\d+): validation loss has not improved for 3"
        + " evaluations").matcher(r.out());
    assertTrue(stopped.find(), r::toString);
    Matcher bestRow = Pattern.compile("best validation \\(step (\\d+)\\)").matcher(r.out());
    assertTrue(bestRow.find(), r::toString);
    long stopStep = Long.parseLong(stopped.group(1));
    long bestStep = Long.parseLong(bestRow.group(1));
    assertEquals(bestStep + 15, stopStep, "three evaluations, five steps apart, without improvement");
    assertEquals(Long.toString(bestStep), SafeTensors.read(best).metadata().get("step"));
    assertEquals(Long.toString(stopStep), SafeTensors.read(output).metadata().get("step"));
    assertTrue(r.out().contains("wrote " + output + " (best: " + best + ")"), r::toString);

    Cli.Result again = Cli.run("train", spec, "--reference", "--data", data, "--validation", noise, "--resume", output,
        "--output", output);
    assertEquals(0, again.code(), again::toString);
    assertTrue(again.out().contains("nothing to train: the run had stopped early at step " + stopStep), again::toString);
  }

  @Test
  void epochTargetsAndRegressionMetrics() {
    Path spec = Cli.write(dir, "reg.yaml", """
        model: Reg
        package: t.train
        cell: gru
        input: 2
        hidden: 3
        mode: many_to_one
        head: {size: 1}
        training: {loss: mse}
        """);
    float[] x = new float[5 * 4 * 2];
    float[] y = new float[5];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 7) / 7f;
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = i / 5f;
    }
    Path data = Cli.tensors(dir, "d.safetensors", Map.of("input", Tensor.ofFloats(new int[] {5, 4, 2}, x),
        "target", Tensor.ofFloats(new int[] {5, 1}, y)));
    Cli.Result r = Cli.run("train", spec, "--reference", "--data", data, "--epochs", 2, "--batch", 2,
        "--output", dir.resolve("w.safetensors"));
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().contains("trained 6 steps, 2 epochs (sgd, lr 0.01)"), r::toString);
    assertTrue(r.out().contains("epoch 1/2"), r::toString);
    assertTrue(r.out().lines().anyMatch(l -> l.matches(" +loss +mse +mae")), r::toString);
  }

  @Test
  void badOptionsAreOneClearLine() {
    Path spec = Cli.write(dir, "lm.yaml", LANGUAGE_MODEL);
    Path data = tokens("text.safetensors", 6, 4, 1);
    Path out = dir.resolve("never.safetensors");
    Path wrong = Cli.tensors(dir, "wrong.safetensors", Map.of("input", Tensor.ofFloats(new int[] {2, 4, 3},
        new float[24]), "target", Tensor.ofLongs(new int[] {2, 4}, new long[8])));
    Object[][] cases = {
        {"--patience needs a validation set", new Object[] {"--steps", 2, "--patience", 2}},
        {"--lr-schedule step needs --lr-step-size", new Object[] {"--steps", 2, "--lr-schedule", "step"}},
        {"--lr-schedule cosine needs --steps", new Object[] {"--epochs", 2, "--lr-schedule", "cosine"}},
        {"--validation-split must be a fraction between 0 and 1, got 1.5",
            new Object[] {"--steps", 2, "--validation-split", 1.5}},
        {"give --steps or --epochs, not both", new Object[] {"--steps", 2, "--epochs", 1}},
        {"give --steps N", new Object[] {}},
        {"--monitor mae: this model reports [loss, accuracy, perplexity, bits_per_token]",
            new Object[] {"--steps", 2, "--validation-split", 0.5, "--monitor", "mae"}},
        {wrong + ": 'input' has shape [2, 4, 3], expected token ids [N, T] in 0..6",
            new Object[] {"--steps", 2, "--validation", wrong}},
    };
    for (Object[] c : cases) {
      Cli.Result r = Cli.run(concat(concat(new Object[] {"train", spec, "--reference", "--data", data},
          (Object[]) c[1]), "--output", out));
      assertEquals(1, r.code(), r::toString);
      assertTrue(r.err().contains((String) c[0]), () -> c[0] + "\n" + r);
      assertEquals(1, r.err().strip().lines().count(), r::toString);
      assertFalse(Files.exists(out), "nothing is written");
    }
  }

  private static Object[] concat(Object[] first, Object... more) {
    Object[] all = new Object[first.length + more.length];
    System.arraycopy(first, 0, all, 0, first.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }
}
