package dev.rnnc.runtime.train;

import dev.rnnc.runtime.NamedParameters;
import dev.rnnc.runtime.RnncException;
import java.util.List;

/**
 * Guards a training step: a NaN or infinite loss or gradient means the run diverged, and applying the
 * update would silently poison every weight. Built once over a gradient set, a check allocates nothing
 * unless it fails.
 */
public final class NonFiniteCheck {
  /** What the user can do about it; appended to every failure message. */
  public static final String ADVICE = " — exploding gradients? try --clip-norm or a lower learning rate";

  private final String[] names;
  private final float[][] arrays;

  /** A check over the live arrays of {@code grads} (the arrays must stay the same objects). */
  public NonFiniteCheck(NamedParameters grads) {
    List<String> list = grads.names();
    this.names = list.toArray(new String[0]);
    this.arrays = new float[names.length][];
    for (int i = 0; i < names.length; i++) {
      arrays[i] = grads.get(names[i]);
    }
  }

  /**
   * @param step 1-based number of the step being checked, for the message
   * @throws RnncException "step N: loss is NaN — ..." or "step N: gradient of P is Infinity at flat index i — ..."
   */
  public void check(long step, double loss) {
    if (!Double.isFinite(loss)) {
      throw new RnncException("step " + step + ": loss is " + describe(loss) + ADVICE);
    }
    // A double sum of finite floats cannot overflow, and NaN/Inf propagate into it: one branch-free pass
    // decides, and only a failing step pays for locating the culprit.
    double sum = 0;
    for (float[] grad : arrays) {
      for (float g : grad) {
        sum += g;
      }
    }
    if (Double.isFinite(sum)) {
      return;
    }
    for (int i = 0; i < arrays.length; i++) {
      float[] grad = arrays[i];
      for (int j = 0; j < grad.length; j++) {
        if (!Float.isFinite(grad[j])) {
          throw new RnncException("step " + step + ": gradient of " + names[i] + " is " + describe(grad[j])
              + " at flat index " + j + ADVICE);
        }
      }
    }
  }

  /** Whether every value is finite. */
  public static boolean allFinite(float[] values) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  private static String describe(double value) {
    return Double.isNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
  }
}
