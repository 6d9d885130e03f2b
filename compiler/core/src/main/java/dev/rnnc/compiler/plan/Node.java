package dev.rnnc.compiler.plan;

import dev.rnnc.runtime.ModelConfig.HeadActivation;

/**
 * A node of the model graph, in execution order: an optional embedding, the recurrent layer runs (layer by
 * layer, directions in order, dropout before each layer above the first when training), an optional head,
 * and the loss of a trainable model.
 */
public sealed interface Node permits Node.Embedding, LayerRun, Node.Dropout, Node.Head, Node.Loss,
    Node.Bank, Node.FinalStateGradient {

  /**
   * The backward pass can also start from dLoss/dh_n (and dc_n) given from outside the stack, with no loss on
   * its outputs: the encoder of an encoder–decoder, whose final state the bridge hands to the decoder. Each run's
   * dh (dc) then starts at its slice of the given gradient instead of 0.
   */
  record FinalStateGradient() implements Node {}

  /**
   * Token ids to vectors ({@code nn.Embedding}).
   *
   * @param parameter PyTorch name of the table
   */
  record Embedding(String parameter, int vocab, int dim) implements Node {}

  /**
   * Inverted dropout on the input of {@code layer} while training.
   *
   * @param workspaceMask    the workspace holding the mask
   * @param workspaceDropped the workspace holding the masked input
   */
  record Dropout(int layer, float probability, String workspaceMask, String workspaceDropped) implements Node {}

  /**
   * The linear head ({@code nn.Linear}) on the per-step output (many-to-many) or the final features.
   *
   * @param inputs  features it reads
   * @param perStep whether it runs at every valid step (many-to-many) or once per sequence
   */
  record Head(String weight, String bias, int size, int inputs, HeadActivation activation, boolean perStep)
      implements Node {}

  /**
   * The training loss, mean over valid elements.
   *
   * @param fusedWithSoftmax whether cross-entropy reuses the forward softmax and log-sum-exp (no second exp)
   */
  record Loss(dev.rnnc.runtime.ModelConfig.Loss kind, boolean perStep, boolean fusedWithSoftmax) implements Node {}

  /**
   * The generated stream bank ({@code Model.Bank}) of a unidirectional model: many streams' states in one array,
   * advanced together so that one sweep over each layer's weights serves several streams.
   *
   * @param sweeps      streams per sweep over a layer's weights, largest first: with a fused step the tile heights
   *                    of the blocked product ({@link Blocking.ProductTile#heights}), else (GRU) the pair and single
   *                    sweeps a call's streams are tiled by
   * @param fusedStep   whether every stream's gathered {@code [x; h]} row is multiplied by the packed
   *                    {@code [W_ih | W_hh]}, exactly as the single-stream {@code step} does (so results agree bit
   *                    for bit), in one blocked product over all of a call's streams; else (GRU) the input
   *                    projection and the recurrent step of the whole-sequence forward pass run per tile
   * @param input       workspace of the gathered {@code [x; h]} rows, one per stream of a call (fused step only),
   *                    else {@code null}
   * @param gates       workspace of the gate pre-activations, one row per stream of a call
   */
  record Bank(java.util.List<Integer> sweeps, boolean fusedStep, String input, String gates)
      implements Node {
    public Bank {
      sweeps = java.util.List.copyOf(sweeps);
    }

    /** The widest sweep. */
    public int widest() {
      return sweeps.get(0);
    }
  }
}
