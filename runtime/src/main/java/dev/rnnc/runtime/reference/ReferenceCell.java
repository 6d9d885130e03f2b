package dev.rnnc.runtime.reference;

import dev.rnnc.runtime.ModelConfig;
import java.util.Arrays;

/**
 * One timestep of a recurrent cell and its exact backward, on plain vectors. The hidden state h ({@code hp},
 * {@code h}, {@code dh}, {@code dhp}) is {@link #stateSize} wide: H, or P for an LSTM with a projection. The
 * cell state ({@code cp}/{@code c}, previous and new) is H wide and used by LSTM only; other cells leave
 * {@code c} and {@code dcp} zero. {@code saved} holds the activations backward needs ({@link #savedSize()}
 * values), written by forward.
 */
abstract class ReferenceCell {
  final int hidden;
  final int stateSize;

  ReferenceCell(int hidden, int stateSize) {
    this.hidden = hidden;
    this.stateSize = stateSize;
  }

  static ReferenceCell of(ModelConfig config) {
    switch (config.cell()) {
      case RNN:
        return new RnnCell(config.hidden(), config.nonlinearity() == ModelConfig.Nonlinearity.RELU);
      case GRU:
        return new GruCell(config.hidden(), config.gruReset() == ModelConfig.GruReset.BEFORE);
      case LSTM:
        return new LstmCell(config.hidden(), config.stateSize(), config.hasProjection(), config.peepholes());
      default:
        throw new IllegalArgumentException("unknown cell " + config.cell());
    }
  }

  /** Values per step that {@link #forward} saves for {@link #backward}. */
  abstract int savedSize();

  /** Computes {@code h} (and {@code c}) from input {@code x} and the previous state {@code hp}, {@code cp}. */
  abstract void forward(LayerWeights w, double[] x, double[] hp, double[] cp, double[] h, double[] c,
      double[] saved);

  /**
   * Given {@code dh}, {@code dc} (loss gradients with respect to this step's {@code h}, {@code c}), adds
   * the parameter gradients into {@code g} and overwrites {@code dx}, {@code dhp}, {@code dcp} with the
   * gradients with respect to the step's input and previous state.
   */
  abstract void backward(LayerWeights w, LayerWeights g, double[] x, double[] hp, double[] cp, double[] h,
      double[] c, double[] saved, double[] dh, double[] dc, double[] dx, double[] dhp, double[] dcp);

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  void clear(LayerWeights w, double[] dx, double[] dhp, double[] dcp) {
    Arrays.fill(dx, 0, w.inputSize, 0);
    Arrays.fill(dhp, 0, stateSize, 0);
    Arrays.fill(dcp, 0, hidden, 0);
  }

  /** {@code h' = act(W_ih·x + b_ih + W_hh·h + b_hh)}, act tanh or relu. */
  static final class RnnCell extends ReferenceCell {
    private final boolean relu;

    RnnCell(int hidden, boolean relu) {
      super(hidden, hidden);
      this.relu = relu;
    }

    @Override
    int savedSize() {
      return 0;
    }

    @Override
    void forward(LayerWeights w, double[] x, double[] hp, double[] cp, double[] h, double[] c, double[] saved) {
      for (int j = 0; j < hidden; j++) {
        double a = w.ih(j, x) + w.hh(j, hp);
        h[j] = relu ? Math.max(0, a) : Math.tanh(a);
      }
    }

    @Override
    void backward(LayerWeights w, LayerWeights g, double[] x, double[] hp, double[] cp, double[] h, double[] c,
        double[] saved, double[] dh, double[] dc, double[] dx, double[] dhp, double[] dcp) {
      clear(w, dx, dhp, dcp);
      for (int j = 0; j < hidden; j++) {
        // Derivatives from the output: tanh' = 1 - h², relu' = [a > 0] = [h > 0] (0 at the kink, as PyTorch).
        double slope = relu ? (h[j] > 0 ? 1 : 0) : 1 - h[j] * h[j];
        double da = dh[j] * slope;
        w.backIh(g, j, da, x, dx);
        w.backHh(g, j, da, hp, dhp);
      }
    }
  }

