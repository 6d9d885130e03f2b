package dev.rnnc.cli;

import dev.rnnc.runtime.Batch;
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
 * The input file of {@code run} and {@code grad}, read and checked against a model before anything runs, so
 * every problem is reported by tensor name, actual shape and expected shape.
 *
 * <p>Tensors (batch first): {@code input} float {@code [B, T, inputSize]}, or integer token ids {@code [B, T]}
 * for embedding models ({@code tokens} is accepted as its other name, as in dataset files); optional
 * {@code lengths} integer {@code [B]}, each in 1..T; optional {@code h0} and (LSTM) {@code c0} float
 * {@code [layers*dirs, B, H]}; and, for {@code grad}, {@code target}: integer class ids {@code [B, T]} or
 * {@code [B]} for cross-entropy, floats shaped like the compared output for bce/mse.
 */
final class ModelInput {
  private static final Set<String> KNOWN = Set.of("input", "tokens", "lengths", "h0", "c0", "target");

  final int batch;
  final int steps;
  final float[] input;
  final int[] tokens;
  final int[] lengths;
  final float[] h0;
  final float[] c0;
  final int[] classTargets;
  final float[] valueTargets;

  private final String source;
  private final ModelConfig config;

  private ModelInput(String source, ModelConfig config, Map<String, Tensor> tensors, boolean needTarget) {
    this.source = source;
    this.config = config;
    Set<String> unknown = new TreeSet<>(tensors.keySet());
    unknown.removeAll(KNOWN);
    if (!unknown.isEmpty()) {
      throw error("unexpected " + (unknown.size() == 1 ? "tensor " : "tensors ") + unknown + " (an input file holds "
          + "input, lengths, h0, c0 and target)");
    }
    if (tensors.containsKey("input") && tensors.containsKey("tokens")) {
      throw error("holds both 'input' and 'tokens'; keep one");
    }
    String inputName = tensors.containsKey("tokens") ? "tokens" : "input";
    Tensor data = tensors.get(inputName);
    if (data == null) {
      throw error("missing tensor 'input' (" + expectedInput() + ")");
    }
    int[] shape = data.shape();
    if (config.hasEmbedding()) {
      if (data.dtype().isFloatingPoint()) {
        throw error("'" + inputName + "' has dtype " + data.dtype() + ", but this model embeds token ids: expected "
            + expectedInput());
      }
      requireRank(inputName, shape, 2, "[B, T]");
    } else {
      if (!data.dtype().isFloatingPoint()) {
        throw error("'" + inputName + "' has dtype " + data.dtype() + ", but this model takes dense features: expected "
            + expectedInput());
      }
      if (shape.length != 3 || shape[2] != config.inputSize()) {
        throw error("'" + inputName + "' has shape " + Arrays.toString(shape) + ", expected [B, T, "
            + config.inputSize() + "]");
      }
    }
    this.batch = shape[0];
    this.steps = shape[1];
    if (batch < 1 || steps < 1) {
      throw error("'" + inputName + "' has shape " + Arrays.toString(shape) + ": needs at least one sequence of at"
          + " least one step");
    }
    this.lengths = readLengths(tensors.get("lengths"));
    if (config.hasEmbedding()) {
      this.input = null;
      this.tokens = data.toIntArray();
      checkTokens(inputName);
    } else {
      this.tokens = null;
      this.input = data.toFloatArray();
      checkFinite(inputName, input, shape);
    }
    int stateRows = config.layers() * config.directions();
    this.h0 = readFloats(tensors.get("h0"), "h0", new int[] {stateRows, batch, config.stateSize()},
        config.hasProjection() ? "[layers*dirs, B, proj_size]" : "[layers*dirs, B, H]");
    if (tensors.containsKey("c0") && !config.hasCellState()) {
      throw error("'c0' is only for LSTM models; this is a " + config.cell().name().toLowerCase() + " model");
    }
    this.c0 = readFloats(tensors.get("c0"), "c0", new int[] {stateRows, batch, config.hidden()}, "[layers*dirs, B, H]");
    Tensor target = tensors.get("target");
    if (needTarget && target == null) {
      throw error("missing tensor 'target' (" + expectedTarget() + ")");
    }
    if (target != null && config.training() != null) {
      if (config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY) {
        this.classTargets = readClassTargets(target);
        this.valueTargets = null;
      } else {
        this.classTargets = null;
        this.valueTargets = readFloats(target, "target", outputShape(), "the shape of the model's output");
      }
    } else {
      this.classTargets = null;
      this.valueTargets = null;
    }
  }

  /** Reads and checks an input file; {@code needTarget} for gradient computations. */
  static ModelInput read(Path file, ModelConfig config, boolean needTarget) {
    Map<String, Tensor> tensors = SafeTensors.read(file).tensors();
    return new ModelInput(file.toString(), config, tensors, needTarget);
  }

  /** Each sequence's valid length: {@code lengths}, or T for every sequence when the file has none. */
  int[] validLengths() {
    if (lengths != null) {
      return lengths.clone();
    }
    int[] all = new int[batch];
    Arrays.fill(all, steps);
    return all;
  }

