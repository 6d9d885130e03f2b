package dev.rnnc.kafka;

import dev.rnnc.kafka.model.SensorForecaster;
import dev.rnnc.runtime.stream.StreamBank;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Scores each sensor reading (key: sensor id, value: the reading) by its squared error against the forecast the
 * model made one reading earlier, and forwards {@code seq,value,forecast,score,nextForecast} (floats in Java's
 * shortest round-trip form; forecast NaN and score 0 for a sensor's first reading).
 *
 * <p>A sensor's state lives in the key-value store {@link #STORE}: its {@link dev.rnnc.runtime.stream.StreamSnapshots}
 * bytes followed by the forecast of its next reading (float) and the number of readings so far (long), little-endian.
 * Kafka Streams logs the store to a changelog topic and restores it on another instance after a failure or a
 * rebalance, so a sensor's stream carries on wherever its partition goes. The store is the truth (written after
 * every reading); the processor's {@link StreamBank} keeps the recently seen sensors of its task decoded.
 *
 * <p>One processor instance per stream task; the weights are immutable and shared by all of them.
 */
public final class SensorScoreProcessor implements Processor<String, Float, String, String> {
  /** Name of the state store holding each sensor's state. */
  public static final String STORE = "rnn-state";

  private final SensorForecaster.Weights weights;
  private final int residentSensors;

  private KeyValueStore<String, byte[]> store;
  private ProcessorContext<String, String> context;
  private StreamBank bank;
  private final LinkedHashMap<String, Integer> resident = new LinkedHashMap<>(16, 0.75f, true);
  private final int[] ids = new int[1];
  private final float[] input = new float[1];
  private final float[] output = new float[1];

  public SensorScoreProcessor(SensorForecaster.Weights weights, int residentSensors) {
    this.weights = weights;
    this.residentSensors = residentSensors;
  }

  @Override
  public void init(ProcessorContext<String, String> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
    this.bank = new SensorForecaster.Bank(weights, residentSensors);
  }

  @Override
  public void process(Record<String, Float> record) {
    String sensor = record.key();
    if (sensor == null || record.value() == null) {
      return; // a reading needs a sensor and a value; Kafka Streams' own operators drop such records too
    }
    byte[] saved = store.get(sensor);
    int id = streamOf(sensor, saved);
    float forecast = Float.NaN;
    long seq = 0;
    if (saved != null) {
      if (saved.length != bank.snapshotSize() + 12) { // the snapshot itself was checked by restore
        throw new IllegalArgumentException("stored state of " + sensor + " has " + saved.length + " bytes; this "
            + "processor writes a " + bank.snapshotSize() + "-byte snapshot, a float and a long (" + (bank.snapshotSize()
            + 12) + ")");
      }
      ByteBuffer tail = ByteBuffer.wrap(saved, bank.snapshotSize(), 12).order(ByteOrder.LITTLE_ENDIAN);
      forecast = tail.getFloat();
      seq = tail.getLong();
    }
    float value = record.value();
    ids[0] = id;
    input[0] = value;
    bank.step(ids, 1, input, output);
    float next = output[0];

    byte[] state = new byte[bank.snapshotSize() + 12];
    bank.snapshot(id, state, 0);
    ByteBuffer.wrap(state, bank.snapshotSize(), 12).order(ByteOrder.LITTLE_ENDIAN).putFloat(next).putLong(seq + 1);
    store.put(sensor, state);

    float score = Float.isNaN(forecast) ? 0f : (value - forecast) * (value - forecast);
    context.forward(record.withValue(seq + "," + value + "," + forecast + "," + score + "," + next));
  }

  /** The bank stream of {@code sensor}: resident, or restored from its stored bytes (zeros for a new sensor). */
  private int streamOf(String sensor, byte[] saved) {
    Integer id = resident.get(sensor);
    if (id != null) {
      return id;
    }
    if (bank.openCount() == bank.capacity()) {
      Iterator<Map.Entry<String, Integer>> eldest = resident.entrySet().iterator();
      bank.close(eldest.next().getValue());
      eldest.remove();
    }
    int opened = bank.open();
    if (saved != null) {
      bank.restore(opened, saved, 0); // refuses another model's or corrupted bytes, naming the problem
    }
    resident.put(sensor, opened);
    return opened;
  }
}
