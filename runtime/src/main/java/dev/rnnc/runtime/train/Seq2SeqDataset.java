package dev.rnnc.runtime.train;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Source/target pairs for an encoder–decoder ({@link Seq2SeqConfig}), checked completely when read so that every
 * problem names its tensor and position: {@code source} (integer token ids {@code [N, S]} for an encoder with an
 * embedding, float {@code [N, S, I]} otherwise), optional {@code source_lengths} {@code [N]} (each 1..S), and — for
 * teacher forcing, gradients and training — {@code target} integer ids {@code [N, T]} with optional
 * {@code target_lengths} {@code [N]} (each 1..T; targets include the end token). Token ids at valid positions must
 * be in their vocabulary; padded positions are ignored. The same tensors make {@code rnnc run}'s input (N = B).
 */
public final class Seq2SeqDataset {
  /** Tensor names. */
  public static final String SOURCE = "source";
  public static final String SOURCE_LENGTHS = "source_lengths";
  public static final String TARGET = "target";
  public static final String TARGET_LENGTHS = "target_lengths";
  private static final Set<String> KNOWN = Set.of(SOURCE, SOURCE_LENGTHS, TARGET, TARGET_LENGTHS);

  private final Seq2SeqConfig config;
  private final int size;
  private final int sourceSteps;
  private final int[] sourceTokens;
  private final float[] sourceFeatures;
  private final int[] sourceLengths;
  private final int targetSteps;
  private final int[] target;
  private final int[] targetLengths;

  private Seq2SeqDataset(Seq2SeqConfig config, int size, int sourceSteps, int[] sourceTokens, float[] sourceFeatures,
      int[] sourceLengths, int targetSteps, int[] target, int[] targetLengths) {
    this.config = config;
    this.size = size;
    this.sourceSteps = sourceSteps;
    this.sourceTokens = sourceTokens;
    this.sourceFeatures = sourceFeatures;
    this.sourceLengths = sourceLengths;
    this.targetSteps = targetSteps;
    this.target = target;
    this.targetLengths = targetLengths;
  }

  /** Reads and checks a safetensors file; {@code needTarget} for teacher forcing, gradients and training. */
  public static Seq2SeqDataset load(Path file, Seq2SeqConfig config, boolean needTarget) {
    return of(SafeTensors.read(file).tensors(), config, file.toString(), needTarget);
  }

