package dev.rnnc.loader;

import dev.rnnc.runtime.RnnModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Run in child JVMs by {@link RnnModelsTest}: loads a model through a shared cache directory and prints what it
 * did and a fingerprint of one forward pass ({@code events ...} and {@code output ...} lines).
 */
public final class ChildLoad {
  public static void main(String[] args) {
    Path cache = Path.of(args[0]);
    Path spec = Path.of(args[1]);
    Path weights = Path.of(args[2]);
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    RnnModels models = RnnModels.builder().cacheDirectory(cache)
        .listener(e -> events.add(e.kind().toString())).build();
    RnnModel model = models.loadModel(spec, weights);
    System.out.println("events " + String.join(",", events));
    System.out.println("output " + RnnModelsTest.fingerprint(model));
  }
}
