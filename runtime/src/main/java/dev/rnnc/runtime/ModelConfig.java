package dev.rnnc.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The complete, validated description of one recurrent model: what a spec says once parsed, and what a
 * generated class reports about itself. Everything that needs to know parameter names, shapes or sizes
 * (the reference implementation, weight loading, the CLI) derives them from here, so there is one source
 * of truth for PyTorch's {@code state_dict} layout.
 *
 * <p>Parameter names follow a PyTorch module with attributes {@code embedding} ({@code nn.Embedding}),
 * {@code rnn} ({@code nn.RNN/GRU/LSTM}, {@code batch_first=True}) and {@code head} ({@code nn.Linear}).
 *
 * @param cell          recurrent cell
 * @param nonlinearity  vanilla RNN activation (ignored by the other cells; {@link Nonlinearity#TANH} there)
 * @param gruReset      where GRU applies its reset gate (ignored by the other cells; {@link GruReset#AFTER} there)
 * @param inputSize     features per step fed to layer 0 (the embedding dimension when {@code vocab > 0})
 * @param vocab         embedding vocabulary size, or 0 for dense float input
 * @param hidden        hidden size H
 * @param layers        stacked layers
 * @param bidirectional whether every layer also runs backwards in time
 * @param mode          many-to-many (output per step) or many-to-one (one feature vector per sequence)
 * @param headSize      outputs of the linear head, or 0 for no head
 * @param headActivation activation applied to the head's logits to get the prediction
 * @param maxLength     default longest sequence an instance holds
 * @param maxBatch      default largest batch an instance holds
 * @param training      training settings, or {@code null} when the spec has no {@code training} section
 * @param projSize      LSTM projection size P ({@code torch.nn.LSTM(proj_size=P)}), or 0 for none; h is P wide
 * @param peepholes     LSTM peephole connections (ONNX's {@code P}; parameter {@code weight_ph} rows i, f, o)
 */
public record ModelConfig(
    Cell cell,
    Nonlinearity nonlinearity,
    GruReset gruReset,
    int inputSize,
    int vocab,
    int hidden,
    int layers,
    boolean bidirectional,
    Mode mode,
    int headSize,
    HeadActivation headActivation,
    int maxLength,
    int maxBatch,
    TrainingConfig training,
    int projSize,
    boolean peepholes) {

  /** Recurrent cell kinds, with PyTorch's gate count. */
  public enum Cell {
    RNN(1), GRU(3), LSTM(4);

    private final int gates;

    Cell(int gates) {
      this.gates = gates;
    }

    /** Gate blocks of H rows in {@code weight_ih}/{@code weight_hh}: 1, 3 (r,z,n) or 4 (i,f,g,o). */
    public int gates() {
      return gates;
    }
  }

  /** Activation of a vanilla RNN cell. */
  public enum Nonlinearity { TANH, RELU }

  /** GRU candidate formulation: AFTER is torch.nn.GRU (reset applied to W_hn·h + b_hn); BEFORE is Cho et al. 2014. */
  public enum GruReset { AFTER, BEFORE }

  /** Output arity. */
  public enum Mode { MANY_TO_MANY, MANY_TO_ONE }

  /** Activation applied to the head's logits. */
  public enum HeadActivation { LINEAR, SIGMOID, SOFTMAX }

  /** Loss functions, as PyTorch computes them with reduction 'mean' over valid elements. */
  public enum Loss { CROSS_ENTROPY, BCE, MSE }

  /**
   * Training settings.
   *
   * @param loss     loss function
   * @param dropout  inverted dropout probability between stacked layers, in [0, 1)
   * @param truncate truncated-BPTT window for streaming training, 0 for full sequences
   */
  public record TrainingConfig(Loss loss, double dropout, int truncate) {}

  /** Upper bound on any single size (hidden, input, vocab, head, length, batch). */
  public static final int MAX_DIMENSION = 1 << 16;

  public ModelConfig {
    if (cell == null || mode == null) {
      throw new IllegalArgumentException("cell and mode are required");
    }
    if (nonlinearity == null) {
      nonlinearity = Nonlinearity.TANH;
    }
    if (gruReset == null) {
      gruReset = GruReset.AFTER;
    }
    if (headActivation == null) {
      headActivation = HeadActivation.LINEAR;
    }
    requireRange("input", inputSize, 1);
    requireRange("hidden", hidden, 1);
    requireRange("layers", layers, 1);
    requireRange("max_length", maxLength, 1);
    requireRange("max_batch", maxBatch, 1);
    if (vocab < 0 || vocab > MAX_DIMENSION * 16) {
      throw new IllegalArgumentException("vocab out of range: " + vocab);
    }
    if (headSize < 0 || headSize > MAX_DIMENSION) {
      throw new IllegalArgumentException("head size out of range: " + headSize);
    }
    if (projSize != 0 && (cell != Cell.LSTM || projSize < 0 || projSize >= hidden)) {
      throw new IllegalArgumentException("proj_size needs an lstm cell and 0 < proj_size < hidden, got " + projSize);
    }
    if (peepholes && cell != Cell.LSTM) {
      throw new IllegalArgumentException("peepholes need an lstm cell");
    }
  }

  /**
   * The configuration without a projection or peepholes, in the argument order of rnnc 0.1. Kept so that
   * classes generated before those fields existed still load; new code uses {@link #builder(Cell)}.
   */
  public ModelConfig(
      Cell cell, Nonlinearity nonlinearity, GruReset gruReset, int inputSize, int vocab, int hidden, int layers,
      boolean bidirectional, Mode mode, int headSize, HeadActivation headActivation, int maxLength, int maxBatch,
      TrainingConfig training) {
    this(cell, nonlinearity, gruReset, inputSize, vocab, hidden, layers, bidirectional, mode, headSize,
        headActivation, maxLength, maxBatch, training, 0, false);
  }

  /** A builder with the spec's defaults: one unidirectional layer, many-to-many, no head, limits 256 × 32. */
  public static Builder builder(Cell cell) {
    return new Builder(cell);
  }

  /** A builder holding this configuration, to change some fields. */
  public Builder toBuilder() {
    Builder b = new Builder(cell);
    b.nonlinearity = nonlinearity;
    b.gruReset = gruReset;
    b.inputSize = inputSize;
    b.vocab = vocab;
    b.hidden = hidden;
    b.layers = layers;
    b.bidirectional = bidirectional;
    b.mode = mode;
    b.headSize = headSize;
    b.headActivation = headActivation;
    b.maxLength = maxLength;
    b.maxBatch = maxBatch;
    b.training = training;
    b.projSize = projSize;
    b.peepholes = peepholes;
    return b;
  }

  /**
   * Named construction of a {@link ModelConfig}: generated classes build their {@code CONFIG} with it, so a
   * field added later (with a default) does not break classes generated earlier.
   */
  public static final class Builder {
    private final Cell cell;
    private Nonlinearity nonlinearity = Nonlinearity.TANH;
    private GruReset gruReset = GruReset.AFTER;
    private int inputSize;
    private int vocab;
    private int hidden;
    private int layers = 1;
    private boolean bidirectional;
    private Mode mode = Mode.MANY_TO_MANY;
    private int headSize;
    private HeadActivation headActivation = HeadActivation.LINEAR;
    private int maxLength = 256;
    private int maxBatch = 32;
    private TrainingConfig training;
    private int projSize;
    private boolean peepholes;

    private Builder(Cell cell) {
      this.cell = cell;
    }

    public Builder nonlinearity(Nonlinearity value) {
      nonlinearity = value;
      return this;
    }

    public Builder gruReset(GruReset value) {
      gruReset = value;
      return this;
    }

    /** Dense input: features per step. */
    public Builder input(int size) {
      inputSize = size;
      vocab = 0;
      return this;
    }

    /** Token input through an embedding of {@code vocabulary} rows of {@code dim}. */
    public Builder embedding(int vocabulary, int dim) {
      vocab = vocabulary;
      inputSize = dim;
      return this;
    }

    public Builder hidden(int value) {
      hidden = value;
      return this;
    }

    public Builder layers(int value) {
      layers = value;
      return this;
    }

    public Builder bidirectional(boolean value) {
      bidirectional = value;
      return this;
    }

    public Builder mode(Mode value) {
      mode = value;
      return this;
    }

    public Builder head(int size, HeadActivation activation) {
      headSize = size;
      headActivation = activation;
      return this;
    }

    public Builder limits(int newMaxBatch, int newMaxLength) {
      maxBatch = newMaxBatch;
      maxLength = newMaxLength;
      return this;
    }

    public Builder training(TrainingConfig value) {
      training = value;
      return this;
    }

    public Builder projSize(int value) {
      projSize = value;
      return this;
    }

    public Builder peepholes(boolean value) {
      peepholes = value;
      return this;
    }

    public ModelConfig build() {
      return new ModelConfig(cell, nonlinearity, gruReset, inputSize, vocab, hidden, layers, bidirectional, mode,
          headSize, headActivation, maxLength, maxBatch, training, projSize, peepholes);
    }
  }

  private static void requireRange(String what, int value, int min) {
    if (value < min || value > MAX_DIMENSION) {
      throw new IllegalArgumentException(what + " must be in [" + min + ", " + MAX_DIMENSION + "], got " + value);
    }
  }

  /** 2 when bidirectional, else 1. */
  public int directions() {
    return bidirectional ? 2 : 1;
  }

  /** Gate blocks per cell. */
  public int gates() {
    return cell.gates();
  }

  /** Rows of {@code weight_ih}/{@code weight_hh}: gates × hidden. */
  public int gateRows() {
    return cell.gates() * hidden;
  }

  /** Whether the LSTM projects h to {@link #projSize()} values. */
  public boolean hasProjection() {
    return projSize > 0;
  }

  /** Width of h (the recurrent state and per-step output of one direction): P with a projection, else H. */
  public int stateSize() {
    return projSize > 0 ? projSize : hidden;
  }

  /** Input width of layer {@code layer}: the model input for layer 0, {@code directions × stateSize} above. */
  public int layerInputSize(int layer) {
    return layer == 0 ? inputSize : directions() * stateSize();
  }

  /** Width of the per-step output and of many-to-one features: {@code directions × stateSize}. */
  public int featureSize() {
    return directions() * stateSize();
  }

  /** Whether inputs are token ids looked up in an embedding. */
  public boolean hasEmbedding() {
    return vocab > 0;
  }

  /** Whether a linear head sits on top of the features. */
  public boolean hasHead() {
    return headSize > 0;
  }

  /** Whether the cell carries a cell state (c) beside h. */
  public boolean hasCellState() {
    return cell == Cell.LSTM;
  }

  /** Width of the model's final output: head size with a head, else {@link #featureSize()}. */
  public int outputSize() {
    return hasHead() ? headSize : featureSize();
  }

  /** Parameter-name suffix of a direction: "" forwards, "_reverse" backwards. */
  public static String directionSuffix(int direction) {
    return direction == 0 ? "" : "_reverse";
  }

  /** Module (attribute) names of the PyTorch model, the prefixes of its {@code state_dict} names. */
  public static final String RNN_MODULE = "rnn";
  public static final String EMBEDDING_MODULE = "embedding";
  public static final String HEAD_MODULE = "head";

  /**
   * The one place a recurrent parameter's name is spelled: {@code <module>.<kind>_l<layer>[_reverse]}, e.g.
   * {@code rnn.weight_ih_l0}, {@code encoder.rnn.bias_hh_l1_reverse}.
   *
   * @param module prefix of the recurrent module ({@link #RNN_MODULE} for a single-stack model)
   * @param kind   {@code weight_ih}, {@code weight_hh}, {@code bias_ih}, {@code bias_hh}, {@code weight_hr}
   *               (LSTM projection) or {@code weight_ph} (LSTM peepholes)
   */
  public static String recurrentParameter(String module, String kind, int layer, int direction) {
    return module + "." + kind + "_l" + layer + directionSuffix(direction);
  }

  /** PyTorch name of the input weight of one layer and direction. */
  public static String weightIh(int layer, int direction) {
    return recurrentParameter(RNN_MODULE, "weight_ih", layer, direction);
  }

  /** PyTorch name of the recurrent weight of one layer and direction. */
  public static String weightHh(int layer, int direction) {
    return recurrentParameter(RNN_MODULE, "weight_hh", layer, direction);
  }

  /** PyTorch name of the input bias of one layer and direction. */
  public static String biasIh(int layer, int direction) {
    return recurrentParameter(RNN_MODULE, "bias_ih", layer, direction);
  }

  /** PyTorch name of the recurrent bias of one layer and direction. */
  public static String biasHh(int layer, int direction) {
    return recurrentParameter(RNN_MODULE, "bias_hh", layer, direction);
  }

  /** PyTorch name of the LSTM projection weight {@code [P, H]} of one layer and direction. */
  public static String weightHr(int layer, int direction) {
    return recurrentParameter(RNN_MODULE, "weight_hr", layer, direction);
  }

  /** Name of the LSTM peephole weights {@code [3, H]} (rows i, f, o) of one layer and direction. */
  public static String weightPh(int layer, int direction) {
    return recurrentParameter(RNN_MODULE, "weight_ph", layer, direction);
  }

  public static final String EMBEDDING_WEIGHT = EMBEDDING_MODULE + ".weight";
  public static final String HEAD_WEIGHT = HEAD_MODULE + ".weight";
  public static final String HEAD_BIAS = HEAD_MODULE + ".bias";

  /**
   * Every parameter with its shape, in {@code state_dict} order: embedding, then per layer and direction
   * weight_ih, weight_hh, bias_ih, bias_hh (then weight_ph with peepholes, weight_hr with a projection), then the head.
   */
  public Map<String, int[]> parameterShapes() {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    if (hasEmbedding()) {
      shapes.put(EMBEDDING_WEIGHT, new int[] {vocab, inputSize});
    }
    for (int layer = 0; layer < layers; layer++) {
      for (int dir = 0; dir < directions(); dir++) {
        shapes.put(weightIh(layer, dir), new int[] {gateRows(), layerInputSize(layer)});
        shapes.put(weightHh(layer, dir), new int[] {gateRows(), stateSize()});
        shapes.put(biasIh(layer, dir), new int[] {gateRows()});
        shapes.put(biasHh(layer, dir), new int[] {gateRows()});
        if (peepholes) {
          shapes.put(weightPh(layer, dir), new int[] {3, hidden});
        }
        if (hasProjection()) {
          shapes.put(weightHr(layer, dir), new int[] {projSize, hidden});
        }
      }
    }
    if (hasHead()) {
      shapes.put(HEAD_WEIGHT, new int[] {headSize, featureSize()});
      shapes.put(HEAD_BIAS, new int[] {headSize});
    }
    return shapes;
  }

  /** Scalars in all of {@code shapes} together (each shape's product, summed). */
  public static long elementCount(Map<String, int[]> shapes) {
    long count = 0;
    for (int[] shape : shapes.values()) {
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      count += n;
    }
    return count;
  }

  /** Parameter names in {@code state_dict} order. */
  public List<String> parameterNames() {
    return Collections.unmodifiableList(new ArrayList<>(parameterShapes().keySet()));
  }

  /** Total number of scalar parameters. */
  public long parameterCount() {
    return elementCount(parameterShapes());
  }

  /**
   * Floating-point operations of one timestep of one sequence (a multiply-add counts as 2), over all
   * layers and directions, including the head for many-to-many models. Matrix products only: the
   * elementwise cell math is small beside them and is left out, as is usual for such figures.
   */
  public long flopsPerStep() {
    long flops = 0;
    for (int layer = 0; layer < layers; layer++) {
      flops += 2L * directions() * gateRows() * ((long) layerInputSize(layer) + stateSize());
      flops += 2L * directions() * projSize * hidden;
    }
    if (hasHead() && mode == Mode.MANY_TO_MANY) {
      flops += 2L * headSize * featureSize();
    }
    return flops;
  }

  /** A copy with other default limits. */
  public ModelConfig withLimits(int newMaxBatch, int newMaxLength) {
    return toBuilder().limits(newMaxBatch, newMaxLength).build();
  }
}
