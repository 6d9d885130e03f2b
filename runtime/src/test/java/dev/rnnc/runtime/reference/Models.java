package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import java.util.Random;

/** Small model configurations and random batches for the reference tests. */
final class Models {
  private Cell cell;
  private ModelConfig.Nonlinearity nonlinearity = ModelConfig.Nonlinearity.TANH;
  private ModelConfig.GruReset reset = ModelConfig.GruReset.AFTER;
  private int input = 2;
  private int vocab;
  private int hidden = 3;
  private int layers = 1;
  private boolean bidirectional;
  private ModelConfig.Mode mode = ModelConfig.Mode.MANY_TO_MANY;
  private int head;
  private HeadActivation activation = HeadActivation.LINEAR;
  private Loss loss = Loss.MSE;
  private double dropout;
  private boolean training = true;
  private int projSize;
  private boolean peepholes;

  private Models(Cell cell) {
    this.cell = cell;
  }

  static Models of(Cell cell) {
    return new Models(cell);
  }

  Models relu() {
    nonlinearity = ModelConfig.Nonlinearity.RELU;
    return this;
  }

  Models resetBefore() {
    reset = ModelConfig.GruReset.BEFORE;
    return this;
  }

  Models input(int size) {
    input = size;
    return this;
  }

  Models embedding(int vocabulary, int dimension) {
    vocab = vocabulary;
    input = dimension;
    return this;
  }

  Models hidden(int size) {
    hidden = size;
    return this;
  }

  Models layers(int count) {
    layers = count;
    return this;
  }

  Models bidirectional() {
    bidirectional = true;
    return this;
  }

  Models manyToOne() {
    mode = ModelConfig.Mode.MANY_TO_ONE;
    return this;
  }

  Models head(int size, HeadActivation headActivation) {
    head = size;
    activation = headActivation;
    return this;
  }

  Models loss(Loss value) {
    loss = value;
    return this;
  }

  Models dropout(double p) {
    dropout = p;
    return this;
  }

  /** LSTM projection of h to {@code size} values. */
  Models projection(int size) {
    projSize = size;
    return this;
  }

  /** LSTM peephole connections. */
  Models peepholes() {
    peepholes = true;
    return this;
  }

  Models noTraining() {
    training = false;
    return this;
  }

  ModelConfig build() {
    ModelConfig.Builder builder = ModelConfig.builder(cell).nonlinearity(nonlinearity).gruReset(reset).hidden(hidden)
        .projSize(projSize).peepholes(peepholes).layers(layers).bidirectional(bidirectional).mode(mode)
        .head(head, activation).limits(3, 5)
        .training(training ? new ModelConfig.TrainingConfig(loss, dropout, 0) : null);
    return (vocab > 0 ? builder.embedding(vocab, input) : builder.input(input)).build();
  }

  /**
   * A random batch for {@code config}: inputs uniform(-1, 1), targets matching the loss, and (when
   * {@code states}) random h0 {@code [layers*dirs, batch, S]} and c0 {@code [layers*dirs, batch, H]}. Token ids and class targets at padded steps are -1 so that reading them
   * would fail.
   */
  static Batch batch(ModelConfig config, int batch, int steps, int[] lengths, boolean states, long seed) {
    Random random = new Random(seed);
    Batch b = new Batch();
    b.batch = batch;
    b.steps = steps;
    b.lengths = lengths;
    if (config.hasEmbedding()) {
      b.tokens = new int[batch * steps];
      for (int i = 0; i < b.tokens.length; i++) {
        b.tokens[i] = valid(b, i, true) ? random.nextInt(config.vocab()) : -1;
      }
    } else {
      b.input = uniform(random, batch * steps * config.inputSize(), -1, 1);
    }
    if (states) {
      int slots = config.layers() * config.directions() * batch;
      b.h0 = uniform(random, slots * config.stateSize(), -0.5, 0.5);
      b.c0 = config.hasCellState() ? uniform(random, slots * config.hidden(), -0.5, 0.5) : null;
    }
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    int positions = batch * (perStep ? steps : 1);
    int width = config.outputSize();
    if (config.training() != null && config.training().loss() == Loss.CROSS_ENTROPY) {
      b.classTargets = new int[positions];
      for (int i = 0; i < positions; i++) {
        b.classTargets[i] = valid(b, i, perStep) ? random.nextInt(width) : -1;
      }
    } else {
      b.valueTargets = uniform(random, positions * width, config.training() != null
          && config.training().loss() == Loss.BCE ? 0 : -1, 1);
    }
    return b;
  }

  private static boolean valid(Batch b, int position, boolean perStep) {
    return !perStep || position % b.steps < b.length(position / b.steps);
  }

  static float[] uniform(Random random, int n, double low, double high) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) (low + (high - low) * random.nextDouble());
    }
    return values;
  }

  static double[] toDouble(float[] values) {
    if (values == null) {
      return null;
    }
    double[] result = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = values[i];
    }
    return result;
  }
}
