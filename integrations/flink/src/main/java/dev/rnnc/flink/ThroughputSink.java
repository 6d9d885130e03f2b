package dev.rnnc.flink;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Discards scores, noting when the first and the last arrived: the throughput of a job in a local mini cluster
 * (the same JVM) without its start-up and deployment time. For {@link SensorAnomalyJob}'s measurement only.
 */
final class ThroughputSink implements Sink<AnomalyScore> {
  private static final long serialVersionUID = 1L;
  static final AtomicLong FIRST_NANOS = new AtomicLong();
  static final AtomicLong LAST_NANOS = new AtomicLong();
  static final AtomicLong COUNT = new AtomicLong();

  @Override
  public SinkWriter<AnomalyScore> createWriter(WriterInitContext context) {
    return new SinkWriter<>() {
      @Override
      public void write(AnomalyScore score, Context context) {
        long now = System.nanoTime();
        FIRST_NANOS.compareAndSet(0, now);
        LAST_NANOS.accumulateAndGet(now, Math::max);
        COUNT.incrementAndGet();
      }

      @Override
      public void flush(boolean endOfInput) {}

      @Override
      public void close() {}
    };
  }
}
