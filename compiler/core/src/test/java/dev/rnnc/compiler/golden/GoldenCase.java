package dev.rnnc.compiler.golden;

import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.GruReset;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelConfig.Mode;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;
import dev.rnnc.runtime.ModelConfig.TrainingConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One golden case: a model configuration, its spec text, parameters, a batch and PyTorch's expected results.
 *
 * <p>The configuration is read from the file's metadata keys directly (not by parsing the spec), so the
 * harness does not depend on the compiler's YAML front end that it helps to test. Expected tensors are named
 * as {@code make_goldens.py} documents: {@code output}, {@code h_n}, {@code c_n}, {@code features},
 * {@code logits}, {@code prediction}, {@code loss}, {@code grad.<parameter>}, {@code grad.input},
 * {@code grad.h0}, {@code grad.c0}.
 */
public final class GoldenCase {
  private final String name;
  private final ModelConfig config;
  private final String spec;
  private final String description;
  private final Map<String, Tensor> tensors;

  private GoldenCase(String name, ModelConfig config, String spec, String description, Map<String, Tensor> tensors) {
    this.name = name;
    this.config = config;
    this.spec = spec;
    this.description = description;
    this.tensors = tensors;
  }

  /** Reads one case file. */
  public static GoldenCase load(Path file) {
    SafeTensorsFile content = SafeTensors.read(file);
    String fileName = file.getFileName().toString();
    String name = fileName.endsWith(".safetensors") ? fileName.substring(0, fileName.length() - 12) : fileName;
    Map<String, String> meta = content.metadata();
    return new GoldenCase(name, config(meta, file), required(meta, "spec", file),
        meta.getOrDefault("description", ""), new LinkedHashMap<>(content.tensors()));
  }

  private static ModelConfig config(Map<String, String> meta, Path file) {
    String loss = required(meta, "loss", file);
    TrainingConfig training = loss.equals("none") ? null : new TrainingConfig(enumOf(Loss.class, loss), 0.0, 0);
    int vocab = Integer.parseInt(required(meta, "vocab", file));
    int input = Integer.parseInt(required(meta, "input", file));
    ModelConfig.Builder builder = ModelConfig.builder(enumOf(Cell.class, required(meta, "cell", file)))
        .nonlinearity(enumOf(Nonlinearity.class, required(meta, "nonlinearity", file)))
        .gruReset(enumOf(GruReset.class, required(meta, "gru_reset", file)))
        .hidden(Integer.parseInt(required(meta, "hidden", file)))
        // Only LSTM variant cases have these keys; absent means no projection, no peepholes.
        .projSize(Integer.parseInt(meta.getOrDefault("proj_size", "0")))
        .peepholes(Boolean.parseBoolean(meta.getOrDefault("peepholes", "false")))
        .layers(Integer.parseInt(required(meta, "layers", file)))
        .bidirectional(Boolean.parseBoolean(required(meta, "bidirectional", file)))
        .mode(enumOf(Mode.class, required(meta, "mode", file)))
        .head(Integer.parseInt(required(meta, "head", file)),
            enumOf(HeadActivation.class, required(meta, "head_activation", file)))
        .limits(Integer.parseInt(required(meta, "max_batch", file)), Integer.parseInt(required(meta, "max_length", file)))
        .training(training);
    return (vocab > 0 ? builder.embedding(vocab, input) : builder.input(input)).build();
  }

  private static String required(Map<String, String> meta, String key, Path file) {
    String value = meta.get(key);
    if (value == null) {
      throw new IllegalStateException(file + ": metadata key '" + key + "' missing");
    }
    return value;
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, String value) {
    return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
  }

  /** The file name without extension; says what the case covers. */
  public String name() {
    return name;
  }

  /** One line on what the case is for. */
  public String description() {
    return description;
  }

  /** The model configuration, limits included. */
  public ModelConfig config() {
    return config;
  }

  /** The case as an rnnc YAML spec (model name = the case name in CamelCase, package {@code golden.cases}). */
  public String spec() {
    return spec;
  }

  /** Whether the case has a loss, hence expected loss and gradients. */
  public boolean hasLoss() {
    return config.training() != null;
  }

  /** Whether the file holds a tensor called {@code tensorName}. */
  public boolean has(String tensorName) {
    return tensors.containsKey(tensorName);
  }

  /** The tensor called {@code tensorName}; fails naming the case when it is missing. */
  public Tensor tensor(String tensorName) {
    Tensor tensor = tensors.get(tensorName);
    if (tensor == null) {
      throw new IllegalStateException("golden case " + name + " has no tensor '" + tensorName + "'");
    }
    return tensor;
  }

  /** A fresh float copy of a tensor's data. */
  public float[] floats(String tensorName) {
    return tensor(tensorName).toFloatArray();
  }

  /** Sequences in the batch. */
  public int batchSize() {
    return tensor("lengths").shape()[0];
  }

  /** Padded length T. */
  public int steps() {
    return tensor("input").shape()[1];
  }

  /** Valid steps per sequence. */
  public int[] lengths() {
    return tensor("lengths").toIntArray();
  }

  /** The model's parameters as PyTorch's {@code state_dict} holds them. */
  public ModelParameters parameters() {
    // Every other tensor in the file is data or an expected result, not a parameter.
    return ModelParameters.fromTensors(tensors, config, name + ".safetensors",
        tensorName -> !config.parameterShapes().containsKey(tensorName));
  }

  /** The expected gradient of one parameter. */
  public Tensor expectedGradient(String parameter) {
    return tensor("grad." + parameter);
  }

  /** A fresh batch holding the case's input, lengths, given initial states and targets. */
  public Batch batch() {
    Batch batch = new Batch();
    batch.batch = batchSize();
    batch.steps = steps();
    batch.lengths = lengths();
    if (config.hasEmbedding()) {
      batch.tokens = tensor("input").toIntArray();
    } else {
      batch.input = floats("input");
    }
    batch.h0 = has("h0") ? floats("h0") : null;
    batch.c0 = has("c0") ? floats("c0") : null;
    if (hasLoss()) {
      if (config.training().loss() == Loss.CROSS_ENTROPY) {
        batch.classTargets = tensor("target").toIntArray();
      } else {
        batch.valueTargets = floats("target");
      }
    }
    return batch;
  }

  /** The name, so parameterized tests show which case failed. */
  @Override
  public String toString() {
    return name;
  }
}
