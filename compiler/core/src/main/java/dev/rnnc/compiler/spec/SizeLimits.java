package dev.rnnc.compiler.spec;

import dev.rnnc.runtime.ModelConfig;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Size checks on a model whose keys are each valid: no parameter tensor and no activation buffer may hold
 * more than {@link SpecSchema#MAX_ELEMENTS} floats, so the generated code can index every array with an
 * {@code int} and sizes multiplied together never overflow. Each problem names the product that is too big.
 */
final class SizeLimits {
  private static final String LIMIT = SpecSchema.MAX_ELEMENTS + " (2^28)";

  private final ModelConfig config;
  private final ErrorList errors;

  SizeLimits(ModelConfig config, ErrorList errors) {
    this.config = config;
    this.errors = errors;
  }

  /** Runs both checks; the fields say where each size was written, for the error positions. */
  void check(Field<Integer> hidden, Field<Integer> input, Field<Integer> dim, Field<?> embedding,
      Field<Integer> headSize, Field<?> limits) {
    checkParameters(hidden.node(), embedding.key(), headSize.node());
    Node inputNode = input.present() ? input.node() : dim.node();
    checkBuffers(limits.present() ? limits.key() : null, hidden.node(), inputNode, headSize.node());
  }

  /** The largest tensor of each of embedding, recurrent layers and head, reported where its size was set. */
  private void checkParameters(Node hiddenNode, Node embeddingNode, Node headNode) {
    String[] largest = new String[3];
    long[] largestSize = new long[3];
    for (Map.Entry<String, int[]> parameter : config.parameterShapes().entrySet()) {
      String name = parameter.getKey();
      int group = name.startsWith("embedding.") ? 0 : name.startsWith("head.") ? 2 : 1;
      long size = 1;
      for (int d : parameter.getValue()) {
        size *= d;
      }
      if (size > largestSize[group]) {
        largestSize[group] = size;
        largest[group] = name;
      }
    }
    Node[] where = {embeddingNode, hiddenNode, headNode};
    for (int group = 0; group < 3; group++) {
      if (largestSize[group] > SpecSchema.MAX_ELEMENTS) {
        int[] shape = config.parameterShapes().get(largest[group]);
        errors.at(where[group], largest[group] + " would have " + shape[0] + " × " + shape[1] + " = "
            + largestSize[group] + " elements, more than the " + LIMIT + " one tensor may hold; use smaller sizes");
      }
    }
  }

  /**
   * Activation buffers hold max_batch × max_length rows of the widest per-step vector: the gate
   * pre-activations (gates × hidden), the layer output (directions × hidden), the head output or the input.
   */
  private void checkBuffers(Node limitsNode, Node hiddenNode, Node inputNode, Node headNode) {
    String widthName = "gates × hidden";
    String widthValue = config.gates() + " × " + config.hidden();
    long width = config.gateRows();
    Node where = hiddenNode;
    if (config.featureSize() > width) {
      widthName = "directions × hidden";
      widthValue = config.directions() + " × " + config.hidden();
      width = config.featureSize();
    }
    if (config.headSize() > width) {
      widthName = "head.size";
      widthValue = String.valueOf(config.headSize());
      width = config.headSize();
      where = headNode;
    }
    if (config.inputSize() > width) {
      widthName = config.hasEmbedding() ? "embedding.dim" : "input";
      widthValue = String.valueOf(config.inputSize());
      width = config.inputSize();
      where = inputNode;
    }
    long elements = (long) config.maxBatch() * config.maxLength() * width;
    if (elements > SpecSchema.MAX_ELEMENTS) {
      errors.at(limitsNode != null ? limitsNode : where, "buffers would hold max_batch × max_length × ("
          + widthName + ") = " + config.maxBatch() + " × " + config.maxLength() + " × (" + widthValue + ") = "
          + elements + " floats, more than the " + LIMIT + " one buffer may hold; lower limits.max_batch or "
          + "limits.max_length");
    }
  }
}
