package dev.rnnc.runtime.train;

import dev.rnnc.runtime.RnncException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD} (1.13): with weight decay {@code d = g + wd·p};
 * with momentum {@code buf = d} on the first step, then {@code buf = momentum·buf + (1 − dampening)·d}, and
 * {@code d = d + momentum·buf} (Nesterov) or {@code d = buf}; finally {@code p −= lr·d}. The arithmetic is
 * float32 in torch's order, scalars rounded to float as torch's CPU kernels do.
 */
public final class Sgd extends AbstractOptimizer {
  private double lr;
  private final double momentum;
  private final double dampening;
  private final boolean nesterov;
  private final double weightDecay;

  /** Plain SGD with learning rate {@code lr}. */
  public Sgd(double lr) {
    this(lr, 0, 0, false, 0);
  }

  /**
   * @throws RnncException on a negative or non-finite learning rate, momentum or weight decay, or Nesterov
   *     without momentum or with dampening (torch's checks)
   */
  public Sgd(double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
    super(momentum != 0 ? new String[] {"momentum_buffer"} : new String[0]);
    this.lr = requireAtLeastZero("learning rate", lr);
    this.momentum = requireAtLeastZero("momentum", momentum);
    if (!Double.isFinite(dampening)) {
      throw new RnncException("invalid dampening: " + dampening);
    }
    this.dampening = dampening;
    this.weightDecay = requireAtLeastZero("weight_decay", weightDecay);
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw new RnncException("Nesterov momentum requires a momentum > 0 and zero dampening (got momentum "
          + momentum + ", dampening " + dampening + ")");
    }
    this.nesterov = nesterov;
  }

  @Override
  void update(int index, float[] param, float[] grad, long step, boolean initial) {
    float wd = (float) weightDecay;
    float minusLr = (float) -lr;
    boolean decay = weightDecay != 0;
    if (momentum == 0) {
      for (int j = 0; j < param.length; j++) {
        float d = decay ? grad[j] + wd * param[j] : grad[j];
        param[j] += minusLr * d;
      }
      return;
    }
    float[] buf = buffer(0, index);
    float mom = (float) momentum;
    float keep = (float) (1 - dampening);
    for (int j = 0; j < param.length; j++) {
      float d = decay ? grad[j] + wd * param[j] : grad[j];
      float b = initial ? d : buf[j] * mom + keep * d;
      buf[j] = b;
      if (nesterov) {
        d = d + mom * b;
      } else {
        d = b;
      }
      param[j] += minusLr * d;
    }
  }

  @Override
  public Sgd withoutState() {
    return new Sgd(lr, momentum, dampening, nesterov, weightDecay);
  }

  @Override
  public String kind() {
    return "sgd";
  }

  @Override
  public Map<String, String> hyperParameters() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("lr", Double.toString(lr));
    out.put("momentum", Double.toString(momentum));
    out.put("dampening", Double.toString(dampening));
    out.put("nesterov", Boolean.toString(nesterov));
    out.put("weight_decay", Double.toString(weightDecay));
    return out;
  }

  @Override
  public double learningRate() {
    return lr;
  }

  @Override
  public void setLearningRate(double lr) {
    this.lr = requireAtLeastZero("learning rate", lr);
  }
}
