package dev.rnnc.flink;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job: generated sensor readings, keyed by sensor, scored by {@link RnnAnomalyFunction}.
 *
 * <p>Run it locally to measure throughput (an in-process Flink mini cluster; the scores are discarded):
 * <pre>
 * mvn -q -o -pl integrations/flink -am package -DskipTests
 * mvn -q -o -pl integrations/flink exec:exec -Dmain.args="--sensors 1000 --events 2000000 --parallelism 2"
 * </pre>
 * Options: {@code --sensors N} (keys), {@code --events N}, {@code --parallelism P} (of the scoring operator; the
 * generator runs as one subtask so each sensor's readings stay in order), {@code --resident N} (sensors a
 * subtask keeps decoded in its bank), {@code --batch N} (1: step each reading as it arrives; more: step the
 * readings of up to N sensors in one bank call), {@code --weights FILE} (safetensors; default: the bundled trained weights),
 * {@code --seed N}.
 */
public final class SensorAnomalyJob {

  /** Accumulator counting the scoring operator's {@code StreamBank.step} calls (readings / calls = mean batch). */
  public static final String BANK_CALLS = "rnn-bank-calls";

  private SensorAnomalyJob() {}

  /** The readings of {@code sensors} sensors interleaved, {@code events} in all; unthrottled when the rate is 0. */
  public static DataGeneratorSource<SensorReading> source(int sensors, long events, long seed, double perSecond) {
    RateLimiterStrategy<?> rate = perSecond > 0 ? RateLimiterStrategy.perSecond(perSecond) : RateLimiterStrategy.noOp();
    return new DataGeneratorSource<>(index -> SensorSignals.reading(index, sensors, seed), events, rate,
        TypeInformation.of(SensorReading.class));
  }

  /** The readings as a stream: one generator subtask, so that each sensor's readings arrive in order. */
  public static DataStream<SensorReading> readings(StreamExecutionEnvironment env,
      DataGeneratorSource<SensorReading> source) {
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), "sensor readings")
        .uid("sensor-readings").setParallelism(1);
  }

  /**
   * Anomaly scores of the readings, keyed by sensor; operator ids fixed so savepoints map onto them.
   *
   * @param maxBatch 1: {@link RnnAnomalyFunction}, each reading stepped as it arrives; more:
   *                 {@link BatchedAnomalyOperator}, readings of up to that many sensors stepped in one bank call
   *                 (waiting at most 10 ms)
   */
  public static DataStream<AnomalyScore> scores(DataStream<SensorReading> readings, ForecasterWeights weights,
      int residentSensors, int maxBatch) {
    var keyed = readings.keyBy(reading -> reading.sensor, Types.STRING);
    TypeInformation<AnomalyScore> type = TypeInformation.of(AnomalyScore.class);
    if (maxBatch <= 1) {
      return keyed.process(new RnnAnomalyFunction(weights, residentSensors), type)
          .uid("rnn-anomaly-scores").name("rnn anomaly scores");
    }
    return keyed.transform("rnn anomaly scores, batched", type,
            new BatchedAnomalyOperator(weights, residentSensors, maxBatch, 10))
        .uid("rnn-anomaly-scores-batched");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    int sensors = Integer.parseInt(options.getOrDefault("sensors", "1000"));
    long events = Long.parseLong(options.getOrDefault("events", "2000000"));
    int parallelism = Integer.parseInt(options.getOrDefault("parallelism", "1"));
    int resident = Integer.parseInt(options.getOrDefault("resident", "1024"));
    int batch = Integer.parseInt(options.getOrDefault("batch", "1"));
    long seed = Long.parseLong(options.getOrDefault("seed", "1"));
    ForecasterWeights weights = options.containsKey("weights")
        ? ForecasterWeights.file(Path.of(options.get("weights"))) : ForecasterWeights.bundled();

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    scores(readings(env, source(sensors, events, seed, 0)), weights, resident, batch).sinkTo(new ThroughputSink());
    JobExecutionResult result = env.execute("rnnc sensor anomaly scores");
    long millis = result.getNetRuntime();
    long calls = result.<Long>getAccumulatorResult(BANK_CALLS);
    double steadySeconds = (ThroughputSink.LAST_NANOS.get() - ThroughputSink.FIRST_NANOS.get()) / 1e9;
    System.out.printf(Locale.ROOT, "%,d readings of %,d sensors scored at parallelism %d: %,.0f events/s between the "
        + "first and the last score (%.2f s; %.2f s with start-up and deployment)%n  %s, %d resident sensors per "
        + "subtask, batches of up to %d, %.1f readings per bank step on average%n", ThroughputSink.COUNT.get(), sensors,
        parallelism, (ThroughputSink.COUNT.get() - 1) / steadySeconds, steadySeconds, millis / 1e3, weights, resident,
        batch, (double) events / calls);
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("options are --name value pairs, got '" + args[i] + "'");
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }
}
