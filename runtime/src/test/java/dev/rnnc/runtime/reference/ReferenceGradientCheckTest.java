package dev.rnnc.runtime.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelParameters;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backpropagation of the reference checked against central finite differences of its own loss, in
 * double precision, for every parameter, dense input, h0 and c0 element.
 */
class ReferenceGradientCheckTest {
  private static final double EPS = 1e-6;
  // Central differences at eps 1e-6 in double are good to ~1e-10 here; 1e-6 relative is strict.
  private static final double ABS_TOLERANCE = 1e-9;
  private static final double REL_TOLERANCE = 1e-6;

  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of("rnn tanh, mse, linear head", Models.of(Cell.RNN).head(2, HeadActivation.LINEAR)),
        Arguments.of("rnn relu 2 layers bidirectional, many-to-one bce, sigmoid head",
            Models.of(Cell.RNN).relu().layers(2).bidirectional().manyToOne().head(2, HeadActivation.SIGMOID)
                .loss(Loss.BCE)),
        Arguments.of("gru reset after 2 layers, cross-entropy, softmax head",
            Models.of(Cell.GRU).layers(2).head(4, HeadActivation.SOFTMAX).loss(Loss.CROSS_ENTROPY)),
        Arguments.of("gru reset before bidirectional, many-to-one cross-entropy",
            Models.of(Cell.GRU).resetBefore().bidirectional().manyToOne().head(3, HeadActivation.LINEAR)
                .loss(Loss.CROSS_ENTROPY)),
        Arguments.of("gru reset before 3 layers, mse without head",
            Models.of(Cell.GRU).resetBefore().layers(3).hidden(2)),
        Arguments.of("lstm 3 layers bidirectional, mse without head",
            Models.of(Cell.LSTM).layers(3).bidirectional().hidden(2)),
        Arguments.of("lstm many-to-one, mse on features", Models.of(Cell.LSTM).manyToOne()),
        Arguments.of("lstm many-to-one, mse through sigmoid head",
            Models.of(Cell.LSTM).manyToOne().head(2, HeadActivation.SIGMOID)),
        Arguments.of("lstm, mse through softmax head", Models.of(Cell.LSTM).head(3, HeadActivation.SOFTMAX)),
        Arguments.of("rnn, bce without head", Models.of(Cell.RNN).layers(2).loss(Loss.BCE)),
        Arguments.of("gru embedding, cross-entropy",
            Models.of(Cell.GRU).embedding(5, 3).head(3, HeadActivation.SOFTMAX).loss(Loss.CROSS_ENTROPY)),
        Arguments.of("lstm embedding bidirectional many-to-one, bce",
            Models.of(Cell.LSTM).embedding(4, 2).bidirectional().manyToOne().head(2, HeadActivation.SIGMOID)
                .loss(Loss.BCE)),
        Arguments.of("lstm 2 layers bidirectional, dropout 0.5, cross-entropy",
            Models.of(Cell.LSTM).layers(2).bidirectional().dropout(0.5).head(3, HeadActivation.LINEAR)
                .loss(Loss.CROSS_ENTROPY)),
        Arguments.of("gru 3 layers, dropout 0.3, many-to-one mse",
            Models.of(Cell.GRU).layers(3).dropout(0.3).manyToOne().head(2, HeadActivation.LINEAR)),
        Arguments.of("rnn relu 3 layers bidirectional, dropout 0.2, bce",
            Models.of(Cell.RNN).relu().layers(3).bidirectional().dropout(0.2).loss(Loss.BCE)),
        Arguments.of("lstm projection 3 -> 2, 2 layers bidirectional, mse without head",
            Models.of(Cell.LSTM).projection(2).layers(2).bidirectional()),
        Arguments.of("lstm projection 4 -> 1, many-to-one cross-entropy, softmax head",
            Models.of(Cell.LSTM).hidden(4).projection(1).manyToOne().head(3, HeadActivation.SOFTMAX)
                .loss(Loss.CROSS_ENTROPY)),
        Arguments.of("lstm projection, embedding, 2 layers, dropout 0.4, bce",
            Models.of(Cell.LSTM).projection(2).embedding(5, 2).layers(2).dropout(0.4)
                .head(2, HeadActivation.SIGMOID).loss(Loss.BCE)),
        Arguments.of("lstm peepholes, 2 layers bidirectional, mse without head",
            Models.of(Cell.LSTM).peepholes().layers(2).bidirectional()),
        Arguments.of("lstm peepholes, many-to-one bce, sigmoid head",
            Models.of(Cell.LSTM).peepholes().manyToOne().head(2, HeadActivation.SIGMOID).loss(Loss.BCE)),
        Arguments.of("lstm peepholes and projection 3 -> 2, 2 layers bidirectional, cross-entropy",
            Models.of(Cell.LSTM).peepholes().projection(2).layers(2).bidirectional()
                .head(3, HeadActivation.LINEAR).loss(Loss.CROSS_ENTROPY)),
        Arguments.of("lstm peepholes and projection, embedding many-to-one, mse on features",
            Models.of(Cell.LSTM).peepholes().projection(1).embedding(4, 3).manyToOne()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void gradientsMatchFiniteDifferences(String name, Models spec) {
    ModelConfig config = spec.build();
    ReferenceModel model = new ReferenceModel(ModelParameters.initialize(config, 7), 3, 4);
    // Uneven lengths exercise packing; the longest sequence is shorter than the padded length.
    Batch batch = Models.batch(config, 3, 4, new int[] {3, 1, 2}, true, 11);
    checkAll(model, batch, 5);
    Batch full = Models.batch(config, 2, 3, null, false, 12);
    checkAll(model, full, 6);
  }

  private static void checkAll(ReferenceModel model, Batch batch, long dropoutCall) {
    ModelConfig config = model.config();
    int slots = config.layers() * config.directions() * batch.batch;
    double[] input = Models.toDouble(batch.input);
    double[] h0 = batch.h0 == null ? new double[slots * config.stateSize()] : Models.toDouble(batch.h0);
    double[] c0 = config.hasCellState()
        ? (batch.c0 == null ? new double[slots * config.hidden()] : Models.toDouble(batch.c0)) : null;
    Inputs in = new Inputs(model, batch, input, h0, c0, dropoutCall);
    model.computeGradientsDouble(batch, input, h0, c0, dropoutCall);

    double largest = 0;
    for (String name : config.parameterNames()) {
      double largestOfParameter = check(in, name, model.parameterDouble(name), model.gradientDouble(name).clone());
      // A parameter the loss ignores would pass the comparison trivially (0 = 0), e.g. unused peepholes. Relu
      // units can be dead for a whole small batch, so there a zero gradient is legitimate.
      boolean relu = config.nonlinearity() == ModelConfig.Nonlinearity.RELU && config.cell() == Cell.RNN;
      assertTrue(relu || largestOfParameter > 1e-6, name + " has no gradient: " + largestOfParameter);
      largest = Math.max(largest, largestOfParameter);
    }
    if (input != null) {
      largest = Math.max(largest, check(in, "input", input, model.inputGradientDouble().clone()));
    }
    largest = Math.max(largest, check(in, "h0", h0, model.h0GradientDouble().clone()));
    if (c0 != null) {
      largest = Math.max(largest, check(in, "c0", c0, model.c0GradientDouble().clone()));
    }
    assertTrue(largest > 1e-3, "gradients are suspiciously small: " + largest);
  }

  /**
   * Compares {@code analytic} (which may be a longer workspace) with central differences over every element
   * of {@code values}; returns the largest |gradient|.
   */
  private static double check(Inputs in, String name, double[] values, double[] analytic) {
    double largest = 0;
    for (int i = 0; i < values.length; i++) {
      int index = i;
      double original = values[i];
      values[i] = original + EPS;
      double plus = in.loss();
      values[i] = original - EPS;
      double minus = in.loss();
      values[i] = original;
      double numeric = (plus - minus) / (2 * EPS);
      assertEquals(numeric, analytic[i], ABS_TOLERANCE + REL_TOLERANCE * Math.abs(numeric),
          () -> name + "[" + index + "]");
      largest = Math.max(largest, Math.abs(analytic[i]));
    }
    return largest;
  }

  /** The loss as a function of whatever array was just perturbed. */
  private record Inputs(ReferenceModel model, Batch batch, double[] input, double[] h0, double[] c0, long call) {
    double loss() {
      return model.lossDouble(batch, input, h0, c0, call);
    }
  }
}
