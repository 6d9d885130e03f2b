package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.DropoutMask;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped at any step and resumed from its checkpoint by a new trainer (as a new process would) ends with the
 * weights of an uninterrupted run, bit for bit: same batches, dropout masks, learning rates, carried
 * truncated-BPTT state and early-stopping decisions.
 */
class ResumeTest {
  @TempDir
  Path dir;

  /** Two stacked LSTM layers with dropout between them (so the masks matter), ragged sequences. */
  private static ModelConfig config(int truncate) {
    return ModelConfig.builder(ModelConfig.Cell.LSTM).input(2).hidden(6).layers(2)
        .head(2, ModelConfig.HeadActivation.SOFTMAX).limits(3, 7)
        .training(new ModelConfig.TrainingConfig(ModelConfig.Loss.CROSS_ENTROPY, 0.3, truncate)).build();
  }

  /** A fresh trainer for the run, as a new process would build it. */
  private static Trainer trainer(ModelConfig config, Dataset data) {
    ModelParameters params = ModelParameters.initialize(config, 5);
    Trainer trainer = new Trainer(new ReferenceModel(params, 3, 7), params, Adam.adam(0.05), data,
        Trainer.Options.miniBatches(3, 11).withClipNorm(1));
    trainer.setLearningRateSchedule(LearningRateSchedule.cosine(20, 0.1).withWarmup(3));
    return trainer;
  }

  private static Trainer.Fit fit(Dataset validation, int patience) {
    return Trainer.Fit.steps(20).validation(validation).evalEvery(2).earlyStopping(Metric.LOSS, patience, 0);
  }

  @Test
  void stoppingAtAnyStepAndResumingGivesTheUninterruptedWeights() {
    for (int truncate : new int[] {0, 3}) {
      ModelConfig config = config(truncate);
      Dataset all = Problems.echo(config, 10, 7, 4, true);
      Dataset data = all.rows(0, 8);
      Dataset validation = all.rows(8, 10);
      Trainer straight = trainer(config, data);
      Trainer.Summary expected = straight.fit(fit(validation, 0), null);
      assertEquals(20, expected.steps());
      assertEquals(Trainer.StopReason.COMPLETED, expected.reason());
      for (int stopAt = 1; stopAt < 20; stopAt += truncate == 0 ? 3 : 2) {
        Path file = dir.resolve("t" + truncate + "-" + stopAt + ".safetensors");
        Trainer first = trainer(config, data);
        int at = stopAt;
        Trainer.Summary interrupted = first.fit(fit(validation, 0).checkpoints(0, t -> t.saveCheckpoint(file)),
            (step, loss, rate) -> {
              if (step == at) {
                first.requestStop();
              }
            });
        assertEquals(Trainer.StopReason.INTERRUPTED, interrupted.reason());
        assertEquals(stopAt, interrupted.steps());
        Trainer resumed = trainer(config, data);
        resumed.resume(file);
        Trainer.Summary rest = resumed.fit(fit(validation, 0), null);
        assertEquals(20, rest.steps());
        assertSameWeights(straight, resumed, "truncate " + truncate + ", stopped after step " + stopAt);
        assertEquals(expected.bestStep(), rest.bestStep());
        assertEquals(expected.train().get(Metric.LOSS), rest.train().get(Metric.LOSS), 0.0,
            "the running training figures continue too");
      }
    }
  }

