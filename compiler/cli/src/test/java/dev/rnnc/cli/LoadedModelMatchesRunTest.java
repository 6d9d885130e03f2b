package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnnc.loader.LoadEvent;
import dev.rnnc.loader.ModelClass;
import dev.rnnc.loader.RnnModels;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model loaded by {@link RnnModels} from its on-disk class cache computes bit for bit what {@code rnnc run}
 * computes with a class it compiled itself.
 */
class LoadedModelMatchesRunTest {
  @TempDir Path dir;

  @Test
  void cachedLoadEqualsRnncRun() {
    Path spec = Cli.write(dir, "dense.yaml", RunCommandTest.DENSE);
    Path weights = dir.resolve("w.safetensors");
    Path cache = dir.resolve("cache");
    List<LoadEvent.Kind> events = new ArrayList<>();
    RnnModels.builder().cacheDirectory(cache).build().modelClass(spec);
    ModelClass cached = RnnModels.builder().cacheDirectory(cache).listener(e -> events.add(e.kind())).build()
        .modelClass(spec);
    assertEquals(List.of(LoadEvent.Kind.DISK_CACHE_HIT), events);
    ModelParameters.initialize(cached.config(), 23).save(weights);

    Map<String, Tensor> x = RunCommandTest.denseInput();
    Path in = Cli.tensors(dir, "x.safetensors", x);
    Path out = dir.resolve("y.safetensors");
    Cli.Result r = Cli.run("run", spec, "--weights", weights, "--input", in, "--output", out);
    assertEquals(0, r.code(), r::toString);
    Map<String, Tensor> y = Cli.read(out);

    RnnModel model = cached.newInstance(ModelParameters.load(weights, cached.config()),
        RunCommandTest.B, RunCommandTest.T);
    model.forward(x.get("input").floats(), RunCommandTest.B, RunCommandTest.T, new int[] {5, 2, 4},
        x.get("h0").floats(), x.get("c0").floats());
    assertArrayEquals(model.output(), y.get("output").floats());
    assertArrayEquals(model.hN(), y.get("h_n").floats());
    assertArrayEquals(model.cN(), y.get("c_n").floats());
    assertArrayEquals(model.features(), y.get("features").floats());
    assertArrayEquals(model.prediction(), y.get("prediction").floats());
  }
}
