package dev.rnnc.compiler.generated;

import static dev.rnnc.compiler.generated.Agreement.GRAD_ABS;
import static dev.rnnc.compiler.generated.Agreement.GRAD_REL;
import static dev.rnnc.compiler.generated.Agreement.assertAbsent;
import static dev.rnnc.compiler.generated.Agreement.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.rnnc.compiler.generated.Agreement.Shape;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Generated backpropagation through time equals the reference's on random training specs: every cell
 * variant, loss (cross-entropy, bce, mse with and without a head), mode, direction and input kind, with
 * dropout between stacked layers (same seed on both sides). Loss, every parameter gradient, and the
 * gradients of the input, h0 and c0 are compared within {@code 1e-4 + 1e-3·|expected|}. Two calls per
 * instance, so gradients must be overwritten, not accumulated, and the dropout call counter must advance
 * in step with the reference's.
 */
class RandomGradientsTest {
  private static final int SPECS = 60;
  private static final int CALLS_PER_SPEC = 2;

  @TestFactory
  Stream<DynamicTest> generatedGradientsEqualReference() {
    long seed = RandomSpecsTest.seed() + 30;
    List<String> specs = new SpecGenerator(seed, "t.grad", SpecGenerator.Options.TRAINING).next(SPECS);
    List<GeneratedCase> cases = GeneratedCase.compile(specs, true, seed);
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c, seed)));
  }

  private static void check(GeneratedCase c, long seed) {
    ModelConfig config = c.config();
    TrainableModel generated = assertInstanceOf(TrainableModel.class, c.generated(),
        "a spec with a training section gives a TrainableModel\n" + c.context());
    ReferenceModel reference = c.reference();
    SplittableRandom random = new SplittableRandom(seed ^ c.yaml().hashCode());
    long dropoutSeed = random.nextLong();
    generated.setDropoutSeed(dropoutSeed);
    reference.setDropoutSeed(dropoutSeed);
    for (int i = 0; i < CALLS_PER_SPEC; i++) {
      Call call = Call.random(config, config.maxBatch(), config.maxLength(), random);
      Batch batch = batch(config, call, random);
      String context = c.context() + "\ntraining call " + (i + 1) + " of " + CALLS_PER_SPEC + ", dropout seed "
          + dropoutSeed + "\n" + call.describe();
      float expectedLoss = reference.computeGradients(batch);
      float actualLoss = generated.computeGradients(batch);
      assertClose("loss", new float[] {expectedLoss}, new float[] {actualLoss}, 1, null, context, GRAD_ABS, GRAD_REL);
      compareGradients(config, reference, generated, call, context);
    }
  }

  private static void compareGradients(ModelConfig config, ReferenceModel reference, TrainableModel generated,
      Call call, String context) {
    ModelParameters expected = reference.gradients();
    ModelParameters actual = generated.gradients();
    assertEquals(expected.names(), actual.names(), "gradient names, in state_dict order\n" + context);
    for (String name : expected.names()) {
      int[] shape = expected.shape(name);
      Shape axes = shape.length == 2 ? Shape.of("row,col", shape[0], shape[1]) : Shape.of("i", shape[0]);
      assertClose("d" + name, expected.get(name), actual.get(name), expected.get(name).length, axes, context,
          GRAD_ABS, GRAD_REL);
    }
    if (config.hasEmbedding()) {
      assertAbsent("inputGradient", generated.inputGradient(), context);
    } else {
      int width = config.inputSize();
      assertClose("inputGradient", reference.inputGradient(), generated.inputGradient(),
          call.batch() * call.steps() * width, Shape.of("b,t,i", call.batch(), call.steps(), width), context,
          GRAD_ABS, GRAD_REL);
    }
    int states = config.layers() * config.directions();
    assertClose("h0Gradient", reference.h0Gradient(), generated.h0Gradient(), states * call.batch() * config.stateSize(),
        Shape.of("layer*dir,b,h", states, call.batch(), config.stateSize()), context, GRAD_ABS, GRAD_REL);
    if (config.hasCellState()) {
      assertClose("c0Gradient", reference.c0Gradient(), generated.c0Gradient(), states * call.batch() * config.hidden(),
          Shape.of("layer*dir,b,c", states, call.batch(), config.hidden()), context, GRAD_ABS, GRAD_REL);
    } else {
      assertAbsent("c0Gradient", generated.c0Gradient(), context);
    }
  }

  /** The call as a training batch with random targets the loss accepts; padded targets are poison. */
  static Batch batch(ModelConfig config, Call call, SplittableRandom random) {
    Batch batch = new Batch();
    batch.input = call.input();
    batch.tokens = call.tokens();
    batch.batch = call.batch();
    batch.steps = call.steps();
    batch.lengths = call.lengths();
    batch.h0 = call.h0();
    batch.c0 = call.c0();
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    int positions = call.batch() * (perStep ? call.steps() : 1);
    int width = config.outputSize();
    ModelConfig.Loss loss = config.training().loss();
    if (loss == ModelConfig.Loss.CROSS_ENTROPY) {
      batch.classTargets = new int[positions];
      for (int p = 0; p < positions; p++) {
        boolean padded = perStep && p % call.steps() >= call.length(p / call.steps());
        batch.classTargets[p] = padded ? -1 : random.nextInt(width);
      }
    } else {
      batch.valueTargets = new float[positions * width];
      for (int p = 0; p < positions; p++) {
        boolean padded = perStep && p % call.steps() >= call.length(p / call.steps());
        for (int k = 0; k < width; k++) {
          batch.valueTargets[p * width + k] = padded ? Float.NaN
              : loss == ModelConfig.Loss.BCE ? (float) random.nextDouble() : (float) random.nextDouble(-1, 1);
        }
      }
    }
    return batch;
  }
}
