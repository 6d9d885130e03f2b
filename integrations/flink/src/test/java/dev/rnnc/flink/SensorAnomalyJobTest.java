package dev.rnnc.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.flink.model.SensorForecaster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The job in an in-process Flink mini cluster (one task manager, two slots). */
class SensorAnomalyJobTest {

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final ForecasterWeights WEIGHTS = ForecasterWeights.bundled();
  private static final long SEED = 5;

  /** Which subtask scored which sensor, per run. */
  static final Map<String, Map<String, Set<Integer>>> SUBTASKS = new ConcurrentHashMap<>();

  /** What one JVM computes stepping each sensor alone through its own model instance, no bank, no Flink. */
  static Map<String, List<AnomalyScore>> alone(int sensors, long events) {
    SensorForecaster.Weights weights = WEIGHTS.load();
    Map<String, SensorForecaster> models = new HashMap<>();
    Map<String, Float> forecasts = new HashMap<>();
    Map<String, List<AnomalyScore>> scores = new HashMap<>();
    float[] x = new float[1];
    for (long i = 0; i < events; i++) {
      SensorReading reading = SensorSignals.reading(i, sensors, SEED);
      SensorForecaster model = models.computeIfAbsent(reading.sensor, s -> new SensorForecaster(weights, 1, 1));
      x[0] = reading.value;
      model.step(x, 0);
      float next = model.stepPrediction()[0];
      Float forecast = forecasts.put(reading.sensor, next);
      scores.computeIfAbsent(reading.sensor, s -> new ArrayList<>()).add(new AnomalyScore(reading.sensor,
          reading.seq, reading.value, forecast == null ? Float.NaN : forecast, next));
    }
    return scores;
  }

  static Map<String, List<AnomalyScore>> bySensor(List<AnomalyScore> scores) {
    Map<String, List<AnomalyScore>> grouped = new HashMap<>();
    for (AnomalyScore score : scores) {
      grouped.computeIfAbsent(score.sensor, s -> new ArrayList<>()).add(score);
    }
    return grouped;
  }

  /** Records which subtask of the scoring operator (chained, so the same one) handled each sensor. */
  static final class SubtaskProbe extends RichMapFunction<AnomalyScore, AnomalyScore> {
    private final String run;
    private transient int subtask;

    SubtaskProbe(String run) {
      this.run = run;
    }

    @Override
    public void open(OpenContext context) {
      subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    }

    @Override
    public AnomalyScore map(AnomalyScore score) {
      SUBTASKS.computeIfAbsent(run, r -> new ConcurrentHashMap<>())
          .computeIfAbsent(score.sensor, s -> ConcurrentHashMap.newKeySet()).add(subtask);
      return score;
    }
  }

