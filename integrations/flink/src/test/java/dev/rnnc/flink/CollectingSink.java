package dev.rnnc.flink;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/** A sink that adds every record to a list in this JVM (the mini cluster runs in-process), named per test run. */
final class CollectingSink implements Sink<AnomalyScore> {
  private static final long serialVersionUID = 1L;
  private static final Map<String, List<AnomalyScore>> COLLECTED = new ConcurrentHashMap<>();

  private final String name;

  CollectingSink(String name) {
    this.name = name;
    COLLECTED.put(name, new CopyOnWriteArrayList<>());
  }

  List<AnomalyScore> collected() {
    return COLLECTED.get(name);
  }

  @Override
  public SinkWriter<AnomalyScore> createWriter(WriterInitContext context) {
    List<AnomalyScore> target = COLLECTED.get(name);
    return new SinkWriter<>() {
      @Override
      public void write(AnomalyScore element, Context context) {
        target.add(element);
      }

      @Override
      public void flush(boolean endOfInput) {}

      @Override
      public void close() {}
    };
  }
}
