package dev.rnnc.runtime.reference;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad calls fail with a message naming what is wrong. */
class ReferenceValidationTest {
  private final ModelConfig dense = Models.of(Cell.LSTM).head(3, HeadActivation.SOFTMAX).loss(Loss.CROSS_ENTROPY)
      .build();
  private final ReferenceModel model = new ReferenceModel(ModelParameters.initialize(dense, 1), 2, 4);
  private final float[] input = new float[2 * 4 * 2];

  private static void fails(Class<? extends Throwable> type, String fragment, Executable call) {
    Throwable error = assertThrows(type, call);
    assertTrue(error.getMessage().contains(fragment), () -> "message '" + error.getMessage() + "' lacks '"
        + fragment + "'");
  }

  @Test
  void rejectsSizesOutOfRange() {
    fails(IllegalArgumentException.class, "batch must be in [1, 2], got 3",
        () -> model.forward(new float[64], 3, 4, null, null, null));
    fails(IllegalArgumentException.class, "batch must be in [1, 2], got 0",
        () -> model.forward(input, 0, 4, null, null, null));
    fails(IllegalArgumentException.class, "steps must be in [1, 4], got 5",
        () -> model.forward(new float[64], 2, 5, null, null, null));
    fails(IllegalArgumentException.class, "lengths[1] must be in [1, 4], got 0",
        () -> model.forward(input, 2, 4, new int[] {4, 0}, null, null));
    fails(IllegalArgumentException.class, "lengths[0] must be in [1, 4], got 5",
        () -> model.forward(input, 2, 4, new int[] {5, 1}, null, null));
    fails(IllegalArgumentException.class, "lengths has 1 elements, needs 2",
        () -> model.forward(input, 2, 4, new int[] {4}, null, null));
  }

  @Test
  void rejectsShortArrays() {
    fails(IllegalArgumentException.class, "input has 15 elements, needs 16",
        () -> model.forward(new float[15], 2, 4, null, null, null));
    fails(IllegalArgumentException.class, "h0 has 5 elements, needs 6",
        () -> model.forward(input, 2, 4, null, new float[5], null));
    fails(IllegalArgumentException.class, "c0 has 5 elements, needs 6",
        () -> model.forward(input, 2, 4, null, null, new float[5]));
    fails(IllegalArgumentException.class, "input is null", () -> model.forward(null, 2, 4, null, null, null));
  }

  @Test
  void projectedStatesAreCheckedAtTheirOwnWidths() {
    // hidden 3 projected to 2: h0 is [1, 2, 2], c0 [1, 2, 3], streaming h [1, 2] and c [1, 3].
    ModelConfig projected = Models.of(Cell.LSTM).projection(2).noTraining().build();
    ReferenceModel narrow = new ReferenceModel(ModelParameters.initialize(projected, 1), 2, 4);
    narrow.forward(input, 2, 4, null, new float[4], new float[6]);
    fails(IllegalArgumentException.class, "h0 has 3 elements, needs 4",
        () -> narrow.forward(input, 2, 4, null, new float[3], new float[6]));
    fails(IllegalArgumentException.class, "c0 has 4 elements, needs 6",
        () -> narrow.forward(input, 2, 4, null, new float[4], new float[4]));
    narrow.setState(new float[2], new float[3]);
    fails(IllegalArgumentException.class, "c0 has 2 elements, needs 3",
        () -> narrow.setState(new float[2], new float[2]));
  }

  @Test
  void rejectsTheWrongInputKind() {
    fails(IllegalArgumentException.class, "call forward",
        () -> model.forwardTokens(new int[8], 2, 4, null, null, null));
    ModelConfig embedded = Models.of(Cell.GRU).embedding(5, 2).build();
    ReferenceModel tokens = new ReferenceModel(ModelParameters.initialize(embedded, 1), 2, 4);
    fails(IllegalArgumentException.class, "call forwardTokens", () -> tokens.forward(input, 2, 4, null, null, null));
    fails(IllegalArgumentException.class, "token id at [1, 0] must be in [0, 5), got 5",
        () -> tokens.forwardTokens(new int[] {0, 1, 2, 3, 5, 0, 0, 0}, 2, 4, null, null, null));
    // Ids at padded steps are ignored.
    tokens.forwardTokens(new int[] {0, 1, 2, 3, 4, -1, 99, 0}, 2, 4, new int[] {4, 1}, null, null);
    fails(IllegalArgumentException.class, "token id must be in [0, 5), got 7", () -> tokens.stepToken(7));
    fails(IllegalArgumentException.class, "call stepToken", () -> tokens.step(input, 0));
  }

  @Test
  void rejectsBadTrainingBatches() {
    Batch batch = Models.batch(dense, 2, 4, new int[] {4, 2}, false, 3);
    batch.classTargets[1] = 3;
    fails(IllegalArgumentException.class, "class target 3 at position 1 is outside [0, 3)",
        () -> model.computeGradients(batch));
    batch.classTargets[1] = 0;
    batch.classTargets[6] = 3; // sequence 1, step 2: padded, ignored
    model.computeGradients(batch);
    batch.classTargets = null;
    fails(IllegalArgumentException.class, "cross-entropy needs classTargets", () -> model.computeGradients(batch));
    batch.classTargets = new int[7];
    fails(IllegalArgumentException.class, "classTargets has 7 elements, needs 8",
        () -> model.computeGradients(batch));
  }

  @Test
  void trainingNeedsATrainingSection() {
    ModelConfig config = Models.of(Cell.RNN).noTraining().build();
    ReferenceModel untrained = new ReferenceModel(ModelParameters.initialize(config, 1), 2, 4);
    fails(IllegalStateException.class, "no training section",
        () -> untrained.computeGradients(Models.batch(config, 2, 4, null, false, 1)));
  }

  @Test
  void streamingNeedsAUnidirectionalModel() {
    ModelConfig config = Models.of(Cell.GRU).bidirectional().build();
    ReferenceModel bidirectional = new ReferenceModel(ModelParameters.initialize(config, 1), 2, 4);
    fails(IllegalStateException.class, "unidirectional", () -> bidirectional.step(input, 0));
    fails(IllegalStateException.class, "unidirectional", bidirectional::resetState);
    fails(IllegalArgumentException.class, "x needs INPUT_SIZE = 2 values from offset 15, has 16", () -> model.step(input, 15));
    fails(IllegalArgumentException.class, "h0 has 2 elements, needs 3", () -> model.setState(new float[2], null));
  }

  @Test
  void rejectsParametersOfAnotherModelAndUnknownNames() {
    ModelConfig other = Models.of(Cell.GRU).head(3, HeadActivation.SOFTMAX).build();
    fails(IllegalArgumentException.class, "rnn.weight_ih_l0 has 18 values, expected 24",
        () -> model.setParameters(ModelParameters.initialize(other, 1)));
    fails(IllegalArgumentException.class, "no parameter 'rnn.weight'", () -> model.parameterDouble("rnn.weight"));
  }
}
