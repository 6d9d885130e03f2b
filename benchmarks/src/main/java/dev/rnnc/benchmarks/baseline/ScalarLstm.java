package dev.rnnc.benchmarks.baseline;

import static dev.rnnc.benchmarks.baseline.ScalarCell.sigmoid;
import static dev.rnnc.benchmarks.baseline.ScalarCell.tanh;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import java.util.Arrays;

/**
 * LSTM cell as torch.nn.LSTM: gates {@code [i f g o] = W_ih·x + b_ih + W_hh·h + b_hh}, {@code c' = f*c + i*g},
 * {@code h' = o*tanh(c')}. Weights stay in PyTorch's row-major {@code [4H, in]} and {@code [4H, H]} layout.
 */
public final class ScalarLstm implements ScalarCell {
  private final int inputSize;
  private final int hiddenSize;
  private final float[] weightIh;
  private final float[] weightHh;
  private final float[] biasIh;
  private final float[] biasHh;
  private final float[] gates;
  private final float[] h;
  private final float[] c;

  public ScalarLstm(ModelParameters parameters) {
    ModelConfig config = parameters.config();
    inputSize = config.inputSize();
    hiddenSize = config.hidden();
    weightIh = parameters.get(ModelConfig.weightIh(0, 0)).clone();
    weightHh = parameters.get(ModelConfig.weightHh(0, 0)).clone();
    biasIh = parameters.get(ModelConfig.biasIh(0, 0)).clone();
    biasHh = parameters.get(ModelConfig.biasHh(0, 0)).clone();
    gates = new float[4 * hiddenSize];
    h = new float[hiddenSize];
    c = new float[hiddenSize];
  }

  @Override
  public void reset() {
    Arrays.fill(h, 0f);
    Arrays.fill(c, 0f);
  }

  @Override
  public void step(float[] x, int offset) {
    int in = inputSize;
    int hid = hiddenSize;
    for (int r = 0; r < 4 * hid; r++) {
      float sum = biasIh[r] + biasHh[r];
      for (int k = 0; k < in; k++) {
        sum += weightIh[r * in + k] * x[offset + k];
      }
      for (int k = 0; k < hid; k++) {
        sum += weightHh[r * hid + k] * h[k];
      }
      gates[r] = sum;
    }
    for (int j = 0; j < hid; j++) {
      float i = sigmoid(gates[j]);
      float f = sigmoid(gates[hid + j]);
      float g = tanh(gates[2 * hid + j]);
      float o = sigmoid(gates[3 * hid + j]);
      c[j] = f * c[j] + i * g;
      h[j] = o * tanh(c[j]);
    }
  }

  @Override
  public float[] hidden() {
    return h;
  }
}
