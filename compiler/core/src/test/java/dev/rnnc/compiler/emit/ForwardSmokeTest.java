package dev.rnnc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ForwardSmokeTest {
  @Test
  void lstmMatchesReference() {
    String spec = """
        model: Smoke
        package: t.smoke
        cell: lstm
        input: 5
        hidden: 19
        layers: 2
        bidirectional: true
        mode: many_to_many
        head: {size: 3, activation: softmax}
        limits: {max_length: 6, max_batch: 3}
        """;
    GeneratedModels.Compiled c = GeneratedModels.compile(spec);
    ModelParameters p = ModelParameters.initialize(c.spec().config(), 7);
    RnnModel gen = (RnnModel) c.instantiate(p);
    RnnModel ref = new ReferenceModel(p);
    SplittableRandom r = new SplittableRandom(1);
    float[] x = new float[3 * 6 * 5];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-1, 1);
    int[] len = {6, 2, 4};
    gen.forward(x, 3, 6, len, null, null);
    ref.forward(x, 3, 6, len, null, null);
    for (int i = 0; i < 3 * 6 * 38; i++) assertEquals(ref.output()[i], gen.output()[i], 1e-5, "output " + i);
    for (int i = 0; i < 3 * 6 * 3; i++) assertEquals(ref.prediction()[i], gen.prediction()[i], 1e-5, "pred " + i);
    for (int i = 0; i < 4 * 3 * 19; i++) assertEquals(ref.hN()[i], gen.hN()[i], 1e-5, "hN " + i);
  }
}
