package dev.rnnc.compiler.plan;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.GruReset;
import java.util.ArrayList;
import java.util.List;

/**
 * What to generate for one spec.
 *
 * @param packageName  package of the generated class
 * @param className    simple name of the generated class
 * @param sourceName   the spec's file name, for the header
 * @param sha256       hash of the spec's bytes, for the header
 * @param config       the validated model
 * @param runs         one entry per layer and direction, in execution order
 */
public record ModelPlan(
    String packageName, String className, String sourceName, String sha256, ModelConfig config, List<LayerRun> runs) {

  /**
   * One layer in one direction: its sizes and the names of its packed weights.
   *
   * @param layer     layer index
   * @param direction 0 forwards, 1 backwards in time
   * @param inputSize width of what the layer reads per step
   */
  public record LayerRun(int layer, int direction, int inputSize) {
    /** Suffix for Java names: {@code L0}, {@code L1Reverse}. */
    public String suffix() {
      return "L" + layer + (direction == 0 ? "" : "Reverse");
    }

    /** PyTorch parameter-name suffix: {@code l0}, {@code l1_reverse}. */
    public String torchSuffix() {
      return "l" + layer + ModelConfig.directionSuffix(direction);
    }

    /** Index into {@code h_n}: {@code layer * directions + direction}. */
    public int stateIndex(int directions) {
      return layer * directions + direction;
    }

    public boolean reverse() {
      return direction == 1;
    }
  }

  /** Builds the plan of a validated model. */
  public static ModelPlan of(String packageName, String className, String sourceName, String sha256, ModelConfig config) {
    List<LayerRun> runs = new ArrayList<>();
    for (int layer = 0; layer < config.layers(); layer++) {
      for (int dir = 0; dir < config.directions(); dir++) {
        runs.add(new LayerRun(layer, dir, config.layerInputSize(layer)));
      }
    }
    return new ModelPlan(packageName, className, sourceName, sha256, config, List.copyOf(runs));
  }

  public int hidden() {
    return config.hidden();
  }

  public Cell cell() {
    return config.cell();
  }

  public boolean isGru() {
    return config.cell() == Cell.GRU;
  }

  /** GRU with the reset gate applied before the recurrent product (Cho et al. 2014). */
  public boolean isGruResetBefore() {
    return isGru() && config.gruReset() == GruReset.BEFORE;
  }

  public boolean isLstm() {
    return config.cell() == Cell.LSTM;
  }

  /** Unidirectional models also get the streaming {@code step} API. */
  public boolean streaming() {
    return !config.bidirectional();
  }

  public boolean training() {
    return config.training() != null;
  }

  /**
   * Rows of one step's gate workspace, before padding: all gates, plus for GRU one more block of H that
   * holds the recurrent part of the candidate (W_hn·h + b_hn) which the backward pass needs.
   */
  public int gateWorkspaceRows() {
    return isGru() ? 4 * hidden() : config.gateRows();
  }

  /** Rows of the recurrent matrix whose product is added to the input projection in one pass. */
  public int fusedRecurrentRows() {
    return isGru() ? 2 * hidden() : config.gateRows();
  }

  /** The last layer's runs. */
  public List<LayerRun> lastLayerRuns() {
    return runs.subList(runs.size() - config.directions(), runs.size());
  }
}
