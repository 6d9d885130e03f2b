package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.ModelConfig;
import java.util.Map;

/** The linear head: {@code logits = W·f + b}, prediction = identity, sigmoid or softmax of the logits. */
final class ReferenceHead {
  private final double[] weight;
  private final double[] bias;
  private final double[] weightGradient;
  private final double[] biasGradient;
  private final int inputs;
  private final int outputs;
  private final ModelConfig.HeadActivation activation;

  ReferenceHead(ModelConfig config, Map<String, double[]> parameters, Map<String, double[]> gradients) {
    this.weight = parameters.get(ModelConfig.HEAD_WEIGHT);
    this.bias = parameters.get(ModelConfig.HEAD_BIAS);
    this.weightGradient = gradients.get(ModelConfig.HEAD_WEIGHT);
    this.biasGradient = gradients.get(ModelConfig.HEAD_BIAS);
    this.inputs = config.featureSize();
    this.outputs = config.headSize();
    this.activation = config.headActivation();
  }

  /** Logits and prediction at {@code out} of the features at {@code f[fOffset ..]}. */
  void forward(double[] f, int fOffset, double[] logits, double[] prediction, int out) {
    for (int k = 0; k < outputs; k++) {
      double sum = bias[k];
      for (int i = 0; i < inputs; i++) {
        sum += weight[k * inputs + i] * f[fOffset + i];
      }
      logits[out + k] = sum;
    }
    activate(logits, prediction, out);
  }

  private void activate(double[] logits, double[] prediction, int out) {
    switch (activation) {
      case LINEAR:
        System.arraycopy(logits, out, prediction, out, outputs);
        break;
      case SIGMOID:
        for (int k = out; k < out + outputs; k++) {
          prediction[k] = 1 / (1 + Math.exp(-logits[k]));
        }
        break;
      case SOFTMAX:
        double max = Double.NEGATIVE_INFINITY;
        for (int k = out; k < out + outputs; k++) {
          max = Math.max(max, logits[k]);
        }
        double sum = 0;
        for (int k = out; k < out + outputs; k++) {
          prediction[k] = Math.exp(logits[k] - max);
          sum += prediction[k];
        }
        for (int k = out; k < out + outputs; k++) {
          prediction[k] /= sum;
        }
        break;
      default:
        throw new IllegalStateException("unknown activation " + activation);
    }
  }

  /** Adds the head's parameter gradients for dLoss/dlogits at {@code dLogits[out ..]}, and W^T·dLogits into {@code df}. */
  void backward(double[] f, int fOffset, double[] dLogits, int out, double[] df, int dfOffset) {
    for (int k = 0; k < outputs; k++) {
      double d = dLogits[out + k];
      biasGradient[k] += d;
      for (int i = 0; i < inputs; i++) {
        weightGradient[k * inputs + i] += d * f[fOffset + i];
        df[dfOffset + i] += d * weight[k * inputs + i];
      }
    }
  }
}
