package dev.rnnc.runtime.train;

import dev.rnnc.runtime.NamedParameters;
import dev.rnnc.runtime.RnncException;
import java.util.List;

/**
 * Gradient clipping as {@code torch.nn.utils.clip_grad_norm_} (L2) and {@code clip_grad_value_}.
 *
 * <p>The {@code float[][]} forms allocate nothing (a training loop resolves its gradient arrays once); the
 * {@link NamedParameters} forms are conveniences that look the arrays up on each call.
 */
public final class GradientClipping {
  /** Added to the norm before dividing, as torch does, so an all-zero gradient is not divided by zero. */
  public static final double NORM_EPSILON = 1e-6;

  private GradientClipping() {}

  /**
   * Scales all gradients together by {@code min(1, maxNorm / (total + 1e-6))}, total being the L2 norm of all
   * of them as one vector (accumulated in double).
   *
   * @return the total norm before clipping (NaN or infinite when a gradient is; the gradients then become
   *     NaN, as in torch)
   * @throws RnncException when {@code maxNorm} is not a positive finite number
   */
  public static double clipNorm(NamedParameters grads, double maxNorm) {
    return clipNorm(arrays(grads), maxNorm);
  }

  /** {@link #clipNorm(NamedParameters, double)} over gradient arrays. */
  public static double clipNorm(float[][] grads, double maxNorm) {
    if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
      throw new RnncException("invalid gradient clipping norm: " + maxNorm + " (must be a finite number > 0)");
    }
    double total = totalNorm(grads);
    double coefficient = Math.min(1.0, maxNorm / (total + NORM_EPSILON)); // NaN stays NaN, as torch.clamp
    if (coefficient != 1.0) {
      float scale = (float) coefficient;
      for (float[] grad : grads) {
        for (int j = 0; j < grad.length; j++) {
          grad[j] *= scale;
        }
      }
    }
    return total;
  }

  /** The L2 norm of all gradients as one vector, accumulated in double. */
  public static double totalNorm(float[][] grads) {
    double sum = 0;
    for (float[] grad : grads) {
      for (float g : grad) {
        sum += (double) g * g;
      }
    }
    return Math.sqrt(sum);
  }

  /**
   * Clamps every gradient value into {@code [-clip, clip]} (NaN stays NaN, as {@code torch.clamp}).
   *
   * @throws RnncException when {@code clip} is negative or not finite
   */
  public static void clipValue(NamedParameters grads, double clip) {
    clipValue(arrays(grads), clip);
  }

  /** {@link #clipValue(NamedParameters, double)} over gradient arrays. */
  public static void clipValue(float[][] grads, double clip) {
    if (!(clip >= 0) || Double.isInfinite(clip)) {
      throw new RnncException("invalid gradient clipping value: " + clip + " (must be a finite number >= 0)");
    }
    float hi = (float) clip;
    float lo = -hi;
    for (float[] grad : grads) {
      for (int j = 0; j < grad.length; j++) {
        float g = grad[j];
        if (g > hi) {
          grad[j] = hi;
        } else if (g < lo) {
          grad[j] = lo;
        }
      }
    }
  }

  /** The live arrays of every parameter, in name order. */
  static float[][] arrays(NamedParameters parameters) {
    List<String> names = parameters.names();
    float[][] arrays = new float[names.size()][];
    for (int i = 0; i < arrays.length; i++) {
      arrays[i] = parameters.get(names.get(i));
    }
    return arrays;
  }
}
