package dev.rnnc.runtime.reference;

/**
 * One layer in one direction over a padded batch, as PyTorch runs a packed sequence: sequence {@code b}
 * visits only its valid steps {@code 0..len-1}, forwards in time or, for the reverse direction, from its
 * own last valid step back to step 0. Forward keeps every step's state and saved activations so backward
 * can walk the same steps in the opposite order (backpropagation through time).
 *
 * <p>Per-step arrays are {@code [batch, steps, width]} compact for the call ({@link Region#row}); states
 * are {@code [layers*dirs, batch, S]} for h ({@code h0}, {@code hN}, ...; S = P with an LSTM projection, else
 * H) and {@code [layers*dirs, batch, H]} for c ({@code c0}, {@code cN}, ...), and this pass owns slot
 * {@code slot}.
 */
final class RecurrentPass {
  private final ReferenceCell cell;
  private final LayerWeights weights;
  private final LayerWeights gradients;
  private final boolean reverse;
  private final int slot;
  private final int hidden;
  private final int stateSize;
  private final int inputSize;
  private final int savedSize;

  // Per (b, t): hidden and cell state after the step, and the cell's saved activations.
  private final double[] hs;
  private final double[] cs;
  private final double[] saved;

  // Vectors of one step.
  private final double[] x;
  private final double[] hp;
  private final double[] cp;
  private final double[] h;
  private final double[] c;
  private final double[] stepSaved;
  private final double[] dh;
  private final double[] dc;
  private final double[] dx;
  private final double[] dhp;
  private final double[] dcp;

  RecurrentPass(ReferenceCell cell, LayerWeights weights, LayerWeights gradients, boolean reverse, int slot,
      int maxRows) {
    this.cell = cell;
    this.weights = weights;
    this.gradients = gradients;
    this.reverse = reverse;
    this.slot = slot;
    this.hidden = weights.hidden;
    this.stateSize = weights.stateSize;
    this.inputSize = weights.inputSize;
    this.savedSize = cell.savedSize();
    this.hs = new double[maxRows * stateSize];
    this.cs = new double[maxRows * hidden];
    this.saved = new double[maxRows * savedSize];
    this.x = new double[inputSize];
    this.hp = new double[stateSize];
    this.cp = new double[hidden];
    this.h = new double[stateSize];
    this.c = new double[hidden];
    this.stepSaved = new double[savedSize];
    this.dh = new double[stateSize];
    this.dc = new double[hidden];
    this.dx = new double[inputSize];
    this.dhp = new double[stateSize];
    this.dcp = new double[hidden];
  }

  /** Time index of the {@code s}-th step this direction visits in a sequence of {@code length} valid steps. */
  private int time(int s, int length) {
    return reverse ? length - 1 - s : s;
  }

  /** Offset of sequence {@code b}'s h in a state array {@code [layers*dirs, batch, S]}. */
  private int hOffset(Region region, int b) {
    return (slot * region.batch + b) * stateSize;
  }

  /** Offset of sequence {@code b}'s c in a cell-state array {@code [layers*dirs, batch, H]}. */
  private int cOffset(Region region, int b) {
    return (slot * region.batch + b) * hidden;
  }

  /**
   * Runs the pass. Writes h of every valid step into columns {@code [column, column+S)} of {@code output}
   * (rows {@code outWidth} wide; padded rows untouched) and the final states into {@code hN}, {@code cN}.
   */
  void forward(Region region, double[] input, double[] h0, double[] c0, double[] output, int outWidth,
      int column, double[] hN, double[] cN) {
    for (int b = 0; b < region.batch; b++) {
      int length = region.length(b);
      System.arraycopy(h0, hOffset(region, b), hp, 0, stateSize);
      System.arraycopy(c0, cOffset(region, b), cp, 0, hidden);
      for (int s = 0; s < length; s++) {
        int row = region.row(b, time(s, length));
        System.arraycopy(input, row * inputSize, x, 0, inputSize);
        cell.forward(weights, x, hp, cp, h, c, stepSaved);
        System.arraycopy(h, 0, hs, row * stateSize, stateSize);
        System.arraycopy(c, 0, cs, row * hidden, hidden);
        System.arraycopy(stepSaved, 0, saved, row * savedSize, savedSize);
        System.arraycopy(h, 0, output, row * outWidth + column, stateSize);
        System.arraycopy(h, 0, hp, 0, stateSize);
        System.arraycopy(c, 0, cp, 0, hidden);
      }
      System.arraycopy(hp, 0, hN, hOffset(region, b), stateSize);
      System.arraycopy(cp, 0, cN, cOffset(region, b), hidden);
    }
  }

  /**
   * Backpropagates through the last {@link #forward}. {@code dOutput} holds the loss gradient with respect
   * to this pass's per-step output (same layout as forward's {@code output}), {@code dhN}/{@code dcN} with
   * respect to its final states. Adds parameter gradients, adds the input gradient into {@code dInput} and
   * writes the initial-state gradients into {@code dh0}, {@code dc0}.
   */
  void backward(Region region, double[] input, double[] h0, double[] c0, double[] dOutput, int outWidth,
      int column, double[] dhN, double[] dcN, double[] dInput, double[] dh0, double[] dc0) {
    for (int b = 0; b < region.batch; b++) {
      int length = region.length(b);
      // dhp/dcp carry the gradient with respect to the state flowing into the step processed next.
      System.arraycopy(dhN, hOffset(region, b), dhp, 0, stateSize);
      System.arraycopy(dcN, cOffset(region, b), dcp, 0, hidden);
      for (int s = length - 1; s >= 0; s--) {
        int row = region.row(b, time(s, length));
        loadStep(region, b, s, length, input, h0, c0);
        for (int j = 0; j < stateSize; j++) {
          dh[j] = dOutput[row * outWidth + column + j] + dhp[j];
        }
        System.arraycopy(dcp, 0, dc, 0, hidden);
        cell.backward(weights, gradients, x, hp, cp, h, c, stepSaved, dh, dc, dx, dhp, dcp);
        for (int k = 0; k < inputSize; k++) {
          dInput[row * inputSize + k] += dx[k];
        }
      }
      System.arraycopy(dhp, 0, dh0, hOffset(region, b), stateSize);
      System.arraycopy(dcp, 0, dc0, cOffset(region, b), hidden);
    }
  }

  /** Restores the input, previous state, new state and saved activations of the {@code s}-th visited step. */
  private void loadStep(Region region, int b, int s, int length, double[] input, double[] h0, double[] c0) {
    int row = region.row(b, time(s, length));
    System.arraycopy(input, row * inputSize, x, 0, inputSize);
    if (s == 0) {
      System.arraycopy(h0, hOffset(region, b), hp, 0, stateSize);
      System.arraycopy(c0, cOffset(region, b), cp, 0, hidden);
    } else {
      int previous = region.row(b, time(s - 1, length));
      System.arraycopy(hs, previous * stateSize, hp, 0, stateSize);
      System.arraycopy(cs, previous * hidden, cp, 0, hidden);
    }
    System.arraycopy(hs, row * stateSize, h, 0, stateSize);
    System.arraycopy(cs, row * hidden, c, 0, hidden);
    System.arraycopy(saved, row * savedSize, stepSaved, 0, savedSize);
  }
}