  /**
   * Gates i, f, g, o (rows jH..(j+1)H): {@code c' = f*c + i*g}, {@code m = o*tanh(c')}, {@code h' = m}. Two
   * options, which compose:
   * <ul>
   *   <li>a projection (torch.nn.LSTM {@code proj_size=P}): {@code h' = W_hr·m}, so h is P wide and
   *       {@code W_hh} reads P values;</li>
   *   <li>peepholes (ONNX {@code P}, rows i, f, o of {@code weight_ph}): the i and f pre-activations add
   *       {@code P_i*c}, {@code P_f*c} with the previous c, the o pre-activation adds {@code P_o*c'} with the
   *       new c'.</li>
   * </ul>
   */
  static final class LstmCell extends ReferenceCell {
    private final boolean projection;
    private final boolean peepholes;
    // m = o*tanh(c') before the projection, and its gradient (used only with a projection).
    private final double[] unprojected;
    private final double[] dUnprojected;

    LstmCell(int hidden, int stateSize, boolean projection, boolean peepholes) {
      super(hidden, stateSize);
      this.projection = projection;
      this.peepholes = peepholes;
      this.unprojected = new double[hidden];
      this.dUnprojected = new double[hidden];
    }

    /** i, f, g, o; with a projection, m is recomputed from o and c' rather than saved. */
    @Override
    int savedSize() {
      return 4 * hidden;
    }

    /** The peephole weight of gate row {@code block} (0 i, 1 f, 2 o) and unit {@code j}, or 0 without. */
    private double peephole(LayerWeights w, int block, int j) {
      return peepholes ? w.wph[block * hidden + j] : 0;
    }

    @Override
    void forward(LayerWeights w, double[] x, double[] hp, double[] cp, double[] h, double[] c, double[] saved) {
      int n = hidden;
      double[] m = projection ? unprojected : h;
      for (int j = 0; j < n; j++) {
        double i = sigmoid(w.ih(j, x) + w.hh(j, hp) + peephole(w, 0, j) * cp[j]);
        double f = sigmoid(w.ih(n + j, x) + w.hh(n + j, hp) + peephole(w, 1, j) * cp[j]);
        double g = Math.tanh(w.ih(2 * n + j, x) + w.hh(2 * n + j, hp));
        c[j] = f * cp[j] + i * g;
        double o = sigmoid(w.ih(3 * n + j, x) + w.hh(3 * n + j, hp) + peephole(w, 2, j) * c[j]);
        m[j] = o * Math.tanh(c[j]);
        saved[j] = i;
        saved[n + j] = f;
        saved[2 * n + j] = g;
        saved[3 * n + j] = o;
      }
      if (projection) {
        w.project(m, h);
      }
    }

    @Override
    void backward(LayerWeights w, LayerWeights gr, double[] x, double[] hp, double[] cp, double[] h, double[] c,
        double[] saved, double[] dh, double[] dc, double[] dx, double[] dhp, double[] dcp) {
      clear(w, dx, dhp, dcp);
      int n = hidden;
      double[] dm = dh;
      if (projection) {
        for (int j = 0; j < n; j++) {
          unprojected[j] = saved[3 * n + j] * Math.tanh(c[j]);
        }
        w.backProject(gr, unprojected, dh, dUnprojected);
        dm = dUnprojected;
      }
      for (int j = 0; j < n; j++) {
        double i = saved[j];
        double f = saved[n + j];
        double g = saved[2 * n + j];
        double o = saved[3 * n + j];
        double tc = Math.tanh(c[j]);
        double dOutputGate = dm[j] * tc * o * (1 - o);
        // c' reaches the loss through h' = o*tanh(c'), through the next step's c, and through o's peephole.
        double dcTotal = dc[j] + dm[j] * o * (1 - tc * tc) + dOutputGate * peephole(w, 2, j);
        double dInputGate = dcTotal * g * i * (1 - i);
        double dForgetGate = dcTotal * cp[j] * f * (1 - f);
        dcp[j] = dcTotal * f + dInputGate * peephole(w, 0, j) + dForgetGate * peephole(w, 1, j);
        if (peepholes) {
          gr.wph[j] += dInputGate * cp[j];
          gr.wph[n + j] += dForgetGate * cp[j];
          gr.wph[2 * n + j] += dOutputGate * c[j];
        }
        backGate(w, gr, j, dInputGate, x, hp, dx, dhp);
        backGate(w, gr, n + j, dForgetGate, x, hp, dx, dhp);
        backGate(w, gr, 2 * n + j, dcTotal * i * (1 - g * g), x, hp, dx, dhp);
        backGate(w, gr, 3 * n + j, dOutputGate, x, hp, dx, dhp);
      }
    }
  }

  /**
   * Gates r, z, n; {@code h' = (1-z)*n + z*h}. Reset after (torch.nn.GRU):
   * {@code n = tanh(W_in·x + b_in + r*(W_hn·h + b_hn))}; reset before (Cho et al.):
   * {@code n = tanh(W_in·x + b_in + W_hn·(r*h) + b_hn)}.
   */
  static final class GruCell extends ReferenceCell {
    private final boolean resetBefore;
    private final double[] resetHidden;
    private final double[] dResetHidden;

