package dev.rnnc.flink;

import java.util.Locale;

/** One reading of one sensor: a Flink POJO (public fields, no-argument constructor). */
public class SensorReading {
  /** The key: which sensor. */
  public String sensor;
  /** Position in the sensor's own sequence, from 0. */
  public long seq;
  /** The reading. */
  public float value;

  public SensorReading() {}

  public SensorReading(String sensor, long seq, float value) {
    this.sensor = sensor;
    this.seq = seq;
    this.value = value;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s#%d=%s", sensor, seq, value);
  }
}
