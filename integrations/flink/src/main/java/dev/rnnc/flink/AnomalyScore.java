package dev.rnnc.flink;

import java.util.Locale;
import java.util.Objects;

/**
 * The model's verdict on one reading: how far it lies from the forecast the model made one reading earlier, and
 * the forecast for the next one. A Flink POJO.
 */
public class AnomalyScore {
  public String sensor;
  public long seq;
  public float value;
  /** The forecast of this reading, made after the previous one; NaN for a sensor's first reading. */
  public float forecast;
  /** Squared error {@code (value - forecast)²}; 0 for a sensor's first reading. */
  public float score;
  /** The forecast of the next reading. */
  public float nextForecast;

  public AnomalyScore() {}

  public AnomalyScore(String sensor, long seq, float value, float forecast, float nextForecast) {
    this.sensor = sensor;
    this.seq = seq;
    this.value = value;
    this.forecast = forecast;
    this.score = Float.isNaN(forecast) ? 0f : (value - forecast) * (value - forecast);
    this.nextForecast = nextForecast;
  }

  @Override
  public boolean equals(Object other) {
    // Bit patterns, so that a test comparing scores compares exact results (NaN equals NaN).
    return other instanceof AnomalyScore o && sensor.equals(o.sensor) && seq == o.seq
        && Float.floatToIntBits(value) == Float.floatToIntBits(o.value)
        && Float.floatToIntBits(forecast) == Float.floatToIntBits(o.forecast)
        && Float.floatToIntBits(score) == Float.floatToIntBits(o.score)
        && Float.floatToIntBits(nextForecast) == Float.floatToIntBits(o.nextForecast);
  }

  @Override
  public int hashCode() {
    return Objects.hash(sensor, seq, Float.floatToIntBits(nextForecast));
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s#%d value %.5f forecast %.5f score %.6f next %.5f", sensor, seq, value,
        forecast, score, nextForecast);
  }
}
