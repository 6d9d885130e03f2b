package dev.rnnc.compiler.plan;

import java.util.Set;

/**
 * One array an instance allocates in its constructor: the single description that the generated fields and
 * constructor, {@code rnnc info}'s memory figures and the spec's size check are all derived from.
 *
 * @param name    the generated field
 * @param label   what it holds, in words (error messages, {@code rnnc info})
 * @param element float or int
 * @param scale   how many rows it has, in terms of the instance's limits
 * @param width   elements per row
 * @param slack   elements added once after the rows (a vector of slack for whole-vector tails), or {@code null}
 * @param passes  which passes use it; a workspace of the training pass exists only in trainable classes
 * @param doc     the generated field's javadoc
 */
public record Workspace(String name, String label, Element element, Scale scale, Width width, Width slack,
    Set<Pass> passes, String doc) {

  /** Element type. */
  public enum Element { FLOAT, INT }

  /** Which part of the generated class uses a workspace. */
  public enum Pass { FORWARD, STEP, TRAINING }

  /** The number of rows of a workspace, as a function of the limits (B = max_batch, T = max_length). */
  public enum Scale {
    /** Independent of the limits. */
    ONE("", ""),
    /** B rows. */
    BATCH("maxBatch", "max_batch"),
    /** B·T rows: one per step of every sequence. */
    ROWS("rows", "max_batch × max_length"),
    /** L·D·B rows: one per layer, direction and sequence (states). */
    RUN_BATCH("LAYERS * DIRECTIONS * maxBatch", "layers × directions × max_batch"),
    /** L·D·B·T rows: one per layer, direction and step (activations kept for backpropagation). */
    RUN_ROWS("LAYERS * DIRECTIONS * rows", "layers × directions × max_batch × max_length");

    private final String code;
    private final String words;

    Scale(String code, String words) {
      this.code = code;
      this.words = words;
    }

    /** The generated expression (locals of the constructor), empty for {@link #ONE}. */
    public String code() {
      return code;
    }

    /** In words, for messages. */
    public String words() {
      return words;
    }

    /** Rows for the given number of layer runs (layers × directions) and limits. */
    public long count(int runs, int maxBatch, int maxLength) {
      return switch (this) {
        case ONE -> 1;
        case BATCH -> maxBatch;
        case ROWS -> (long) maxBatch * maxLength;
        case RUN_BATCH -> (long) runs * maxBatch;
        case RUN_ROWS -> (long) runs * maxBatch * maxLength;
      };
    }
  }

  public Workspace {
    passes = Set.copyOf(passes);
  }

  /** Elements it holds for an instance with these limits, on a machine with vectors of {@code lanes} floats. */
  public long elements(int runs, int maxBatch, int maxLength, int lanes) {
    return scale.count(runs, maxBatch, maxLength) * width.at(lanes) + (slack == null ? 0 : slack.at(lanes));
  }

  /** Whether inference (whole sequences or streaming) uses it, as opposed to training only. */
  public boolean inference() {
    return passes.contains(Pass.FORWARD) || passes.contains(Pass.STEP);
  }
}
