package dev.rnnc.flink;

import dev.rnnc.flink.model.SensorForecaster;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.Dataset;
import dev.rnnc.runtime.train.Trainer;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Trains the forecaster on readings of 16 sensors (each predicting its next reading, truncated BPTT) and writes
 * the weights the job ships with, {@code src/main/resources/dev/rnnc/flink/sensor-forecaster.safetensors}.
 *
 * <p>Run: {@code mvn -q -o -pl integrations/flink exec:exec -Dmain=dev.rnnc.flink.TrainSensorForecaster
 * -Dmain.args="--output src/main/resources/dev/rnnc/flink/sensor-forecaster.safetensors"} (about a minute).
 */
public final class TrainSensorForecaster {
  private static final int SEQUENCES = 16;
  private static final int LENGTH = 256;

  private TrainSensorForecaster() {}

  public static void main(String[] args) {
    Path output = Path.of(args.length == 2 && args[0].equals("--output") ? args[1]
        : "src/main/resources/dev/rnnc/flink/sensor-forecaster.safetensors");
    long seed = 1;
    int epochs = 300;
    float[] input = new float[SEQUENCES * LENGTH];
    float[] target = new float[SEQUENCES * LENGTH];
    for (int n = 0; n < SEQUENCES; n++) {
      // Training data from other times than the job's readings (which start at step 0 with seed 5 by default).
      float[] x = SensorSignals.series(n, 100_000L + 1000L * n, LENGTH + 1, seed);
      System.arraycopy(x, 0, input, n * LENGTH, LENGTH);
      System.arraycopy(x, 1, target, n * LENGTH, LENGTH);
    }
    ModelParameters weights = ModelParameters.initialize(SensorForecaster.CONFIG, seed);
    SensorForecaster model = new SensorForecaster(weights);
    Dataset data = new Dataset(SensorForecaster.CONFIG, SEQUENCES, LENGTH, input, null, null, null, target, null, null);
    Trainer trainer = new Trainer(model, weights, Adam.adam(0.005), data, Trainer.Options.fullBatch().withClipNorm(1));
    System.out.printf(Locale.ROOT, "before training: mse %.5f%n", trainer.evaluate());
    for (int done = 0; done < epochs; done += 50) {
      trainer.trainEpochs(50, null);
      System.out.printf(Locale.ROOT, "epoch %4d: mse %.5f%n", done + 50, trainer.evaluate());
    }
    weights.save(output);
    System.out.println("wrote " + output.toAbsolutePath());
  }
}
