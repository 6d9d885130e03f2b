package dev.rnnc.examples;

import dev.rnnc.examples.models.SignalGru;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.Dataset;
import dev.rnnc.runtime.train.Trainer;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The latency path: a GRU ({@code forecaster.yaml}) trained with truncated BPTT to predict the next sample of
 * a noisy signal, then run as a stream — one {@link StreamingModel#step} per incoming sample in a loop that
 * allocates nothing — reporting per-sample latency percentiles (after warm-up) and the forecast error next to
 * the naive "same as now" forecast.
 *
 * <p>Run: {@code mvn -q -pl examples compile exec:exec -Dexample=StreamingForecaster}
 * (options: {@code -Dexample.args="--epochs 150 --samples 300000 --seed 1"}).
 */
public final class StreamingForecaster {
  private static final int SEQUENCES = 16;
  private static final int LENGTH = 256;

  /**
   * What a run measured.
   *
   * @param modelRmse       root-mean-square error of the model's one-step forecasts over the stream
   * @param persistenceRmse the same for forecasting each sample as the previous one
   */
  record Report(double modelRmse, double persistenceRmse, long p50, long p99, long p999, int measured,
      double bytesPerSample) {}

  private StreamingForecaster() {}

  public static void main(String[] args) {
    Args.run(() -> {
      Args options = new Args(args);
      long seed = options.getLong("seed", 1);
      StreamingModel model = train(seed, options.getInt("epochs", 150), System.out);
      stream(model, options.getInt("samples", 300_000), seed, System.out);
    });
  }

  /** Trains on {@link #SEQUENCES} stretches of the signal, each predicting sample t+1 from samples up to t. */
  static SignalGru train(long seed, int epochs, PrintStream out) {
    float[] input = new float[SEQUENCES * LENGTH];
    float[] target = new float[SEQUENCES * LENGTH];
    for (int n = 0; n < SEQUENCES; n++) {
      float[] x = Signal.samples(1000L * n, LENGTH + 1, seed + n);
      System.arraycopy(x, 0, input, n * LENGTH, LENGTH);
      System.arraycopy(x, 1, target, n * LENGTH, LENGTH);
    }
    ModelParameters weights = ModelParameters.initialize(SignalGru.CONFIG, seed);
    SignalGru model = new SignalGru(weights);
    Dataset data = new Dataset(SignalGru.CONFIG, SEQUENCES, LENGTH, input, null, null, null, target, null, null);
    Trainer trainer = new Trainer(model, weights, Adam.adam(0.005), data, Trainer.Options.fullBatch().withClipNorm(1));
    out.printf(Locale.ROOT, "SignalGru: %,d parameters; %d x %d training samples, truncated BPTT windows of %d%n",
        SignalGru.CONFIG.parameterCount(), SEQUENCES, LENGTH, SignalGru.CONFIG.training().truncate());
    out.printf(Locale.ROOT, "  before training: mse %.5f%n", trainer.evaluate());
    long start = System.nanoTime();
    for (int done = 0; done < epochs; ) {
      int chunk = Math.min(epochs - done, Math.max(1, epochs / 5));
      trainer.trainEpochs(chunk, null);
      done += chunk;
      out.printf(Locale.ROOT, "  epoch %4d: mse %.5f%n", done, trainer.evaluate());
    }
    out.printf(Locale.ROOT, "  trained in %.1f s%n", (System.nanoTime() - start) / 1e9);
    return model;
  }

  /**
   * Streams {@code samples} fresh samples through the model, one {@code step} each, timing every step.
   * The first fifth is warm-up (the JIT compiles the step) and is left out of the percentiles.
   */
  static Report stream(StreamingModel model, int samples, long seed, PrintStream out) {
    float[] signal = Signal.samples(1_000_000L, samples + 1, seed + 12345);
    long[] nanos = new long[samples];
    float[] x = new float[1];
    model.resetState();
    int warmUp = samples / 5;
    long allocatedAtWarmUp = 0;
    double modelSquares = 0;
    double persistenceSquares = 0;
    for (int i = 0; i < samples; i++) {
      if (i == warmUp) {
        allocatedAtWarmUp = AllocationMeter.allocatedBytes();
      }
      x[0] = signal[i];
      long begin = System.nanoTime();
      model.step(x, 0);
      float forecast = model.stepPrediction()[0];
      nanos[i] = System.nanoTime() - begin;
      double error = forecast - signal[i + 1];
      double naive = signal[i] - signal[i + 1];
      modelSquares += error * error;
      persistenceSquares += naive * naive;
    }
    double bytesPerSample = (AllocationMeter.allocatedBytes() - allocatedAtWarmUp) / (double) (samples - warmUp);
    Latencies latencies = new Latencies(nanos, warmUp, samples);
    Report report = new Report(Math.sqrt(modelSquares / samples), Math.sqrt(persistenceSquares / samples),
        latencies.percentile(50), latencies.percentile(99), latencies.percentile(99.9), latencies.count(),
        bytesPerSample);
    out.printf(Locale.ROOT, "Streamed %,d samples, one step each (latencies over the last %,d):%n", samples,
        report.measured());
    out.printf(Locale.ROOT, "  latency per sample: p50 %,d ns, p99 %,d ns, p99.9 %,d ns%n", report.p50(),
        report.p99(), report.p999());
    out.printf(Locale.ROOT, "  heap allocated per sample after warm-up: %.1f bytes%n", report.bytesPerSample());
    out.printf(Locale.ROOT, "  forecast RMSE %.4f (noise alone %.4f; repeating the last sample %.4f)%n",
        report.modelRmse(), Signal.NOISE, report.persistenceRmse());
    return report;
  }
}
