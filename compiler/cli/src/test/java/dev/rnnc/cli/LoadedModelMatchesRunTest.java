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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model loaded by {@link RnnModels} from its on-disk class cache computes bit for bit what {@code rnnc run}
 * computes with a class it compiled itself.
 */
class LoadedModelMatchesRunTest {
  private static final String SPEC = """
      model: LoadedDense
      package: t.loaded
      cell: lstm
      input: 3
      hidden: 6
      layers: 2
      bidirectional: true
      mode: many_to_one
      head: {size: 4, activation: softmax}
      limits: {max_batch: 2, max_length: 3}
      """;
  private static final int B = 3;
  private static final int T = 5;

  @TempDir Path dir;

  private static float[] random(SplittableRandom r, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextDouble(-1, 1);
    }
    return out;
  }

  @Test
  void cachedLoadEqualsRnncRun() {
    Path spec = Cli.write(dir, "dense.yaml", SPEC);
    Path weights = dir.resolve("w.safetensors");
    Path cache = dir.resolve("cache");
    List<LoadEvent.Kind> events = new ArrayList<>();
    RnnModels.builder().cacheDirectory(cache).build().modelClass(spec);
    ModelClass cached = RnnModels.builder().cacheDirectory(cache).listener(e -> events.add(e.kind())).build()
        .modelClass(spec);
    assertEquals(List.of(LoadEvent.Kind.DISK_CACHE_HIT), events);
    ModelParameters.initialize(cached.config(), 23).save(weights);

    // Beyond the spec's limits (B = 3 > max_batch 2, T = 5 > max_length 3), with lengths and h0/c0.
    SplittableRandom r = new SplittableRandom(3);
    Map<String, Tensor> x = new LinkedHashMap<>();
    x.put("input", Tensor.ofFloats(new int[] {B, T, 3}, random(r, B * T * 3)));
    x.put("lengths", Tensor.ofLongs(new int[] {B}, new long[] {5, 2, 4}));
    x.put("h0", Tensor.ofFloats(new int[] {4, B, 6}, random(r, 4 * B * 6)));
    x.put("c0", Tensor.ofFloats(new int[] {4, B, 6}, random(r, 4 * B * 6)));
    Path in = Cli.tensors(dir, "x.safetensors", x);
    Path out = dir.resolve("y.safetensors");
    Cli.Result result = Cli.run("run", spec, "--weights", weights, "--input", in, "--output", out);
    assertEquals(0, result.code(), result::toString);
    Map<String, Tensor> y = Cli.read(out);

    RnnModel model = cached.newInstance(ModelParameters.load(weights, cached.config()),
        B, T);
    model.forward(x.get("input").floats(), B, T, new int[] {5, 2, 4},
        x.get("h0").floats(), x.get("c0").floats());
    assertArrayEquals(model.output(), y.get("output").floats());
    assertArrayEquals(model.hN(), y.get("h_n").floats());
    assertArrayEquals(model.cN(), y.get("c_n").floats());
    assertArrayEquals(model.features(), y.get("features").floats());
    assertArrayEquals(model.prediction(), y.get("prediction").floats());
  }
}
