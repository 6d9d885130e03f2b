package dev.rnnc.runtime.train;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnncException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A figure the trainer reports on the training and validation sets. Which ones a model gets follows from its
 * task ({@link #forModel}):
 * <ul>
 *   <li>every model: {@link #LOSS}, the training loss (mean over valid elements, as the optimiser sees it);</li>
 *   <li>classification ({@code cross_entropy}, {@code bce}): {@link #ACCURACY} — the share of valid positions
 *       whose largest logit is the target class, or for bce of valid elements whose logit sign ({@code > 0}) agrees
 *       with the target ({@code >= 0.5});</li>
 *   <li>language models ({@code cross_entropy}, {@code many_to_many}, with an embedding): {@link #PERPLEXITY}
 *       {@code exp(loss)} and {@link #BITS_PER_TOKEN} {@code loss / ln 2};</li>
 *   <li>regression ({@code mse}): {@link #MSE} (the loss itself) and {@link #MAE}, on the head's prediction.</li>
 * </ul>
 */
public enum Metric {
  LOSS("loss", false),
  ACCURACY("accuracy", true),
  PERPLEXITY("perplexity", false),
  BITS_PER_TOKEN("bits_per_token", false),
  MSE("mse", false),
  MAE("mae", false);

  private final String label;
  private final boolean higherIsBetter;

  Metric(String label, boolean higherIsBetter) {
    this.label = label;
    this.higherIsBetter = higherIsBetter;
  }

  /** The name used on the command line, in logs and in checkpoints. */
  public String label() {
    return label;
  }

  /** Whether a larger value is an improvement (accuracy) rather than a smaller one (losses, errors). */
  public boolean higherIsBetter() {
    return higherIsBetter;
  }

  /** The metrics reported for a model with a training section, in display order. */
  public static List<Metric> forModel(ModelConfig config) {
    if (config.training() == null) {
      throw new RnncException("the model has no training section: no loss to measure");
    }
    List<Metric> metrics = new ArrayList<>();
    metrics.add(LOSS);
    switch (config.training().loss()) {
      case CROSS_ENTROPY:
        metrics.add(ACCURACY);
        if (config.mode() == ModelConfig.Mode.MANY_TO_MANY && config.hasEmbedding()) {
          metrics.add(PERPLEXITY);
          metrics.add(BITS_PER_TOKEN);
        }
        break;
      case BCE:
        metrics.add(ACCURACY);
        break;
      case MSE:
        metrics.add(MSE);
        metrics.add(MAE);
        break;
      default:
        throw new IllegalStateException("unknown loss " + config.training().loss());
    }
    return List.copyOf(metrics);
  }

  /**
   * The metric of this label ({@code loss}, {@code accuracy}, ...).
   *
   * @throws RnncException naming the valid labels when there is none
   */
  public static Metric parse(String label) {
    for (Metric metric : values()) {
      if (metric.label.equals(label.toLowerCase(Locale.ROOT))) {
        return metric;
      }
    }
    List<String> labels = new ArrayList<>();
    for (Metric metric : values()) {
      labels.add(metric.label);
    }
    throw new RnncException("unknown metric '" + label + "'; one of " + String.join(", ", labels));
  }

  @Override
  public String toString() {
    return label;
  }
}