  /**
   * Checks named tensors and copies them.
   *
   * @param sourceName names the tensors' origin in messages
   * @throws RnncException naming the tensor, its shape or dtype and what was expected, or the bad position
   */
  public static Seq2SeqDataset of(Map<String, Tensor> tensors, Seq2SeqConfig config, String sourceName,
      boolean needTarget) {
    Set<String> unknown = new TreeSet<>(tensors.keySet());
    unknown.removeAll(KNOWN);
    if (!unknown.isEmpty()) {
      throw error(sourceName, "unexpected " + (unknown.size() == 1 ? "tensor " : "tensors ") + unknown + " (an "
          + "encoder–decoder's input holds source, source_lengths, target and target_lengths)");
    }
    Tensor source = tensors.get(SOURCE);
    String expectedSource = config.sourceTokens()
        ? "I64 or I32 token ids [N, S] in 0.." + (config.encoder().vocab() - 1)
        : "F32 [N, S, " + config.encoder().inputSize() + "]";
    if (source == null) {
      throw error(sourceName, "missing tensor 'source' (" + expectedSource + ")");
    }
    int[] shape = source.shape();
    if (config.sourceTokens()) {
      if (source.dtype().isFloatingPoint() || shape.length != 2) {
        throw error(sourceName, "'source' is " + source.dtype() + " " + Arrays.toString(shape) + ", but this encoder "
            + "embeds token ids: expected " + expectedSource);
      }
    } else if (!source.dtype().isFloatingPoint() || shape.length != 3 || shape[2] != config.encoder().inputSize()) {
      throw error(sourceName, "'source' is " + source.dtype() + " " + Arrays.toString(shape) + ", but this encoder "
          + "reads feature vectors: expected " + expectedSource);
    }
    int n = shape[0];
    int s = shape[1];
    if (n < 1 || s < 1) {
      throw error(sourceName, "'source' has shape " + Arrays.toString(shape) + ": needs at least one sequence of at "
          + "least one step");
    }
    int[] sourceLengths = lengths(sourceName, tensors.get(SOURCE_LENGTHS), SOURCE_LENGTHS, n, s, "S, the source's");
    int[] tokens = null;
    float[] features = null;
    if (config.sourceTokens()) {
      tokens = source.toIntArray();
      checkIds(sourceName, SOURCE, tokens, n, s, sourceLengths, config.encoder().vocab(), "source vocabulary");
    } else {
      features = source.toFloatArray();
      for (int i = 0; i < features.length; i++) {
        if (!Float.isFinite(features[i])) {
          int d = config.encoder().inputSize();
          throw error(sourceName, "'source'[" + i / (s * d) + ", " + i / d % s + ", " + i % d + "] is " + features[i]);
        }
      }
    }
    Tensor targetTensor = tensors.get(TARGET);
    if (targetTensor == null) {
      if (needTarget) {
        throw error(sourceName, "missing tensor 'target' (I64 token ids [N, T] in 0.." + (config.targetVocab() - 1)
            + ", each sequence ending with the end token " + config.end() + ")");
      }
      if (tensors.containsKey(TARGET_LENGTHS)) {
        throw error(sourceName, "'target_lengths' without 'target'");
      }
      return new Seq2SeqDataset(config, n, s, tokens, features, sourceLengths, 0, null, null);
    }
    int[] targetShape = targetTensor.shape();
    if (targetTensor.dtype().isFloatingPoint() || targetShape.length != 2 || targetShape[0] != n
        || targetShape[1] < 1) {
      throw error(sourceName, "'target' is " + targetTensor.dtype() + " " + Arrays.toString(targetShape)
          + ", expected I64 token ids [" + n + ", T] (one row per source sequence)");
    }
    int t = targetShape[1];
    int[] targetLengths = lengths(sourceName, tensors.get(TARGET_LENGTHS), TARGET_LENGTHS, n, t, "T, the target's");
    int[] ids = targetTensor.toIntArray();
    checkIds(sourceName, TARGET, ids, n, t, targetLengths, config.targetVocab(), "target vocabulary");
    return new Seq2SeqDataset(config, n, s, tokens, features, sourceLengths, t, ids, targetLengths);
  }

  private static int[] lengths(String sourceName, Tensor tensor, String name, int n, int steps, String what) {
    int[] out = new int[n];
    if (tensor == null) {
      Arrays.fill(out, steps);
      return out;
    }
    if (tensor.dtype().isFloatingPoint() || !Arrays.equals(tensor.shape(), new int[] {n})) {
      throw error(sourceName, "'" + name + "' is " + tensor.dtype() + " " + Arrays.toString(tensor.shape())
          + ", expected I64 [" + n + "] (one per sequence)");
    }
    long[] values = tensor.toLongArray();
    for (int b = 0; b < n; b++) {
      if (values[b] < 1 || values[b] > steps) {
        throw error(sourceName, "'" + name + "'[" + b + "] = " + values[b] + " is outside 1.." + steps + " (" + what
            + " padded length)");
      }
      out[b] = (int) values[b];
    }
    return out;
  }

  private static void checkIds(String sourceName, String name, int[] ids, int n, int steps, int[] lengths, int vocab,
      String what) {
    for (int b = 0; b < n; b++) {
      for (int t = 0; t < lengths[b]; t++) {
        int id = ids[b * steps + t];
        if (id < 0 || id >= vocab) {
          throw error(sourceName, "'" + name + "'[" + b + ", " + t + "] = " + id + " is outside the " + what + " 0.."
              + (vocab - 1));
        }
      }
    }
  }

