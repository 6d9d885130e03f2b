package dev.rnnc.compiler.plan;

import com.palantir.javapoet.NameAllocator;
import dev.rnnc.compiler.plan.Node.Dropout;
import dev.rnnc.compiler.plan.Node.Embedding;
import dev.rnnc.compiler.plan.Node.Head;
import dev.rnnc.compiler.plan.Node.Loss;
import dev.rnnc.compiler.plan.WeightArray.Layout;
import dev.rnnc.compiler.plan.Workspace.Element;
import dev.rnnc.compiler.plan.Workspace.Pass;
import dev.rnnc.compiler.plan.Workspace.Scale;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The compiler's intermediate representation of one spec: the ordered graph of typed nodes, the one inventory
 * of workspaces (what an instance allocates, as a function of its limits), the one inventory of packed weight
 * arrays, every generated per-run name (allocated here, in one {@link NameAllocator}), and the fusion and
 * blocking choices. Emitters print what the plan says; they do not decide.
 *
 * @param packageName package of the generated class
 * @param className   simple name of the generated class
 * @param sourceName  the spec's file name, for the header
 * @param sha256      hash of the spec's bytes, for the header
 * @param config      the validated model (the generated {@code CONFIG} restates it)
 * @param cell        the cell every run computes
 * @param graph       the nodes in execution order
 * @param workspaces  every array an instance allocates
 * @param weights     every array of the generated {@code Weights} class
 * @param blocking    fusion and register-blocking choices
 * @param enclosingClass simple name of the class this one is nested in (a stack of an encoder–decoder), or null
 *                    for a top-level class
 * @param weightPrecision how the packed weight matrices are stored (bf16: half the bytes, inference only)
 */