  @Test
  void earlyStoppingDecisionsSurviveAResume() {
    ModelConfig config = config(0);
    Dataset all = Problems.echo(config, 10, 7, 4, true);
    Dataset data = all.rows(0, 8);
    // Validation on data the model cannot learn (random targets): the loss soon stops improving.
    Dataset noise = Problems.echo(config, 6, 7, 99, false);
    Trainer straight = trainer(config, data);
    Trainer.Summary expected = straight.fit(fit(noise, 2), null);
    assertEquals(Trainer.StopReason.EARLY_STOPPED, expected.reason(), "the test needs a run that stops early");
    assertTrue(expected.steps() < 20);
    int evaluations = expected.evaluations().size();
    assertEquals(expected.steps(), expected.evaluations().get(evaluations - 1).step());
    assertTrue(expected.evaluations().get(evaluations - 1).step() - expected.bestStep() == 4,
        "two evaluations (every 2 steps) without improvement");

    Path file = dir.resolve("early.safetensors");
    Trainer first = trainer(config, data);
    first.fit(fit(noise, 2).checkpoints(0, t -> t.saveCheckpoint(file)), (step, loss, rate) -> {
      if (step == expected.steps() - 1) {
        first.requestStop();
      }
    });
    Trainer resumed = trainer(config, data);
    resumed.resume(file);
    Trainer.Summary rest = resumed.fit(fit(noise, 2).checkpoints(0, t -> t.saveCheckpoint(file)), null);
    assertEquals(Trainer.StopReason.EARLY_STOPPED, rest.reason());
    assertEquals(expected.steps(), rest.steps());
    assertSameWeights(straight, resumed, "early stopping");
    assertEquals(expected.best().get(Metric.LOSS), rest.best().get(Metric.LOSS), 0.0);

    // A run that stopped early stays stopped when resumed again.
    Trainer again = trainer(config, data);
    again.resume(file);
    Trainer.Summary none = again.fit(fit(noise, 2), null);
    assertEquals(Trainer.StopReason.EARLY_STOPPED, none.reason());
    assertEquals(expected.steps(), none.steps());
  }

  @Test
  void resumingWithOtherSettingsOrDataIsRefused() {
    ModelConfig config = config(0);
    Dataset data = Problems.echo(config, 8, 7, 4, true);
    Path file = dir.resolve("c.safetensors");
    Trainer first = trainer(config, data);
    first.train(3, null);
    first.saveCheckpoint(file);
    ModelParameters params = ModelParameters.initialize(config, 5);
    Supplier<Trainer> otherSeed = () -> new Trainer(new ReferenceModel(params, 3, 7), params, Adam.adam(0.05), data,
        Trainer.Options.miniBatches(3, 12));
    RnncException seed = assertThrows(RnncException.class, () -> otherSeed.get().resume(file));
    assertTrue(seed.getMessage().contains("was trained with seed 11 and batch size 3"), seed.getMessage());
    Dataset other = Problems.echo(config, 8, 7, 5, true);
    RnncException moved = assertThrows(RnncException.class, () -> trainer(config, other).resume(file));
    assertTrue(moved.getMessage().contains("was trained on other data"), moved.getMessage());
    assertArrayEquals(ModelParameters.initialize(config, 5).get("head.bias"), params.get("head.bias"),
        "a refused resume changes nothing");
  }

  @Test
  void aResumedStepDrawsTheMasksOfItsStepNumber() {
    for (long call : new long[] {0, 1, 7, 123456789L, -1}) {
      long seed = 0x1234_5678_9ABCL * (call + 3);
      long reseeded = DropoutMask.seedForCall(seed, call);
      for (int layer = 1; layer < 3; layer++) {
        for (int b = 0; b < 3; b++) {
          for (int t = 0; t < 4; t++) {
            for (int f = 0; f < 5; f++) {
              assertEquals(DropoutMask.value(seed, call, layer, b, t, f, 0.5),
                  DropoutMask.value(reseeded, 0, layer, b, t, f, 0.5));
            }
          }
        }
      }
    }
  }

  private static void assertSameWeights(Trainer expected, Trainer actual, String what) {
    for (String name : expected.parameters().names()) {
      assertArrayEquals(expected.parameters().get(name), actual.parameters().get(name), what + ": " + name);
    }
    assertEquals(expected.optimizer().state().keySet(), actual.optimizer().state().keySet());
  }
}