    GruCell(int hidden, boolean resetBefore) {
      super(hidden, hidden);
      this.resetBefore = resetBefore;
      this.resetHidden = new double[hidden];
      this.dResetHidden = new double[hidden];
    }

    /** r, z, n, then (reset after) {@code W_hn·h + b_hn}. */
    @Override
    int savedSize() {
      return 4 * hidden;
    }

    @Override
    void forward(LayerWeights w, double[] x, double[] hp, double[] cp, double[] h, double[] c, double[] saved) {
      int n = hidden;
      for (int j = 0; j < n; j++) {
        saved[j] = sigmoid(w.ih(j, x) + w.hh(j, hp));
        saved[n + j] = sigmoid(w.ih(n + j, x) + w.hh(n + j, hp));
        resetHidden[j] = saved[j] * hp[j];
      }
      for (int j = 0; j < n; j++) {
        double candidate;
        if (resetBefore) {
          candidate = Math.tanh(w.ih(2 * n + j, x) + w.hh(2 * n + j, resetHidden));
        } else {
          saved[3 * n + j] = w.hh(2 * n + j, hp);
          candidate = Math.tanh(w.ih(2 * n + j, x) + saved[j] * saved[3 * n + j]);
        }
        saved[2 * n + j] = candidate;
        double z = saved[n + j];
        h[j] = (1 - z) * candidate + z * hp[j];
      }
    }

    @Override
    void backward(LayerWeights w, LayerWeights g, double[] x, double[] hp, double[] cp, double[] h, double[] c,
        double[] saved, double[] dh, double[] dc, double[] dx, double[] dhp, double[] dcp) {
      clear(w, dx, dhp, dcp);
      if (resetBefore) {
        backwardResetBefore(w, g, x, hp, saved, dh, dx, dhp);
      } else {
        backwardResetAfter(w, g, x, hp, saved, dh, dx, dhp);
      }
    }

    private void backwardResetAfter(LayerWeights w, LayerWeights g, double[] x, double[] hp, double[] saved,
        double[] dh, double[] dx, double[] dhp) {
      int n = hidden;
      for (int j = 0; j < n; j++) {
        double r = saved[j];
        double z = saved[n + j];
        double cand = saved[2 * n + j];
        double hiddenPart = saved[3 * n + j];
        double dCandPre = dh[j] * (1 - z) * (1 - cand * cand);
        w.backIh(g, 2 * n + j, dCandPre, x, dx);
        w.backHh(g, 2 * n + j, dCandPre * r, hp, dhp);
        backGate(w, g, j, dCandPre * hiddenPart * r * (1 - r), x, hp, dx, dhp);
        backGate(w, g, n + j, dh[j] * (hp[j] - cand) * z * (1 - z), x, hp, dx, dhp);
        dhp[j] += dh[j] * z;
      }
    }

    private void backwardResetBefore(LayerWeights w, LayerWeights g, double[] x, double[] hp, double[] saved,
        double[] dh, double[] dx, double[] dhp) {
      int n = hidden;
      for (int j = 0; j < n; j++) {
        resetHidden[j] = saved[j] * hp[j];
        dResetHidden[j] = 0;
      }
      for (int j = 0; j < n; j++) {
        double z = saved[n + j];
        double cand = saved[2 * n + j];
        double dCandPre = dh[j] * (1 - z) * (1 - cand * cand);
        w.backIh(g, 2 * n + j, dCandPre, x, dx);
        w.backHh(g, 2 * n + j, dCandPre, resetHidden, dResetHidden);
        backGate(w, g, n + j, dh[j] * (hp[j] - cand) * z * (1 - z), x, hp, dx, dhp);
        dhp[j] += dh[j] * z;
      }
      // The candidate's recurrent product reads r*h, so r's gradient needs all of d(r*h) first.
      for (int j = 0; j < n; j++) {
        double r = saved[j];
        dhp[j] += dResetHidden[j] * r;
        backGate(w, g, j, dResetHidden[j] * hp[j] * r * (1 - r), x, hp, dx, dhp);
      }
    }
  }

  /** Backward of a gate row whose pre-activation is {@code W_ih·x + b_ih + W_hh·h + b_hh}. */
  static void backGate(LayerWeights w, LayerWeights g, int row, double delta, double[] x, double[] hp, double[] dx,
      double[] dhp) {
    w.backIh(g, row, delta, x, dx);
    w.backHh(g, row, delta, hp, dhp);
  }
}
