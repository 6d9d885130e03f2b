package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.ModelConfig;
import java.util.Arrays;
import java.util.Map;

/**
 * The arrays of one layer and direction (or their gradients), PyTorch layout: {@code wih [G*H, in]},
 * {@code whh [G*H, S]}, {@code bih}, {@code bhh [G*H]}, and for an LSTM with a projection {@code whr [P, H]},
 * with peepholes {@code wph [3, H]} (rows i, f, o); {@code whr}/{@code wph} are null when the model has none.
 * S, the width of h, is P with a projection and H otherwise. Row-wise helpers keep the cell code close to the
 * formulas: a cell asks for one gate row's affine value and pushes one row's delta back.
 */
final class LayerWeights {
  final double[] wih;
  final double[] whh;
  final double[] bih;
  final double[] bhh;
  final double[] whr;
  final double[] wph;
  final int inputSize;
  final int hidden;
  final int stateSize;

  private LayerWeights(double[] wih, double[] whh, double[] bih, double[] bhh, double[] whr, double[] wph,
      int inputSize, int hidden, int stateSize) {
    this.wih = wih;
    this.whh = whh;
    this.bih = bih;
    this.bhh = bhh;
    this.whr = whr;
    this.wph = wph;
    this.inputSize = inputSize;
    this.hidden = hidden;
    this.stateSize = stateSize;
  }

  /** Views of the arrays of layer {@code layer}, direction {@code dir} in {@code arrays} (by PyTorch name). */
  static LayerWeights of(Map<String, double[]> arrays, ModelConfig config, int layer, int dir) {
    return of(arrays, config, ModelConfig.RNN_MODULE, layer, dir);
  }

  /** As {@link #of(Map, ModelConfig, int, int)} for a recurrent module named {@code module} ({@code encoder.rnn}). */
  static LayerWeights of(Map<String, double[]> arrays, ModelConfig config, String module, int layer, int dir) {
    return new LayerWeights(
        arrays.get(ModelConfig.recurrentParameter(module, "weight_ih", layer, dir)),
        arrays.get(ModelConfig.recurrentParameter(module, "weight_hh", layer, dir)),
        arrays.get(ModelConfig.recurrentParameter(module, "bias_ih", layer, dir)),
        arrays.get(ModelConfig.recurrentParameter(module, "bias_hh", layer, dir)),
        config.hasProjection() ? arrays.get(ModelConfig.recurrentParameter(module, "weight_hr", layer, dir)) : null,
        config.peepholes() ? arrays.get(ModelConfig.recurrentParameter(module, "weight_ph", layer, dir)) : null,
        config.layerInputSize(layer), config.hidden(), config.stateSize());
  }

  /** {@code W_ih[row]·x + b_ih[row]}. */
  double ih(int row, double[] x) {
    double sum = bih[row];
    for (int k = 0; k < inputSize; k++) {
      sum += wih[row * inputSize + k] * x[k];
    }
    return sum;
  }

  /** {@code W_hh[row]·v + b_hh[row]} for a state {@code v} of width S. */
  double hh(int row, double[] v) {
    double sum = bhh[row];
    for (int k = 0; k < stateSize; k++) {
      sum += whh[row * stateSize + k] * v[k];
    }
    return sum;
  }

  /** Backward of {@link #ih} for a delta on its result: gradients into {@code g}, {@code dx += delta·W_ih[row]}. */
  void backIh(LayerWeights g, int row, double delta, double[] x, double[] dx) {
    g.bih[row] += delta;
    for (int k = 0; k < inputSize; k++) {
      g.wih[row * inputSize + k] += delta * x[k];
      dx[k] += delta * wih[row * inputSize + k];
    }
  }

  /** Backward of {@link #hh} for a delta on its result: gradients into {@code g}, {@code dv += delta·W_hh[row]}. */
  void backHh(LayerWeights g, int row, double delta, double[] v, double[] dv) {
    g.bhh[row] += delta;
    for (int k = 0; k < stateSize; k++) {
      g.whh[row * stateSize + k] += delta * v[k];
      dv[k] += delta * whh[row * stateSize + k];
    }
  }

  /** The projection {@code h = W_hr·m} of the H values {@code m} to P values. */
  void project(double[] m, double[] h) {
    for (int p = 0; p < stateSize; p++) {
      double sum = 0;
      for (int j = 0; j < hidden; j++) {
        sum += whr[p * hidden + j] * m[j];
      }
      h[p] = sum;
    }
  }

  /** Backward of {@link #project}: {@code g.whr += dh·mᵀ}, and {@code dm = W_hrᵀ·dh} (overwritten). */
  void backProject(LayerWeights g, double[] m, double[] dh, double[] dm) {
    Arrays.fill(dm, 0, hidden, 0);
    for (int p = 0; p < stateSize; p++) {
      double d = dh[p];
      for (int j = 0; j < hidden; j++) {
        g.whr[p * hidden + j] += d * m[j];
        dm[j] += d * whr[p * hidden + j];
      }
    }
  }
}
