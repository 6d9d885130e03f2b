package dev.rnnc.compiler.spec;

import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.Workspace;
import dev.rnnc.runtime.ModelConfig;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Size checks on a model whose keys are each valid: no parameter tensor and no workspace of the plan may hold
 * more than {@link SpecSchema#MAX_ELEMENTS} floats, so the generated code can index every array with an
 * {@code int}, sizes multiplied together never overflow, and the class can be constructed at the spec's limits.
 * Each problem names the product that is too big.
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
   * Every workspace of the plan's inventory (the arrays the generated constructor allocates, inference and
   * training) at the spec's limits: a spec accepted here can be constructed at its limits. Reports the largest
   * one that is too big.
   */
  private void checkBuffers(Node limitsNode, Node hiddenNode, Node inputNode, Node headNode) {
    ModelPlan plan = ModelPlan.of(config);
    int runs = plan.runs().size();
    Workspace largest = null;
    long largestElements = 0;
    for (Workspace workspace : plan.workspaces()) {
      long elements = workspace.elements(runs, config.maxBatch(), config.maxLength(), ModelPlan.CHECK_LANES);
      if (elements > largestElements) {
        largest = workspace;
        largestElements = elements;
      }
    }
    if (largest == null || largestElements <= SpecSchema.MAX_ELEMENTS) {
      return;
    }
    String code = largest.width().code();
    Node where = code.contains("HEAD") ? headNode : code.equals("INPUT_SIZE") ? inputNode : hiddenNode;
    String numbers = switch (largest.scale()) {
      case ONE -> "";
      case BATCH -> config.maxBatch() + " × ";
      case ROWS -> config.maxBatch() + " × " + config.maxLength() + " × ";
      case RUN_BATCH -> config.layers() + " × " + config.directions() + " × " + config.maxBatch() + " × ";
      case RUN_ROWS -> config.layers() + " × " + config.directions() + " × " + config.maxBatch() + " × "
          + config.maxLength() + " × ";
    };
    String words = largest.scale().words().isEmpty() ? "" : largest.scale().words() + " × ";
    String slack = largest.slack() == null ? "" : " + " + largest.slack().at(ModelPlan.CHECK_LANES);
    errors.at(limitsNode != null ? limitsNode : where, "the " + largest.label() + " would hold " + words + "("
        + largest.width().description() + ") = " + numbers + "(" + largest.width().at(ModelPlan.CHECK_LANES) + ")" + slack
        + " = " + largestElements + " floats, more than the " + LIMIT + " one buffer may hold; lower "
        + "limits.max_batch or limits.max_length");
  }
}
