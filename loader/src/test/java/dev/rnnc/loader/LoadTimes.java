package dev.rnnc.loader;

import dev.rnnc.runtime.RnnModel;
import java.nio.file.Path;

/**
 * Measures one load in a fresh JVM (what an application's start pays): {@code LoadTimes CACHE SPEC WEIGHTS}
 * prints {@code <event> <ms to a usable instance> <ms in generation> <ms in javac or cache read>}. Run it once
 * with an empty cache directory (first load) and again (cached load); see the README's "Load-time
 * specialisation" section for the command and figures. Not a unit test: timings belong in measurements.
 */
public final class LoadTimes {
  public static void main(String[] args) {
    long start = System.nanoTime();
    String[] event = new String[1];
    RnnModels models = RnnModels.builder().cacheDirectory(Path.of(args[0]))
        .listener(e -> event[0] = e.kind().toString()).build();
    ModelClass modelClass = models.modelClass(Path.of(args[1]));
    RnnModel model = modelClass.newInstance(dev.rnnc.runtime.ModelParameters.load(Path.of(args[2]),
        modelClass.config()));
    long total = System.nanoTime() - start;
    System.out.printf("%s %.1f %.1f %.1f %s%n", event[0], total / 1e6, modelClass.generationNanos() / 1e6,
        modelClass.compileNanos() / 1e6, model.getClass().getName());
  }
}
