package dev.rnnc.runtime;

/**
 * A model that also runs backpropagation through time. A call allocates nothing: gradient arrays are
 * the instance's own, sized on construction, and overwritten by the next call.
 */
public interface TrainableModel extends RnnModel {

  /**
   * Forward pass, loss ({@code config().training().loss()}, mean over valid elements as PyTorch's
   * default reduction) and backward pass over one batch.
   *
   * @return the loss
   */
  float computeGradients(Batch batch);

  /** Gradients of the last {@link #computeGradients} by PyTorch parameter name, in PyTorch layout. */
  ModelParameters gradients();

  /** Gradient of the loss with respect to the dense input {@code [batch, steps, inputSize]}; null for token input. */
  float[] inputGradient();

  /**
   * Gradient with respect to h0 {@code [layers*dirs, batch, S]} (S = {@link ModelConfig#stateSize()}; the zero
   * state when none was given).
   */
  float[] h0Gradient();

  /** Gradient with respect to c0 {@code [layers*dirs, batch, H]}, or null for cells without a cell state. */
  float[] c0Gradient();

  /** Copies new parameter values in (after an optimiser step), repacking them as the kernels need. */
  void setParameters(ModelParameters parameters);

  /** Seeds the dropout masks between stacked layers (used only when the spec's dropout is above 0). */
  void setDropoutSeed(long seed);
}
