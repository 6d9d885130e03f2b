package dev.rnnc.loader;

import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import java.nio.file.Path;

/**
 * Measures loads (not a unit test: timings belong in measurements). Two modes:
 *
 * <ul>
 *   <li>{@code LoadTimes cold CACHE SPEC WEIGHTS}: one load in this fresh JVM, what an application's start pays;
 *       run it with an empty cache directory (first load), then again (cached load);
 *   <li>{@code LoadTimes warm CACHE SPEC WEIGHTS WARMUP_SPEC}: in a JVM that already loaded another model (javac,
 *       the Vector API and the YAML parser warmed up), a first load of SPEC, a load by a new {@link RnnModels}
 *       from the disk cache, and a load from memory.
 * </ul>
 *
 * Each line: {@code <how> <ms to a usable instance> <ms generating> <ms in javac or reading the cache>}. The
 * README's "Load-time specialisation" section has the command and the figures.
 */
public final class LoadTimes {
  /** What the last load did (the listener's last event). */
  private static volatile LoadEvent.Kind last;

  private static RnnModels models(Path cache) {
    return RnnModels.builder().cacheDirectory(cache).listener(e -> last = e.kind()).build();
  }

  public static void main(String[] args) {
    Path cache = Path.of(args[1]);
    Path spec = Path.of(args[2]);
    Path weights = Path.of(args[3]);
    if (args[0].equals("warm")) {
      RnnModels.builder().noDiskCache().build().modelClass(Path.of(args[4]));
      RnnModels first = models(cache);
      measure(first, spec, weights);
      measure(models(cache), spec, weights);
      measure(first, spec, weights);
    } else {
      measure(models(cache), spec, weights);
    }
  }

  private static void measure(RnnModels models, Path spec, Path weights) {
    long start = System.nanoTime();
    ModelClass modelClass = models.modelClass(spec);
    RnnModel model = modelClass.newInstance(ModelParameters.load(weights, modelClass.config()));
    long total = System.nanoTime() - start;
    System.out.printf("%s %.1f %.1f %.1f %s%n", last, total / 1e6, modelClass.generationNanos() / 1e6,
        modelClass.compileNanos() / 1e6, model.getClass().getName());
  }
}
