package dev.rnnc.runtime;

/**
 * One padded batch for a forward or training call: a mutable holder so a training loop can refill it
 * without allocating. Arrays are row-major, batch first, and may be larger than the region in use.
 *
 * <p>Exactly one of {@link #input} (dense, {@code [batch, steps, inputSize]}) and {@link #tokens}
 * ({@code [batch, steps]}) is set, according to the model. Targets: {@link #classTargets} for
 * cross-entropy ({@code [batch, steps]} many-to-many, {@code [batch]} many-to-one); {@link #valueTargets}
 * for bce and mse, shaped like the compared output ({@code [batch, steps, K]} or {@code [batch, K]}).
 * Targets at padded steps are ignored.
 */
public final class Batch {
  /** Dense input {@code [batch, steps, inputSize]}, or null for token input. */
  public float[] input;
  /** Token ids {@code [batch, steps]}, or null for dense input. */
  public int[] tokens;
  /** Sequences in use. */
  public int batch;
  /** Padded length T in use. */
  public int steps;
  /** Valid steps per sequence (each 1..steps), or null for all steps. */
  public int[] lengths;
  /** Initial hidden state {@code [layers*dirs, batch, S]} (S = {@link ModelConfig#stateSize()}), or null for zeros. */
  public float[] h0;
  /** Initial LSTM cell state {@code [layers*dirs, batch, H]}, or null for zeros. */
  public float[] c0;
  /** Class-id targets for cross-entropy, or null. */
  public int[] classTargets;
  /** Float targets for bce/mse, or null. */
  public float[] valueTargets;

  /** Valid steps of sequence {@code b}. */
  public int length(int b) {
    return lengths == null ? steps : lengths[b];
  }
}
