package dev.rnnc.benchmarks;

import dev.rnnc.benchmarks.baseline.ScalarCell;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.VectorSupport;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.function.ObjIntConsumer;
import java.util.function.Supplier;

/**
 * Setup-time checks that what a benchmark is about to time computes the right thing: its results must match
 * the runtime's {@link ReferenceModel} (double precision) within the project's golden tolerances. A mismatch
 * throws, and JMH then reports the benchmark as failed instead of timing it.
 */
final class Agreement {
  private Agreement() {}

  /** Forward tolerances of the golden tests: |expected − actual| ≤ abs + rel·|expected|. */
  static final double FORWARD_ABS = 1e-5;
  static final double FORWARD_REL = 1e-4;
  /** Gradient tolerances of the golden tests. */
  static final double GRADIENT_ABS = 1e-4;
  static final double GRADIENT_REL = 1e-3;

  /** Steps stepped on both sides before comparing every step's output. */
  static final int CHECK_STEPS = 16;

  /** Refuses to time generated classes on their scalar fallback (the fork lacks the Vector API module). */
  static void requireVectorKernels() {
    if (!VectorSupport.available()) {
      throw new IllegalStateException("generated classes would run their scalar fallback: start the JVM with "
          + "--add-modules=jdk.incubator.vector and without -Drnnc.vector=false");
    }
  }

  /** A generated streaming model stepped over {@code inputs} matches the reference; its state is reset after. */
  static void requireSteps(String what, ModelParameters parameters, float[] inputs, StreamingModel model) {
    model.resetState();
    requireSteps(what, parameters, inputs, model::step, model::stepOutput);
    model.resetState();
  }

  /** A scalar baseline cell stepped over {@code inputs} matches the reference; its state is reset after. */
  static void requireSteps(String what, ModelParameters parameters, float[] inputs, ScalarCell cell) {
    cell.reset();
    requireSteps(what, parameters, inputs, cell::step, cell::hidden);
    cell.reset();
  }

  /** Sequences of a larger batch held to the reference (rows are independent; a double-precision reference over
   * all 64 rows of LSTM 512→1024 would take a minute of setup). */
  static final int CHECK_SEQUENCES = 2;

  /**
   * A whole-sequence forward over {@code steps} steps of {@code batch} sequences ({@code inputs} batch first)
   * matches the reference's output, final hidden and cell states on the first {@link #CHECK_SEQUENCES} sequences.
   */
  static void requireForward(String what, ModelParameters parameters, float[] inputs, int batch, int steps,
      RnnModel model) {
    int checked = Math.min(batch, CHECK_SEQUENCES);
    ReferenceModel reference = new ReferenceModel(parameters, checked, steps);
    reference.forward(inputs, checked, steps, null, null, null);
    model.forward(inputs, batch, steps, null, null, null);
    int outputs = checked * steps * parameters.config().featureSize();
    requireClose(what + " forward output", copy(reference.output(), outputs), copy(model.output(), outputs),
        FORWARD_ABS, FORWARD_REL);
    int states = checked * parameters.config().hidden();
    requireClose(what + " final hidden state", copy(reference.hN(), states), copy(model.hN(), states),
        FORWARD_ABS, FORWARD_REL);
    if (reference.cN() != null) {
      requireClose(what + " final cell state", copy(reference.cN(), states), copy(model.cN(), states),
          FORWARD_ABS, FORWARD_REL);
    }
  }

  /** Loss and every parameter gradient of one training batch match the reference. */
  static void requireGradients(String what, ModelParameters parameters, Batch batch, TrainableModel model) {
    ReferenceModel reference = new ReferenceModel(parameters, batch.batch, batch.steps);
    float expectedLoss = reference.computeGradients(batch);
    float loss = model.computeGradients(batch);
    requireClose(what + " loss", new float[] {expectedLoss}, new float[] {loss}, FORWARD_ABS, FORWARD_REL);
    for (String name : parameters.names()) {
      requireClose(what + " gradient of " + name, reference.gradients().get(name), model.gradients().get(name),
          GRADIENT_ABS, GRADIENT_REL);
    }
  }

  private static void requireSteps(String what, ModelParameters parameters, float[] inputs,
      ObjIntConsumer<float[]> step, Supplier<float[]> output) {
    int inputSize = parameters.config().inputSize();
    int hidden = parameters.config().hidden();
    ReferenceModel reference = new ReferenceModel(parameters, 1, CHECK_STEPS);
    float[] expected = new float[CHECK_STEPS * hidden];
    float[] actual = new float[CHECK_STEPS * hidden];
    for (int t = 0; t < CHECK_STEPS; t++) {
      reference.step(inputs, t * inputSize);
      System.arraycopy(reference.stepOutput(), 0, expected, t * hidden, hidden);
      step.accept(inputs, t * inputSize);
      System.arraycopy(output.get(), 0, actual, t * hidden, hidden);
    }
    requireClose(what + " step outputs", expected, actual, FORWARD_ABS, FORWARD_REL);
  }

  private static float[] copy(float[] values, int count) {
    return java.util.Arrays.copyOf(values, count);
  }

  static void requireClose(String what, float[] expected, float[] actual, double abs, double rel) {
    if (expected.length != actual.length) {
      throw new IllegalStateException(what + ": " + actual.length + " values, the reference has " + expected.length);
    }
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs((double) expected[i] - actual[i]);
      if (!(diff <= abs + rel * Math.abs(expected[i]))) {
        throw new IllegalStateException(what + " disagree with the reference model at index " + i + ": expected "
            + expected[i] + ", got " + actual[i] + " (tolerance " + abs + " + " + rel + "·|expected|)");
      }
    }
  }
}