  /** A batch over these arrays (not copied). */
  Batch toBatch() {
    Batch b = new Batch();
    b.input = input;
    b.tokens = tokens;
    b.batch = batch;
    b.steps = steps;
    b.lengths = lengths;
    b.h0 = h0;
    b.c0 = c0;
    b.classTargets = classTargets;
    b.valueTargets = valueTargets;
    return b;
  }

  /** Shape of the model's final output for this batch: head logits, else features or per-step output. */
  int[] outputShape() {
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    return perStep ? new int[] {batch, steps, config.outputSize()} : new int[] {batch, config.outputSize()};
  }

  private String expectedInput() {
    return config.hasEmbedding() ? "I64 or I32 token ids [B, T] in 0.." + (config.vocab() - 1)
        : "F32 [B, T, " + config.inputSize() + "]";
  }

  private String expectedTarget() {
    if (config.training() == null) {
      return "the spec has no training section";
    }
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    return config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY
        ? "I64 class ids " + (perStep ? "[B, T]" : "[B]") + " for cross_entropy"
        : "F32 " + (perStep ? "[B, T, " : "[B, ") + config.outputSize() + "] for "
            + config.training().loss().name().toLowerCase();
  }

  private int[] readLengths(Tensor tensor) {
    if (tensor == null) {
      return null;
    }
    if (tensor.dtype().isFloatingPoint()) {
      throw error("'lengths' has dtype " + tensor.dtype() + ", expected I64 or I32 [" + batch + "]");
    }
    if (!Arrays.equals(tensor.shape(), new int[] {batch})) {
      throw error("'lengths' has shape " + Arrays.toString(tensor.shape()) + ", expected [" + batch + "] (one per"
          + " sequence)");
    }
    long[] values = tensor.toLongArray();
    int[] out = new int[batch];
    for (int b = 0; b < batch; b++) {
      if (values[b] < 1 || values[b] > steps) {
        throw error("'lengths'[" + b + "] = " + values[b] + " is outside 1.." + steps + " (T, the input's padded"
            + " length)");
      }
      out[b] = (int) values[b];
    }
    return out;
  }

  private int length(int b) {
    return lengths == null ? steps : lengths[b];
  }

  private void checkTokens(String name) {
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < length(b); t++) {
        int id = tokens[b * steps + t];
        if (id < 0 || id >= config.vocab()) {
          throw error("'" + name + "'[" + b + ", " + t + "] = " + id + " is outside the vocabulary 0.."
              + (config.vocab() - 1));
        }
      }
    }
  }

  private float[] readFloats(Tensor tensor, String name, int[] expected, String meaning) {
    if (tensor == null) {
      return null;
    }
    if (!tensor.dtype().isFloatingPoint()) {
      throw error("'" + name + "' has dtype " + tensor.dtype() + ", expected F32 " + Arrays.toString(expected));
    }
    if (!Arrays.equals(tensor.shape(), expected)) {
      throw error("'" + name + "' has shape " + Arrays.toString(tensor.shape()) + ", expected "
          + Arrays.toString(expected) + " " + meaning);
    }
    float[] values = tensor.toFloatArray();
    checkFinite(name, values, expected);
    return values;
  }

  private int[] readClassTargets(Tensor tensor) {
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    int[] expected = perStep ? new int[] {batch, steps} : new int[] {batch};
    if (tensor.dtype().isFloatingPoint()) {
      throw error("'target' has dtype " + tensor.dtype() + ", expected I64 class ids " + Arrays.toString(expected)
          + " for cross_entropy");
    }
    if (!Arrays.equals(tensor.shape(), expected)) {
      throw error("'target' has shape " + Arrays.toString(tensor.shape()) + ", expected " + Arrays.toString(expected));
    }
    int[] ids = tensor.toIntArray();
    int classes = config.outputSize();
    for (int b = 0; b < batch; b++) {
      int valid = perStep ? length(b) : 1;
      for (int t = 0; t < valid; t++) {
        int id = ids[perStep ? b * steps + t : b];
        if (id < 0 || id >= classes) {
          throw error("'target'[" + b + (perStep ? ", " + t : "") + "] = " + id + " is outside the classes 0.."
              + (classes - 1));
        }
      }
    }
    return ids;
  }

  private void checkFinite(String name, float[] values, int[] shape) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw error("'" + name + "'" + index(i, shape) + " is " + values[i]);
      }
    }
  }

  /** {@code [i, j, k]} of a flat row-major index. */
  private static String index(int flat, int[] shape) {
    int[] at = new int[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      at[d] = flat % shape[d];
      flat /= shape[d];
    }
    return Arrays.toString(at);
  }

  private void requireRank(String name, int[] shape, int rank, String expected) {
    if (shape.length != rank) {
      throw error("'" + name + "' has shape " + Arrays.toString(shape) + ", expected " + expected);
    }
  }

  private RnncException error(String message) {
    return new RnncException(source + ": " + message);
  }
}