  private static RnncException error(String sourceName, String message) {
    return new RnncException(sourceName + ": " + message);
  }

  /** Sequences {@code [from, to)} as a dataset sharing nothing with this one. */
  public Seq2SeqDataset rows(int from, int to) {
    if (from < 0 || to > size || from >= to) {
      throw new IllegalArgumentException("rows [" + from + ", " + to + ") of " + size);
    }
    int d = config.sourceTokens() ? 1 : config.encoder().inputSize();
    return new Seq2SeqDataset(config, to - from, sourceSteps,
        sourceTokens == null ? null : Arrays.copyOfRange(sourceTokens, from * sourceSteps, to * sourceSteps),
        sourceFeatures == null ? null : Arrays.copyOfRange(sourceFeatures, from * sourceSteps * d, to * sourceSteps * d),
        Arrays.copyOfRange(sourceLengths, from, to), targetSteps,
        target == null ? null : Arrays.copyOfRange(target, from * targetSteps, to * targetSteps),
        targetLengths == null ? null : Arrays.copyOfRange(targetLengths, from, to));
  }

  /**
   * Copies the given sequences into a mini-batch's arrays (allocation-free): ids or features, lengths, targets.
   * The arrays must hold {@code count} sequences of this dataset's padded lengths.
   */
  public void gather(int[] rows, int count, int[] tokensOut, float[] featuresOut, int[] sourceLengthsOut,
      int[] targetOut, int[] targetLengthsOut) {
    int d = config.sourceTokens() ? 1 : config.encoder().inputSize();
    for (int i = 0; i < count; i++) {
      int r = rows[i];
      if (sourceTokens != null) {
        System.arraycopy(sourceTokens, r * sourceSteps, tokensOut, i * sourceSteps, sourceSteps);
      } else {
        System.arraycopy(sourceFeatures, r * sourceSteps * d, featuresOut, i * sourceSteps * d, sourceSteps * d);
      }
      sourceLengthsOut[i] = sourceLengths[r];
      if (target != null && targetOut != null) {
        System.arraycopy(target, r * targetSteps, targetOut, i * targetSteps, targetSteps);
        targetLengthsOut[i] = targetLengths[r];
      }
    }
  }

  public Seq2SeqConfig config() {
    return config;
  }

  /** N, the number of sequences. */
  public int size() {
    return size;
  }

  /** S, the padded source length. */
  public int sourceSteps() {
    return sourceSteps;
  }

  /** T, the padded target length (0 without targets). */
  public int targetSteps() {
    return targetSteps;
  }

  public boolean hasTarget() {
    return target != null;
  }

  /** Token ids {@code [N, S]}, or null for feature sources (the dataset's own array). */
  public int[] sourceTokens() {
    return sourceTokens;
  }

  /** Features {@code [N, S, I]}, or null for token sources (the dataset's own array). */
  public float[] sourceFeatures() {
    return sourceFeatures;
  }

  /** Valid source steps per sequence (S where the file had no lengths). */
  public int[] sourceLengths() {
    return sourceLengths;
  }

  /** Target ids {@code [N, T]}, or null. */
  public int[] target() {
    return target;
  }

  /** Valid target steps per sequence, or null without targets. */
  public int[] targetLengths() {
    return targetLengths;
  }

  /** How many targets begin with the start token (the decoder is fed it already: targets should not repeat it). */
  public int targetsBeginningWithStart() {
    if (target == null) {
      return 0;
    }
    int count = 0;
    for (int b = 0; b < size; b++) {
      if (target[b * targetSteps] == config.start()) {
        count++;
      }
    }
    return count;
  }

  /** How many targets do not end with the end token at their last valid step (decoding stops only at end). */
  public int targetsWithoutEnd() {
    if (target == null) {
      return 0;
    }
    int missing = 0;
    for (int b = 0; b < size; b++) {
      if (target[b * targetSteps + targetLengths[b] - 1] != config.end()) {
        missing++;
      }
    }
    return missing;
  }
}
