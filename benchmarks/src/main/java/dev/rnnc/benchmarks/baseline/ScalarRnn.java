package dev.rnnc.benchmarks.baseline;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import java.util.Arrays;

/**
 * Vanilla RNN cell as torch.nn.RNN: {@code h' = act(W_ih·x + b_ih + W_hh·h + b_hh)}, act tanh or relu.
 * Weights stay in PyTorch's row-major {@code [H, in]} and {@code [H, H]} layout.
 */
public final class ScalarRnn implements ScalarCell {
  private final int inputSize;
  private final int hiddenSize;
  private final boolean relu;
  private final float[] weightIh;
  private final float[] weightHh;
  private final float[] biasIh;
  private final float[] biasHh;
  /** The pre-activations: h is read by every row, so it cannot be overwritten until all rows are done. */
  private final float[] sums;
  private final float[] h;

  public ScalarRnn(ModelParameters parameters) {
    ModelConfig config = parameters.config();
    inputSize = config.inputSize();
    hiddenSize = config.hidden();
    relu = config.nonlinearity() == ModelConfig.Nonlinearity.RELU;
    weightIh = parameters.get(ModelConfig.weightIh(0, 0)).clone();
    weightHh = parameters.get(ModelConfig.weightHh(0, 0)).clone();
    biasIh = parameters.get(ModelConfig.biasIh(0, 0)).clone();
    biasHh = parameters.get(ModelConfig.biasHh(0, 0)).clone();
    sums = new float[hiddenSize];
    h = new float[hiddenSize];
  }

  @Override
  public void reset() {
    Arrays.fill(h, 0f);
  }

  @Override
  public void step(float[] x, int offset) {
    int in = inputSize;
    int hid = hiddenSize;
    for (int r = 0; r < hid; r++) {
      float sum = biasIh[r] + biasHh[r];
      for (int k = 0; k < in; k++) {
        sum += weightIh[r * in + k] * x[offset + k];
      }
      for (int k = 0; k < hid; k++) {
        sum += weightHh[r * hid + k] * h[k];
      }
      sums[r] = sum;
    }
    for (int j = 0; j < hid; j++) {
      h[j] = relu ? Math.max(0f, sums[j]) : ScalarCell.tanh(sums[j]);
    }
  }

  @Override
  public float[] hidden() {
    return h;
  }
}
