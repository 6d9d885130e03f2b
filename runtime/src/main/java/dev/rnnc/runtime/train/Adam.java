package dev.rnnc.runtime.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam and AdamW as {@code torch.optim.Adam}/{@code AdamW} (1.13, without amsgrad): at step k,
 * {@code m = b1·m + (1−b1)·g}, {@code v = b2·v + (1−b2)·g²},
 * {@code p −= lr/(1−b1^k) · m / (sqrt(v)/sqrt(1−b2^k) + eps)}. Adam's weight decay adds {@code wd·p} to g
 * first; AdamW's ("decoupled") multiplies p by {@code 1 − lr·wd} first. Element arithmetic is float32 in
 * torch's order; the bias corrections are computed in double and rounded, as torch's Python code does.
 */
public final class Adam extends AbstractOptimizer {
  /** torch's defaults. */
  public static final double DEFAULT_LR = 1e-3;
  public static final double DEFAULT_BETA1 = 0.9;
  public static final double DEFAULT_BETA2 = 0.999;
  public static final double DEFAULT_EPS = 1e-8;
  /** AdamW's default weight decay (Adam's is 0). */
  public static final double DEFAULT_ADAMW_WEIGHT_DECAY = 1e-2;

  private double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final boolean decoupled;

  /**
   * @param decoupled true for AdamW
   * @throws dev.rnnc.runtime.RnncException on lr, eps or weight decay below 0 or non-finite, or a beta outside [0, 1)
   */
  public Adam(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
    super("exp_avg", "exp_avg_sq");
    this.lr = requireAtLeastZero("learning rate", lr);
    this.beta1 = requireUnitInterval("beta1", beta1);
    this.beta2 = requireUnitInterval("beta2", beta2);
    this.eps = requireAtLeastZero("eps", eps);
    this.weightDecay = requireAtLeastZero("weight_decay", weightDecay);
    this.decoupled = decoupled;
  }

  /** {@code torch.optim.Adam(params, lr)} with the default betas, eps and no weight decay. */
  public static Adam adam(double lr) {
    return new Adam(lr, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS, 0, false);
  }

  /** {@code torch.optim.AdamW(params, lr)} with the default betas, eps and weight decay 1e-2. */
  public static Adam adamW(double lr) {
    return new Adam(lr, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS, DEFAULT_ADAMW_WEIGHT_DECAY, true);
  }

  @Override
  void update(int index, float[] param, float[] grad, long step, boolean initial) {
    float[] m = buffer(0, index);
    float[] v = buffer(1, index);
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    float oneMinusB1 = (float) (1 - beta1);
    float oneMinusB2 = (float) (1 - beta2);
    double biasCorrection1 = 1 - Math.pow(beta1, step);
    double biasCorrection2 = 1 - Math.pow(beta2, step);
    float minusStepSize = (float) -(lr / biasCorrection1);
    float biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
    float epsilon = (float) eps;
    float wd = (float) weightDecay;
    boolean coupledDecay = !decoupled && weightDecay != 0;
    float shrink = (float) (1 - lr * weightDecay);
    for (int j = 0; j < param.length; j++) {
      float p = param[j];
      float g = coupledDecay ? grad[j] + wd * p : grad[j];
      if (decoupled) {
        p *= shrink;
      }
      float mj = m[j] * b1 + oneMinusB1 * g;
      float vj = v[j] * b2 + oneMinusB2 * g * g;
      m[j] = mj;
      v[j] = vj;
      float denom = (float) Math.sqrt(vj) / biasCorrection2Sqrt + epsilon;
      param[j] = p + minusStepSize * (mj / denom);
    }
  }

  @Override
  public Adam withoutState() {
    return new Adam(lr, beta1, beta2, eps, weightDecay, decoupled);
  }

  @Override
  public String kind() {
    return decoupled ? "adamw" : "adam";
  }

  @Override
  public Map<String, String> hyperParameters() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("lr", Double.toString(lr));
    out.put("beta1", Double.toString(beta1));
    out.put("beta2", Double.toString(beta2));
    out.put("eps", Double.toString(eps));
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
