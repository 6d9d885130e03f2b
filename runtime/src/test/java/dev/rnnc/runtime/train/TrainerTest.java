package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerTest {

  private static Trainer trainer(ModelConfig config, Dataset data, Optimizer optimizer, Trainer.Options options,
      long initSeed) {
    ModelParameters params = ModelParameters.initialize(config, initSeed);
    ReferenceModel model = new ReferenceModel(params, config.maxBatch(), config.maxLength());
    return new Trainer(model, params, optimizer, data, options);
  }

  @Test
  void fullBatchAdamLearnsTheEchoTask() {
    ModelConfig config = Problems.echoConfig(ModelConfig.Cell.GRU, 6, 16, 0);
    Dataset data = Problems.echo(config, 16, 6, 1, false);
    Trainer trainer = trainer(config, data, Adam.adam(0.05), Trainer.Options.fullBatch(), 7);
    double initial = trainer.evaluate();
    List<Double> losses = new ArrayList<>();
    trainer.train(150, (step, loss, rate) -> losses.add(loss));
    double trained = trainer.evaluate();
    assertEquals(150, losses.size());
    assertEquals(initial, losses.get(0), 1e-6, "the first step's loss is the loss of the initial weights");
    assertTrue(trained < 0.1 * initial, "loss " + initial + " -> " + trained);
    assertEquals(150, trainer.steps());
    assertEquals(150, trainer.epochs());
  }

  @Test
  void miniBatchesAreSeededPerRun() {
    ModelConfig config = Problems.echoConfig(ModelConfig.Cell.LSTM, 5, 4, 0);
    Dataset data = Problems.echo(config, 10, 5, 2, true);
    Trainer a = trainer(config, data, new Sgd(0.5, 0.9, 0, false, 0), Trainer.Options.miniBatches(4, 42), 3);
    Trainer b = trainer(config, data, new Sgd(0.5, 0.9, 0, false, 0), Trainer.Options.miniBatches(4, 42), 3);
    Trainer c = trainer(config, data, new Sgd(0.5, 0.9, 0, false, 0), Trainer.Options.miniBatches(4, 43), 3);
    double initial = a.evaluate();
    // 10 sequences in batches of 4: 4, 4 and the partial 2 make an epoch of 3 steps.
    a.trainEpochs(2, null);
    assertEquals(6, a.steps());
    assertEquals(2, a.epochs());
    b.train(6, null);
    c.train(6, null);
    for (String name : config.parameterNames()) {
      assertArrayEquals(a.parameters().get(name), b.parameters().get(name), name + ": same seed, same run");
    }
    assertNotEquals(a.evaluate(), c.evaluate(), "another seed visits the sequences in another order");
    a.trainEpochs(60, null);
    assertTrue(a.evaluate() < 0.3 * initial, initial + " -> " + a.evaluate());
  }

  @Test
  void resumingSkipsTheBatchesAlreadySeen() {
    ModelConfig config = Problems.echoConfig(ModelConfig.Cell.GRU, 4, 3, 0);
    Dataset data = Problems.echo(config, 7, 4, 5, false);
    Trainer straight = trainer(config, data, Adam.adam(0.01), Trainer.Options.miniBatches(3, 9), 1);
    straight.train(5, null);
    Trainer first = trainer(config, data, Adam.adam(0.01), Trainer.Options.miniBatches(3, 9), 1);
    first.train(2, null);
    ModelParameters params = first.parameters().copy();
    Optimizer optimizer = Adam.adam(0.01);
    optimizer.loadState(first.optimizer().state());
    Trainer resumed = new Trainer(new ReferenceModel(params, 3, 4), params, optimizer, data,
        Trainer.Options.miniBatches(3, 9));
    resumed.skipBatches(first.batchesDone());
    resumed.train(3, null);
    assertEquals(5, resumed.steps());
    for (String name : config.parameterNames()) {
      assertArrayEquals(straight.parameters().get(name), resumed.parameters().get(name), name);
    }
  }

  @Test
  void nonFiniteLossNamesTheStepAndUpdatesNothing() {
    ModelConfig config = Problems.echoConfig(ModelConfig.Cell.GRU, 6, 16, 0);
    float[] input = new float[16 * 6 * 2];
    Dataset clean = Problems.echo(config, 16, 6, 1, false);
    System.arraycopy(clean.input(), 0, input, 0, input.length);
    Dataset data = new Dataset(config, 16, 6, input, null, null, clean.classTargets(), null, null, null);
    Trainer trainer = trainer(config, data, Adam.adam(0.01), Trainer.Options.fullBatch(), 7);
    trainer.train(16, null);
    ModelParameters before = trainer.parameters().copy();
    java.util.Map<String, dev.rnnc.runtime.io.Tensor> stateBefore = trainer.optimizer().state();
    input[5] = Float.NaN; // the data goes bad after the dataset was checked
    RnncException e = assertThrows(RnncException.class, trainer::step);
    assertEquals("step 17: loss is NaN — exploding gradients? try --clip-norm or a lower learning rate",
        e.getMessage());
    for (String name : config.parameterNames()) {
      assertArrayEquals(before.get(name), trainer.parameters().get(name), name + " must not change");
    }
    assertEquals(16, trainer.steps());
    assertEquals(stateBefore, trainer.optimizer().state());
  }

  @Test
  void clippingBoundsTheUpdate() {
    ModelConfig config = Problems.echoConfig(ModelConfig.Cell.GRU, 6, 16, 0);
    Dataset data = Problems.echo(config, 16, 6, 1, false);
    Trainer clipped = trainer(config, data, new Sgd(1.0), Trainer.Options.fullBatch().withClipNorm(1e-3), 7);
    ModelParameters before = clipped.parameters().copy();
    clipped.step();
    assertTrue(clipped.lastGradientNorm() > 1e-3, "the test needs a gradient larger than the limit");
    double moved = 0;
    for (String name : config.parameterNames()) {
      float[] a = before.get(name);
      float[] b = clipped.parameters().get(name);
      for (int i = 0; i < a.length; i++) {
        moved += (double) (a[i] - b[i]) * (a[i] - b[i]);
      }
    }
    // SGD with lr 1 moves the weights by exactly the clipped gradient.
    assertEquals(1e-3, Math.sqrt(moved), 1e-6);
  }

  @Test
  void truncatedWindowsCarryTheStateExactly() {
    // Evaluation runs the same windows as training; with carried state its loss must be the full-sequence loss.
    ModelConfig full = Problems.echoConfig(ModelConfig.Cell.LSTM, 8, 5, 0);
    ModelConfig windowed = Problems.echoConfig(ModelConfig.Cell.LSTM, 3, 5, 3);
    Dataset fullData = Problems.echo(full, 5, 8, 11, true);
    Dataset windowData = Problems.echo(windowed, 5, 8, 11, true);
    double fullLoss = trainer(full, fullData, new Sgd(0.1), Trainer.Options.fullBatch(), 4).evaluate();
    double windowLoss = trainer(windowed, windowData, new Sgd(0.1), Trainer.Options.fullBatch(), 4).evaluate();
    assertEquals(fullLoss, windowLoss, 1e-6 * fullLoss);
  }

  @Test
  void truncatedTrainingStepsOncePerWindowAndLearns() {
    ModelConfig config = Problems.echoConfig(ModelConfig.Cell.GRU, 4, 8, 4);
    Dataset data = Problems.echo(config, 8, 10, 3, false);
    Trainer trainer = trainer(config, data, Adam.adam(0.05), Trainer.Options.fullBatch(), 2);
    double initial = trainer.evaluate();
    trainer.trainEpochs(1, null);
    assertEquals(3, trainer.steps(), "10 steps in windows of 4: 4, 4, 2");
    trainer.trainEpochs(60, null);
    assertTrue(trainer.evaluate() < 0.1 * initial, initial + " -> " + trainer.evaluate());
  }

  @Test
  void rejectsSettingsThatDoNotFit() {
    ModelConfig config = Problems.echoConfig(ModelConfig.Cell.GRU, 6, 4, 0);
    Dataset data = Problems.echo(config, 10, 6, 1, false);
    RnncException tooBig = assertThrows(RnncException.class,
        () -> trainer(config, data, new Sgd(0.1), Trainer.Options.fullBatch(), 1));
    assertTrue(tooBig.getMessage().contains("max_batch 4"), tooBig.getMessage());
    ModelConfig bidirectional = new ModelConfig(ModelConfig.Cell.GRU, null, null, 2, 0, 4, 1, true,
        ModelConfig.Mode.MANY_TO_MANY, 2, ModelConfig.HeadActivation.SOFTMAX, 3, 4,
        new ModelConfig.TrainingConfig(ModelConfig.Loss.CROSS_ENTROPY, 0, 3));
    Dataset biData = Problems.echo(bidirectional, 4, 6, 1, false);
    RnncException truncate = assertThrows(RnncException.class,
        () -> trainer(bidirectional, biData, new Sgd(0.1), Trainer.Options.fullBatch(), 1));
    assertTrue(truncate.getMessage().contains("truncate"), truncate.getMessage());
  }
}
