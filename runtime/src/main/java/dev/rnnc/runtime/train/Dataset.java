package dev.rnnc.runtime.train;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A training set held in memory and validated against a model: N padded sequences of T steps.
 *
 * <p>As a safetensors file (see {@link #fromTensors}) it holds these tensors, batch first like PyTorch's
 * {@code batch_first=True}:
 * <ul>
 *   <li>{@code input}: float {@code [N, T, inputSize]} for dense models, integer token ids {@code [N, T]} for
 *       embedding models ({@code tokens} is accepted as its other name) — the names {@code run} and {@code grad}
 *       read;</li>
 *   <li>{@code target}: class ids (integer, or integral floats) for cross-entropy, {@code [N, T]} many-to-many or
 *       {@code [N]} many-to-one; floats for bce/mse, {@code [N, T, K]} or {@code [N, K]} with K the model's output
 *       size;</li>
 *   <li>optional {@code lengths} integer {@code [N]}, each in 1..T;</li>
 *   <li>optional {@code h0} (and for LSTM {@code c0}) float {@code [layers*dirs, N, H]} initial states.</li>
 * </ul>
 * Values at padded steps are never read.
 */
public final class Dataset {
  private final ModelConfig config;
  private final int size;
  private final int steps;
  private final float[] input;
  private final int[] tokens;
  private final int[] lengths;
  private final int[] classTargets;
  private final float[] valueTargets;
  private final float[] h0;
  private final float[] c0;

  /**
   * A dataset over the given arrays (kept, not copied), laid out as the class comment describes.
   *
   * @param input        dense input, or null for an embedding model
   * @param tokens       token ids, or null for a dense model
   * @param lengths      valid steps per sequence, or null for all T
   * @param classTargets class ids for cross-entropy, else null
   * @param valueTargets float targets for bce/mse, else null
   * @param h0           initial hidden states, or null for zeros
   * @param c0           initial LSTM cell states, or null for zeros
   * @throws RnncException when anything does not fit the model or its loss
   */
  public Dataset(ModelConfig config, int size, int steps, float[] input, int[] tokens, int[] lengths,
      int[] classTargets, float[] valueTargets, float[] h0, float[] c0) {
    if (config.training() == null) {
      throw new RnncException("the model has no training section: no loss to train with");
    }
    if (size < 1 || steps < 1) {
      throw new RnncException("a dataset needs at least one sequence of at least one step (got " + size
          + " sequences of " + steps + " steps)");
    }
    this.config = config;
    this.size = size;
    this.steps = steps;
    if (config.hasEmbedding()) {
      require(tokens != null && input == null, "an embedding model trains on token ids [N, T], not dense input");
      requireLength("tokens", tokens, (long) size * steps);
    } else {
      require(input != null && tokens == null, "a dense model trains on float input [N, T, " + config.inputSize()
          + "], not token ids");
      requireLength("input", input, (long) size * steps * config.inputSize());
    }
    this.input = input;
    this.tokens = tokens;
    if (lengths != null) {
      requireLength("lengths", lengths, size);
      for (int n = 0; n < size; n++) {
        if (lengths[n] < 1 || lengths[n] > steps) {
          throw new RnncException("lengths[" + n + "] = " + lengths[n] + " is outside 1.." + steps);
        }
      }
    }
    this.lengths = lengths;
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    long positions = perStep ? (long) size * steps : size;
    if (config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY) {
      require(classTargets != null && valueTargets == null, "cross-entropy needs integer class targets");
      requireLength("target", classTargets, positions);
      checkClasses(classTargets, perStep);
    } else {
      require(valueTargets != null && classTargets == null,
          config.training().loss().name().toLowerCase() + " needs float targets");
      requireLength("target", valueTargets, positions * config.outputSize());
    }
    this.classTargets = classTargets;
    this.valueTargets = valueTargets;
    long stateRows = (long) config.layers() * config.directions() * size;
    if (h0 != null) {
      requireLength("h0", h0, stateRows * config.stateSize());
    }
    if (c0 != null) {
      require(config.hasCellState(), "c0 is only for LSTM models");
      requireLength("c0", c0, stateRows * config.hidden());
    }
    this.h0 = h0;
    this.c0 = c0;
    if (tokens != null) {
      for (int n = 0; n < size; n++) {
        for (int t = 0; t < length(n); t++) {
          int id = tokens[n * steps + t];
          if (id < 0 || id >= config.vocab()) {
            throw new RnncException("token id [" + n + ", " + t + "] = " + id + " is outside the vocabulary 0.."
                + (config.vocab() - 1));
          }
        }
      }
    }
  }

  /** Reads a dataset file (see the class comment); messages name the file as given. */
  public static Dataset load(Path file, ModelConfig config) {
    return fromTensors(SafeTensors.read(file).tensors(), config, file.toString());
  }

  /**
   * A dataset from named tensors (see the class comment), converted to the arrays the trainer uses.
   *
   * @param sourceName what the tensors came from, for messages
   */
  public static Dataset fromTensors(Map<String, Tensor> tensors, ModelConfig config, String sourceName) {
    Set<String> known = Set.of("input", "tokens", "target", "lengths", "h0", "c0");
    Set<String> unknown = new TreeSet<>(tensors.keySet());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      throw new RnncException(sourceName + ": unexpected " + (unknown.size() == 1 ? "tensor " : "tensors ") + unknown
          + " (a dataset holds input, lengths, h0, c0 and target; 'tokens' is another name for 'input')");
    }
    try {
      if (tensors.containsKey("input") && tensors.containsKey("tokens")) {
        throw new RnncException("holds both 'input' and 'tokens' (two names for the same tensor); keep one");
      }
      String dataName = tensors.containsKey("tokens") ? "tokens" : "input";
      Tensor data = tensors.get(dataName);
      String expected = config.hasEmbedding() ? "token ids [N, T] in 0.." + (config.vocab() - 1)
          : "F32 [N, T, " + config.inputSize() + "]";
      if (data == null) {
        throw new RnncException("missing tensor 'input' (" + expected + ")");
      }
      // Token ids may come as floats holding whole numbers (checked when converted), dense features never as integers.
      if (!config.hasEmbedding() && !data.dtype().isFloatingPoint()) {
        throw new RnncException("'" + dataName + "' has dtype " + data.dtype() + ", but this model takes dense"
            + " features: expected " + expected);
      }
      int[] shape = data.shape();
      int expectedRank = config.hasEmbedding() ? 2 : 3;
      if (shape.length != expectedRank || (!config.hasEmbedding() && shape[2] != config.inputSize())) {
        throw new RnncException("'" + dataName + "' has shape " + Arrays.toString(shape) + ", expected " + expected);
      }
      int n = shape[0];
      int t = shape[1];
      Tensor target = tensors.get("target");
      boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
      boolean classes = config.training() != null && config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY;
      int[] targetShape = perStep ? new int[] {n, t} : new int[] {n};
      if (!classes) {
        targetShape = Arrays.copyOf(targetShape, targetShape.length + 1);
        targetShape[targetShape.length - 1] = config.outputSize();
      }
      if (target == null) {
        throw new RnncException("missing tensor 'target' (" + (classes ? "class ids " : "floats ")
            + Arrays.toString(targetShape) + ")");
      }
      requireShape("target", target, targetShape);
      int stateRows = config.layers() * config.directions();
      float[] h0 = optionalFloats(tensors, "h0", new int[] {stateRows, n, config.stateSize()});
      float[] c0 = optionalFloats(tensors, "c0", new int[] {stateRows, n, config.hidden()});
      int[] lengths = null;
      if (tensors.containsKey("lengths")) {
        requireShape("lengths", tensors.get("lengths"), new int[] {n});
        lengths = integers("lengths", tensors.get("lengths"));
      }
      return new Dataset(config, n, t,
          config.hasEmbedding() ? null : floats(dataName, data),
          config.hasEmbedding() ? integers(dataName, data) : null,
          lengths,
          classes ? integers("target", target) : null,
          classes ? null : floats("target", target),
          h0, c0);
    } catch (RnncException e) {
      throw new RnncException(sourceName + ": " + e.getMessage(), e);
    }
  }

  private static float[] optionalFloats(Map<String, Tensor> tensors, String name, int[] shape) {
    Tensor tensor = tensors.get(name);
    if (tensor == null) {
      return null;
    }
    requireShape(name, tensor, shape);
    return floats(name, tensor);
  }

  private static float[] floats(String name, Tensor tensor) {
    if (!tensor.dtype().isFloatingPoint()) {
      throw new RnncException("'" + name + "' has dtype " + tensor.dtype() + ", expected F32 or F64");
    }
    float[] values = tensor.toFloatArray();
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new RnncException("'" + name + "' contains " + values[i] + " at flat index " + i);
      }
    }
    return values;
  }

  /** Integer tensors, or floats holding whole numbers (what {@code torch.tensor([...])} of labels may give). */
  private static int[] integers(String name, Tensor tensor) {
    if (!tensor.dtype().isFloatingPoint()) {
      return tensor.toIntArray();
    }
    float[] values = tensor.toFloatArray();
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      if (values[i] != Math.rint(values[i]) || Math.abs(values[i]) > 1 << 24) {
        throw new RnncException("'" + name + "' must hold whole numbers, but flat index " + i + " is " + values[i]);
      }
      out[i] = (int) values[i];
    }
    return out;
  }

  private static void requireShape(String name, Tensor tensor, int[] shape) {
    if (!Arrays.equals(tensor.shape(), shape)) {
      throw new RnncException("'" + name + "' has shape " + Arrays.toString(tensor.shape()) + ", expected "
          + Arrays.toString(shape));
    }
  }

  private void checkClasses(int[] targets, boolean perStep) {
    int k = config.outputSize();
    for (int n = 0; n < size; n++) {
      int positions = perStep ? length(n) : 1;
      for (int t = 0; t < positions; t++) {
        int c = targets[perStep ? n * steps + t : n];
        if (c < 0 || c >= k) {
          throw new RnncException("target" + (perStep ? "[" + n + ", " + t + "]" : "[" + n + "]") + " = " + c
              + " is not a class of the model's " + k + " outputs");
        }
      }
    }
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new RnncException(message);
    }
  }

  private static void requireLength(String name, Object array, long expected) {
    int length = array instanceof float[] ? ((float[]) array).length : ((int[]) array).length;
    if (length != expected) {
      throw new RnncException("'" + name + "' has " + length + " values, expected " + expected);
    }
  }

  /**
   * Sequences {@code from} (inclusive) to {@code to} (exclusive) as a dataset of their own (copied), e.g. to hold
   * some out for validation.
   */
  public Dataset rows(int from, int to) {
    if (from < 0 || to > size || from >= to) {
      throw new RnncException("rows " + from + ".." + to + " are not a non-empty range of the " + size + " sequences");
    }
    int count = to - from;
    int k = config.outputSize();
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    int targetRow = (perStep ? steps : 1) * (classTargets != null ? 1 : k);
    return new Dataset(config, count, steps,
        input == null ? null : Arrays.copyOfRange(input, from * steps * config.inputSize(),
            to * steps * config.inputSize()),
        tokens == null ? null : Arrays.copyOfRange(tokens, from * steps, to * steps),
        lengths == null ? null : Arrays.copyOfRange(lengths, from, to),
        classTargets == null ? null : Arrays.copyOfRange(classTargets, from * targetRow, to * targetRow),
        valueTargets == null ? null : Arrays.copyOfRange(valueTargets, from * targetRow, to * targetRow),
        stateRows(h0, from, count, config.stateSize()), stateRows(c0, from, count, config.hidden()));
  }

  /** Columns {@code [from, from+count)} of every row of a state {@code [layers*dirs, N, H]}. */
  private float[] stateRows(float[] state, int from, int count, int hidden) {
    if (state == null) {
      return null;
    }
    int rows = config.layers() * config.directions();
    float[] out = new float[rows * count * hidden];
    for (int l = 0; l < rows; l++) {
      System.arraycopy(state, (l * size + from) * hidden, out, l * count * hidden, count * hidden);
    }
    return out;
  }

  /**
   * A 64-bit hash of the whole content (sizes, inputs, lengths, targets, initial states): a checkpoint records it so
   * that resuming on other data is noticed.
   */
  public long fingerprint() {
    long h = 0x6A09E667F3BCC909L;
    h = mixIn(h, size);
    h = mixIn(h, steps);
    if (input != null) {
      for (float v : input) {
        h = mixIn(h, Float.floatToIntBits(v));
      }
    }
    if (tokens != null) {
      for (int v : tokens) {
        h = mixIn(h, v);
      }
    }
    for (int n = 0; n < size; n++) {
      h = mixIn(h, length(n));
    }
    if (classTargets != null) {
      for (int v : classTargets) {
        h = mixIn(h, v);
      }
    }
    for (float[] values : new float[][] {valueTargets, h0, c0}) {
      h = mixIn(h, values == null ? -1 : values.length);
      if (values != null) {
        for (float v : values) {
          h = mixIn(h, Float.floatToIntBits(v));
        }
      }
    }
    return h;
  }

  private static long mixIn(long h, long value) {
    h = (h ^ value) * 0x9E3779B97F4A7C15L;
    return h ^ (h >>> 29);
  }

  public ModelConfig config() {
    return config;
  }

  /** Sequences N. */
  public int size() {
    return size;
  }

  /** Padded length T. */
  public int steps() {
    return steps;
  }

  /** Valid steps of sequence {@code n}. */
  public int length(int n) {
    return lengths == null ? steps : lengths[n];
  }

  public boolean hasLengths() {
    return lengths != null;
  }

  float[] input() {
    return input;
  }

  int[] tokens() {
    return tokens;
  }

  int[] classTargets() {
    return classTargets;
  }

  float[] valueTargets() {
    return valueTargets;
  }

  float[] h0() {
    return h0;
  }

  float[] c0() {
    return c0;
  }
}
