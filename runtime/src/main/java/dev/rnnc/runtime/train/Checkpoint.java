package dev.rnnc.runtime.train;

import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.NamedParameters;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A resumable training snapshot in one safetensors file: the parameters under their PyTorch names (so
 * {@code safetensors.torch.load_file} + {@code load_state_dict(strict=False)} reads the weights, and
 * {@link ModelParameters#load} accepts the file as weights), the optimiser state under {@code optimizer.*}
 * ({@link Optimizer#state()}), and metadata:
 * <ul>
 *   <li>{@code format} = {@code pt}, {@code producer} = {@code rnnc}, {@code rnnc.checkpoint} = {@code 1};</li>
 *   <li>{@code optimizer} = the kind ({@code sgd}, {@code adam}, {@code adamw}), {@code optimizer.<name>} = each
 *       hyper-parameter;</li>
 *   <li>{@code step} = optimiser steps done; plus any extra entries the caller adds (e.g. the trainer's position).</li>
 * </ul>
 * A {@link Trainer} adds its position in the data order and the rest of its resumable state as {@code trainer.*}
 * metadata (and tensors), see {@link Trainer#saveCheckpoint}. Saving is atomic (a temporary file forced to disk and
 * renamed over the target, then the directory forced), so a killed or failed save leaves the previous checkpoint
 * intact.
 */
public final class Checkpoint {
  public static final String MARKER = "rnnc.checkpoint";
  public static final String OPTIMIZER = "optimizer";
  public static final String STEP = "step";

  /**
   * What a loaded checkpoint said about itself.
   *
   * @param step            optimiser steps done when it was saved
   * @param optimizer       optimiser kind
   * @param hyperParameters the optimiser's hyper-parameters then (the current ones may differ, e.g. a new lr)
   * @param metadata        all metadata, including caller extras
   */
  public record Info(long step, String optimizer, Map<String, String> hyperParameters, Map<String, String> metadata,
      Map<String, Tensor> trainerTensors) {}

  private Checkpoint() {}

  /** Saves weights and optimiser state, with {@code step} = {@code optimizer.steps()}. */
  public static void save(Path file, NamedParameters params, Optimizer optimizer) {
    save(file, params, optimizer, Map.of());
  }

  /**
   * Saves weights, optimiser state and {@code extra} metadata atomically.
   *
   * @throws RnncException naming the file when it cannot be written (the previous file is then untouched)
   */
  public static void save(Path file, NamedParameters params, Optimizer optimizer, Map<String, String> extra) {
    save(file, params, optimizer, extra, Map.of());
  }

  /**
   * Saves weights, optimiser state, {@code extra} metadata and a trainer's own tensors (named {@code trainer.*},
   * e.g. recurrent state carried between truncated-BPTT windows) atomically: temporary file, fsync, rename, fsync
   * of the directory.
   *
   * @throws RnncException naming the file when it cannot be written (the previous file is then untouched)
   */
  public static void save(Path file, NamedParameters params, Optimizer optimizer, Map<String, String> extra,
      Map<String, Tensor> trainerTensors) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    // The live arrays are wrapped, not copied: the write does not keep them and models can be large.
    for (String name : params.names()) {
      tensors.put(name, Tensor.ofFloats(params.shape(name), params.get(name)));
    }
    Map<String, Tensor> state = optimizer.state();
    for (String name : state.keySet()) {
      if (!name.startsWith(Optimizer.STATE_PREFIX)) {
        throw new IllegalStateException("optimizer state '" + name + "' lacks the " + Optimizer.STATE_PREFIX + " prefix");
      }
    }
    tensors.putAll(state);
    for (Map.Entry<String, Tensor> entry : trainerTensors.entrySet()) {
      if (!entry.getKey().startsWith(ModelParameters.TRAINER_PREFIX)) {
        throw new IllegalArgumentException("trainer tensor '" + entry.getKey() + "' lacks the "
            + ModelParameters.TRAINER_PREFIX + " prefix");
      }
      tensors.put(entry.getKey(), entry.getValue());
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "pt");
    metadata.put("producer", "rnnc");
    metadata.put(MARKER, "1");
    metadata.put(OPTIMIZER, optimizer.kind());
    optimizer.hyperParameters().forEach((key, value) -> metadata.put(OPTIMIZER + "." + key, value));
    metadata.put(STEP, Long.toString(optimizer.steps()));
    for (Map.Entry<String, String> entry : extra.entrySet()) {
      if (metadata.containsKey(entry.getKey())) {
        throw new IllegalArgumentException("metadata key '" + entry.getKey() + "' is reserved by the checkpoint");
      }
      metadata.put(entry.getKey(), entry.getValue());
    }
    SafeTensors.write(file, tensors, metadata);
  }

  /**
   * Restores a checkpoint into {@code params} (in place) and {@code optimizer}. Everything is checked before
   * anything changes: on an error both are left as they were.
   *
   * @throws RnncException when the file is not an rnnc checkpoint, was saved with another kind of optimiser, or its
   *     weights or state do not match the model
   */
  public static Info load(Path file, ModelParameters params, Optimizer optimizer) {
    return load(SafeTensors.read(file), file.toString(), params, optimizer);
  }

  /**
   * {@link #load(Path, ModelParameters, Optimizer)} of a file already read.
   *
   * @param source the file's name as the user gave it, for messages
   */
  public static Info load(SafeTensorsFile content, String source, ModelParameters params, Optimizer optimizer) {
    long step = checkHeader(content, source, optimizer);
    ModelParameters restored = ModelParameters.fromTensors(content.tensors(), params.config(), source);
    checkOptimizerState(content, source, restored, optimizer, step);
    optimizer.loadState(content.tensors());
    optimizer.attach(params);
    params.copyFrom(restored);
    return info(content, step);
  }

  /**
   * {@link #load(SafeTensorsFile, String, ModelParameters, Optimizer)} for an encoder–decoder's parameters: the same
   * checks, the same all-or-nothing restore.
   */
  public static Info load(SafeTensorsFile content, String source, Seq2SeqParameters params, Optimizer optimizer) {
    long step = checkHeader(content, source, optimizer);
    Seq2SeqParameters restored = Seq2SeqParameters.fromTensors(content.tensors(), params.config(), source);
    checkOptimizerState(content, source, restored, optimizer, step);
    optimizer.loadState(content.tensors());
    optimizer.attach(params);
    params.copyFrom(restored);
    return info(content, step);
  }

  /** The marker and optimiser kind of a checkpoint; returns its step. */
  private static long checkHeader(SafeTensorsFile content, String source, Optimizer optimizer) {
    Map<String, String> metadata = content.metadata();
    if (!metadata.containsKey(MARKER)) {
      throw new RnncException(source + " holds weights but no optimiser state (it is not an rnnc checkpoint); "
          + "load it as initial weights to start a new run from it");
    }
    String kind = metadata.get(OPTIMIZER);
    if (!optimizer.kind().equals(kind)) {
      throw new RnncException(source + " was saved by a " + kind + " optimiser and cannot resume " + optimizer.kind()
          + " training; use the same optimiser, or load the file as initial weights to start afresh");
    }
    long step;
    try {
      step = Long.parseLong(metadata.getOrDefault(STEP, ""));
    } catch (NumberFormatException e) {
      throw new RnncException(source + ": metadata '" + STEP + "' is not a step count: '" + metadata.get(STEP) + "'");
    }
    return step;
  }

  /** Checks the optimiser state against the restored parameters with a fresh optimiser, touching nothing live. */
  private static void checkOptimizerState(SafeTensorsFile content, String source, NamedParameters restored,
      Optimizer optimizer, long step) {
    try {
      // A fresh optimiser of the same kind checks the state against the parameters without touching ours.
      Optimizer probe = optimizer.withoutState();
      probe.loadState(content.tensors());
      probe.attach(restored);
      if (probe.steps() != step) {
        throw new RnncException("metadata step " + step + " disagrees with " + Optimizer.STEP_STATE + " "
            + probe.steps());
      }
    } catch (RnncException e) {
      throw new RnncException(source + ": " + e.getMessage(), e);
    }
  }

  private static Info info(SafeTensorsFile content, long step) {
    Map<String, String> metadata = content.metadata();
    String kind = metadata.get(OPTIMIZER);
    Map<String, String> hyper = new LinkedHashMap<>();
    metadata.forEach((key, value) -> {
      if (key.startsWith(OPTIMIZER + ".")) {
        hyper.put(key.substring(OPTIMIZER.length() + 1), value);
      }
    });
    Map<String, Tensor> trainerTensors = new LinkedHashMap<>();
    content.tensors().forEach((name, tensor) -> {
      if (name.startsWith(ModelParameters.TRAINER_PREFIX)) {
        trainerTensors.put(name, tensor);
      }
    });
    return new Info(step, kind, Collections.unmodifiableMap(hyper), metadata,
        Collections.unmodifiableMap(trainerTensors));
  }
}
