package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.emit.GeneratedModels;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.VectorSupport;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The kernels' vector width is a tuning choice ({@code rnnc tune}, {@link VectorSupport#vectorBits}), so it must
 * not change a result: every width from 128 bits up to the platform's widest gives bit-identical forward outputs,
 * states and streaming steps, for each cell kind, bf16 weights included.
 *
 * <p>Tagged to run in a JVM of its own (compiler/core/pom.xml): after it, the Vector API's shared methods have
 * profiled three vector classes, which changes how C2 compiles every later test's kernels.
 */
@Tag("vector-widths")
class VectorWidthTest {
  private static final List<String> SPECS = List.of("""
      model: WidthLstm
      package: t.width
      cell: lstm
      input: 13
      hidden: 37
      layers: 2
      proj_size: 19
      head: {size: 37, activation: softmax}   # 37: whole vectors at every width, and a tail
      limits: {max_batch: 6, max_length: 7}
      """, """
      model: WidthGru
      package: t.width
      cell: gru
      gru_reset: before
      embedding: {vocab: 11, dim: 9}
      hidden: 33
      bidirectional: true
      mode: many_to_one
      head: {size: 3, activation: sigmoid}
      limits: {max_batch: 6, max_length: 7}
      """, """
      model: WidthRnn
      package: t.width
      cell: rnn
      input: 21
      hidden: 48
      weights: bf16
      limits: {max_batch: 6, max_length: 7}
      """);

  @Test
  void everyVectorWidthGivesTheSameResults() throws Exception {
    // a class initialised without the property (and with no tuning profile) takes the platform's widest
    int widest = lanes(GeneratedModels.compile(List.of(SPECS.get(0)),
        Map.of(VectorSupport.PROFILE_PROPERTY, "/nonexistent/tune.properties")).get(0).type()) * Float.SIZE;
    List<Integer> widths = new ArrayList<>();
    for (int bits = 128; bits <= widest; bits *= 2) {
      widths.add(bits);
    }
    assertTrue(widths.size() >= 2, "this machine offers only " + widest + "-bit vectors: nothing to compare");
    for (int s = 0; s < SPECS.size(); s++) {
      List<float[][]> results = new ArrayList<>();
      for (int bits : widths) {
        GeneratedModels.Compiled compiled = GeneratedModels.compile(List.of(SPECS.get(s)),
            Map.of(VectorSupport.BITS_PROPERTY, Integer.toString(bits))).get(0);
        assertEquals(bits / Float.SIZE, lanes(compiled.type()), "lanes of the class initialised at " + bits + " bits");
        results.add(run(compiled));
      }
      for (int w = 1; w < widths.size(); w++) {
        for (int r = 0; r < results.get(0).length; r++) {
          assertArrayEquals(results.get(0)[r], results.get(w)[r],
              "spec " + s + ", result " + r + ": " + widths.get(w) + " bits differs from " + widths.get(0));
        }
      }
    }
  }

  @Test
  void theFirstCallAndAWarmCallGiveTheSameResults() throws Exception {
    // The first call runs interpreted, where the Vector API computes lane by lane in Java; after warm-up C2 runs
    // its intrinsics (SVML for a library EXP, tree-ordered reductions). Generated code uses neither, so the JIT's
    // progress must not show in a result: the softmax head (37 classes: vectors and a tail) included.
    GeneratedModels.Compiled compiled = GeneratedModels.compile(List.of(SPECS.get(0)), Map.of()).get(0);
    RnnModel model = (RnnModel) compiled.instantiate(ModelParameters.initialize(compiled.spec().config(), 3));
    float[] input = new float[6 * 7 * compiled.spec().config().inputSize()];
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextDouble(-4, 4);
    }
    int[] lengths = {7, 3, 5, 1, 7, 6};
    model.forward(input, 6, 7, lengths, null, null);
    float[] coldLogits = model.logits().clone();
    float[] coldPrediction = model.prediction().clone();
    for (int i = 0; i < 30_000; i++) {
      model.forward(input, 6, 7, lengths, null, null);
    }
    assertArrayEquals(coldLogits, model.logits(), "logits, first call vs after 30,000 calls");
    assertArrayEquals(coldPrediction, model.prediction(), "softmax, first call vs after 30,000 calls");
  }

  private static int lanes(Class<?> type) throws ReflectiveOperationException {
    Field lanes = type.getDeclaredField("LANES");
    lanes.setAccessible(true);
    return lanes.getInt(null);
  }

  /** Forward pass over a padded batch, then (for unidirectional models) a few streaming steps. */
  private static float[][] run(GeneratedModels.Compiled compiled) {
    ModelConfig config = compiled.spec().config();
    ModelParameters parameters = ModelParameters.initialize(config, 3);
    RnnModel model = (RnnModel) compiled.instantiate(parameters);
    SplittableRandom random = new SplittableRandom(9);
    int batch = 6;
    int steps = 7;
    int[] lengths = {7, 3, 5, 1, 7, 6};
    if (config.hasEmbedding()) {
      int[] tokens = new int[batch * steps];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = random.nextInt(config.vocab());
      }
      model.forwardTokens(tokens, batch, steps, lengths, null, null);
    } else {
      float[] input = new float[batch * steps * config.inputSize()];
      for (int i = 0; i < input.length; i++) {
        input[i] = (float) random.nextDouble(-1, 1);
      }
      model.forward(input, batch, steps, lengths, null, null);
    }
    List<float[]> out = new ArrayList<>();
    out.add(model.output().clone());
    out.add(model.hN().clone());
    if (model.logits() != null) {
      out.add(model.logits().clone());
      out.add(model.prediction().clone());
    }
    if (model instanceof StreamingModel stream && !config.hasEmbedding()) {
      float[] x = new float[config.inputSize()];
      for (int t = 0; t < 5; t++) {
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) random.nextDouble(-1, 1);
        }
        stream.step(x, 0);
        out.add(stream.stepOutput().clone());
      }
    }
    return out.toArray(new float[0][]);
  }
}
