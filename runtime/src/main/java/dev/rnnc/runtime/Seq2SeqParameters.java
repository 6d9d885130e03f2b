package dev.rnnc.runtime;

import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The weights of an encoder–decoder model ({@link Seq2SeqConfig}), float32, by {@code state_dict} name. Loaded
 * from a safetensors file written by PyTorch ({@code safetensors.torch.save_file(model.state_dict(), ...)}) or
 * initialised as PyTorch would.
 */
public final class Seq2SeqParameters extends NamedParameters {
  private final Seq2SeqConfig config;

  private Seq2SeqParameters(Seq2SeqConfig config, Map<String, float[]> values) {
    super(config.parameterShapes(), values);
    this.config = config;
  }

  /** All parameters zero. */
  public static Seq2SeqParameters zeros(Seq2SeqConfig config) {
    Map<String, float[]> values = new LinkedHashMap<>();
    config.parameterShapes().forEach((name, shape) -> values.put(name, new float[elements(shape)]));
    return new Seq2SeqParameters(config, values);
  }

  /**
   * PyTorch's default initialisation, drawn deterministically from {@code seed} (the same distributions as torch,
   * not the same numbers): each stack's recurrent parameters uniform(−1/√H) with its own H, embeddings normal(0, 1),
   * {@code nn.Linear} weights and biases (bridge, head) uniform(−1/√in, 1/√in) with in = their input width.
   */
  public static Seq2SeqParameters initialize(Seq2SeqConfig config, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Seq2SeqParameters parameters = zeros(config);
    for (Map.Entry<String, float[]> entry : parameters.values.entrySet()) {
      String name = entry.getKey();
      float[] array = entry.getValue();
      if (name.endsWith("embedding.weight")) {
        for (int i = 0; i < array.length; i++) {
          array[i] = (float) random.nextGaussian();
        }
        continue;
      }
      double bound;
      if (name.startsWith(Seq2SeqConfig.ENCODER_RNN + ".")) {
        bound = 1 / Math.sqrt(config.encoder().hidden());
      } else if (name.startsWith(Seq2SeqConfig.DECODER_RNN + ".")) {
        bound = 1 / Math.sqrt(config.decoder().hidden());
      } else if (name.startsWith("bridge.")) {
        bound = 1 / Math.sqrt(config.contextSize());
      } else {
        bound = 1 / Math.sqrt(config.decoder().stateSize());
      }
      for (int i = 0; i < array.length; i++) {
        array[i] = random.nextFloat((float) -bound, (float) bound);
      }
    }
    return parameters;
  }

  /** Loads a safetensors file of F32 or F64 tensors; {@code optimizer.*} and {@code trainer.*} tensors are ignored. */
  public static Seq2SeqParameters load(Path file, Seq2SeqConfig config) {
    return fromTensors(SafeTensors.read(file).tensors(), config, file.toString());
  }

  /**
   * Parameters from named tensors, copied and converted to float32.
   *
   * @throws RnncException on missing or unexpected tensors (all listed), a non-float dtype, a wrong shape, or a
   *     non-finite value
   */
  public static Seq2SeqParameters fromTensors(Map<String, Tensor> tensors, Seq2SeqConfig config, String sourceName) {
    Map<String, int[]> expected = config.parameterShapes();
    List<String> missing = new ArrayList<>();
    for (String name : expected.keySet()) {
      if (!tensors.containsKey(name)) {
        missing.add(name);
      }
    }
    List<String> extra = new ArrayList<>();
    for (String name : tensors.keySet()) {
      if (!expected.containsKey(name) && !name.startsWith(ModelParameters.OPTIMIZER_PREFIX)
          && !name.startsWith(ModelParameters.TRAINER_PREFIX)) {
        extra.add(name);
      }
    }
    if (!missing.isEmpty() || !extra.isEmpty()) {
      List<String> problems = new ArrayList<>();
      if (!missing.isEmpty()) {
        problems.add("missing " + missing);
      }
      if (!extra.isEmpty()) {
        problems.add("unexpected " + extra);
      }
      throw new RnncException(sourceName + " does not match the encoder–decoder model: " + String.join("; ", problems)
          + " (rnnc expects a module with attributes encoder.embedding, encoder.rnn, bridge, decoder.embedding, "
          + "decoder.rnn and head)");
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> parameter : expected.entrySet()) {
      String name = parameter.getKey();
      Tensor tensor = tensors.get(name);
      if (!tensor.dtype().isFloatingPoint()) {
        throw new RnncException(sourceName + ": " + name + " has dtype " + tensor.dtype() + ", expected F32 or F64");
      }
      if (!Arrays.equals(tensor.shape(), parameter.getValue())) {
        throw new RnncException(sourceName + ": " + name + " has shape " + Arrays.toString(tensor.shape())
            + ", expected " + Arrays.toString(parameter.getValue()));
      }
      float[] array = tensor.toFloatArray();
      for (int i = 0; i < array.length; i++) {
        if (!Float.isFinite(array[i])) {
          throw new RnncException(sourceName + ": " + name + " contains " + array[i] + " at flat index " + i);
        }
      }
      values.put(name, array);
    }
    return new Seq2SeqParameters(config, values);
  }

