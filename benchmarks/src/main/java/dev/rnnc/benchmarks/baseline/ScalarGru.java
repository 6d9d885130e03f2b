package dev.rnnc.benchmarks.baseline;

import static dev.rnnc.benchmarks.baseline.ScalarCell.sigmoid;
import static dev.rnnc.benchmarks.baseline.ScalarCell.tanh;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import java.util.Arrays;

/**
 * GRU cell as torch.nn.GRU (reset gate after the recurrent product): {@code r, z = σ(W_i·x + b_i + W_h·h + b_h)},
 * {@code n = tanh(W_in·x + b_in + r*(W_hn·h + b_hn))}, {@code h' = (1-z)*n + z*h}. Weights stay in PyTorch's
 * row-major {@code [3H, in]} and {@code [3H, H]} layout.
 */
public final class ScalarGru implements ScalarCell {
  private final int inputSize;
  private final int hiddenSize;
  private final float[] weightIh;
  private final float[] weightHh;
  private final float[] biasIh;
  private final float[] biasHh;
  /** W_ih·x + b_ih, then W_hh·h + b_hh: kept apart because r scales only the recurrent candidate part. */
  private final float[] inputGates;
  private final float[] hiddenGates;
  private final float[] h;

  public ScalarGru(ModelParameters parameters) {
    ModelConfig config = parameters.config();
    inputSize = config.inputSize();
    hiddenSize = config.hidden();
    weightIh = parameters.get(ModelConfig.weightIh(0, 0)).clone();
    weightHh = parameters.get(ModelConfig.weightHh(0, 0)).clone();
    biasIh = parameters.get(ModelConfig.biasIh(0, 0)).clone();
    biasHh = parameters.get(ModelConfig.biasHh(0, 0)).clone();
    inputGates = new float[3 * hiddenSize];
    hiddenGates = new float[3 * hiddenSize];
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
    for (int r = 0; r < 3 * hid; r++) {
      float fromInput = biasIh[r];
      for (int k = 0; k < in; k++) {
        fromInput += weightIh[r * in + k] * x[offset + k];
      }
      float fromHidden = biasHh[r];
      for (int k = 0; k < hid; k++) {
        fromHidden += weightHh[r * hid + k] * h[k];
      }
      inputGates[r] = fromInput;
      hiddenGates[r] = fromHidden;
    }
    for (int j = 0; j < hid; j++) {
      float reset = sigmoid(inputGates[j] + hiddenGates[j]);
      float update = sigmoid(inputGates[hid + j] + hiddenGates[hid + j]);
      float candidate = tanh(inputGates[2 * hid + j] + reset * hiddenGates[2 * hid + j]);
      h[j] = (1f - update) * candidate + update * h[j];
    }
  }

  @Override
  public float[] hidden() {
    return h;
  }
}
