package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.ModelConfig;
import java.util.Map;

/**
 * The four arrays of one layer and direction (or their gradients), PyTorch layout: {@code wih
 * [G*H, in]}, {@code whh [G*H, H]}, {@code bih}, {@code bhh [G*H]}. Row-wise helpers keep the cell code
 * close to the formulas: a cell asks for one gate row's affine value and pushes one row's delta back.
 */
final class LayerWeights {
  final double[] wih;
  final double[] whh;
  final double[] bih;
  final double[] bhh;
  final int inputSize;
  final int hidden;

  private LayerWeights(double[] wih, double[] whh, double[] bih, double[] bhh, int inputSize, int hidden) {
    this.wih = wih;
    this.whh = whh;
    this.bih = bih;
    this.bhh = bhh;
    this.inputSize = inputSize;
    this.hidden = hidden;
  }

  /** Views of the arrays of layer {@code layer}, direction {@code dir} in {@code arrays} (by PyTorch name). */
  static LayerWeights of(Map<String, double[]> arrays, ModelConfig config, int layer, int dir) {
    return new LayerWeights(arrays.get(ModelConfig.weightIh(layer, dir)), arrays.get(ModelConfig.weightHh(layer, dir)),
        arrays.get(ModelConfig.biasIh(layer, dir)), arrays.get(ModelConfig.biasHh(layer, dir)),
        config.layerInputSize(layer), config.hidden());
  }

  /** {@code W_ih[row]·x + b_ih[row]}. */
  double ih(int row, double[] x) {
    double sum = bih[row];
    for (int k = 0; k < inputSize; k++) {
      sum += wih[row * inputSize + k] * x[k];
    }
    return sum;
  }

  /** {@code W_hh[row]·v + b_hh[row]}. */
  double hh(int row, double[] v) {
    double sum = bhh[row];
    for (int k = 0; k < hidden; k++) {
      sum += whh[row * hidden + k] * v[k];
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
    for (int k = 0; k < hidden; k++) {
      g.whh[row * hidden + k] += delta * v[k];
      dv[k] += delta * whh[row * hidden + k];
    }
  }
}
