package dev.rnnc.runtime;

/**
 * Training losses as PyTorch computes them with reduction 'mean' over valid elements, with their
 * gradient: what generated training code calls between its forward and backward passes. The loss is
 * O(batch·steps·K), cheap beside the recurrence, so it is computed plainly (in double, written as float)
 * and allocates nothing.
 *
 * <p>Layouts: with {@code perStep} (many-to-many) values are {@code [batch, steps, width]} and class
 * targets {@code [batch, steps]}; otherwise (many-to-one) values are {@code [batch, width]} and class
 * targets {@code [batch]}. A position {@code (b, t)} is valid when {@code t < lengths[b]}; N is the
 * number of valid positions and K = {@code width}. Gradients are written for every position in the region
 * in use, exactly 0 at padded ones; targets at padded positions are never read.
 */
public final class Losses {

  private Losses() {}

  /**
   * Computes {@code loss} and writes its gradient with respect to {@code logits}.
   *
   * @param activation head activation that made {@code prediction} from {@code logits} (only mse looks
   *                   through it); {@link ModelConfig.HeadActivation#LINEAR} when there is no head
   * @param logits     head logits, or the compared output/features when there is no head
   * @param prediction activation of {@code logits} (mse only; may be {@code logits} itself when linear)
   * @param gradient   receives dLoss/dlogits, same layout as {@code logits}
   * @return the mean loss
   */
  public static float compute(ModelConfig.Loss loss, ModelConfig.HeadActivation activation, float[] logits,
      float[] prediction, int batch, int steps, int[] lengths, int width, boolean perStep, int[] classTargets,
      float[] valueTargets, float[] gradient) {
    switch (loss) {
      case CROSS_ENTROPY:
        return crossEntropy(logits, batch, steps, lengths, width, perStep, classTargets, gradient);
      case BCE:
        return binaryCrossEntropy(logits, batch, steps, lengths, width, perStep, valueTargets, gradient);
      case MSE:
        return meanSquaredError(activation, prediction, batch, steps, lengths, width, perStep, valueTargets,
            gradient);
      default:
        throw new IllegalArgumentException("unknown loss " + loss);
    }
  }

