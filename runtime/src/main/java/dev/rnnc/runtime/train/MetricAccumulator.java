package dev.rnnc.runtime.train;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Running sums behind {@link Scores}: adds batch after batch (allocating nothing) and turns the sums into metric
 * values on request. Losses are means over valid elements, so sums are weighted by valid positions (cross-entropy)
 * or valid positions × K (bce, mse), and the mean over several batches is the mean over all their elements.
 *
 * <p>The compared values are read from the model after a forward pass or a gradient computation over the batch:
 * its head logits (the output or features without a head) for cross-entropy and bce, its head prediction for mse,
 * laid out as the loss functions in {@link dev.rnnc.runtime.Losses} read them.
 */
final class MetricAccumulator {
  private final ModelConfig config;
  private final List<Metric> metrics;
  private final ModelConfig.Loss loss;
  private final boolean perStep;
  private final int width;

  private double lossSum;
  private double lossWeight;
  private double correct;
  private double judged;
  private double absoluteErrors;

  MetricAccumulator(ModelConfig config) {
    this.config = config;
    this.metrics = Metric.forModel(config);
    this.loss = config.training().loss();
    this.perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    this.width = config.outputSize();
  }

  void reset() {
    lossSum = 0;
    lossWeight = 0;
    correct = 0;
    judged = 0;
    absoluteErrors = 0;
  }

  boolean isEmpty() {
    return lossWeight == 0;
  }

  /**
   * Adds a batch after {@code model} computed it.
   *
   * @param batchLoss the batch's mean loss as the model computed it, or NaN to compute it here from the outputs
   */
  void add(RnnModel model, Batch batch, double batchLoss) {
    float[] logits = config.hasHead() ? model.logits() : perStep ? model.output() : model.features();
    float[] prediction = config.hasHead() ? model.prediction() : logits;
    int positions = perStep ? batch.steps : 1;
    boolean computeLoss = Double.isNaN(batchLoss);
    double sum = 0;
    long elements = 0;
    for (int b = 0; b < batch.batch; b++) {
      int valid = perStep ? batch.length(b) : 1;
      for (int t = 0; t < valid; t++) {
        int position = b * positions + t;
        int offset = position * width;
        switch (loss) {
          case CROSS_ENTROPY:
            sum += crossEntropy(logits, offset, batch.classTargets[position], computeLoss);
            elements++;
            break;
          case BCE:
            sum += binaryCrossEntropy(logits, batch.valueTargets, offset, computeLoss);
            elements += width;
            break;
          case MSE:
            sum += squaredErrors(prediction, batch.valueTargets, offset);
            elements += width;
            break;
          default:
            throw new IllegalStateException("unknown loss " + loss);
        }
      }
    }
    lossSum += computeLoss ? sum : batchLoss * elements;
    lossWeight += elements;
  }

  /** -log softmax(logits)[target] (when asked), and whether the largest logit is the target. */
  private double crossEntropy(float[] logits, int offset, int target, boolean computeLoss) {
    int best = 0;
    float max = logits[offset];
    for (int k = 1; k < width; k++) {
      if (logits[offset + k] > max) {
        max = logits[offset + k];
        best = k;
      }
    }
    judged++;
    if (best == target) {
      correct++;
    }
    if (!computeLoss) {
      return 0;
    }
    double norm = 0;
    for (int k = 0; k < width; k++) {
      norm += Math.exp((double) logits[offset + k] - max);
    }
    return max + Math.log(norm) - logits[offset + target];
  }

  private double binaryCrossEntropy(float[] logits, float[] targets, int offset, boolean computeLoss) {
    double sum = 0;
    for (int k = offset; k < offset + width; k++) {
      double x = logits[k];
      double y = targets[k];
      judged++;
      if ((x > 0) == (y >= 0.5)) {
        correct++;
      }
      if (computeLoss) {
        sum += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
      }
    }
    return sum;
  }

  /** Squared errors (the loss, always computed: it is cheap) and, on the side, absolute errors. */
  private double squaredErrors(float[] prediction, float[] targets, int offset) {
    double sum = 0;
    for (int k = offset; k < offset + width; k++) {
      double diff = (double) prediction[k] - targets[k];
      sum += diff * diff;
      absoluteErrors += Math.abs(diff);
    }
    return sum;
  }

  /** Mean loss so far (NaN when empty). */
  double loss() {
    return lossSum / lossWeight;
  }

  Scores scores() {
    Map<Metric, Double> values = new EnumMap<>(Metric.class);
    double mean = lossSum / lossWeight;
    for (Metric metric : metrics) {
      double value;
      switch (metric) {
        case LOSS:
        case MSE:
          value = mean;
          break;
        case ACCURACY:
          value = correct / judged;
          break;
        case PERPLEXITY:
          value = Math.exp(mean);
          break;
        case BITS_PER_TOKEN:
          value = mean / Math.log(2);
          break;
        case MAE:
          value = absoluteErrors / lossWeight;
          break;
        default:
          throw new IllegalStateException("unknown metric " + metric);
      }
      values.put(metric, value);
    }
    return new Scores(values);
  }

  /** The sums, for a checkpoint (exact, as hexadecimal doubles). */
  String save() {
    return Double.toHexString(lossSum) + "," + Double.toHexString(lossWeight) + "," + Double.toHexString(correct)
        + "," + Double.toHexString(judged) + "," + Double.toHexString(absoluteErrors);
  }

  /** Restores {@link #save}'s sums. */
  void restore(String saved) {
    String[] parts = saved.split(",");
    if (parts.length != 5) {
      throw new IllegalArgumentException("expected 5 sums, got '" + saved + "'");
    }
    lossSum = Double.parseDouble(parts[0]);
    lossWeight = Double.parseDouble(parts[1]);
    correct = Double.parseDouble(parts[2]);
    judged = Double.parseDouble(parts[3]);
    absoluteErrors = Double.parseDouble(parts[4]);
  }
}
