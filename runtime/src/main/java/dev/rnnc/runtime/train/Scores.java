package dev.rnnc.runtime.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Metric values measured on one set of sequences (immutable). */
public final class Scores {
  private final Map<Metric, Double> values;

  Scores(Map<Metric, Double> values) {
    this.values = Collections.unmodifiableMap(new EnumMap<>(values));
  }

  /** The metrics measured, in display order. */
  public List<Metric> metrics() {
    return new ArrayList<>(values.keySet());
  }

  /** The value of a metric, NaN when it was not measured. */
  public double get(Metric metric) {
    Double value = values.get(metric);
    return value == null ? Double.NaN : value;
  }

  public boolean has(Metric metric) {
    return values.containsKey(metric);
  }

  /** {@code loss 0.4321  accuracy 0.8750 ...}. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<Metric, Double> entry : values.entrySet()) {
      if (out.length() > 0) {
        out.append("  ");
      }
      out.append(entry.getKey().label()).append(' ').append(format(entry.getKey(), entry.getValue()));
    }
    return out.toString();
  }

  /** A value as the logs and the summary table show it. */
  public static String format(Metric metric, double value) {
    if (Double.isNaN(value)) {
      return "-";
    }
    return metric == Metric.ACCURACY ? String.format(Locale.ROOT, "%.4f", value)
        : String.format(Locale.ROOT, "%.5g", value);
  }
}