  /**
   * Mean over valid positions of {@code -log_softmax(logits)[target]}; gradient
   * {@code (softmax(logits) - onehot(target)) / N}.
   *
   * @throws RnncException when a valid position's class target is outside {@code [0, width)}
   */
  public static float crossEntropy(float[] logits, int batch, int steps, int[] lengths, int width,
      boolean perStep, int[] targets, float[] gradient) {
    checkRegion(logits, gradient, batch, steps, lengths, width, perStep);
    requireTargets(targets, batch * (perStep ? steps : 1), "class");
    int n = validPositions(batch, steps, lengths, perStep);
    double sum = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < positionsPerSequence(steps, perStep); t++) {
        int pos = perStep ? b * steps + t : b;
        int off = pos * width;
        if (perStep && t >= length(lengths, b, steps)) {
          zero(gradient, off, width);
          continue;
        }
        int target = targets[pos];
        if (target < 0 || target >= width) {
          throw new RnncException("class target " + target + " of sequence " + b + (perStep ? ", step " + t : "")
              + " is outside [0, " + width + ")");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < width; k++) {
          max = Math.max(max, logits[off + k]);
        }
        double norm = 0;
        for (int k = 0; k < width; k++) {
          norm += Math.exp(logits[off + k] - max);
        }
        double logNorm = max + Math.log(norm);
        sum += logNorm - logits[off + target];
        for (int k = 0; k < width; k++) {
          double softmax = Math.exp(logits[off + k] - logNorm);
          gradient[off + k] = (float) ((softmax - (k == target ? 1 : 0)) / n);
        }
      }
    }
    return (float) (sum / n);
  }

  /**
   * {@code Σ BCE-with-logits(logits, target) / (N·K)}, each term
   * {@code max(x, 0) - x·y + log(1 + exp(-|x|))}; gradient {@code (σ(x) - y) / (N·K)}.
   */
  public static float binaryCrossEntropy(float[] logits, int batch, int steps, int[] lengths, int width,
      boolean perStep, float[] targets, float[] gradient) {
    checkRegion(logits, gradient, batch, steps, lengths, width, perStep);
    requireTargets(targets, batch * (perStep ? steps : 1) * width, "value");
    double count = (double) validPositions(batch, steps, lengths, perStep) * width;
    double sum = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < positionsPerSequence(steps, perStep); t++) {
        int off = (perStep ? b * steps + t : b) * width;
        boolean valid = !perStep || t < length(lengths, b, steps);
        for (int k = off; k < off + width; k++) {
          if (!valid) {
            gradient[k] = 0f;
            continue;
          }
          double x = logits[k];
          double y = targets[k];
          sum += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
          gradient[k] = (float) ((sigmoid(x) - y) / count);
        }
      }
    }
    return (float) (sum / count);
  }

  /**
   * {@code Σ (prediction - target)² / (N·K)}; the gradient is taken through {@code activation} back to
   * the logits: identity (linear, or no head), {@code p(1-p)} (sigmoid) or the softmax Jacobian.
   */
  public static float meanSquaredError(ModelConfig.HeadActivation activation, float[] prediction, int batch,
      int steps, int[] lengths, int width, boolean perStep, float[] targets, float[] gradient) {
    checkRegion(prediction, gradient, batch, steps, lengths, width, perStep);
    requireTargets(targets, batch * (perStep ? steps : 1) * width, "value");
    double count = (double) validPositions(batch, steps, lengths, perStep) * width;
    double sum = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < positionsPerSequence(steps, perStep); t++) {
        int off = (perStep ? b * steps + t : b) * width;
        if (perStep && t >= length(lengths, b, steps)) {
          zero(gradient, off, width);
          continue;
        }
        for (int k = off; k < off + width; k++) {
          double diff = (double) prediction[k] - targets[k];
          sum += diff * diff;
          gradient[k] = (float) (2 * diff / count);
        }
        throughActivation(activation, prediction, gradient, off, width);
      }
    }
    return (float) (sum / count);
  }

  /** Turns dL/dprediction (in {@code gradient}) into dL/dlogits for one position. */
  private static void throughActivation(ModelConfig.HeadActivation activation, float[] prediction,
      float[] gradient, int off, int width) {
    if (activation == ModelConfig.HeadActivation.SIGMOID) {
      for (int k = off; k < off + width; k++) {
        double p = prediction[k];
        gradient[k] = (float) (gradient[k] * p * (1 - p));
      }
    } else if (activation == ModelConfig.HeadActivation.SOFTMAX) {
      double dot = 0;
      for (int k = off; k < off + width; k++) {
        dot += (double) prediction[k] * gradient[k];
      }
      for (int k = off; k < off + width; k++) {
        gradient[k] = (float) (prediction[k] * (gradient[k] - dot));
      }
    }
  }

  private static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  private static int positionsPerSequence(int steps, boolean perStep) {
    return perStep ? steps : 1;
  }

  private static int length(int[] lengths, int b, int steps) {
    return lengths == null ? steps : lengths[b];
  }

  private static int validPositions(int batch, int steps, int[] lengths, boolean perStep) {
    if (!perStep) {
      return batch;
    }
    int n = 0;
    for (int b = 0; b < batch; b++) {
      n += length(lengths, b, steps);
    }
    return n;
  }

  private static void zero(float[] a, int off, int width) {
    for (int k = off; k < off + width; k++) {
      a[k] = 0f;
    }
  }

  private static void checkRegion(float[] values, float[] gradient, int batch, int steps, int[] lengths,
      int width, boolean perStep) {
    if (batch < 1 || steps < 1 || width < 1) {
      throw new IllegalArgumentException(
          "batch, steps and width must be positive, got " + batch + ", " + steps + ", " + width);
    }
    long size = (long) batch * (perStep ? steps : 1) * width;
    if (values == null || gradient == null || values.length < size || gradient.length < size) {
      throw new IllegalArgumentException("loss input and gradient arrays need " + size + " elements");
    }
    if (lengths != null) {
      if (lengths.length < batch) {
        throw new IllegalArgumentException("lengths has " + lengths.length + " entries for batch " + batch);
      }
      for (int b = 0; b < batch; b++) {
        if (lengths[b] < 1 || lengths[b] > steps) {
          throw new IllegalArgumentException(
              "length of sequence " + b + " is " + lengths[b] + ", must be in [1, " + steps + "]");
        }
      }
    }
  }

  private static void requireTargets(int[] targets, long size, String kind) {
    requireTargetCount(targets == null ? -1 : targets.length, size, kind);
  }

  private static void requireTargets(float[] targets, long size, String kind) {
    requireTargetCount(targets == null ? -1 : targets.length, size, kind);
  }

  /** Targets come from the user's data set, so a missing or short array is a user error. */
  private static void requireTargetCount(int length, long size, String kind) {
    if (length < 0) {
      throw new RnncException("the loss needs " + kind + " targets, none were given");
    }
    if (length < size) {
      throw new RnncException(kind + " targets have " + length + " elements, the batch needs " + size);
    }
  }
}
