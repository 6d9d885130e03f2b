package dev.rnnc.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.kafka.model.SensorForecaster;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.stream.StreamSnapshots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

class SensorScoreTopologyTest {
  private static final SensorForecaster.Weights WEIGHTS =
      new SensorForecaster.Weights(ModelParameters.initialize(SensorForecaster.CONFIG, 3));
  private static final int SENSORS = 12;
  private static final int READINGS = SENSORS * 100;

  private static List<KeyValue<String, Float>> readings() {
    List<KeyValue<String, Float>> readings = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(8);
    for (int i = 0; i < READINGS; i++) {
      int sensor = i % SENSORS;
      int t = i / SENSORS;
      readings.add(KeyValue.pair("sensor-" + sensor,
          (float) (Math.sin(t / (5.0 + sensor)) + 0.05 * random.nextGaussian())));
    }
    return readings;
  }

  /** Each sensor stepped alone through its own model instance: no bank, no Kafka. */
  private static List<KeyValue<String, String>> alone(List<KeyValue<String, Float>> readings) {
    Map<String, SensorForecaster> models = new HashMap<>();
    Map<String, Float> forecasts = new HashMap<>();
    Map<String, Long> counts = new HashMap<>();
    List<KeyValue<String, String>> scores = new ArrayList<>();
    float[] x = new float[1];
    for (KeyValue<String, Float> reading : readings) {
      SensorForecaster model = models.computeIfAbsent(reading.key, k -> new SensorForecaster(WEIGHTS, 1, 1));
      x[0] = reading.value;
      model.step(x, 0);
      float next = model.stepPrediction()[0];
      float forecast = forecasts.getOrDefault(reading.key, Float.NaN);
      forecasts.put(reading.key, next);
      long seq = counts.merge(reading.key, 1L, Long::sum) - 1;
      float value = reading.value;
      float score = Float.isNaN(forecast) ? 0f : (value - forecast) * (value - forecast);
      scores.add(KeyValue.pair(reading.key, seq + "," + value + "," + forecast + "," + score + "," + next));
    }
    return scores;
  }

  private static TopologyTestDriver driver() {
    Properties config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, "rnnc-sensor-scores");
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    return new TopologyTestDriver(SensorScoreTopology.build("readings", "scores", WEIGHTS, 5), config);
  }

  private static List<KeyValue<String, String>> pipe(TopologyTestDriver driver, List<KeyValue<String, Float>> in) {
    TestInputTopic<String, Float> readings =
        driver.createInputTopic("readings", Serdes.String().serializer(), Serdes.Float().serializer());
    TestOutputTopic<String, String> scores =
        driver.createOutputTopic("scores", Serdes.String().deserializer(), Serdes.String().deserializer());
    readings.pipeKeyValueList(in);
    return scores.readKeyValuesToList();
  }

  @Test
  void scoresEqualEachSensorSteppedAlone() {
    List<KeyValue<String, Float>> readings = readings();
    try (TopologyTestDriver driver = driver()) {
      assertEquals(alone(readings), pipe(driver, readings));
    }
  }

  @Test
  void aNewInstanceWithTheRestoredStoreCarriesOnExactly() {
    List<KeyValue<String, Float>> readings = readings();
    int half = READINGS / 2 + 5; // sensors mid-way through their readings
    List<KeyValue<String, String>> scores = new ArrayList<>();
    List<KeyValue<String, byte[]>> stored = new ArrayList<>();
    try (TopologyTestDriver first = driver()) {
      scores.addAll(pipe(first, readings.subList(0, half)));
      KeyValueStore<String, byte[]> store = first.getKeyValueStore(SensorScoreProcessor.STORE);
      try (KeyValueIterator<String, byte[]> all = store.all()) {
        all.forEachRemaining(stored::add);
      }
    }
    assertEquals(SENSORS, stored.size());
    // A fresh instance (another machine after a rebalance) whose store Kafka Streams restored from its changelog.
    try (TopologyTestDriver second = driver()) {
      KeyValueStore<String, byte[]> store = second.getKeyValueStore(SensorScoreProcessor.STORE);
      stored.forEach(entry -> store.put(entry.key, entry.value));
      scores.addAll(pipe(second, readings.subList(half, READINGS)));
    }
    assertEquals(alone(readings), scores);
  }

  @Test
  void anotherModelsStateIsRefusedWithTheReason() {
    ModelConfig other = SensorForecaster.CONFIG.toBuilder().hidden(16).build();
    StreamSnapshots layout = new StreamSnapshots(other);
    byte[] foreign = new byte[layout.size() + 12];
    layout.write(new float[layout.stateFloats()], 0, foreign, 0);
    try (TopologyTestDriver driver = driver()) {
      driver.<String, byte[]>getKeyValueStore(SensorScoreProcessor.STORE).put("sensor-0", foreign);
      RuntimeException failure = assertThrows(RuntimeException.class,
          () -> pipe(driver, List.of(KeyValue.pair("sensor-0", 1f))));
      Throwable cause = failure;
      while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
        cause = cause.getCause();
      }
      assertTrue(cause.getMessage().startsWith("stream snapshot of another model: it holds gru, 1 layer × (h 16)"),
          cause.getMessage());
    }
    StreamSnapshots ours = new StreamSnapshots(SensorForecaster.CONFIG);
    byte[] withoutTail = new byte[ours.size()];
    ours.write(new float[ours.stateFloats()], 0, withoutTail, 0);
    try (TopologyTestDriver driver = driver()) {
      driver.<String, byte[]>getKeyValueStore(SensorScoreProcessor.STORE).put("sensor-1", withoutTail);
      RuntimeException failure = assertThrows(RuntimeException.class,
          () -> pipe(driver, List.of(KeyValue.pair("sensor-1", 1f))));
      Throwable cause = failure;
      while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
        cause = cause.getCause();
      }
      assertEquals("stored state of sensor-1 has 160 bytes; this processor writes a 160-byte snapshot, a float and a "
          + "long (172)", cause.getMessage());
    }
  }
}
