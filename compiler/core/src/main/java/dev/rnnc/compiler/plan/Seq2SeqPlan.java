package dev.rnnc.compiler.plan;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.Seq2SeqConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The plan of an encoder–decoder: two stack plans, each generated as a static class nested in the model's class by
 * the single-stack emitters, and the glue between them, in execution order.
 *
 * <ul>
 *   <li>{@link #encoder()}: the source stack (its embedding or feature input), trainable from an outside gradient of
 *       its final state ({@link Node.FinalStateGradient}), no head. A stack class needs a loss to get a backward
 *       pass; the encoder's is mse on its outputs, which the encoder–decoder never uses.</li>
 *   <li>{@link #decoder()}: a feature-input stack of width {@code dim} (+ the context with {@code every_step}), the
 *       head over the target vocabulary and cross-entropy per valid step.</li>
 *   <li>{@link #glue()}: what the enclosing class computes itself: the source summaries, the bridge, the decoder's
 *       teacher-forced inputs (embedding lookup and context), and for decoding the per-row state.</li>
 * </ul>
 * Parameter names are the single-stack ones inside the stacks; {@link dev.rnnc.runtime.Seq2SeqParameters#stack}
 * maps them to the encoder–decoder's names, so no emitter spells a module name.
 *
 * @param packageName package of the generated class
 * @param className   simple name of the generated class
 * @param sourceName  the spec's file name, for the header
 * @param sha256      hash of the spec's bytes, for the header
 * @param config      the validated model
 * @param encoder     the plan of the nested {@code Encoder} class
 * @param decoder     the plan of the nested {@code Decoder} class
 * @param glue        the glue steps, in execution order
 */
public record Seq2SeqPlan(String packageName, String className, String sourceName, String sha256,
    Seq2SeqConfig config, ModelPlan encoder, ModelPlan decoder, List<Glue> glue) {

  /** Simple names of the nested stack classes. */
  public static final String ENCODER_CLASS = "Encoder";
  public static final String DECODER_CLASS = "Decoder";

  public Seq2SeqPlan {
    glue = List.copyOf(glue);
  }

  /** A step the enclosing class computes between and around the stacks. */
  public sealed interface Glue {
    /** The encoder reads token ids ({@code tokens}) or feature vectors. */
    record Source(boolean tokens) implements Glue {}

    /** s_k = concat over directions of the encoder's h_n of layer k, {@code [layers, batch, De·Se]}. */
    record Summaries(int layers, int directions, int state, int width) implements Glue {}

    /**
     * The decoder's initial state from the summaries.
     *
     * @param kind        copy or linear
     * @param copiesCell  whether an LSTM decoder's c0 is the encoder's concatenated c_n (copy between two LSTMs)
     * @param decoderCell whether the decoder has a cell state (it gets c0 = 0 when nothing is copied)
     */
    record Bridge(Seq2SeqConfig.Bridge kind, boolean copiesCell, boolean decoderCell) implements Glue {}

    /**
     * The decoder's inputs: {@code embedding(previous token)} (start first), plus s_last at every step.
     *
     * @param everyStep whether the context joins every input
     */
    record DecoderInput(int dim, int width, boolean everyStep) implements Glue {}

    /** Mean cross-entropy over valid target steps of the head's logits. */
    record Loss(int vocab) implements Glue {}

    /**
     * Step-wise decoding: one decoder state per row (max batch × beam width rows), stepped by a decoder instance of
     * {@code maxRows} × 1 step over the same weights, log-softmax of its logits.
     */
    record RowDecoding(int start, int end, int maxDecode) implements Glue {}
  }

  /** The plan of a validated encoder–decoder spec. */
  public static Seq2SeqPlan of(String packageName, String className, String sourceName, String sha256,
      Seq2SeqConfig config) {
    ModelConfig encoderStack = encoderStack(config);
    ModelConfig decoderStack = decoderStack(config);
    ModelPlan encoder = ModelPlan.stack(packageName, className, ENCODER_CLASS, sourceName, sha256, encoderStack, true);
    ModelPlan decoder = ModelPlan.stack(packageName, className, DECODER_CLASS, sourceName, sha256, decoderStack, false);
    List<Glue> glue = new ArrayList<>();
    glue.add(new Glue.Source(config.sourceTokens()));
    glue.add(new Glue.Summaries(config.layers(), config.encoder().directions(), config.encoder().stateSize(),
        config.contextSize()));
    glue.add(new Glue.Bridge(config.bridge(), config.copiesCellState(), config.decoder().hasCellState()));
    glue.add(new Glue.DecoderInput(config.embeddingDim(), config.decoderInputSize(),
        config.context() == Seq2SeqConfig.Context.EVERY_STEP));
    glue.add(new Glue.Loss(config.targetVocab()));
    glue.add(new Glue.RowDecoding(config.start(), config.end(), config.maxDecode()));
    return new Seq2SeqPlan(packageName, className, sourceName, sha256, config, encoder, decoder, glue);
  }

  /** The encoder as a stack class: its own config with a (never used) loss, so that it gets a backward pass. */
  public static ModelConfig encoderStack(Seq2SeqConfig config) {
    return config.encoder().toBuilder()
        .limits(config.maxBatch(), config.maxLength())
        .training(new ModelConfig.TrainingConfig(ModelConfig.Loss.MSE, 0, 0))
        .build();
  }

  /** The decoder as a stack class: feature input, the head over the target vocabulary, cross-entropy. */
  public static ModelConfig decoderStack(Seq2SeqConfig config) {
    return config.decoder().toBuilder()
        .head(config.targetVocab(), config.headActivation())
        .limits(config.maxBatch(), config.maxLength())
        .training(new ModelConfig.TrainingConfig(ModelConfig.Loss.CROSS_ENTROPY, 0, 0))
        .build();
  }

  private <T extends Glue> T find(Class<T> kind) {
    return glue.stream().filter(kind::isInstance).map(kind::cast).findFirst().orElseThrow();
  }

  public Glue.Source source() {
    return find(Glue.Source.class);
  }

  public Glue.Summaries summaries() {
    return find(Glue.Summaries.class);
  }

  public Glue.Bridge bridge() {
    return find(Glue.Bridge.class);
  }

  public Glue.DecoderInput decoderInput() {
    return find(Glue.DecoderInput.class);
  }

  public Glue.RowDecoding rowDecoding() {
    return find(Glue.RowDecoding.class);
  }

  /** Whether the encoder keeps a cell state (an LSTM), whose c_n the model reports. */
  public boolean encoderCell() {
    return config.encoder().hasCellState();
  }
}
