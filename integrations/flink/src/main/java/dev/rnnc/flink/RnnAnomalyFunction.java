package dev.rnnc.flink;

import dev.rnnc.flink.model.SensorForecaster;
import dev.rnnc.runtime.stream.GenericStreamBank;
import dev.rnnc.runtime.stream.StreamBank;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Scores each sensor reading with the forecaster, one step of the sensor's own RNN stream per reading.
 *
 * <p><b>State.</b> A sensor's recurrent state lives in Flink keyed state as {@link dev.rnnc.runtime.stream.StreamSnapshots}
 * bytes ({@code ValueState<byte[]>}), beside the forecast made for its next reading. Flink therefore checkpoints
 * it, restores it after a failure, and moves it with its key group when the job is rescaled; the bytes carry the
 * model's fingerprint, so a job restored with another model refuses them with a clear message instead of
 * computing nonsense.
 *
 * <p><b>Model.</b> The weights are loaded once per task manager JVM ({@link ForecasterWeights#load()}) and shared;
 * each subtask has one model instance and one {@link StreamBank} over it. The bank keeps the most recently seen
 * sensors of this subtask resident (up to its capacity; the least recently seen is closed to make room), so a hot
 * sensor's state is not decoded from bytes on every reading — keyed state, written after every step, stays the
 * truth.
 *
 * <p>Each reading is stepped as it arrives (a bank step of one stream): lowest latency, and keyed state is only
 * ever touched in its own key's context, as a process function must. Stepping several sensors in one bank call
 * (one matrix–matrix product once the batched bank exists) needs an operator that holds back readings of many
 * keys and writes each key's state in that key's context when it flushes: {@link BatchedAnomalyOperator}.
 */
public class RnnAnomalyFunction extends KeyedProcessFunction<String, SensorReading, AnomalyScore> {
  private static final long serialVersionUID = 1L;

  private final ForecasterWeights weights;
  private final int residentSensors;

  private transient StreamBank bank;
  private transient ResidentSensors resident;
  private transient ValueState<byte[]> rnnState;
  private transient ValueState<Float> nextForecast;
  private transient int[] ids;
  private transient float[] input;
  private transient float[] output;
  private transient LongCounter bankCalls;

  /**
   * @param weights         the forecaster's weights, loaded once per task manager
   * @param residentSensors sensors whose state a subtask keeps decoded in its bank
   */
  public RnnAnomalyFunction(ForecasterWeights weights, int residentSensors) {
    if (residentSensors < 1) {
      throw new IllegalArgumentException("residentSensors must be at least 1, got " + residentSensors);
    }
    this.weights = weights;
    this.residentSensors = residentSensors;
  }

  @Override
  public void open(OpenContext context) {
    SensorForecaster model = new SensorForecaster(weights.load(), 1, 1);
    bank = new GenericStreamBank(model, residentSensors);
    resident = new ResidentSensors(bank);
    rnnState = getRuntimeContext().getState(new ValueStateDescriptor<>("rnn-state", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    nextForecast = getRuntimeContext().getState(new ValueStateDescriptor<>("next-forecast", Types.FLOAT));
    bankCalls = new LongCounter();
    getRuntimeContext().addAccumulator(SensorAnomalyJob.BANK_CALLS, bankCalls);
    ids = new int[1];
    input = new float[bank.inputSize()];
    output = new float[bank.outputSize()];
  }

  @Override
  public void processElement(SensorReading reading, Context context, Collector<AnomalyScore> out) throws Exception {
    String sensor = context.getCurrentKey();
    ids[0] = streamOf(sensor);
    input[0] = reading.value;
    bank.step(ids, 1, input, output);
    bankCalls.add(1);
    byte[] snapshot = new byte[bank.snapshotSize()]; // a new array: the state backend keeps the reference
    bank.snapshot(ids[0], snapshot, 0);
    rnnState.update(snapshot);
    Float forecast = nextForecast.value();
    nextForecast.update(output[0]);
    out.collect(new AnomalyScore(sensor, reading.seq, reading.value, forecast == null ? Float.NaN : forecast,
        output[0]));
  }

  /** The bank stream holding {@code sensor}'s state, restored from keyed state when it is not resident. */
  private int streamOf(String sensor) throws Exception {
    int id = resident.find(sensor);
    if (id < 0) {
      id = resident.admit(sensor, null);
      byte[] saved = rnnState.value();
      if (saved != null) {
        bank.restore(id, saved, 0);
      }
    }
    return id;
  }
}
