package dev.rnnc.runtime.train;

import dev.rnnc.runtime.RnncException;
import java.util.Locale;

/**
 * The learning rate of each optimiser step as a function of the step number alone (so a resumed run continues
 * the schedule exactly): an optional linear warm-up followed by a constant rate, step decay or cosine annealing.
 *
 * <p>For step {@code s} (0-based: the number of steps taken before it) and base rate {@code lr}:
 * <ul>
 *   <li>warm-up, {@code s < W}: {@code lr · (s + 1) / W};</li>
 *   <li>then, with {@code u = s − W}:
 *     <ul>
 *       <li>{@code constant}: {@code lr};</li>
 *       <li>{@code step}: {@code lr · gamma^⌊u / stepSize⌋} ({@code torch.optim.lr_scheduler.StepLR} stepped once
 *           per optimiser step);</li>
 *       <li>{@code cosine}: {@code min + (lr − min) · (1 + cos(π · min(u, D) / D)) / 2} with {@code D = total − W}
 *           and {@code min = lr · minFactor} ({@code CosineAnnealingLR} with {@code T_max = D}, held at its minimum
 *           after {@code D} steps).</li>
 *     </ul>
 *   </li>
 * </ul>
 */
public final class LearningRateSchedule {
  /** The shape after the warm-up. */
  public enum Kind { CONSTANT, STEP, COSINE }

  private final Kind kind;
  private final long warmupSteps;
  private final long stepSize;
  private final double gamma;
  private final long totalSteps;
  private final double minFactor;

  private LearningRateSchedule(Kind kind, long warmupSteps, long stepSize, double gamma, long totalSteps,
      double minFactor) {
    if (warmupSteps < 0) {
      throw new RnncException("warm-up steps must be >= 0, got " + warmupSteps);
    }
    this.kind = kind;
    this.warmupSteps = warmupSteps;
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.totalSteps = totalSteps;
    this.minFactor = minFactor;
  }

  /** The base rate at every step. */
  public static LearningRateSchedule constant() {
    return new LearningRateSchedule(Kind.CONSTANT, 0, 0, 1, 0, 0);
  }

  /** Multiplies the rate by {@code gamma} every {@code stepSize} steps. */
  public static LearningRateSchedule step(long stepSize, double gamma) {
    if (stepSize < 1) {
      throw new RnncException("the step schedule's step size must be >= 1, got " + stepSize);
    }
    if (!(gamma > 0 && gamma <= 1)) {
      throw new RnncException("the step schedule's gamma must be in (0, 1], got " + gamma);
    }
    return new LearningRateSchedule(Kind.STEP, 0, stepSize, gamma, 0, 0);
  }

  /**
   * Anneals the rate to {@code minFactor · lr} along half a cosine ending at step {@code totalSteps}.
   *
   * @param totalSteps the run's total steps (warm-up included)
   */
  public static LearningRateSchedule cosine(long totalSteps, double minFactor) {
    if (totalSteps < 1) {
      throw new RnncException("the cosine schedule needs the run's total steps (>= 1), got " + totalSteps);
    }
    if (!(minFactor >= 0 && minFactor <= 1)) {
      throw new RnncException("the cosine schedule's minimum factor must be in [0, 1], got " + minFactor);
    }
    return new LearningRateSchedule(Kind.COSINE, 0, 0, 1, totalSteps, minFactor);
  }

  /** The same schedule after a linear warm-up over the first {@code steps} steps. */
  public LearningRateSchedule withWarmup(long steps) {
    if (kind == Kind.COSINE && steps >= totalSteps) {
      throw new RnncException("warm-up of " + steps + " steps leaves nothing of a cosine schedule over "
          + totalSteps + " steps");
    }
    return new LearningRateSchedule(kind, steps, stepSize, gamma, totalSteps, minFactor);
  }

  public Kind kind() {
    return kind;
  }

  public long warmupSteps() {
    return warmupSteps;
  }

  /** The rate of step {@code step} (0-based) for a base rate. */
  public double rate(double base, long step) {
    if (step < warmupSteps) {
      return base * (step + 1) / warmupSteps;
    }
    long u = step - warmupSteps;
    switch (kind) {
      case CONSTANT:
        return base;
      case STEP:
        return base * Math.pow(gamma, (double) (u / stepSize));
      case COSINE:
        long span = totalSteps - warmupSteps;
        double min = base * minFactor;
        return min + (base - min) * (1 + Math.cos(Math.PI * Math.min(u, span) / span)) / 2;
      default:
        throw new IllegalStateException("unknown schedule " + kind);
    }
  }

  /** {@code constant}, {@code step 100 x 0.5}, {@code cosine over 1000 steps to 0}, with any warm-up. */
  @Override
  public String toString() {
    String shape;
    switch (kind) {
      case STEP:
        shape = String.format(Locale.ROOT, "step: x%s every %d steps", gamma, stepSize);
        break;
      case COSINE:
        shape = String.format(Locale.ROOT, "cosine over %d steps to %s x lr", totalSteps, minFactor);
        break;
      default:
        shape = "constant";
    }
    return warmupSteps > 0 ? shape + ", after " + warmupSteps + " warm-up steps" : shape;
  }
}
