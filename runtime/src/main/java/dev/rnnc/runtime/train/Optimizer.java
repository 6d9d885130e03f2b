package dev.rnnc.runtime.train;

import dev.rnnc.runtime.NamedParameters;
import dev.rnnc.runtime.io.Tensor;
import java.util.Map;

/**
 * A first-order optimiser updating parameters in place from their gradients, with the arithmetic of the
 * matching {@code torch.optim} class (CPU, default single-tensor code path, float32). It works on any
 * {@link NamedParameters}: a single-stack model's {@code ModelParameters} or an encoder–decoder's
 * {@code Seq2SeqParameters}.
 *
 * <p>State (momentum buffers, moment estimates) is created on the first {@link #step} (or by {@link
 * #loadState}) for the parameter names it sees then; every later step must pass parameters with the same
 * names and sizes. A step allocates nothing.
 */
public interface Optimizer {

  /** Prefix of every state tensor name: {@code optimizer.step}, {@code optimizer.<slot>.<parameter>}. */
  String STATE_PREFIX = "optimizer.";

  /** Name of the step-counter state tensor (an I64 scalar). */
  String STEP_STATE = STATE_PREFIX + "step";

  /** Applies one update: {@code params} change in place; {@code grads} are read only (same names). */
  void step(NamedParameters params, NamedParameters grads);

  /** Updates applied so far (including those restored by {@link #loadState}). */
  long steps();

  /** {@code "sgd"}, {@code "adam"} or {@code "adamw"}. */
  String kind();

  /** Hyper-parameters by their PyTorch names ({@code lr}, {@code momentum}, ...), values as exact decimal strings. */
  Map<String, String> hyperParameters();

  /** A new optimiser with the same kind and settings (current learning rate included) and no state. */
  Optimizer withoutState();

  /** Current learning rate. */
  double learningRate();

  /** Changes the learning rate for later steps (a schedule); validated like the constructor's. */
  void setLearningRate(double lr);

  /**
   * A snapshot of the state for a checkpoint: {@link #STEP_STATE} and one tensor per slot and parameter,
   * named {@code optimizer.<slot>.<parameter>} with the parameter's shape (slots as in torch's state_dict:
   * {@code momentum_buffer}; {@code exp_avg}, {@code exp_avg_sq}). Copies, unaffected by later steps.
   */
  Map<String, Tensor> state();

  /**
   * Restores a {@link #state()} snapshot. Tensors not named {@code optimizer.*} are ignored, so a whole
   * checkpoint's tensor map may be passed.
   *
   * @throws dev.rnnc.runtime.RnncException when state is missing, unexpected or of the wrong size
   */
  void loadState(Map<String, Tensor> state);

  /**
   * Binds the state to these parameters now instead of at the first step, so that restored state that does
   * not fit them is reported at once.
   *
   * @throws dev.rnnc.runtime.RnncException when restored state does not match the parameters
   */
  void attach(NamedParameters params);
}
