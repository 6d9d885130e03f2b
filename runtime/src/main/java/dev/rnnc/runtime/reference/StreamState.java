package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.ModelConfig;
import java.util.Arrays;

/**
 * Step-by-step inference of one unidirectional sequence: each call runs every layer's cell once, layer
 * {@code l} reading layer {@code l-1}'s new h, and applies the head to the last layer's h. The same cell
 * code as the batch passes, so T steps equal a forward over those T steps.
 */
final class StreamState {
  private final ReferenceCell cell;
  private final LayerWeights[] layers;
  private final ReferenceHead head;
  private final int hidden;
  private final int stateSize;

  private final double[][] h;
  private final double[][] c;
  private final double[] newH;
  private final double[] newC;
  private final double[] saved;
  private final double[] logits;
  private final double[] prediction;

  private final float[] outputView;
  private final float[] logitsView;
  private final float[] predictionView;
  private final float[] hiddenView;
  private final float[] cellView;

  StreamState(ModelConfig config, ReferenceCell cell, LayerWeights[] layers, ReferenceHead head) {
    this.cell = cell;
    this.layers = layers;
    this.head = head;
    this.hidden = config.hidden();
    this.stateSize = config.stateSize();
    this.h = new double[config.layers()][stateSize];
    this.c = new double[config.layers()][hidden];
    this.newH = new double[stateSize];
    this.newC = new double[hidden];
    this.saved = new double[cell.savedSize()];
    int k = config.headSize();
    this.logits = new double[k];
    this.prediction = new double[k];
    this.outputView = new float[stateSize];
    this.logitsView = head == null ? null : new float[k];
    this.predictionView = head == null ? null : new float[k];
    this.hiddenView = new float[config.layers() * stateSize];
    this.cellView = config.hasCellState() ? new float[config.layers() * hidden] : null;
    publish();
  }

  void reset() {
    for (int l = 0; l < layers.length; l++) {
      Arrays.fill(h[l], 0);
      Arrays.fill(c[l], 0);
    }
    Arrays.fill(logits, 0);
    Arrays.fill(prediction, 0);
    publish();
  }

  /**
   * Sets h {@code [layers, S]} and c {@code [layers, H]} (zeros when {@code c0} is null) of every layer; S is
   * P with an LSTM projection, else H.
   */
  void set(float[] h0, float[] c0) {
    for (int l = 0; l < layers.length; l++) {
      for (int j = 0; j < stateSize; j++) {
        h[l][j] = h0[l * stateSize + j];
      }
      for (int j = 0; j < hidden; j++) {
        c[l][j] = c0 == null ? 0 : c0[l * hidden + j];
      }
    }
    publish();
  }

  /** Advances every layer one step on the layer-0 input {@code x}. */
  void step(double[] x) {
    for (int l = 0; l < layers.length; l++) {
      double[] input = l == 0 ? x : h[l - 1];
      cell.forward(layers[l], input, h[l], c[l], newH, newC, saved);
      System.arraycopy(newH, 0, h[l], 0, stateSize);
      System.arraycopy(newC, 0, c[l], 0, hidden);
    }
    if (head != null) {
      head.forward(h[layers.length - 1], 0, logits, prediction, 0);
    }
    publish();
  }

  private void publish() {
    int last = layers.length - 1;
    for (int l = 0; l < layers.length; l++) {
      for (int j = 0; j < stateSize; j++) {
        hiddenView[l * stateSize + j] = (float) h[l][j];
      }
      for (int j = 0; cellView != null && j < hidden; j++) {
        cellView[l * hidden + j] = (float) c[l][j];
      }
    }
    System.arraycopy(hiddenView, last * stateSize, outputView, 0, stateSize);
    if (head != null) {
      for (int k = 0; k < logits.length; k++) {
        logitsView[k] = (float) logits[k];
        predictionView[k] = (float) prediction[k];
      }
    }
  }

  float[] output() {
    return outputView;
  }

  float[] logits() {
    return logitsView;
  }

  float[] prediction() {
    return predictionView;
  }

  float[] hiddenState() {
    return hiddenView;
  }

  float[] cellState() {
    return cellView;
  }
}
