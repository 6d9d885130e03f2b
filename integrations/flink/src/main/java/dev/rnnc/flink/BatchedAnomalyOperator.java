package dev.rnnc.flink;

import dev.rnnc.flink.model.SensorForecaster;
import dev.rnnc.runtime.stream.StreamBank;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * {@link RnnAnomalyFunction}'s scores, computed by stepping the readings of up to {@code maxBatch} distinct sensors
 * in one {@link StreamBank#step} call: the shape a batched bank turns into one matrix–matrix product.
 *
 * <p>A process function may only touch the state of the key of the record in hand, so this is an operator: it
 * holds back readings (each sensor's state already resident in the bank, restored from keyed state in its own
 * key's context), and when the batch is full, a sensor comes round a second time, the bank must make room, a
 * watermark passes, {@code maxDelayMillis} of processing time have gone by, a checkpoint barrier is about to be
 * sent ({@link #prepareSnapshotPreBarrier}) or the input ends, it steps them all at once and then, key by key
 * ({@link #setCurrentKey}), writes each sensor's state bytes to keyed state and emits its score. Flushing before
 * every barrier is what keeps it exactly-once: a checkpoint never holds a reading whose effect is only in memory.
 * The price of batching is latency: a reading's score waits for its batch (at most {@code maxDelayMillis}).
 */
public class BatchedAnomalyOperator extends AbstractStreamOperator<AnomalyScore>
    implements OneInputStreamOperator<SensorReading, AnomalyScore> {
  private static final long serialVersionUID = 1L;

  private final ForecasterWeights weights;
  private final int residentSensors;
  private final int maxBatch;
  private final long maxDelayMillis;

  private transient StreamBank bank;
  private transient ResidentSensors resident;
  private transient ValueState<byte[]> rnnState;
  private transient ValueState<Float> nextForecast;
  private transient boolean[] pending;
  private transient int[] ids;
  private transient float[] inputs;
  private transient float[] outputs;
  private transient String[] sensors;
  private transient long[] seqs;
  private transient long[] timestamps;
  private transient boolean[] timestamped;
  private transient int count;
  private transient long batchesStarted;
  private transient LongCounter bankCalls;

  /**
   * @param residentSensors sensors whose state a subtask keeps decoded in its bank; more than {@code maxBatch}
   * @param maxBatch        most readings stepped in one bank call
   * @param maxDelayMillis  longest a reading waits for its batch, in processing time
   */
  public BatchedAnomalyOperator(ForecasterWeights weights, int residentSensors, int maxBatch, long maxDelayMillis) {
    if (maxBatch < 1 || residentSensors <= maxBatch || maxDelayMillis < 1) {
      throw new IllegalArgumentException("need 1 <= maxBatch < residentSensors and maxDelayMillis >= 1, got maxBatch "
          + maxBatch + ", residentSensors " + residentSensors + ", maxDelayMillis " + maxDelayMillis);
    }
    this.weights = weights;
    this.residentSensors = residentSensors;
    this.maxBatch = maxBatch;
    this.maxDelayMillis = maxDelayMillis;
  }

  @Override
  public void open() throws Exception {
    super.open();
    bank = new SensorForecaster.Bank(weights.load(), residentSensors); // the generated bank: one blocked product per call
    resident = new ResidentSensors(bank);
    rnnState = getPartitionedState(
        new ValueStateDescriptor<>("rnn-state", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    nextForecast = getPartitionedState(new ValueStateDescriptor<>("next-forecast", Types.FLOAT));
    bankCalls = new LongCounter();
    getRuntimeContext().addAccumulator(SensorAnomalyJob.BANK_CALLS, bankCalls);
    pending = new boolean[residentSensors];
    ids = new int[maxBatch];
    inputs = new float[maxBatch * bank.inputSize()];
    outputs = new float[maxBatch * bank.outputSize()];
    sensors = new String[maxBatch];
    seqs = new long[maxBatch];
    timestamps = new long[maxBatch];
    timestamped = new boolean[maxBatch];
  }

  @Override
  public void processElement(StreamRecord<SensorReading> record) throws Exception {
    String sensor = (String) getCurrentKey();
    int id = resident.find(sensor);
    if (id >= 0 && pending[id]) {
      flush(); // one step per stream per bank call
      setCurrentKey(sensor);
    }
    if (id < 0) {
      id = resident.admit(sensor, pending); // residentSensors > maxBatch: some stream is not pending
      byte[] saved = rnnState.value();
      if (saved != null) {
        bank.restore(id, saved, 0);
      }
    }
    if (count == 0) {
      long started = ++batchesStarted;
      getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + maxDelayMillis,
          time -> flushIfStill(started));
    }
    pending[id] = true;
    ids[count] = id;
    inputs[count] = record.getValue().value;
    sensors[count] = sensor; // the reading's fields, not the record: Flink may reuse record objects
    seqs[count] = record.getValue().seq;
    timestamped[count] = record.hasTimestamp();
    timestamps[count] = record.getTimestamp();
    count++;
    if (count == maxBatch) {
      flush();
    }
  }

  /** The delay timer of batch {@code batch}: flushes it if it is still the one being filled. */
  private void flushIfStill(long batch) throws Exception {
    if (batch == batchesStarted) {
      flush();
    }
  }

  private void flush() throws Exception {
    if (count == 0) {
      return;
    }
    bank.step(ids, count, inputs, outputs);
    bankCalls.add(1);
    for (int i = 0; i < count; i++) {
      setCurrentKey(sensors[i]);
      byte[] snapshot = new byte[bank.snapshotSize()];
      bank.snapshot(ids[i], snapshot, 0);
      rnnState.update(snapshot);
      Float forecast = nextForecast.value();
      float next = outputs[i];
      nextForecast.update(next);
      AnomalyScore score = new AnomalyScore(sensors[i], seqs[i], inputs[i], forecast == null ? Float.NaN : forecast,
          next);
      output.collect(timestamped[i] ? new StreamRecord<>(score, timestamps[i]) : new StreamRecord<>(score));
      pending[ids[i]] = false;
      sensors[i] = null;
    }
    count = 0;
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    flush(); // scores of readings before the watermark go out before it
    super.processWatermark(mark);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }
}