public record ModelPlan(String packageName, String className, String sourceName, String sha256, ModelConfig config,
    CellKind cell, List<Node> graph, List<Workspace> workspaces, List<WeightArray> weights, Blocking blocking,
    String enclosingClass, WeightPrecision weightPrecision) {

  /**
   * Vector width (floats) the size checks assume: 16, AVX-512 and the widest SVE hardware. Wider vectors only add
   * padding of a few vectors per row, far inside the 8× headroom between the checked 2^28 elements and the
   * largest Java array.
   */
  public static final int CHECK_LANES = 16;

  /** Workspace names the emitters refer to. */
  public static final String INPUT_PROJECTION = "inputProjection";
  public static final String GATES = "gates";
  public static final String OUTPUT = "output";
  public static final String STEP_PROJECTION = "stepProjection";
  public static final String STEP_INPUT = "stepInput";
  public static final String BANK_INPUT = "bankInput";
  /** Scratch of the blocked product over many rows: one tile's x rows, interleaved column by column. */
  public static final String PRODUCT_PANEL = "productPanel";
  /** GRU's batched recurrence: each running sequence's recurrent products, apart from its input projection. */
  public static final String RECURRENT_GATES = "recurrentGates";

  public ModelPlan {
    graph = List.copyOf(graph);
    workspaces = List.copyOf(workspaces);
    weights = List.copyOf(weights);
  }

  /** The plan of a validated model. */
  public static ModelPlan of(String packageName, String className, String sourceName, String sha256,
      ModelConfig config) {
    return of(packageName, className, sourceName, sha256, config, WeightPrecision.F32);
  }

  /** The plan of a validated model whose packed weights are stored with {@code weights} precision. */
  public static ModelPlan of(String packageName, String className, String sourceName, String sha256,
      ModelConfig config, WeightPrecision weights) {
    if (weights == WeightPrecision.BF16 && config.training() != null) {
      throw new IllegalArgumentException("bf16 weights are for inference only (the spec check says so first)");
    }
    return new Planner(config, false, true).plan(packageName, null, className, sourceName, sha256, weights);
  }

  /**
   * The plan of one stack of an encoder–decoder, generated as the static class {@code className} nested in
   * {@code enclosingClass}.
   *
   * @param finalStateGradient whether the stack's backward pass may also be driven by a gradient of its final
   *                           state from outside (the encoder, whose h_n feeds the bridge), see
   *                           {@link Node.FinalStateGradient}
   */
  public static ModelPlan stack(String packageName, String enclosingClass, String className, String sourceName,
      String sha256, ModelConfig config, boolean finalStateGradient) {
    return new Planner(config, finalStateGradient, false).plan(packageName, enclosingClass, className, sourceName,
        sha256, WeightPrecision.F32);
  }

  /** The generated class's name, nested in {@link #enclosingClass} when there is one. */
  public com.palantir.javapoet.ClassName typeName() {
    return enclosingClass == null ? com.palantir.javapoet.ClassName.get(packageName, className)
        : com.palantir.javapoet.ClassName.get(packageName, enclosingClass, className);
  }

  /**
   * Whether the matrices the blocked product reads keep a copy regrouped for its tiles ({@code PackedWeights.tiles()},
   * {@link WeightArray#tiled()}); else the tiles read the group layout. float32 only: with bfloat16 weights the copy
   * made the batch-64 forward pass 1.4× slower (LSTM 64→128 and 256→512, Intel Xeon model 167), against 1.1–1.2×
   * faster in float32. The disassembly says why: the widening takes two more registers per column, and C2 then spilled
   * 8 of the 13-row tile's 26 accumulators to the stack on every column of that kernel (none in the group-layout
   * one, by the luck of its allocation). 8-row tiles over the copy ran without spills but no faster overall (LSTM
   * 512→1024 +1–7 %, 64→128 −8–0 %, A/B), so bfloat16 keeps what it had.
   */
  public boolean tileCopies() {
    return tileCopies(weightPrecision);
  }

  private static boolean tileCopies(WeightPrecision precision) {
    return precision == WeightPrecision.F32;
  }

  /** Whether the backward pass can start from an outside gradient of the final state. */
  public boolean finalStateGradient() {
    return graph.stream().anyMatch(Node.FinalStateGradient.class::isInstance);
  }

  /** The plan of a model without a class to generate (for size checks and {@code rnnc info}). */
  public static ModelPlan of(ModelConfig config) {
    return of("p", "Model", "model.yaml", "", config);
  }

  // ------------------------------------------------------------------------------------------------- graph

  /**
   * The parameters some packed matrix of the plan holds (what {@code weights: bf16} stores as bfloat16), in
   * parameter order of the weight inventory.
   */
  public Set<String> packedParameters() {
    Set<String> names = new java.util.LinkedHashSet<>();
    for (WeightArray array : weights) {
      if (array.packed()) {
        names.add(array.parameter());
        if (array.second() != null) {
          names.add(array.second());
        }
      }
    }
    return names;
  }

  /** The recurrent layer runs, layer by layer, directions in order. */
  public List<LayerRun> runs() {
    return graph.stream().filter(LayerRun.class::isInstance).map(LayerRun.class::cast).toList();
  }

  /** The last layer's runs. */
  public List<LayerRun> lastLayerRuns() {
    List<LayerRun> runs = runs();
    return runs.subList(runs.size() - directions(), runs.size());
  }

  /** The run of one layer and direction. */
  public LayerRun run(int layer, int direction) {
    return runs().get(layer * directions() + direction);
  }

  public Optional<Embedding> embedding() {
    return graph.stream().filter(Embedding.class::isInstance).map(Embedding.class::cast).findFirst();
  }

  public Optional<Head> head() {
    return graph.stream().filter(Head.class::isInstance).map(Head.class::cast).findFirst();
  }

  /** The generated stream bank, present for every unidirectional model. */
  public Optional<Node.Bank> bank() {
    return graph.stream().filter(Node.Bank.class::isInstance).map(Node.Bank.class::cast).findFirst();
  }

  public Optional<Loss> loss() {
    return graph.stream().filter(Loss.class::isInstance).map(Loss.class::cast).findFirst();
  }

  /** Dropout before each layer above the first, when training with a dropout probability. */
  public List<Dropout> dropouts() {
    return graph.stream().filter(Dropout.class::isInstance).map(Dropout.class::cast).toList();
  }

  public int layers() {
    return config.layers();
  }

  public int directions() {
    return config.directions();
  }

  public int hidden() {
    return config.hidden();
  }

  public boolean hasEmbedding() {
    return embedding().isPresent();
  }

  public boolean hasHead() {
    return head().isPresent();
  }

  public boolean manyToOne() {
    return config.mode() == ModelConfig.Mode.MANY_TO_ONE;
  }

  public boolean softmaxHead() {
    return head().map(h -> h.activation() == HeadActivation.SOFTMAX).orElse(false);
  }

  /**
   * Unidirectional models also get the streaming {@code step} API and a stream bank; the stacks of an encoder–decoder
   * do not (the enclosing class decodes through the whole-sequence pass, one step of many rows).
   */
  public boolean streaming() {
    return !config.bidirectional() && enclosingClass == null;
  }

  public boolean training() {
    return loss().isPresent();
  }

  /**
   * W_ih bytes from which the whole-sequence pass of a run may project the inputs of every valid step in one blocked
   * product before its recurrence ({@link LayerRun#projectsAhead}; at run time: for batches of at most
   * {@code PROJECT_AHEAD_BATCH} sequences, outside training). Step by step, a batch streams all of W_ih through the
   * core at every step; once W_ih outgrows the L2 cache that costs a small batch more than writing its gate rows
   * ahead and reading them back. RNN and LSTM, whose recurrent products add into the projected rows; GRUs resetting
   * after in forward runs, whose W_hh_rz product starts from row b·steps + s of the projections (a stride of whole
   * sequences, which a backward run's rows, b·steps + length_b − 1 − s, do not have).
   */
  public static final long PROJECT_AHEAD_BYTES = 512 * 1024;

  /**
   * Most bytes of a layer's packed [W_ih | W_hh] for which its streaming step is unit-blocked
   * ({@link LayerRun#unitStep}): LSTMs, and GRUs resetting after (whose n rows keep W_in·x and W_hn·h in
   * accumulators of their own, as r scales the second). The step then sweeps a copy of
   * the weights whose rows are ordered by blocks of hidden units (every gate of a block in one group of panels) and
   * updates each block's c and h from the accumulators still in registers, instead of storing all gates and
   * activating them in separate passes; the next block's products overlap a block's activations. That pays where the
   * activations are a large part of the step (small layers); beyond this size the copy costs memory for little.
   */
  public static final long UNIT_STEP_BYTES = 256 * 1024;

  /**
   * {@link #UNIT_STEP_BYTES} for GRUs resetting after: weights that fit the L1 cache of both machine kinds (32 KB on
   * Zen 4). A GRU block has 6 accumulators per column, not the LSTM's 8; beyond L1 its step runs as fast with the
   * three products apart (GRU 16→64, 61 KB: 433–457 ns unit-blocked against 407–432), below it the update from the
   * registers pays (GRU 8→40, 23 KB: 297–318 → 234–240 ns).
   */
  public static final long GRU_UNIT_STEP_BYTES = 32 * 1024;

  /** The public size constants of the generated class, in declaration order. */
  public List<Constant> constants() {
    List<Constant> constants = new ArrayList<>();
    constants.add(new Constant("INPUT_SIZE", config.inputSize(),
        config.hasEmbedding() ? "Embedding dimension: features per step fed to layer 0." : "Features per step."));
    if (config.hasEmbedding()) {
      constants.add(new Constant("VOCAB", config.vocab(), "Token ids are in [0, VOCAB)."));
    }
    constants.add(new Constant("HIDDEN", config.hidden(), "Hidden units per layer and direction."));
    constants.add(new Constant("LAYERS", config.layers(), "Stacked layers."));
    constants.add(new Constant("DIRECTIONS", config.directions(), "1, or 2 for bidirectional layers."));
    constants.add(new Constant("STATE", config.stateSize(), config.hasProjection()
        ? "Width of h: the LSTM projection size." : "Width of h: HIDDEN (no projection)."));
    constants.add(new Constant("GATE_ROWS", config.gateRows(), "Rows of W_ih and W_hh: gates × HIDDEN."));
    constants.add(new Constant("FEATURES", config.featureSize(), "Width of the per-step output: DIRECTIONS × STATE."));
    head().ifPresent(head -> constants.add(new Constant("HEAD_SIZE", head.size(), "Outputs of the linear head.")));
    return constants;
  }

  /** One sentence describing the model, for the generated class's javadoc. */
  public String description() {
    String variants = (config.hasProjection() ? " with projection to " + config.projSize() : "")
        + (config.peepholes() ? (config.hasProjection() ? " and" : " with") + " peepholes" : "");
    String input = config.hasEmbedding()
        ? "token input (embedding " + config.vocab() + " × " + config.inputSize() + ")"
        : "dense input " + config.inputSize();
    String head = head().map(h -> ", linear head of " + h.size() + " with "
        + h.activation().name().toLowerCase(Locale.ROOT)).orElse("");
    return cell.title() + variants + ", " + config.layers() + " layer(s), hidden " + config.hidden()
        + (config.bidirectional() ? ", bidirectional" : "") + ", " + input + ", "
        + config.mode().name().toLowerCase(Locale.ROOT) + head + ".";
  }

  // -------------------------------------------------------------------------------------------- workspaces

  /** The workspaces the generated class allocates. */
  public boolean hasWorkspace(String name) {
    return workspaces.stream().anyMatch(w -> w.name().equals(name));
  }

  /** Bytes one instance allocates for the workspaces of the given passes at its limits, with vectors of {@code lanes} floats. */
  public long workspaceBytes(int maxBatch, int maxLength, int lanes, Set<Pass> passes) {
    long bytes = 0;
    for (Workspace w : workspaces) {
      if (w.passes().stream().anyMatch(passes::contains)) {
        bytes += 4 * w.elements(runs().size(), maxBatch, maxLength, lanes);
      }
    }
    return bytes;
  }

  // ----------------------------------------------------------------------------------------------- planner

  /** Builds a plan: graph, names, weights, workspaces and blocking, in that order. */
  private static final class Planner {
    private final ModelConfig config;
    private final CellKind cell;
    private final NameAllocator names = new NameAllocator();
    private final Blocking blocking;
    private final boolean training;
    private final List<Workspace> workspaces = new ArrayList<>();
    private final boolean finalStateGradient;
    /** Whether the class gets the streaming step and a stream bank (see {@link ModelPlan#streaming()}). */
    private final boolean streaming;

    Planner(ModelConfig config, boolean finalStateGradient, boolean topLevel) {
      this.config = config;
      this.finalStateGradient = finalStateGradient;
      this.streaming = topLevel && !config.bidirectional();
      this.cell = CellKind.of(config);
      this.training = config.training() != null;
      boolean fusedCrossEntropy = training && config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY
          && config.hasHead() && config.headActivation() == HeadActivation.SOFTMAX;
      // 2 panels x 13 rows: 26 of AVX-512's 32 registers accumulate, 2 hold weights, 2 the broadcasts; at 14 rows
      // (28 accumulators) C2 spilled one accumulator to the stack on every column (seen in the disassembly) and the
      // tile ran ~10 % slower in isolation. 2 x 6 (15 of 16) on narrower vectors; per column 2 loads + 13 broadcasts
      // feed 26 FMAs (Zen 4 splits each into 2 x 256). Chunks of 8 tiles over blocks of 256 KiB of weights: both
      // stay in an L2 of 1 MiB (Zen 4) or 2 MiB (Emerald Rapids) at 512 columns
      // batched recurrence: a GRU resetting before needs r before its n product (r * h is W_hn's input), so it
      // keeps its pair sweeps; resetting after, its two recurrent products are blocked like the others' one
      this.blocking = new Blocking(streaming && !cell.isGru(), streaming && cell.isGru(), !cell.isGru(), cell != CellKind.GRU_RESET_BEFORE,
          fusedCrossEntropy, List.of(8, 4, 2, 1), new Blocking.ProductTile(2, 16, 13, 6, List.of(8, 4), 8 * 13, 256 * 1024),
          cell == CellKind.LSTM || cell == CellKind.GRU_RESET_AFTER ? 2 : 0);
    }

    ModelPlan plan(String packageName, String enclosingClass, String className, String sourceName, String sha256,
        WeightPrecision weightPrecision) {
      List<Node> graph = new ArrayList<>();
      if (config.hasEmbedding()) {
        graph.add(new Embedding(ModelConfig.EMBEDDING_WEIGHT, config.vocab(), config.inputSize()));
      }
      boolean dropout = training && config.training().dropout() > 0;
      for (int layer = 0; layer < config.layers(); layer++) {
        if (dropout && layer > 0) {
          graph.add(new Dropout(layer, (float) config.training().dropout(), "dropMask" + layer, "dropped" + layer));
        }
        for (int dir = 0; dir < config.directions(); dir++) {
          graph.add(run(layer, dir, weightPrecision));
        }
      }
      boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
      if (config.hasHead()) {
        graph.add(new Head(ModelConfig.HEAD_WEIGHT, ModelConfig.HEAD_BIAS, config.headSize(), config.featureSize(),
            config.headActivation(), perStep));
      }
      if (training) {
        graph.add(new Loss(config.training().loss(), perStep, blocking.fusedCrossEntropy()));
        if (finalStateGradient) {
          graph.add(new Node.FinalStateGradient());
        }
      }
      List<LayerRun> runs = graph.stream().filter(LayerRun.class::isInstance).map(LayerRun.class::cast).toList();
      List<WeightArray> weights = new ArrayList<>();
      runs.forEach(run -> addWeights(weights, run, tileCopies(weightPrecision)));
      addOtherWeights(weights);
      addForwardWorkspaces();
      if (streaming) {
        addStepWorkspaces();
        graph.add(bank());
      }
      if (training) {
        addTrainingWorkspaces();
      }
      return new ModelPlan(packageName, className, sourceName, sha256, config, cell, graph, workspaces, weights,
          blocking, enclosingClass, weightPrecision);
    }

    private LayerRun run(int layer, int direction, WeightPrecision weightPrecision) {
      Map<Member, String> allocated = new EnumMap<>(Member.class);
      for (Member member : Member.values()) {
        allocated.put(member, names.newName(member.prefix() + LayerRun.suffix(layer, direction)));
      }
      long inputWeightBytes = (long) config.gateRows() * config.layerInputSize(layer)
          * (weightPrecision == WeightPrecision.BF16 ? 2 : 4);
      boolean projectionCell = !cell.isGru() || (cell == CellKind.GRU_RESET_AFTER && direction == 0);
      boolean ahead = blocking.batchedRecurrence() && projectionCell && inputWeightBytes >= PROJECT_AHEAD_BYTES;
      long stepWeightBytes = (long) config.gateRows() * (config.layerInputSize(layer) + config.stateSize())
          * (weightPrecision == WeightPrecision.BF16 ? 2 : 4);
      boolean unitStep = blocking.fusedStep() && cell == CellKind.LSTM && stepWeightBytes <= UNIT_STEP_BYTES
          || blocking.fusedRzStep() && cell == CellKind.GRU_RESET_AFTER && stepWeightBytes <= GRU_UNIT_STEP_BYTES;
      return new LayerRun(ModelConfig.RNN_MODULE, layer, direction, cell, config.layerInputSize(layer),
          config.hidden(), config.stateSize(), config.peepholes(), layer * config.directions() + direction, ahead,
          unitStep, allocated);
    }

    // ------------------------------------------------------------------------------------------- weights

    private void addWeights(List<WeightArray> weights, LayerRun run, boolean tileCopies) {
      String wih = run.parameter("weight_ih");
      String whh = run.parameter("weight_hh");
      String where = run.where();
      String in = run.inputWidth();
      weights.add(new WeightArray(run.name(Member.IH), "W_ih of " + where, Layout.PANELS, wih, null, "0",
          "GATE_ROWS", in, false).readByRowsProduct(tileCopies));
      weights.add(new WeightArray(run.name(Member.IH_ROWS), "W_ih of " + where
          + ", row-major as in PyTorch, for dX = dGates · W_ih", Layout.ROW_MAJOR, wih, null, "0", "GATE_ROWS", in,
          true));
      weights.add(new WeightArray(run.name(Member.IH_BIAS), "biases added to the input projection of " + where,
          Layout.FOLDED_BIAS, run.parameter("bias_ih"), run.parameter("bias_hh"), "0", "GX_STRIDE", "1", false));
      switch (cell) {
        case GRU_RESET_AFTER, GRU_RESET_BEFORE -> {
          if (blocking.fusedRzStep()) {
            weights.add(new WeightArray(run.name(Member.STEP_FUSED), "[W_ih | W_hh] rows r and z of " + where
                + ", packed for the streaming step", Layout.CONCAT_PANELS, wih, whh, "0", "2 * HIDDEN", in, false));
            weights.add(new WeightArray(run.name(Member.IH_N), "W_in (the n rows of W_ih) of " + where
                + ", for the streaming step", Layout.PANELS, wih, null, "2 * HIDDEN", "HIDDEN", in, false));
          }
          // resetting after, the batched recurrence multiplies every running sequence's h by both in blocked products
          WeightArray hhRz = new WeightArray(run.name(Member.HH_RZ), "W_hr and W_hz of " + where, Layout.PANELS, whh,
              null, "0", "2 * HIDDEN", "HIDDEN", false);
          WeightArray hhN = new WeightArray(run.name(Member.HH_N), "W_hn of " + where, Layout.PANELS, whh, null,
              "2 * HIDDEN", "HIDDEN", "HIDDEN", false);
          boolean batched = cell == CellKind.GRU_RESET_AFTER;
          weights.add(batched ? hhRz.readByRowsProduct(tileCopies) : hhRz);
          weights.add(batched ? hhN.readByRowsProduct(tileCopies) : hhN);
          if (cell == CellKind.GRU_RESET_AFTER) {
            weights.add(new WeightArray(run.name(Member.BHN), "b_hn of " + where
                + " (scaled by r, so it cannot be folded)", Layout.SLICE, run.parameter("bias_hh"), null,
                "2 * HIDDEN", "HIDDEN", "1", false));
            weights.add(new WeightArray(run.name(Member.HH_T), "W_hh^T of " + where, Layout.PANELS_TRANSPOSED, whh,
                null, "0", "GATE_ROWS", "HIDDEN", true));
          } else {
            weights.add(new WeightArray(run.name(Member.HH_RZ_T), "[W_hr; W_hz]^T of " + where,
                Layout.PANELS_TRANSPOSED, whh, null, "0", "2 * HIDDEN", "HIDDEN", true));
            weights.add(new WeightArray(run.name(Member.HH_N_T), "W_hn^T of " + where, Layout.PANELS_TRANSPOSED, whh,
                null, "2 * HIDDEN", "HIDDEN", "HIDDEN", true));
          }
          // after b_hn, which the unit-blocked biases read
          if (run.unitStep()) {
            weights.add(new WeightArray(run.name(Member.STEP_UNITS), "[W_ih | W_hh] of " + where
                + ", unit-blocked for the streaming step's vector kernels (the n rows: W_in over x, W_hn over h)",
                Layout.UNIT_PANELS, wih, whh, "0", "GATE_ROWS", in, false));
            weights.add(new WeightArray(run.name(Member.STEP_UNITS_BIAS), "the folded biases of " + where
                + " and b_hn in the row order of " + run.name(Member.STEP_UNITS) + " (4 per unit: r, z, input n, "
                + "recurrent n)", Layout.UNIT_BIAS, run.name(Member.BHN), run.name(Member.IH_BIAS), "0", "4", "1",
                false));
          }
        }
        case RNN_TANH, RNN_RELU, LSTM -> {
          if (blocking.fusedStep()) {
            weights.add(new WeightArray(run.name(Member.STEP_FUSED), "[W_ih | W_hh] of " + where
                + ", packed for the streaming step and the stream bank's product", Layout.CONCAT_PANELS, wih, whh, "0",
                "GATE_ROWS", in, false).readByRowsProduct(tileCopies));
          }
          if (run.unitStep()) {
            weights.add(new WeightArray(run.name(Member.STEP_UNITS), "[W_ih | W_hh] of " + where
                + ", unit-blocked for the streaming step's vector kernels", Layout.UNIT_PANELS, wih, whh, "0",
                "GATE_ROWS", in, false));
            weights.add(new WeightArray(run.name(Member.STEP_UNITS_BIAS), "the folded biases of " + where
                + " in the row order of " + run.name(Member.STEP_UNITS), Layout.UNIT_BIAS, null,
                run.name(Member.IH_BIAS), "0", "GATE_ROWS / HIDDEN", "1", false));
            if (run.peepholes()) {
              weights.add(new WeightArray(run.name(Member.STEP_UNITS_PEEP), "peephole weights of " + where
                  + " [3, HIDDEN_STRIDE], rows i, f, o, each padded (whole vectors of the last units in bounds)",
                  Layout.PADDED_ROWS, run.parameter("weight_ph"), null, "0", "3", "HIDDEN", false));
            }
          }
          weights.add(new WeightArray(run.name(Member.HH), "W_hh of " + where, Layout.PANELS, whh, null, "0",
              "GATE_ROWS", "STATE", false).readByRowsProduct(tileCopies));
          weights.add(new WeightArray(run.name(Member.HH_T), "W_hh^T of " + where, Layout.PANELS_TRANSPOSED, whh,
              null, "0", "GATE_ROWS", "STATE", true));
        }
      }
      if (run.peepholes()) {
        weights.add(new WeightArray(run.name(Member.PEEP), "peephole weights of " + where + " [3, HIDDEN], rows i, f, o",
            Layout.ROW_MAJOR, run.parameter("weight_ph"), null, "0", "3", "HIDDEN", false));
      }
      if (run.projection()) {
        String whr = run.parameter("weight_hr");
        weights.add(new WeightArray(run.name(Member.HR), "W_hr (projection) of " + where, Layout.PANELS, whr, null,
            "0", "STATE", "HIDDEN", false));
        weights.add(new WeightArray(run.name(Member.HR_T), "W_hr^T of " + where, Layout.PANELS_TRANSPOSED, whr, null,
            "0", "STATE", "HIDDEN", true));
      }
    }

    private void addOtherWeights(List<WeightArray> weights) {
      if (config.hasHead()) {
        weights.add(new WeightArray("headWeight", "head.weight", Layout.PANELS, ModelConfig.HEAD_WEIGHT, null, "0",
            "HEAD_SIZE", "FEATURES", false));
        weights.add(new WeightArray("headWeightRows", "head.weight, row-major as in PyTorch, for dF = dLogits · W",
            Layout.ROW_MAJOR, ModelConfig.HEAD_WEIGHT, null, "0", "HEAD_SIZE", "FEATURES", true));
        weights.add(new WeightArray("headBias", "head.bias, padded", Layout.SLICE, ModelConfig.HEAD_BIAS, null, "0",
            "HEAD_SIZE", "1", false));
      }
      if (config.hasEmbedding()) {
        weights.add(new WeightArray("embedding", "embedding.weight [VOCAB, INPUT_SIZE], row-major as in PyTorch",
            Layout.ROW_MAJOR, ModelConfig.EMBEDDING_WEIGHT, null, "0", "VOCAB", "INPUT_SIZE", false));
      }
    }

    // ---------------------------------------------------------------------------------------- workspaces

    private Width inputSize() {
      return Width.of("INPUT_SIZE", config.hasEmbedding() ? "embedding.dim" : "input",
          config.inputSize());
    }

    private Width hidden() {
      return Width.of("HIDDEN", "hidden", config.hidden());
    }

    private Width state() {
      return Width.of("STATE", config.hasProjection() ? "proj_size" : "hidden", config.stateSize());
    }

    private Width stateStride() {
      return Width.padded("STATE_STRIDE", (config.hasProjection() ? "proj_size" : "hidden") + ", padded",
          config.stateSize());
    }

    private Width features() {
      return Width.of("FEATURES", "directions × hidden", config.featureSize());
    }

    private Width gxStride() {
      return Width.padded("GX_STRIDE", "gates × hidden, padded", config.gateRows());
    }

    private Width gateStride() {
      return Width.padded("GATE_STRIDE", cell.workspaceBlocks() + " × hidden, padded",
          cell.workspaceBlocks() * config.hidden());
    }

    private Width hiddenStride() {
      return Width.padded("HIDDEN_STRIDE", "hidden, padded", config.hidden());
    }

    private Width headSize() {
      return Width.of("HEAD_SIZE", "head.size", config.headSize());
    }

    private Width headStride() {
      return Width.padded("HEAD_STRIDE", "head.size, padded", config.headSize());
    }

    private Width one() {
      return Width.of("1", "1", 1);
    }

    private void add(String name, String label, Scale scale, Width width, Width slack, String doc, Pass... passes) {
      workspaces.add(new Workspace(names.newName(name), label, Element.FLOAT, scale, width, slack, Set.of(passes),
          doc));
    }

    private void addInts(String name, String label, Scale scale, String doc, Pass... passes) {
      workspaces.add(new Workspace(names.newName(name), label, Element.INT, scale, one(), null, Set.of(passes), doc));
    }

    private void addForwardWorkspaces() {
      Pass f = Pass.FORWARD;
      Pass t = Pass.TRAINING;
      boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
      addInts("lengths", "sequence lengths", Scale.BATCH, "Valid steps per sequence of the current call.", f, t);
      addInts("validRows", "valid rows", Scale.ROWS, "Rows (b * steps + t) of every valid step of the call.", f, t);
      addInts("running", "running sequences", Scale.BATCH, "Sequences still running at the current step.", f, t);
      addInts("runningRows", "running rows", Scale.BATCH,
          "Row (b * steps + t) of the current step of each running sequence, in the order of running.", f, t);
      if (config.hasEmbedding()) {
        add("embedded", "gathered embeddings", Scale.ROWS, inputSize(), null,
            "Token embeddings gathered for the call [batch, steps, INPUT_SIZE].", f, t);
      }
      add(INPUT_PROJECTION, "input projections", Scale.ROWS, gxStride(), null,
          "Input projections of every step [batch × steps rows of GX_STRIDE].", f, t);
      add(GATES, "gate scratch", Scale.ONE, gateStride().times(4), null,
          "Gate workspaces of up to four sequences' steps.", f, Pass.STEP, t);
      add(PRODUCT_PANEL, "product panel", Scale.ONE,
          inputSize().max(features()).plus(state()).times(blocking.productTile().chunkRows()), null,
          "A chunk's x rows, interleaved tile by tile, while rowsProduct multiplies them (widest product input × "
              + "rows of a chunk).",
          f, Pass.STEP, t);
      if (cell == CellKind.GRU_RESET_AFTER) {
        add(RECURRENT_GATES, "recurrent gate rows", Scale.BATCH, gateStride(), null,
            "Per running sequence of a step: W_hh_rz·h + gx_rz, then b_hn + W_hn·h at 3H (the batched recurrence).",
            f, t);
      }
      if (cell == CellKind.GRU_RESET_BEFORE) {
        add("resetHidden", "r * h scratch", Scale.ONE, hiddenStride().times(2), null,
            "r * h of the current step of two sequences, input of W_hn.", f, Pass.STEP, t);
      }
      for (int layer = 0; layer < config.layers() - 1; layer++) {
        add("layerOutput" + layer, "layer outputs", Scale.ROWS, features(), null,
            "Per-step output of layer " + layer + " [batch, steps, FEATURES].", f, t);
      }
      add(OUTPUT, "outputs", Scale.ROWS, features(), null, "Per-step output of the last layer [batch, steps, FEATURES].",
          f, t);
      add("hN", "final hidden states", Scale.RUN_BATCH, state(), null,
          "Running, then final, hidden states [LAYERS * DIRECTIONS, batch, STATE].", f, t);
      if (cell.hasCellState()) {
        add("cN", "final cell states", Scale.RUN_BATCH, hidden(), null,
            "Running, then final, cell states [LAYERS * DIRECTIONS, batch, HIDDEN].", f, t);
      }
      if (config.hasProjection()) {
        add("cellOutput", "cell outputs", Scale.ONE, hiddenStride().times(4), null,
            "o * tanh(c) of up to four sequences' steps, the input of the projection W_hr.", f, Pass.STEP, t);
        add("projected", "projections", Scale.ONE, stateStride().times(4), null,
            "W_hr · (o * tanh(c)) of up to four sequences' steps, padded, before it becomes h.", f, Pass.STEP, t);
        add("zeroState", "zero state", Scale.ONE, stateStride(), null,
            "Zeros: the initial value of the projection product (W_hr has no bias).", f, Pass.STEP, t);
      }
      if (!perStep) {
        add("features", "features", Scale.BATCH, features(), null, "Final features [batch, FEATURES].", f, t);
      }
      if (config.hasHead()) {
        Scale rows = perStep ? Scale.ROWS : Scale.BATCH;
        add("logits", "head logits", rows, headSize(), null, "Head logits.", f, t);
        add("prediction", "head predictions", rows, headSize(), null, "Head activations.", f, t);
        add("headScratch", "head scratch", Scale.ONE, headStride().times(2), null, "Padded head outputs of two rows.",
            f, Pass.STEP, t);
      }
    }

    private void addStepWorkspaces() {
      Pass s = Pass.STEP;
      Width layersTimesHidden = Width.of("LAYERS * HIDDEN", "layers × hidden", config.layers() * config.hidden());
      Width layersTimesState = Width.of("LAYERS * STATE", "layers × state", config.layers() * config.stateSize());
      add("stepState", "streaming state", Scale.ONE, layersTimesState, null, "Streaming hidden state [LAYERS, STATE].",
          s);
      if (cell.hasCellState()) {
        add("stepCell", "streaming cell state", Scale.ONE, layersTimesHidden, null,
            "Streaming cell state [LAYERS, HIDDEN].", s);
      }
      if (blocking.fusedStep() || blocking.fusedRzStep()) {
        add(STEP_INPUT, "streaming step input", Scale.ONE, inputSize().max(features()).plus(state()), null,
            "[x; h] of the current layer, the input of the fused step product.", s);
      }
      if (!blocking.fusedStep()) {
        add(STEP_PROJECTION, "streaming input projection", Scale.ONE, gxStride(), null,
            "Streaming input projection of the current layer.", s);
      }
      add("stepOutput", "streaming output", Scale.ONE, state(), null, "Streaming last-layer output [STATE].", s);
      if (config.hasHead()) {
        add("stepLogits", "streaming logits", Scale.ONE, headSize(), null, "Streaming head logits [HEAD_SIZE].", s);
        add("stepPrediction", "streaming predictions", Scale.ONE, headSize(), null,
            "Streaming head activations [HEAD_SIZE].", s);
      }
    }

    /**
     * The stream bank. Its private model instance has maxBatch = the bank's capacity and maxLength = 1, so the
     * whole-sequence input projections hold one gate row per stream of a call. Cells with a fused step gather
     * every stream's {@code [x; h]} row into {@link #BANK_INPUT} and multiply them all by {@code [W_ih | W_hh]}
     * in one blocked product ({@link Blocking#productTile}: every weight load serves a tile of streams);
     * GRUs project inputs and step two streams per sweep over W_hh. The states live in the bank's own array,
     * {@code capacity × state floats}.
     */
    private Node.Bank bank() {
      String input = null;
      if (blocking.fusedStep()) {
        input = BANK_INPUT;
        add(BANK_INPUT, "stream bank inputs", Scale.BATCH, bankInputStride(), null,
            "[x; h] of the current layer of every stream of a stream-bank call, one BANK_INPUT_STRIDE row each.",
            Pass.STEP);
      }
      Blocking.ProductTile tile = blocking.productTile();
      List<Integer> sweeps = blocking.fusedStep() ? tile.heights() : List.of(2, 1);
      return new Node.Bank(sweeps, blocking.fusedStep(), input, INPUT_PROJECTION);
    }

    private Width bankInputStride() {
      return Width.of("BANK_INPUT_STRIDE", "max(input, features) + state",
          Math.max(config.inputSize(), config.featureSize()) + config.stateSize());
    }

    private void addTrainingWorkspaces() {
      Pass t = Pass.TRAINING;
      boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
      add("gateStore", "gate store", Scale.RUN_ROWS, gateStride(), null,
          "Activated gates of every step of every layer and direction.", t);
      if (cell.hasCellState()) {
        add("cellStore", "cell store", Scale.RUN_ROWS, hidden(), null,
            "LSTM cell state after every step of every layer and direction.", t);
      }
      add("h0Store", "initial states", Scale.RUN_BATCH, state(), null, "Initial hidden state of the call.", t);
      if (cell.hasCellState()) {
        add("c0Store", "initial cell states", Scale.RUN_BATCH, hidden(), null, "Initial cell state of the call.", t);
      }
      add("dGates", "gate gradients", Scale.ROWS, gxStride(), null,
          "Gradients of the input-side gate pre-activations, per step.", t);
      if (cell == CellKind.GRU_RESET_AFTER) {
        add("dGatesHh", "recurrent gate gradients", Scale.ROWS, gxStride(), null,
            "Gradients of the recurrent-side pre-activations (n row scaled by r).", t);
      }
      add("hPrev", "previous states", Scale.ROWS, state(), null, "The state each step started from, for dW_hh.", t);
      if (cell == CellKind.GRU_RESET_BEFORE) {
        add("rhPrev", "previous reset states", Scale.ROWS, hidden(), null, "r * h_prev of each step, the input of W_hn.",
            t);
        add("resetGrad", "reset gradients", Scale.BATCH, hiddenStride(), null,
            "d(r * h_prev) of each sequence's current step.", t);
      }
      if (cell.isGru()) {
        add("dhDirect", "direct state gradients", Scale.BATCH, hiddenStride(), null,
            "Per sequence, the part of dh_prev that bypasses the recurrent weights.", t);
      }
      add("dh", "state gradients", Scale.BATCH, hiddenStride(), null,
          "Per sequence, dLoss/dh carried backwards through time.", t);
      if (cell.hasCellState()) {
        add("dc", "cell state gradients", Scale.BATCH, hiddenStride(), null,
            "Per sequence, dLoss/dc carried backwards through time.", t);
      }
      if (config.hasProjection()) {
        add("dCellOutput", "cell output gradients", Scale.BATCH, hiddenStride(), null,
            "Per sequence, dLoss/d(o * tanh(c)) = W_hr^T · dh of the current step.", t);
        add("dhStore", "projection gradients", Scale.ROWS, state(), null,
            "dLoss/dh of every step of the current layer run, for dW_hr.", t);
        add("cellOutputs", "stored cell outputs", Scale.ROWS, hidden(), null,
            "o * tanh(c) of every step of the current layer run, for dW_hr.", t);
      }
      add("zeros", "zeros", Scale.ONE, gxStride().plus(features()).plus(inputSize()).plus(hiddenStride()), null,
          "Zero initial value for products that start from nothing.", t);
      for (int layer = 0; layer < config.layers(); layer++) {
        add("dLayerOutput" + layer, "output gradients", Scale.ROWS, features(), Width.lanes(),
            "dLoss/d(output of layer " + layer + ").", t);
      }
      add("dInput", "input gradients", Scale.ROWS, inputSize(), Width.lanes(), config.hasEmbedding()
          ? "dLoss/d(embedded input), scattered into the embedding gradient."
          : "dLoss/d(input) [batch, steps, INPUT_SIZE].", t);
      add("dH0", "initial state gradients", Scale.RUN_BATCH, state(), null, "dLoss/dh0.", t);
      if (cell.hasCellState()) {
        add("dC0", "initial cell state gradients", Scale.RUN_BATCH, hidden(), null, "dLoss/dc0.", t);
      }
      add("dLogits", "loss gradients", perStep ? Scale.ROWS : Scale.BATCH,
          config.hasHead() ? headSize() : features(), Width.lanes(),
          "dLoss/dlogits (or d output / features without a head).", t);
      if (!perStep) {
        add("dFeatures", "feature gradients", Scale.BATCH, features(), Width.lanes(), "dLoss/dfeatures [batch, FEATURES].",
            t);
      }
      if (config.training().dropout() > 0) {
        for (int layer = 1; layer < config.layers(); layer++) {
          add("dropMask" + layer, "dropout masks", Scale.ROWS, features(), null,
              "Dropout mask on the input of layer " + layer + ".", t);
          add("dropped" + layer, "dropped inputs", Scale.ROWS, features(), null,
              "Input of layer " + layer + " after dropout.", t);
        }
      }
      addInts("batchRows", "batch rows", Scale.BATCH, "0, 1, ..., maxBatch - 1.", t);
      if (blocking.fusedCrossEntropy()) {
        add("logSumExp", "log-sum-exps", perStep ? Scale.ROWS : Scale.BATCH, one(), null,
            "log Σ exp(logits) of every head row, from the softmax.", t);
      }
    }
  }
}
