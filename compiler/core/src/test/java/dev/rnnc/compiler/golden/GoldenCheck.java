package dev.rnnc.compiler.golden;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Mode;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.io.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntPredicate;
import org.opentest4j.AssertionFailedError;

/**
 * Compares a model against a {@link GoldenCase}: forward results for every case, loss and gradients for cases
 * with a loss. Any {@link RnnModel} works (the reference model, a generated class), so every implementation is
 * held to the same expectations and tolerances.
 *
 * <p>A value passes when {@code |expected − actual| ≤ abs + rel·|expected|}; NaN never passes. The tolerances
 * are float32 arithmetic against PyTorch's float64 answer for the same float32 inputs; gradients accumulate over
 * more operations (all steps, layers and the batch) and get a wider band.
 */
public final class GoldenCheck {
  public static final double FORWARD_ABS = 1e-5;
  public static final double FORWARD_REL = 1e-4;
  public static final double GRADIENT_ABS = 1e-4;
  public static final double GRADIENT_REL = 1e-3;
  /** Absolute band of a gradient comparison relative to the tensor's largest magnitude (tighter than 1e-4). */
  public static final double GRADIENT_SCALED_ABS = 1e-3;

  /** Mismatching elements listed per tensor before the rest are only counted. */
  private static final int MAX_REPORTED = 5;

  private GoldenCheck() {}

  /**
   * Runs the case through {@code model} and fails listing every tensor that disagrees with PyTorch: forward
   * results always, then loss and gradients when the case has a loss (which requires a {@link TrainableModel}).
   *
   * <p>When all of that passes, the calls are repeated on the same instance: gradients must be overwritten,
   * not accumulated, and a forward pass after training must not see state left by earlier calls.
   */
  public static void check(GoldenCase c, RnnModel model) {
    Failures failures = new Failures();
    checkForward(c, model, failures);
    if (c.hasLoss()) {
      if (model instanceof TrainableModel) {
        checkGradients(c, (TrainableModel) model, failures);
        if (failures.none()) {
          failures.label = "second computeGradients call: ";
          checkGradients(c, (TrainableModel) model, failures);
        }
      } else {
        failures.add("the case has a loss but " + model.getClass().getName() + " is not a TrainableModel");
      }
    }
    if (failures.none()) {
      failures.label = "forward again on the same instance: ";
      checkForward(c, model, failures);
    }
    failures.throwIfAny(c);
  }

  /** {@link #check(GoldenCase, RnnModel)} on a model made from the case's parameters, e.g. a generated class. */
  public static void check(GoldenCase c, Function<ModelParameters, ? extends RnnModel> factory) {
    check(c, factory.apply(c.parameters()));
  }

  /** The forward half of {@link #check}: output, final states, features, logits and predictions. */
  public static void checkForward(GoldenCase c, RnnModel model) {
    Failures failures = new Failures();
    checkForward(c, model, failures);
    failures.throwIfAny(c);
  }

  /** The training half of {@link #check}: loss, parameter, input and initial-state gradients. */
  public static void checkGradients(GoldenCase c, TrainableModel model) {
    Failures failures = new Failures();
    checkGradients(c, model, failures);
    failures.throwIfAny(c);
  }

  private static void checkForward(GoldenCase c, RnnModel model, Failures failures) {
    ModelConfig config = c.config();
    if (!config.equals(model.config())) {
      failures.add("config differs: case " + config + ", model " + model.config());
    }
    Batch batch = c.batch();
    if (config.hasEmbedding()) {
      model.forwardTokens(batch.tokens, batch.batch, batch.steps, batch.lengths, batch.h0, batch.c0);
    } else {
      model.forward(batch.input, batch.batch, batch.steps, batch.lengths, batch.h0, batch.c0);
    }
    // Compared everywhere: output and logits are specified to be exactly 0 at padded steps.
    failures.forward(c, "output", model.output());
    failures.forward(c, "h_n", model.hN());
    if (config.hasCellState()) {
      failures.forward(c, "c_n", model.cN());
    } else {
      failures.expectNull("cN()", model.cN());
    }
    if (config.mode() == Mode.MANY_TO_ONE) {
      failures.forward(c, "features", model.features());
    } else {
      failures.expectNull("features()", model.features());
    }
    if (config.hasHead()) {
      failures.forward(c, "logits", model.logits());
      // RnnModel leaves the prediction at padded steps unspecified (activation of 0 logits, or 0), so only
      // valid steps are compared.
      IntPredicate valid = config.mode() == Mode.MANY_TO_MANY
          ? validSteps(c.lengths(), c.steps(), config.headSize()) : i -> true;
      failures.compare("prediction", c.tensor("prediction"), model.prediction(), valid, FORWARD_ABS, FORWARD_REL);
    } else {
      failures.expectNull("logits()", model.logits());
      failures.expectNull("prediction()", model.prediction());
    }
  }