  /** One of the two recurrent stacks of an encoder–decoder. */
  public enum Stack {
    /** The source stack: {@code encoder.embedding} and {@code encoder.rnn}. */
    ENCODER,
    /** The target stack with the head: {@code decoder.rnn} and {@code head} (its embedding is read separately). */
    DECODER
  }

  /**
   * The encoder–decoder name of a stack's parameter: the single-stack names of {@code stackConfig}
   * ({@code embedding.weight}, {@code rnn.*}, {@code head.*}) under the module the stack is in.
   */
  public static String nameInModel(Stack stack, String stackName) {
    String rnn = ModelConfig.RNN_MODULE + ".";
    if (stackName.startsWith(rnn)) {
      String module = stack == Stack.ENCODER ? Seq2SeqConfig.ENCODER_RNN : Seq2SeqConfig.DECODER_RNN;
      return module + "." + stackName.substring(rnn.length());
    }
    if (stack == Stack.ENCODER && stackName.equals(ModelConfig.EMBEDDING_WEIGHT)) {
      return Seq2SeqConfig.ENCODER_EMBEDDING_WEIGHT;
    }
    if (stack == Stack.DECODER && (stackName.equals(ModelConfig.HEAD_WEIGHT) || stackName.equals(ModelConfig.HEAD_BIAS))) {
      return stackName;
    }
    throw new IllegalArgumentException("the " + stack.name().toLowerCase(java.util.Locale.ROOT)
        + " stack of an encoder–decoder has no parameter " + stackName);
  }

  /**
   * One stack's parameters as a single-stack model of {@code stackConfig} sees them (names without the module
   * prefix), sharing this object's arrays: what the generated class repacks its stacks' weights from, so that writes
   * to these parameters change what the next call computes.
   */
  public ModelParameters stack(Stack stack, ModelConfig stackConfig) {
    Map<String, float[]> arrays = new LinkedHashMap<>();
    for (String name : stackConfig.parameterShapes().keySet()) {
      arrays.put(name, get(nameInModel(stack, name)));
    }
    return ModelParameters.sharing(stackConfig, arrays);
  }

  /**
   * Parameters of {@code config} whose encoder and decoder parts are the arrays of {@code encoder} and
   * {@code decoder} (shared, not copied) and whose other parts (bridge, decoder embedding) are new zero arrays: the
   * generated class's gradients, whose stacks write their parts in place.
   */
  public static Seq2SeqParameters joining(Seq2SeqConfig config, ModelParameters encoder, ModelParameters decoder) {
    Map<String, float[]> arrays = new LinkedHashMap<>();
    for (String name : encoder.names()) {
      arrays.put(nameInModel(Stack.ENCODER, name), encoder.get(name));
    }
    for (String name : decoder.names()) {
      arrays.put(nameInModel(Stack.DECODER, name), decoder.get(name));
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> entry : config.parameterShapes().entrySet()) {
      float[] array = arrays.get(entry.getKey());
      int elements = elements(entry.getValue());
      if (array != null && array.length != elements) {
        throw new IllegalArgumentException(entry.getKey() + " has " + array.length + " elements, expected " + elements);
      }
      values.put(entry.getKey(), array == null ? new float[elements] : array);
    }
    if (values.size() != config.parameterShapes().size() || !values.keySet().containsAll(arrays.keySet())) {
      throw new IllegalArgumentException("stacks do not match " + config.parameterNames());
    }
    return new Seq2SeqParameters(config, values);
  }

  /** Writes the parameters as a safetensors file loadable by {@code safetensors.torch.load_file}. */
  public void save(Path file) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    values.forEach((name, array) -> tensors.put(name, Tensor.ofFloats(shapes.get(name), array)));
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "pt");
    metadata.put("producer", "rnnc");
    SafeTensors.write(file, tensors, metadata);
  }

  public Seq2SeqConfig config() {
    return config;
  }

  /** A deep copy. */
  public Seq2SeqParameters copy() {
    return new Seq2SeqParameters(config, copiedValues());
  }

  /** Overwrites every value with {@code other}'s (same config), keeping these arrays (they may be bound elsewhere). */
  public void copyFrom(Seq2SeqParameters other) {
    if (!other.config.equals(config)) {
      throw new IllegalArgumentException("parameters of another encoder–decoder cannot be copied into these");
    }
    values.forEach((name, array) -> System.arraycopy(other.values.get(name), 0, array, 0, array.length));
  }

}
