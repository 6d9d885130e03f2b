package dev.rnnc.runtime;

import dev.rnnc.runtime.io.DType;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The named parameters of one model in PyTorch layout: one row-major float32 array per {@code state_dict}
 * entry, with the names, shapes and order of {@link ModelConfig#parameterShapes()}.
 *
 * <p>The arrays are live: {@link #get(String)} returns the array the model computes with and an optimiser
 * updates in place. Loading checks everything a user can get wrong (missing or extra tensors, shapes, dtypes,
 * non-finite values) and reports it by tensor name.
 */
public final class ModelParameters extends NamedParameters {
  /** Prefix of optimizer state that checkpoints may carry beside the weights; never a model parameter. */
  public static final String OPTIMIZER_PREFIX = "optimizer.";

  /** Prefix of a trainer's resumable state (carried recurrent state) in checkpoints; never a model parameter. */
  public static final String TRAINER_PREFIX = "trainer.";

  /** How many names an error message lists before it summarises the rest. */
  private static final int MAX_LISTED = 20;

  private final ModelConfig config;

  private ModelParameters(ModelConfig config, Map<String, float[]> values) {
    super(config.parameterShapes(), values);
    this.config = config;
  }

  /**
   * Parameters of {@code config} over arrays another object owns (no copy: writes through either show in both),
   * as an encoder–decoder hands each of its stacks its share of {@link Seq2SeqParameters}. Every array must have
   * exactly its shape's element count.
   */
  static ModelParameters sharing(ModelConfig config, Map<String, float[]> arrays) {
    Map<String, float[]> values = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> entry : config.parameterShapes().entrySet()) {
      float[] array = arrays.get(entry.getKey());
      if (array == null || array.length != elements(entry.getValue())) {
        throw new IllegalArgumentException("no array of " + elements(entry.getValue()) + " elements for "
            + entry.getKey());
      }
      values.put(entry.getKey(), array);
    }
    return new ModelParameters(config, values);
  }

  /** All parameters zero. */
  public static ModelParameters zeros(ModelConfig config) {
    MemoryBudget.require("the model's " + config.parameterCount() + " parameters", 4 * config.parameterCount());
    Map<String, float[]> values = new LinkedHashMap<>();
    config.parameterShapes().forEach((name, shape) -> values.put(name, new float[elements(shape)]));
    return new ModelParameters(config, values);
  }

  /**
   * PyTorch's default initialisation, drawn deterministically from {@code seed} (the same distributions as
   * torch, not the same numbers): recurrent weights and biases uniform(−1/√H, 1/√H) — including the LSTM
   * projection {@code weight_hr}, as torch.nn.LSTM draws it, and the peephole weights {@code weight_ph}, which
   * torch does not have (ONNX leaves their initialisation to the exporter; the same bound keeps every recurrent
   * parameter on one scale) — head weight and bias uniform(−1/√in, 1/√in) with in = feature size (D·P with a
   * projection), embedding normal(0, 1).
   */
  public static ModelParameters initialize(ModelConfig config, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    ModelParameters parameters = zeros(config);
    float rnnBound = (float) (1.0 / Math.sqrt(config.hidden()));
    float headBound = (float) (1.0 / Math.sqrt(config.featureSize()));
    for (Map.Entry<String, float[]> entry : parameters.values.entrySet()) {
      String name = entry.getKey();
      float[] array = entry.getValue();
      if (name.equals(ModelConfig.EMBEDDING_WEIGHT)) {
        for (int i = 0; i < array.length; i++) {
          array[i] = (float) random.nextGaussian();
        }
      } else {
        float bound = name.equals(ModelConfig.HEAD_WEIGHT) || name.equals(ModelConfig.HEAD_BIAS) ? headBound : rnnBound;
        for (int i = 0; i < array.length; i++) {
          array[i] = random.nextFloat(-bound, bound);
        }
      }
    }
    return parameters;
  }

  /** Loads a safetensors file, ignoring only {@code optimizer.*} and {@code trainer.*} tensors beside the weights. */
  public static ModelParameters load(Path file, ModelConfig config) {
    return load(file, config, name -> false);
  }

  /**
   * Loads a safetensors file of F32 or F64 tensors.
   *
   * @param ignore tensors beside the parameters that are not an error (in addition to {@code optimizer.*} and
   *     {@code trainer.*})
   */
  public static ModelParameters load(Path file, ModelConfig config, Predicate<String> ignore) {
    return fromTensors(SafeTensors.read(file).tensors(), config, file.toString(), ignore);
  }

  /** {@link #fromTensors(Map, ModelConfig, String, Predicate)} ignoring only {@code optimizer.*}, {@code trainer.*}. */
  public static ModelParameters fromTensors(Map<String, Tensor> tensors, ModelConfig config, String sourceName) {
    return fromTensors(tensors, config, sourceName, name -> false);
  }

  /**
   * Parameters from named tensors, copied and converted to float32.
   *
   * @param sourceName what the tensors came from, for messages (usually the file name)
   * @param ignore     extra tensors that are not an error (in addition to {@code optimizer.*} and {@code trainer.*})
   * @throws RnncException on missing or unexpected tensors (all listed at once), a non-float dtype, a shape
   *     other than the model's, or a non-finite value (with its flat index)
   */
  public static ModelParameters fromTensors(Map<String, Tensor> tensors, ModelConfig config, String sourceName,
      Predicate<String> ignore) {
    Map<String, int[]> expected = config.parameterShapes();
    checkNames(tensors, expected, sourceName, ignore);
    Map<String, float[]> values = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> parameter : expected.entrySet()) {
      String name = parameter.getKey();
      Tensor tensor = tensors.get(name);
      if (!tensor.dtype().isFloatingPoint()) {
        throw new RnncException(sourceName + ": " + name + " has dtype " + tensor.dtype() + ", expected "
            + DType.F32 + " or " + DType.F64);
      }
      if (!Arrays.equals(tensor.shape(), parameter.getValue())) {
        throw new RnncException(sourceName + ": " + name + " has shape " + Arrays.toString(tensor.shape())
            + ", expected " + Arrays.toString(parameter.getValue()));
      }
      float[] array = tensor.toFloatArray();
      checkFinite(sourceName, name, tensor, array);
      values.put(name, array);
    }
    return new ModelParameters(config, values);
  }

  private static void checkNames(Map<String, Tensor> tensors, Map<String, int[]> expected, String sourceName,
      Predicate<String> ignore) {
    List<String> missing = new ArrayList<>();
    for (String name : expected.keySet()) {
      if (!tensors.containsKey(name)) {
        missing.add(name);
      }
    }
    List<String> extra = new ArrayList<>();
    for (String name : tensors.keySet()) {
      if (!expected.containsKey(name) && !name.startsWith(OPTIMIZER_PREFIX) && !name.startsWith(TRAINER_PREFIX)
          && !ignore.test(name)) {
        extra.add(name);
      }
    }
    if (missing.isEmpty() && extra.isEmpty()) {
      return;
    }
    List<String> problems = new ArrayList<>();
    if (!missing.isEmpty()) {
      problems.add("missing " + plural(missing.size(), "tensor") + " " + list(missing));
    }
    if (!extra.isEmpty()) {
      problems.add("unexpected " + plural(extra.size(), "tensor") + " " + list(extra));
    }
    throw new RnncException(sourceName + " does not match the model: " + String.join("; ", problems)
        + prefixHint(missing, extra));
  }

  /**
   * The commonest mismatch is a state_dict saved from a module whose attributes are named differently (or a bare
   * nn.LSTM): the same names under another prefix. Point that out instead of leaving the user to diff two lists.
   */
  private static String prefixHint(List<String> missing, List<String> extra) {
    for (String want : missing) {
      String suffix = want.substring(want.indexOf('.') + 1);
      for (String have : extra) {
        if (have.equals(suffix) || have.endsWith("." + suffix)) {
          return " (the names differ by a prefix, e.g. '" + have + "' vs '" + want
              + "': rnnc expects a module with attributes embedding, rnn and head)";
        }
      }
    }
    return "";
  }

  private static void checkFinite(String sourceName, String name, Tensor tensor, float[] array) {
    for (int i = 0; i < array.length; i++) {
      if (!Float.isFinite(array[i])) {
        if (tensor.dtype() == DType.F64 && Double.isFinite(tensor.doubles()[i])) {
          throw new RnncException(sourceName + ": " + name + " has value " + tensor.doubles()[i] + " at flat index " + i
              + ", beyond the float32 range");
        }
        throw new RnncException(sourceName + ": " + name + " contains " + array[i] + " at flat index " + i);
      }
    }
  }

  private static String plural(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static String list(List<String> names) {
    if (names.size() <= MAX_LISTED) {
      return names.toString();
    }
    return names.subList(0, MAX_LISTED).toString().replaceFirst("]$", ", ... " + (names.size() - MAX_LISTED) + " more]");
  }

  /** Writes the parameters atomically as a safetensors file loadable by {@code safetensors.torch.load_file}. */
  public void save(Path file) {
    // Wrap the live arrays without copying: the write does not keep them, and models can be large.
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    values.forEach((name, array) -> tensors.put(name, Tensor.ofFloats(shapes.get(name), array)));
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "pt");
    metadata.put("producer", "rnnc");
    SafeTensors.write(file, tensors, metadata);
  }

  /** A snapshot of the parameters as F32 tensors (copies, unaffected by later updates), in parameter order. */
  public Map<String, Tensor> toTensors() {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    values.forEach((name, array) -> tensors.put(name, Tensor.ofFloats(shapes.get(name), array.clone())));
    return tensors;
  }

  public ModelConfig config() {
    return config;
  }

  /** A deep copy. */
  public ModelParameters copy() {
    return new ModelParameters(config, copiedValues());
  }

  /** Overwrites every value with {@code other}'s, in place; the two must have the same names and shapes. */
  public void copyFrom(ModelParameters other) {
    Objects.requireNonNull(other, "other");
    if (!sameLayout(other)) {
      throw new IllegalArgumentException("parameters of a different model: " + describeLayout(other.shapes)
          + " cannot be copied into " + describeLayout(shapes));
    }
    values.forEach((name, array) -> System.arraycopy(other.values.get(name), 0, array, 0, array.length));
  }

  private boolean sameLayout(ModelParameters other) {
    if (!shapes.keySet().equals(other.shapes.keySet())) {
      return false;
    }
    for (Map.Entry<String, int[]> entry : shapes.entrySet()) {
      if (!Arrays.equals(entry.getValue(), other.shapes.get(entry.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static String describeLayout(Map<String, int[]> shapes) {
    StringBuilder out = new StringBuilder("{");
    shapes.forEach((name, shape) -> out.append(out.length() > 1 ? ", " : "").append(name).append(Arrays.toString(shape)));
    return out.append('}').toString();
  }

  /** Total number of scalar parameters. */
  public long count() {
    long count = 0;
    for (float[] array : values.values()) {
      count += array.length;
    }
    return count;
  }

  /** Whether no value is NaN or infinite (a diverged training run makes this false). */
  public boolean allFinite() {
    for (float[] array : values.values()) {
      for (float value : array) {
        if (!Float.isFinite(value)) {
          return false;
        }
      }
    }
    return true;
  }

}