  private static void checkGradients(GoldenCase c, TrainableModel model, Failures failures) {
    ModelConfig config = c.config();
    float loss = model.computeGradients(c.batch());
    failures.forward(c, "loss", new float[] {loss});
    ModelParameters gradients = model.gradients();
    for (String name : config.parameterNames()) {
      failures.gradient(c, "grad." + name, gradients.get(name));
    }
    if (config.hasEmbedding()) {
      failures.expectNull("inputGradient()", model.inputGradient());
    } else {
      failures.gradient(c, "grad.input", model.inputGradient());
    }
    failures.gradient(c, "grad.h0", model.h0Gradient());
    if (config.hasCellState()) {
      failures.gradient(c, "grad.c0", model.c0Gradient());
    } else {
      failures.expectNull("c0Gradient()", model.c0Gradient());
    }
  }

  /** Flat indices of {@code [batch, steps, width]} that lie at a valid step. */
  private static IntPredicate validSteps(int[] lengths, int steps, int width) {
    return i -> (i / width) % steps < lengths[i / (width * steps)];
  }

  /**
   * Fails unless the first {@code count} elements of {@code actual} match {@code expected}, listing the first
   * mismatches with their index and both values.
   */
  public static void assertClose(String what, float[] expected, float[] actual, int count, double abs, double rel) {
    String problem = mismatches(what, expected, actual, new int[] {count}, i -> true, abs, rel);
    if (problem != null) {
      throw new AssertionFailedError(problem);
    }
  }

  /**
   * A description of the mismatches over the elements of {@code shape} (row-major) that {@code include}
   * selects, or null when all match.
   */
  static String mismatches(String what, float[] expected, float[] actual, int[] shape, IntPredicate include,
      double abs, double rel) {
    int count = 1;
    for (int dim : shape) {
      count *= dim;
    }
    if (actual == null) {
      return what + ": expected " + count + " values but got null";
    }
    if (expected.length < count) {
      throw new IllegalArgumentException(what + ": only " + expected.length + " expected values for " + count);
    }
    if (actual.length < count) {
      return what + ": expected " + count + " values but the array has only " + actual.length;
    }
    int bad = 0;
    double worst = 0;
    StringBuilder listed = new StringBuilder();
    for (int i = 0; i < count; i++) {
      if (!include.test(i)) {
        continue;
      }
      double e = expected[i];
      double a = actual[i];
      double error = Math.abs(e - a);
      if (!(error <= abs + rel * Math.abs(e))) {
        bad++;
        worst = Double.isNaN(error) ? Double.NaN : Math.max(worst, error);
        if (bad <= MAX_REPORTED) {
          listed.append(String.format("%n    at %s: expected %.9g, actual %.9g (diff %.3g)",
              index(i, shape), e, a, error));
        }
      }
    }
    if (bad == 0) {
      return null;
    }
    return String.format("%s: %d of %d values differ beyond %.0e + %.0e*|expected| (largest diff %.3g)%s%s",
        what, bad, count, abs, rel, worst, listed, bad > MAX_REPORTED ? "\n    ..." : "");
  }

  /** Row-major multi-index of flat index {@code flat}, e.g. {@code [1, 4, 2]}. */
  private static String index(int flat, int[] shape) {
    int[] digits = new int[shape.length];
    int rest = flat;
    for (int d = shape.length - 1; d >= 0; d--) {
      digits[d] = shape[d] == 0 ? 0 : rest % shape[d];
      rest = shape[d] == 0 ? 0 : rest / shape[d];
    }
    return Arrays.toString(digits);
  }

  /** Collects every disagreement of one case so a failure shows all of them, not just the first. */
  private static final class Failures {
    private final List<String> messages = new ArrayList<>();
    /** Which call the messages are about, when the check repeats calls on one instance. */
    String label = "";

    void add(String message) {
      messages.add(label + message);
    }

    boolean none() {
      return messages.isEmpty();
    }

    void forward(GoldenCase c, String tensorName, float[] actual) {
      compare(tensorName, c.tensor(tensorName), actual, i -> true, FORWARD_ABS, FORWARD_REL);
    }

    void gradient(GoldenCase c, String tensorName, float[] actual) {
      // Mean-reduced losses give small gradients (median ~1e-3), so the absolute band of the tolerance
      // alone would let a wrong small gradient pass: the band also shrinks with the tensor's own scale.
      Tensor expected = c.tensor(tensorName);
      double scale = 0;
      for (float v : expected.toFloatArray()) {
        scale = Math.max(scale, Math.abs(v));
      }
      double abs = Math.min(GRADIENT_ABS, GRADIENT_SCALED_ABS * scale + 1e-7);
      compare(tensorName, expected, actual, i -> true, abs, GRADIENT_REL);
    }

    void compare(String what, Tensor expected, float[] actual, IntPredicate include, double abs, double rel) {
      String problem = mismatches(what, expected.toFloatArray(), actual, expected.shape(), include, abs, rel);
      if (problem != null) {
        add(problem);
      }
    }

    void expectNull(String what, Object actual) {
      if (actual != null) {
        add(what + " should be null for this model");
      }
    }

    void throwIfAny(GoldenCase c) {
      if (!messages.isEmpty()) {
        throw new AssertionFailedError("golden case " + c.name() + " (" + c.description() + ") disagrees with "
            + "PyTorch:\n  " + String.join("\n  ", messages) + "\n  spec:\n" + c.spec().indent(4));
      }
    }
  }
}
