package dev.rnnc.loader;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.TrainableModel;

/** A trainable model passing every call to another; tests override what they want to change. */
class ForwardingModel implements TrainableModel {
  private final TrainableModel model;

  ForwardingModel(TrainableModel model) {
    this.model = model;
  }

  @Override public ModelConfig config() { return model.config(); }
  @Override public int maxBatch() { return model.maxBatch(); }
  @Override public int maxLength() { return model.maxLength(); }
  @Override public void forward(float[] input, int batch, int steps, int[] lengths, float[] h0, float[] c0) {
    model.forward(input, batch, steps, lengths, h0, c0);
  }
  @Override public void forwardTokens(int[] tokens, int batch, int steps, int[] lengths, float[] h0, float[] c0) {
    model.forwardTokens(tokens, batch, steps, lengths, h0, c0);
  }
  @Override public float[] output() { return model.output(); }
  @Override public float[] hN() { return model.hN(); }
  @Override public float[] cN() { return model.cN(); }
  @Override public float[] features() { return model.features(); }
  @Override public float[] logits() { return model.logits(); }
  @Override public float[] prediction() { return model.prediction(); }
  @Override public float computeGradients(Batch batch) { return model.computeGradients(batch); }
  @Override public ModelParameters gradients() { return model.gradients(); }
  @Override public float[] inputGradient() { return model.inputGradient(); }
  @Override public float[] h0Gradient() { return model.h0Gradient(); }
  @Override public float[] c0Gradient() { return model.c0Gradient(); }
  @Override public void setParameters(ModelParameters parameters) { model.setParameters(parameters); }
  @Override public void setDropoutSeed(long seed) { model.setDropoutSeed(seed); }
}
