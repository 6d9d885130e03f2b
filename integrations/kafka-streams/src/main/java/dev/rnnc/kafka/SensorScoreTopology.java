package dev.rnnc.kafka;

import dev.rnnc.kafka.model.SensorForecaster;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * readings topic (sensor → float) → {@link SensorScoreProcessor} with its state store → scores topic
 * (sensor → csv). Partitioning by sensor id is Kafka's: each stream task owns some partitions, hence some sensors,
 * and their state.
 *
 * <p>The store is in memory and logged to a changelog topic (Kafka Streams' default), so it is rebuilt from the
 * changelog when a task moves; a sensor's state is a few hundred bytes, so even a million sensors fit in memory.
 * {@code Stores.persistentKeyValueStore} (RocksDB) instead keeps it on local disk too, trading restore time after
 * a restart for disk I/O.
 */
public final class SensorScoreTopology {
  private SensorScoreTopology() {}

  /**
   * @param residentSensors sensors a task keeps decoded in its bank
   */
  public static Topology build(String readings, String scores, SensorForecaster.Weights weights, int residentSensors) {
    Topology topology = new Topology();
    topology.addSource("readings", Serdes.String().deserializer(), Serdes.Float().deserializer(), readings);
    topology.addProcessor("rnn-scores", () -> new SensorScoreProcessor(weights, residentSensors), "readings");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SensorScoreProcessor.STORE),
        Serdes.String(), Serdes.ByteArray()), "rnn-scores");
    topology.addSink("scores", scores, Serdes.String().serializer(), Serdes.String().serializer(), "rnn-scores");
    return topology;
  }
}
