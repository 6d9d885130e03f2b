package dev.rnnc.runtime;

/**
 * Deterministic dropout masks between stacked layers, shared by the reference implementation and
 * generated code so both drop exactly the same units.
 *
 * <p>The mask element of sequence {@code b}, step {@code t}, feature {@code f} depends only on
 * {@code (seed, call, layer, b, t, f)} and {@code p}, never on the batch size or padded length, through
 * a counter-based hash:
 * <pre>
 *   base = mix(mix(mix(seed) ^ call) ^ layer)
 *   key  = (b &lt;&lt; 42) | (t &lt;&lt; 21) | f
 *   u    = (mix(base ^ key) &gt;&gt;&gt; 11) * 2^-53          // uniform in [0, 1)
 *   mask = u &lt; p ? 0 : (float) (1 / (1 - p))
 * </pre>
 * where {@code mix} is the splitmix64 step {@code z += 0x9E3779B97F4A7C15; z = (z ^ (z >>> 30)) *
 * 0xBF58476D1CE4E5B9; z = (z ^ (z >>> 27)) * 0x94D049BB133111EB; return z ^ (z >>> 31)}.
 *
 * <p>Conventions every trainable model follows: {@code layer} is the index of the layer whose
 * <em>input</em> is masked (1..layers-1; the mask multiplies layer {@code layer-1}'s output
 * {@code [batch, steps, dirs*H]}); {@code seed} is the one given to
 * {@link TrainableModel#setDropoutSeed} (0 by default); {@code call} counts the
 * {@link TrainableModel#computeGradients} calls since the seed was set, starting at 0.
 */
public final class DropoutMask {

  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private DropoutMask() {}

  /**
   * Writes the mask for one layer input, compactly as {@code mask[(b * steps + t) * width + f]}.
   *
   * @param p drop probability in [0, 1)
   * @throws IllegalArgumentException on a bad probability, negative size or too small array
   */
  public static void fill(float[] mask, long seed, long call, int layer, int batch, int steps, int width,
      double p) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
    }
    if (batch < 0 || steps < 0 || width < 0 || (long) batch * steps * width > mask.length) {
      throw new IllegalArgumentException("mask array too small or negative size: batch " + batch
          + ", steps " + steps + ", width " + width + ", array " + mask.length);
    }
    long base = base(seed, call, layer);
    float keep = (float) (1.0 / (1.0 - p));
    int i = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < steps; t++) {
        for (int f = 0; f < width; f++) {
          mask[i++] = uniform(base, b, t, f) < p ? 0f : keep;
        }
      }
    }
  }

  /** The mask value of one element (see the class comment); {@link #fill} writes these. */
  public static float value(long seed, long call, int layer, int b, int t, int f, double p) {
    return uniform(base(seed, call, layer), b, t, f) < p ? 0f : (float) (1.0 / (1.0 - p));
  }

  /**
   * The seed whose call 0 draws the masks of call {@code call} under {@code seed}: a trainer reseeds the model
   * with it before each step, so step {@code s}'s masks depend on the step number alone (not on how many
   * gradient computations the instance has seen, e.g. before a resume) and are those a model seeded once with
   * {@code seed} draws at its {@code s}-th call.
   */
  public static long seedForCall(long seed, long call) {
    return unmix(mix(seed) ^ call);
  }

  private static long base(long seed, long call, int layer) {
    return mix(mix(mix(seed) ^ call) ^ layer);
  }

  private static double uniform(long base, int b, int t, int f) {
    long key = ((long) b << 42) | ((long) t << 21) | f;
    return (mix(base ^ key) >>> 11) * 0x1.0p-53;
  }

  /** The inverse of {@link #mix}: each of its steps (xor-shift, odd multiplication, addition) is a bijection. */
  static long unmix(long z) {
    z = unxorShift(z, 31);
    z *= inverse(0x94D049BB133111EBL);
    z = unxorShift(z, 27);
    z *= inverse(0xBF58476D1CE4E5B9L);
    z = unxorShift(z, 30);
    return z - GOLDEN_GAMMA;
  }

  private static long unxorShift(long y, int shift) {
    long x = y;
    for (int known = shift; known < 64; known += shift) {
      x = y ^ (x >>> shift);
    }
    return x;
  }

  /** Multiplicative inverse of an odd number modulo 2^64 (Newton's iteration doubles the correct bits). */
  private static long inverse(long odd) {
    long x = odd;
    for (int i = 0; i < 5; i++) {
      x *= 2 - odd * x;
    }
    return x;
  }

  /** One splitmix64 step: a bijection on longs with good avalanche, so nearby keys give unrelated values. */
  static long mix(long z) {
    z += GOLDEN_GAMMA;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
