package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.ModelConfig;

/**
 * The training losses in double precision, mean over valid elements as PyTorch's default reduction, with
 * the gradient with respect to the logits (or, without a head, the compared output). Positions are
 * {@code (b, t)} rows for per-step (many-to-many) models, {@code b} for many-to-one; N counts the valid
 * ones, K is {@code width}.
 */
final class ReferenceLoss {
  private ReferenceLoss() {}

  /**
   * @param prediction the activation of {@code logits} (only mse reads it; it compares the prediction)
   * @param gradient   receives dLoss/dlogits, 0 at padded positions
   */
  static double compute(ModelConfig.Loss loss, ModelConfig.HeadActivation activation, double[] logits,
      double[] prediction, Region region, int width, boolean perStep, int[] classTargets, float[] valueTargets,
      double[] gradient) {
    int positions = region.batch * (perStep ? region.steps : 1);
    java.util.Arrays.fill(gradient, 0, positions * width, 0);
    double n = perStep ? region.validSteps() : region.batch;
    double sum = 0;
    for (int pos = 0; pos < positions; pos++) {
      if (perStep && !region.valid(pos / region.steps, pos % region.steps)) {
        continue;
      }
      int off = pos * width;
      switch (loss) {
        case CROSS_ENTROPY:
          sum += crossEntropy(logits, off, width, classTargets[pos], gradient, n);
          break;
        case BCE:
          sum += binaryCrossEntropy(logits, off, width, valueTargets, gradient, n * width);
          break;
        case MSE:
          sum += squaredError(activation, prediction, off, width, valueTargets, gradient, n * width);
          break;
        default:
          throw new IllegalStateException("unknown loss " + loss);
      }
    }
    return loss == ModelConfig.Loss.CROSS_ENTROPY ? sum / n : sum / (n * width);
  }

  /** {@code -log_softmax(x)[target]}; gradient {@code (softmax(x) - onehot) / n}. */
  private static double crossEntropy(double[] x, int off, int width, int target, double[] gradient, double n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = off; k < off + width; k++) {
      max = Math.max(max, x[k]);
    }
    double sum = 0;
    for (int k = off; k < off + width; k++) {
      sum += Math.exp(x[k] - max);
    }
    double logSumExp = max + Math.log(sum);
    for (int k = 0; k < width; k++) {
      gradient[off + k] = (Math.exp(x[off + k] - logSumExp) - (k == target ? 1 : 0)) / n;
    }
    return logSumExp - x[off + target];
  }

  /** Σ_k {@code max(x,0) - x·y + log(1 + e^-|x|)}; gradient {@code (σ(x) - y) / count}. */
  private static double binaryCrossEntropy(double[] x, int off, int width, float[] y, double[] gradient,
      double count) {
    double sum = 0;
    for (int k = off; k < off + width; k++) {
      sum += Math.max(x[k], 0) - x[k] * y[k] + Math.log1p(Math.exp(-Math.abs(x[k])));
      gradient[k] = (1 / (1 + Math.exp(-x[k])) - y[k]) / count;
    }
    return sum;
  }

  /** Σ_k {@code (p - y)²}; gradient {@code 2(p - y)/count} taken back through the activation to the logits. */
  private static double squaredError(ModelConfig.HeadActivation activation, double[] p, int off, int width,
      float[] y, double[] gradient, double count) {
    double sum = 0;
    for (int k = off; k < off + width; k++) {
      double diff = p[k] - y[k];
      sum += diff * diff;
      gradient[k] = 2 * diff / count;
    }
    if (activation == ModelConfig.HeadActivation.SIGMOID) {
      for (int k = off; k < off + width; k++) {
        gradient[k] *= p[k] * (1 - p[k]);
      }
    } else if (activation == ModelConfig.HeadActivation.SOFTMAX) {
      // Softmax Jacobian: dL/dx_k = p_k (dL/dp_k - Σ_j p_j dL/dp_j).
      double dot = 0;
      for (int k = off; k < off + width; k++) {
        dot += p[k] * gradient[k];
      }
      for (int k = off; k < off + width; k++) {
        gradient[k] = p[k] * (gradient[k] - dot);
      }
    }
    return sum;
  }
}
