package dev.rnnc.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ONNX model OrtBenchmark times computes what rnnc's double-precision reference computes on the same
 * PyTorch-named parameters (so its gate reordering is right), whole sequences and stepped with the state fed back.
 */
class OnnxLstmTest {
  private static final int INPUT = 3;
  private static final int HIDDEN = 5;
  private static final int BATCH = 2;
  private static final int STEPS = 6;
  private static final ModelParameters PARAMETERS = ModelParameters.initialize(
      ModelConfig.builder(ModelConfig.Cell.LSTM).input(INPUT).hidden(HIDDEN).limits(BATCH, STEPS).build(), 7);

  @Test
  void gateBlocksGoFromPytorchOrderToOnnxOrder() {
    // PyTorch blocks i, f, g, o (two rows each); ONNX wants i, o, f, c (c = g)
    float[] pytorch = {1, 1, 2, 2, 3, 3, 4, 4};
    assertArrayEquals(new float[] {1, 1, 4, 4, 2, 2, 3, 3}, OnnxLstm.reorder(pytorch, 2));
  }

  @Test
  void wholeSequencesMatchTheReference() throws OrtException {
    float[] batchFirst = Inputs.uniform(BATCH * STEPS * INPUT, 11);
    float[] timeFirst = new float[batchFirst.length];
    for (int t = 0; t < STEPS; t++) {
      for (int b = 0; b < BATCH; b++) {
        System.arraycopy(batchFirst, (b * STEPS + t) * INPUT, timeFirst, (t * BATCH + b) * INPUT, INPUT);
      }
    }
    ReferenceModel reference = new ReferenceModel(PARAMETERS);
    reference.forward(batchFirst, BATCH, STEPS, null, null, null);

    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    try (OrtSession session = OrtBenchmark.session(environment,
            OnnxLstm.model(PARAMETERS, STEPS, BATCH, false, true));
        OnnxTensor x = OnnxTensor.createTensor(environment, FloatBuffer.wrap(timeFirst),
            new long[] {STEPS, BATCH, INPUT});
        OrtSession.Result result = session.run(Map.of("X", x))) {
      float[] y = floats(result, "Y");
      float[] yBatchFirst = new float[y.length];
      for (int t = 0; t < STEPS; t++) {
        for (int b = 0; b < BATCH; b++) {
          System.arraycopy(y, (t * BATCH + b) * HIDDEN, yBatchFirst, (b * STEPS + t) * HIDDEN, HIDDEN);
        }
      }
      requireClose("Y", reference.output(), yBatchFirst);
      requireClose("Y_h", reference.hN(), floats(result, "Y_h"));
      requireClose("Y_c", reference.cN(), floats(result, "Y_c"));
    }
  }

  @Test
  void stepsWithTheStateFedBackMatchTheReference() throws OrtException {
    float[] inputs = Inputs.uniform(STEPS * INPUT, 12);
    ReferenceModel reference = new ReferenceModel(PARAMETERS, 1, STEPS);
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    float[] h = new float[HIDDEN];
    float[] c = new float[HIDDEN];
    try (OrtSession session = OrtBenchmark.session(environment, OnnxLstm.model(PARAMETERS, 1, 1, true, false))) {
      for (int t = 0; t < STEPS; t++) {
        reference.step(inputs, t * INPUT);
        long[] state = {1, 1, HIDDEN};
        try (OnnxTensor x = OnnxTensor.createTensor(environment,
                FloatBuffer.wrap(Arrays.copyOfRange(inputs, t * INPUT, (t + 1) * INPUT)), new long[] {1, 1, INPUT});
            OnnxTensor h0 = OnnxTensor.createTensor(environment, FloatBuffer.wrap(h), state);
            OnnxTensor c0 = OnnxTensor.createTensor(environment, FloatBuffer.wrap(c), state);
            OrtSession.Result result = session.run(Map.of("X", x, "initial_h", h0, "initial_c", c0))) {
          h = floats(result, "Y_h");
          c = floats(result, "Y_c");
        }
        requireClose("step " + t + " Y_h", reference.stepOutput(), h);
      }
    }
  }

  @Test
  void onlyBareLstmsAreWritten() {
    ModelParameters gru = ModelParameters.initialize(
        ModelConfig.builder(ModelConfig.Cell.GRU).input(INPUT).hidden(HIDDEN).build(), 1);
    assertThrows(IllegalArgumentException.class, () -> OnnxLstm.model(gru, 1, 1, true, false));
  }

  private static float[] floats(OrtSession.Result result, String name) {
    FloatBuffer buffer = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
    float[] values = new float[buffer.remaining()];
    buffer.get(values);
    return values;
  }

  /** The golden tests' float tolerance, 1e-5 + 1e-4·|expected|, on the first {@code actual.length} values. */
  private static void requireClose(String what, float[] expected, float[] actual) {
    Agreement.requireClose(what, Arrays.copyOf(expected, actual.length), actual, Agreement.FORWARD_ABS,
        Agreement.FORWARD_REL);
  }
}
