package dev.rnnc.runtime.stream;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;

/**
 * A {@link StreamBank} over any {@link StreamingModel}: each stream's state lives in its own slice of the bank's
 * state array and is swapped into the model ({@link StreamingModel#setState}) before its steps and copied back
 * ({@link StreamingModel#hiddenState}, {@link StreamingModel#cellState}) after them. Every stream therefore gets
 * exactly the arithmetic of the model's single-stream {@code step}, so results equal stepping that stream alone
 * bit for bit — for models that keep their state in floats, as generated classes do. (The reference model keeps
 * it in doubles between its own steps; through a bank it is rounded to float after each call, as any snapshot
 * would.)
 *
 * <p>This is the portable bank and the oracle a batched one is tested against; it does one matrix–vector
 * product per stream and step, like the model's own {@code step}. The bank takes the model over: its streaming
 * state is overwritten on every call, so do not step it directly while the bank is in use. Allocation-free
 * after construction when the model's step is.
 */
public final class GenericStreamBank extends AbstractStreamBank {

  private final StreamingModel model;
  private final boolean lstm;
  private final float[] h;
  private final float[] c;

  /** A bank over a generated class (or the reference model), which reports its own configuration. */
  public <M extends RnnModel & StreamingModel> GenericStreamBank(M model, int capacity) {
    this(model, model.config(), capacity);
  }

  /**
   * A bank over any streaming model.
   *
   * @param model    the model whose {@code step} every stream runs; owned by the bank from now on
   * @param config   the model's configuration
   * @param capacity most streams open at once
   */
  public GenericStreamBank(StreamingModel model, ModelConfig config, int capacity) {
    super(config, capacity);
    if (model == null) {
      throw new IllegalArgumentException("model is null");
    }
    float[] modelH = model.hiddenState();
    float[] modelC = model.cellState();
    int modelCells = modelC == null ? 0 : modelC.length;
    if (modelH == null || modelH.length != hiddenFloats || modelCells != stateFloats - hiddenFloats) {
      throw new IllegalArgumentException("the model's state (h " + (modelH == null ? 0 : modelH.length) + ", c "
          + modelCells + " floats) is not that of the configuration given with it (h " + hiddenFloats + ", c "
          + (stateFloats - hiddenFloats) + ")");
    }
    this.model = model;
    this.lstm = config.hasCellState();
    this.h = new float[hiddenFloats];
    this.c = lstm ? new float[stateFloats - hiddenFloats] : null;
  }

  @Override
  protected void advance(int[] ids, int count, float[] inputs, int[] tokens, float[] outputs) {
    for (int i = 0; i < count; i++) {
      int id = ids[i];
      swapIn(id);
      if (tokens != null) {
        model.stepToken(tokens[i]);
      } else {
        model.step(inputs, i * inputSize);
      }
      if (outputs != null) {
        System.arraycopy(stepResult(), 0, outputs, i * outputSize, outputSize);
      }
      swapOut(id);
    }
  }

  @Override
  protected void advanceBlock(int id, int steps, float[] input, int inputOffset, int[] tokens, int tokenOffset,
      float[] output, int outputOffset) {
    swapIn(id);
    for (int t = 0; t < steps; t++) {
      if (tokens != null) {
        model.stepToken(tokens[tokenOffset + t]);
      } else {
        model.step(input, inputOffset + t * inputSize);
      }
      if (output != null) {
        System.arraycopy(stepResult(), 0, output, outputOffset + t * outputSize, outputSize);
      }
    }
    swapOut(id);
  }

  private float[] stepResult() {
    return config.hasHead() ? model.stepPrediction() : model.stepOutput();
  }

  private void swapIn(int id) {
    int at = stateOffset(id);
    System.arraycopy(state, at, h, 0, hiddenFloats);
    if (lstm) {
      System.arraycopy(state, at + hiddenFloats, c, 0, c.length);
    }
    model.setState(h, c);
  }

  private void swapOut(int id) {
    int at = stateOffset(id);
    System.arraycopy(model.hiddenState(), 0, state, at, hiddenFloats);
    if (lstm) {
      System.arraycopy(model.cellState(), 0, state, at + hiddenFloats, c.length);
    }
  }
}
