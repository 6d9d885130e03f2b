package dev.rnnc.compiler.emit;

import com.palantir.javapoet.MethodSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.Member;
import dev.rnnc.compiler.plan.ModelPlan;
import java.util.List;

/**
 * Everything about one cell formulation that the generated class spells out: its kernels (forward update,
 * elementwise backward), the arrays a recurrent step works on, the recurrent products of one step for one,
 * two or four sequences, the step of the backward pass and the recurrent weight gradients. One implementation
 * per {@link dev.rnnc.compiler.plan.CellKind}, mirroring the reference implementation's per-cell classes; the
 * other emitters never branch on the cell.
 */
interface CellEmitter {

  /** The emitter of the plan's cell. */
  static CellEmitter of(ModelPlan plan) {
    return switch (plan.cell()) {
      case RNN_TANH -> new RnnCellEmitter(false);
      case RNN_RELU -> new RnnCellEmitter(true);
      case GRU_RESET_AFTER -> new GruResetAfterCellEmitter();
      case GRU_RESET_BEFORE -> new GruResetBeforeCellEmitter();
      case LSTM -> new LstmCellEmitter(plan.config().hasProjection(), plan.config().peepholes());
    };
  }

  /** Forward update kernels (vector and scalar forms are emitted from each). */
  List<KernelEmitter.CellKernel> kernels();

  /** Elementwise backward kernels, from dh (and dc) to the gate pre-activation gradients. */
  List<BackwardKernels.Kernel> backwardKernels();

  /** Whether the cell carries a cell state c beside h (LSTM). */
  boolean hasCellState();

  /**
   * Body of the recurrent step of {@code group} sequences: the recurrent products added to the input projection
   * in {@code gx}, then the update of h (and c) in place, activated gates left in {@code g}. Parameters:
   * {@code h}, [{@code c}], {@code gx}, {@code g}, each with the group's offsets.
   */
  void recurrentStep(MethodSpec.Builder m, LayerRun run, Group group);

  /**
   * The update of one sequence's state from pre-activations that already hold every product (the fused
   * streaming step); only cells whose gates add both products unscaled have one.
   */
  default void fusedUpdate(MethodSpec.Builder m, LayerRun run, String g, String gOff, String c, String cOff, String h,
      String hOff) {
    throw new IllegalStateException(getClass().getSimpleName() + " has no fused step");
  }

  /**
   * The streaming step of a GRU ({@link dev.rnnc.compiler.plan.Blocking#fusedRzStep}), once {@code stepInput}
   * holds [x; h] ({@code in} floats of x, then h) and {@code stepState} at {@code state} holds h: the r and z rows in
   * one sweep of the packed [W_ih | W_hh], the n rows' products apart, then the update of h in place.
   */
  default void fusedRzStep(MethodSpec.Builder m, LayerRun run, String in, String state) {
    throw new IllegalStateException(getClass().getSimpleName() + " has no r and z rows");
  }

  /**
   * The vector kernels of the unit-blocked streaming step ({@link LayerRun#unitStep}), for the {@code Vec} class;
   * none for cells without one.
   */
  default List<MethodSpec> unitStepKernels(ModelPlan plan) {
    return List.of();
  }

  /**
   * The unit-blocked streaming step of {@code run} with the vector kernels ({@link LayerRun#unitStep}), once
   * {@code stepInput} holds [x; h] ({@code in} floats of x, then h): every block of hidden units' gates in one sweep,
   * updated from the registers into c at {@code cellState} and h at {@code state} of the step's arrays.
   */
  default void unitStep(MethodSpec.Builder m, LayerRun run, String in, String state, String cellState) {
    throw new IllegalStateException(getClass().getSimpleName() + " has no unit-blocked step");
  }

  /**
   * Whether {@link #fusedRzStep} makes its products in reverse order every other step, by the instance's boolean
   * {@code stepReversed} (which the step flips after its last layer).
   */
  default boolean alternatesStepOrder() {
    return false;
  }

  /**
   * Batched recurrence ({@link dev.rnnc.compiler.plan.Blocking#batchedRecurrence}): whether a step's input
   * projections are made in place in the rows that then receive the recurrent products (every gate adds both
   * products unscaled); otherwise they stay in {@code inputProjection} and the products go to gate rows of their own.
   */
  default boolean projectsIntoGates() {
    return true;
  }

  /**
   * Batched recurrence: the recurrent products of every running sequence's h (rows {@code running} of hN, at
   * {@code hBase}) into gate rows {@code gRows[i] * gStride + gBase} of {@code g}, blocked over the sequences
   * ({@code rowsProduct}). Default: one product with the fused W_hh, added in place to the projections.
   */
  default void batchedProducts(MethodSpec.Builder m, LayerRun run, String hBase, String g, String gRows,
      String gStride, String gBase) {
    m.addStatement("rowsProduct(w.$N, GATE_ROWS, STATE, hN, running, STATE, $L, $L, $L, $L, $L, $L, $L, $L, count, "
        + "productPanel)", run.name(Member.HH), hBase, g, gStride, gBase, g, gRows, gStride, gBase);
  }

  /**
   * Batched recurrence: the update of running sequence {@code b} (locals {@code b}, {@code row}, {@code state}) from
   * its gate row at {@code gOff} of {@code g}. Default: the fused update.
   */
  default void batchedUpdate(MethodSpec.Builder m, LayerRun run, String g, String gOff, String c, String cOff,
      String h, String hOff) {
    fusedUpdate(m, run, g, gOff, c, cOff, h, hOff);
  }

  /** Body of {@code Weights.inputBias(out, bih, bhh)}: which bias rows fold into the input projection. */
  void inputBias(MethodSpec.Builder m);

  /**
   * In the backward step of sequence {@code b} (locals with suffix {@code x}: {@code row}, {@code prev},
   * {@code state}, {@code d}, {@code dg}, {@code g}), once dh is complete: the elementwise backward into
   * {@code dGates}.
   */
  void backwardUpdate(MethodSpec.Builder m, LayerRun run, String b, String x);

  /** After the group's backward updates: dh of the step before, through the transposed recurrent weights. */
  void backwardProduct(MethodSpec.Builder m, LayerRun run, Group group);

  /** Gradients of W_hh and b_hh over every valid step (after the recurrence). */
  void recurrentGradients(MethodSpec.Builder m, LayerRun run);
}