  /** The job of {@link SensorAnomalyJob} with a probe and a collecting sink, submitted to the mini cluster. */
  private static JobClient submit(String run, int parallelism, int sensors, long events, double perSecond,
      int resident, int batch, CollectingSink sink, String savepoint) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    DataStream<AnomalyScore> scores = SensorAnomalyJob.scores(
        SensorAnomalyJob.readings(env, SensorAnomalyJob.source(sensors, events, SEED, perSecond)), WEIGHTS, resident, batch);
    scores.map(new SubtaskProbe(run)).uid("subtask-probe").sinkTo(sink).uid("collect");
    StreamGraph graph = env.getStreamGraph();
    if (savepoint != null) {
      graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
    }
    return env.executeAsync(graph);
  }

  /** Waits for the job; returns the mean number of readings per bank step. */
  private static double runToEnd(JobClient job, long events) throws Exception {
    JobExecutionResult result = job.getJobExecutionResult().get(60, TimeUnit.SECONDS); // throws when the job failed
    return (double) events / result.<Long>getAccumulatorResult(SensorAnomalyJob.BANK_CALLS);
  }

  @ParameterizedTest(name = "batches of up to {0}")
  @ValueSource(ints = {1, 6})
  void scoresEqualEachSensorSteppedAloneAtParallelismOneAndTwo(int batch) throws Exception {
    int sensors = 24;
    long events = 24 * 150;
    Map<String, List<AnomalyScore>> expected = alone(sensors, events);
    // Parallelism 2 with fewer resident sensors than a subtask holds: streams are evicted and restored from keyed
    // state bytes all the time. Parallelism 1 with all of them resident.
    for (int parallelism : new int[] {2, 1}) {
      String run = "p" + parallelism + "b" + batch;
      CollectingSink sink = new CollectingSink(run);
      double perCall = runToEnd(submit(run, parallelism, sensors, events, 0, parallelism == 2 ? 8 : 64, batch, sink,
          null), events);
      if (batch == 1) {
        assertEquals(1.0, perCall, run + ": readings per bank step");
      } else {
        assertTrue(perCall > 3, run + ": only " + perCall + " readings per bank step on average");
      }
      assertEquals(events, sink.collected().size(), run + ": one score per reading");
      assertEquals(expected, bySensor(sink.collected()), run + ": scores differ from stepping each sensor alone");
      Map<String, Set<Integer>> subtasks = SUBTASKS.get(run);
      assertEquals(sensors, subtasks.size());
      Set<Integer> used = new java.util.HashSet<>();
      for (Map.Entry<String, Set<Integer>> sensor : subtasks.entrySet()) {
        assertEquals(1, sensor.getValue().size(), sensor.getKey() + " was scored by subtasks " + sensor.getValue());
        used.addAll(sensor.getValue());
      }
      assertEquals(parallelism, used.size(), run + ": sensors spread over subtasks " + used);
    }
  }

  @ParameterizedTest(name = "batches of up to {0}")
  @ValueSource(ints = {1, 6})
  void stopWithSavepointAndResumeRescaledLosesNothingAndRepeatsNothing(int batch, @TempDir Path savepoints)
      throws Exception {
    int sensors = 10;
    long events = 10 * 300;
    Map<String, List<AnomalyScore>> expected = alone(sensors, events);

    CollectingSink first = new CollectingSink("before-savepoint-" + batch);
    long start = System.nanoTime();
    // Rescaled on the way: stopped at one parallelism, resumed at the other, so key groups (and their sensors'
    // state bytes) move between subtasks.
    int before = batch == 1 ? 2 : 1;
    int after = 3 - before;
    JobClient job = submit("before" + batch, before, sensors, events, 400, 8, batch, first, null);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (first.collected().size() < 400) {
      assertTrue(System.nanoTime() < deadline, "the first run produced only " + first.collected().size() + " scores");
      Thread.sleep(20);
    }
    String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
        .get(60, TimeUnit.SECONDS);
    assertEquals(JobStatus.FINISHED, job.getJobStatus().get(30, TimeUnit.SECONDS));
    int scoredBefore = first.collected().size();
    long stopped = System.nanoTime();
    assertTrue(scoredBefore < events, "the first run finished before it was stopped (" + scoredBefore + " scores)");

    CollectingSink second = new CollectingSink("after-savepoint-" + batch);
    runToEnd(submit("after" + batch, after, sensors, events, 0, 8, batch, second, savepoint), events);

    System.out.printf("stopped with a savepoint at parallelism %d after %d of %d scores (%.1f s), resumed at %d: %.1f s%n",
        before, scoredBefore, events, (stopped - start) / 1e9, after, (System.nanoTime() - stopped) / 1e9);
    List<AnomalyScore> all = new ArrayList<>(first.collected());
    all.addAll(second.collected());
    all.sort(Comparator.comparing((AnomalyScore s) -> s.sensor).thenComparingLong(s -> s.seq));
    assertEquals(events, all.size(), scoredBefore + " scores before the savepoint, " + second.collected().size()
        + " after");
    assertEquals(expected, bySensor(all), "scores across the savepoint differ from an uninterrupted run");
  }
}
