package dev.rnnc.flink;

import dev.rnnc.flink.model.SensorForecaster;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the forecaster's weights come from: a small serialisable description that travels with the job graph
 * (the weights themselves do not), resolved on the task manager by {@link #load()}. Every subtask of a task
 * manager JVM that asks for the same weights gets the same immutable {@link SensorForecaster.Weights}: loaded and
 * repacked once per JVM, shared by all the subtasks' model instances and banks.
 */
public final class ForecasterWeights implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The weights trained by {@link TrainSensorForecaster}, shipped in this module's jar. */
  public static final String BUNDLED_RESOURCE = "/dev/rnnc/flink/sensor-forecaster.safetensors";

  private static final ConcurrentHashMap<String, SensorForecaster.Weights> LOADED = new ConcurrentHashMap<>();

  private final String file;
  private final long seed;

  private ForecasterWeights(String file, long seed) {
    this.file = file;
    this.seed = seed;
  }

  /** The trained weights in this module's jar. */
  public static ForecasterWeights bundled() {
    return new ForecasterWeights(null, 0);
  }

  /** A safetensors file with PyTorch names and layouts, readable at that path on every task manager. */
  public static ForecasterWeights file(Path path) {
    return new ForecasterWeights(path.toAbsolutePath().toString(), 0);
  }

  /** PyTorch's default initialisation from a seed: untrained, for tests of the plumbing. */
  public static ForecasterWeights seeded(long seed) {
    return new ForecasterWeights("", seed);
  }

  /** The shared weights of this JVM, loaded on first use. */
  public SensorForecaster.Weights load() {
    return LOADED.computeIfAbsent(key(), k -> new SensorForecaster.Weights(parameters()));
  }

  /** The parameters, read afresh. */
  public ModelParameters parameters() {
    if (file == null) {
      try (InputStream in = ForecasterWeights.class.getResourceAsStream(BUNDLED_RESOURCE)) {
        if (in == null) {
          throw new RnncException("the bundled weights " + BUNDLED_RESOURCE + " are not on the class path; run "
              + "TrainSensorForecaster to make them, or pass weights with --weights FILE");
        }
        return ModelParameters.fromTensors(SafeTensors.read(BUNDLED_RESOURCE, in.readAllBytes()).tensors(),
            SensorForecaster.CONFIG, BUNDLED_RESOURCE);
      } catch (IOException e) {
        throw new RnncException("cannot read " + BUNDLED_RESOURCE + ": " + e.getMessage(), e);
      }
    }
    if (file.isEmpty()) {
      return ModelParameters.initialize(SensorForecaster.CONFIG, seed);
    }
    return ModelParameters.load(Path.of(file), SensorForecaster.CONFIG);
  }

  private String key() {
    return file == null ? "bundled" : file.isEmpty() ? "seed:" + seed : "file:" + file;
  }

  @Override
  public String toString() {
    return file == null ? "bundled weights" : file.isEmpty() ? "seeded weights (" + seed + ")" : file;
  }
}
