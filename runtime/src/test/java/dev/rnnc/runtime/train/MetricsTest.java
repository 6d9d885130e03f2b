package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Validation figures: {@link Trainer#evaluate(Dataset)} (forward pass only, in batches, windows for long
 * sequences) against the loss the model computes over the whole set as one batch and against metrics computed
 * here by hand; which metrics each task gets; learning-rate schedules.
 */
class MetricsTest {

  private static ModelConfig.TrainingConfig loss(ModelConfig.Loss loss) {
    return new ModelConfig.TrainingConfig(loss, 0, 0);
  }

  /** A random dataset of 7 ragged sequences of 5 steps for any config. */
  private static Dataset dataset(ModelConfig config, long seed, int size, int steps) {
    SplittableRandom r = new SplittableRandom(seed);
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    int positions = perStep ? size * steps : size;
    float[] input = config.hasEmbedding() ? null : new float[size * steps * config.inputSize()];
    int[] tokens = config.hasEmbedding() ? new int[size * steps] : null;
    if (input != null) {
      for (int i = 0; i < input.length; i++) {
        input[i] = (float) r.nextGaussian();
      }
    } else {
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = r.nextInt(config.vocab());
      }
    }
    int[] lengths = new int[size];
    for (int n = 0; n < size; n++) {
      lengths[n] = 1 + r.nextInt(steps);
    }
    int[] classes = null;
    float[] values = null;
    if (config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY) {
      classes = new int[positions];
      for (int i = 0; i < positions; i++) {
        classes[i] = r.nextInt(config.outputSize());
      }
    } else {
      values = new float[positions * config.outputSize()];
      for (int i = 0; i < values.length; i++) {
        values[i] = config.training().loss() == ModelConfig.Loss.BCE ? r.nextInt(2) : (float) r.nextGaussian();
      }
    }
    return new Dataset(config, size, steps, input, tokens, lengths, classes, values, null, null);
  }

  private static final List<ModelConfig> CONFIGS = List.of(
      ModelConfig.builder(ModelConfig.Cell.GRU).input(3).hidden(5).bidirectional(true)
          .mode(ModelConfig.Mode.MANY_TO_ONE).head(4, ModelConfig.HeadActivation.SOFTMAX).limits(7, 5)
          .training(loss(ModelConfig.Loss.CROSS_ENTROPY)).build(),
      ModelConfig.builder(ModelConfig.Cell.LSTM).embedding(6, 3).hidden(5).layers(2)
          .head(6, ModelConfig.HeadActivation.LINEAR).limits(7, 5)
          .training(loss(ModelConfig.Loss.CROSS_ENTROPY)).build(),
      ModelConfig.builder(ModelConfig.Cell.RNN).input(2).hidden(4)
          .head(3, ModelConfig.HeadActivation.SIGMOID).limits(7, 5)
          .training(loss(ModelConfig.Loss.BCE)).build(),
      ModelConfig.builder(ModelConfig.Cell.GRU).input(2).hidden(4).mode(ModelConfig.Mode.MANY_TO_ONE)
          .limits(7, 5).training(loss(ModelConfig.Loss.MSE)).build(),
      ModelConfig.builder(ModelConfig.Cell.LSTM).input(2).hidden(4)
          .head(2, ModelConfig.HeadActivation.SIGMOID).limits(7, 5).training(loss(ModelConfig.Loss.MSE)).build());

  @Test
  void validationFiguresAreThoseOfTheWholeSetAsOneBatch() {
    for (ModelConfig config : CONFIGS) {
      Dataset data = dataset(config, 3, 7, 5);
      ModelParameters params = ModelParameters.initialize(config, 1);
      // Batches of 3: the evaluation runs 3 + 3 + 1 sequences.
      Trainer trainer = new Trainer(new ReferenceModel(params, 3, 5), params, new Sgd(0.1), data,
          Trainer.Options.miniBatches(3, 0));
      Scores scores = trainer.evaluate(data);
      assertEquals(Metric.forModel(config), scores.metrics(), config.toString());

      ReferenceModel whole = new ReferenceModel(params, 7, 5);
      Batch all = new Batch();
      all.batch = 7;
      all.steps = 5;
      all.input = data.input();
      all.tokens = data.tokens();
      all.lengths = lengths(data);
      all.classTargets = data.classTargets();
      all.valueTargets = data.valueTargets();
      double expectedLoss = whole.computeGradients(all);
      assertEquals(expectedLoss, scores.get(Metric.LOSS), 1e-6 * Math.abs(expectedLoss), config.toString());
      assertEquals(expectedLoss, trainer.evaluate(), 1e-6 * Math.abs(expectedLoss));

      boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
      float[] logits = config.hasHead() ? whole.logits() : whole.features();
      float[] prediction = config.hasHead() ? whole.prediction() : logits;
      int k = config.outputSize();
      double hits = 0;
      double judged = 0;
      double absolute = 0;
      for (int b = 0; b < 7; b++) {
        for (int t = 0; t < (perStep ? data.length(b) : 1); t++) {
          int position = perStep ? b * 5 + t : b;
          switch (config.training().loss()) {
            case CROSS_ENTROPY -> {
              int best = 0;
              for (int c = 1; c < k; c++) {
                best = logits[position * k + c] > logits[position * k + best] ? c : best;
              }
              hits += best == data.classTargets()[position] ? 1 : 0;
              judged++;
            }
            case BCE -> {
              for (int c = 0; c < k; c++) {
                boolean positive = logits[position * k + c] > 0;
                hits += positive == (data.valueTargets()[position * k + c] == 1f) ? 1 : 0;
                judged++;
              }
            }
            case MSE -> {
              for (int c = 0; c < k; c++) {
                absolute += Math.abs(prediction[position * k + c] - data.valueTargets()[position * k + c]);
                judged++;
              }
            }
            default -> throw new IllegalStateException();
          }
        }
      }
      if (scores.has(Metric.ACCURACY)) {
        assertEquals(hits / judged, scores.get(Metric.ACCURACY), 1e-12, config.toString());
      }
      if (scores.has(Metric.MAE)) {
        assertEquals(absolute / judged, scores.get(Metric.MAE), 1e-6, config.toString());
        assertEquals(scores.get(Metric.LOSS), scores.get(Metric.MSE), 0.0);
      }
      if (scores.has(Metric.PERPLEXITY)) {
        assertEquals(Math.exp(expectedLoss), scores.get(Metric.PERPLEXITY), 1e-6 * Math.exp(expectedLoss));
        assertEquals(expectedLoss / Math.log(2), scores.get(Metric.BITS_PER_TOKEN), 1e-6);
      }
    }
  }

  private static int[] lengths(Dataset data) {
    int[] lengths = new int[data.size()];
    for (int n = 0; n < lengths.length; n++) {
      lengths[n] = data.length(n);
    }
    return lengths;
  }

  @Test
  void metricsFollowTheTask() {
    assertEquals(List.of(Metric.LOSS, Metric.ACCURACY), Metric.forModel(CONFIGS.get(0)));
    assertEquals(List.of(Metric.LOSS, Metric.ACCURACY, Metric.PERPLEXITY, Metric.BITS_PER_TOKEN),
        Metric.forModel(CONFIGS.get(1)));
    assertEquals(List.of(Metric.LOSS, Metric.ACCURACY), Metric.forModel(CONFIGS.get(2)));
    assertEquals(List.of(Metric.LOSS, Metric.MSE, Metric.MAE), Metric.forModel(CONFIGS.get(3)));
    assertEquals(Metric.BITS_PER_TOKEN, Metric.parse("bits_per_token"));
    RnncException e = assertThrows(RnncException.class, () -> Metric.parse("f1"));
    assertTrue(e.getMessage().contains("loss, accuracy, perplexity, bits_per_token, mse, mae"), e.getMessage());
  }

  @Test
  void longSequencesAreEvaluatedInWindowsWithTheStateCarried() {
    ModelConfig config = CONFIGS.get(1);
    Dataset longer = dataset(config, 8, 7, 11);
    ModelParameters params = ModelParameters.initialize(config, 2);
    Dataset training = dataset(config, 9, 7, 4);
    Trainer windowed = new Trainer(new ReferenceModel(params, 3, 4), params, new Sgd(0.1), training,
        Trainer.Options.miniBatches(3, 0));
    Trainer whole = new Trainer(new ReferenceModel(params, 3, 11), params, new Sgd(0.1), training,
        Trainer.Options.miniBatches(3, 0));
    Scores a = windowed.evaluate(longer);
    Scores b = whole.evaluate(longer);
    for (Metric metric : a.metrics()) {
      assertEquals(b.get(metric), a.get(metric), 1e-6 * Math.abs(b.get(metric)), metric.label());
    }
    ModelConfig manyToOne = CONFIGS.get(0);
    ModelParameters p0 = ModelParameters.initialize(manyToOne, 2);
    Trainer cannot = new Trainer(new ReferenceModel(p0, 3, 4), p0, new Sgd(0.1), dataset(manyToOne, 1, 7, 4),
        Trainer.Options.miniBatches(3, 0));
    RnncException e = assertThrows(RnncException.class, () -> cannot.evaluate(dataset(manyToOne, 2, 7, 9)));
    assertTrue(e.getMessage().contains("cannot be evaluated in windows"), e.getMessage());
  }

  @Test
  void trainingFiguresAreRunningMeansOfTheSteps() {
    ModelConfig config = CONFIGS.get(2);
    Dataset data = dataset(config, 5, 7, 5);
    ModelParameters params = ModelParameters.initialize(config, 4);
    Trainer trainer = new Trainer(new ReferenceModel(params, 7, 5), params, new Sgd(0.0), data,
        Trainer.Options.fullBatch());
    assertNull(trainer.trainingScores());
    Scores before = trainer.evaluate(data);
    trainer.train(3, null);
    // With a learning rate of 0 every step sees the same weights: the running figures are the set's own.
    Scores running = trainer.trainingScores();
    assertEquals(before.get(Metric.LOSS), running.get(Metric.LOSS), 1e-6);
    assertEquals(before.get(Metric.ACCURACY), running.get(Metric.ACCURACY), 1e-12);
  }

  @Test
  void learningRateSchedules() {
    LearningRateSchedule step = LearningRateSchedule.step(10, 0.5);
    assertEquals(1.0, step.rate(1.0, 0));
    assertEquals(1.0, step.rate(1.0, 9));
    assertEquals(0.5, step.rate(1.0, 10));
    assertEquals(0.25, step.rate(1.0, 29));
    LearningRateSchedule cosine = LearningRateSchedule.cosine(110, 0.1).withWarmup(10);
    assertEquals(0.1, cosine.rate(1.0, 0), 1e-15, "warm-up starts at lr / W");
    assertEquals(1.0, cosine.rate(1.0, 9), 1e-15, "and reaches lr at its last step");
    assertEquals(1.0, cosine.rate(1.0, 10), 1e-15, "the cosine starts at lr");
    assertEquals(0.55, cosine.rate(1.0, 60), 1e-12, "half way: the mean of lr and the minimum");
    assertEquals(0.1, cosine.rate(1.0, 110), 1e-15, "the minimum at the end");
    assertEquals(0.1, cosine.rate(1.0, 500), 1e-15, "and after");
    assertEquals(2.0, LearningRateSchedule.constant().rate(2.0, 1234));
    assertThrows(RnncException.class, () -> LearningRateSchedule.step(0, 0.5));
    assertThrows(RnncException.class, () -> LearningRateSchedule.cosine(10, 0).withWarmup(10));
  }

  @Test
  void earlyStoppingNeedsAValidationSet() {
    ModelConfig config = CONFIGS.get(3);
    Dataset data = dataset(config, 5, 7, 5);
    ModelParameters params = ModelParameters.initialize(config, 4);
    Trainer trainer = new Trainer(new ReferenceModel(params, 7, 5), params, new Sgd(0.1), data,
        Trainer.Options.fullBatch());
    RnncException e = assertThrows(RnncException.class,
        () -> trainer.fit(Trainer.Fit.steps(3).earlyStopping(Metric.LOSS, 2, 0), null));
    assertTrue(e.getMessage().contains("needs a validation set"), e.getMessage());
    RnncException metric = assertThrows(RnncException.class, () -> trainer.fit(
        Trainer.Fit.steps(3).validation(data).earlyStopping(Metric.ACCURACY, 2, 0), null));
    assertTrue(metric.getMessage().contains("cannot monitor accuracy"), metric.getMessage());
    assertEquals(0, trainer.steps(), "nothing ran");
  }
}
