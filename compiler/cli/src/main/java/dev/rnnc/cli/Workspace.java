package dev.rnnc.cli;

import dev.rnnc.runtime.ModelConfig;

/**
 * The memory one generated model instance allocates for its workspaces and results, computed from the sizes
 * (B = max_batch, T = max_length, R = B·T rows, I = input size, H = hidden, G = gates, D = directions,
 * F = D·H, L = layers, K = head size), in bytes:
 *
 * <pre>
 *   4 · ( B                          lengths
 *       + R·I          (embedding)   gathered embeddings
 *       + R·G·H                      input projections of every step
 *       + (L − 1)·R·F                per-step outputs of the layers below the last
 *       + R·F                        per-step output of the last layer
 *       + L·D·B·H · (1, or 2 LSTM)   h_n (and c_n)
 *       + B·F          (many_to_one) features
 *       + 2·R·K or 2·B·K (head)      logits and prediction
 *       + 3·L·H + G·H + H + 2·K  (streaming, unidirectional) step state and scratch )
 * </pre>
 *
 * It leaves out what does not grow with the limits: the per-step gate scratch, vector padding (at most a few
 * vectors per array), object headers, and the weights, which instances share. Training buffers (activations kept
 * for backpropagation, gradients) are not counted either: this is the inference footprint.
 */
final class Workspace {
  private Workspace() {}

  /** Bytes of one instance at {@code config}'s limits, by the formula above. */
  static long bytes(ModelConfig config) {
    long b = config.maxBatch();
    long rows = b * config.maxLength();
    long h = config.hidden();
    long f = config.featureSize();
    long stateRows = (long) config.layers() * config.directions() * b;
    long floats = 0;
    if (config.hasEmbedding()) {
      floats += rows * config.inputSize();
    }
    floats += rows * config.gateRows();
    floats += (config.layers() - 1L) * rows * f;
    floats += rows * f;
    floats += stateRows * h * (config.hasCellState() ? 2 : 1);
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    if (!perStep) {
      floats += b * f;
    }
    if (config.hasHead()) {
      floats += 2 * (perStep ? rows : b) * config.headSize();
    }
    if (!config.bidirectional()) {
      floats += 3L * config.layers() * h + config.gateRows() + h + (config.hasHead() ? 2L * config.headSize() : 0);
    }
    return 4 * (floats + b);
  }
}
