package dev.rnnc.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The complete, validated description of an encoder–decoder (seq2seq) model: two recurrent stacks, the bridge
 * between them, the head over the target vocabulary and the decoding settings. Parameter names follow a PyTorch
 * module with attributes {@code encoder.embedding}, {@code encoder.rnn}, {@code bridge} ({@code nn.Linear}, only
 * for {@link Bridge#LINEAR}), {@code decoder.embedding}, {@code decoder.rnn} and {@code head}.
 *
 * <p>The two stacks are {@link ModelConfig}s without heads:
 * <ul>
 *   <li>{@link #encoder()}: the source stack, token ids ({@code vocab > 0}) or dense features, any direction;</li>
 *   <li>{@link #decoder()}: the target stack, unidirectional, dense input of width {@link #decoderInputSize()}
 *       (the target embedding's dim, plus the context {@code De·Se} with {@link Context#EVERY_STEP}); its
 *       embedding lives in {@link #targetVocab()} × {@link #embeddingDim()}.</li>
 * </ul>
 * Widths: the encoder summary of layer k, {@code s_k}, is {@link #contextSize()} = {@code De·Se} wide (Se = the
 * encoder's state size: hidden, or proj_size); the decoder's h is {@code Sd} = {@code decoder().stateSize()} wide.
 *
 * @param encoder      the encoder stack (no head)
 * @param decoder      the decoder stack (no head, unidirectional, dense input of the width above)
 * @param targetVocab  target vocabulary V (rows of {@code decoder.embedding.weight}, outputs of the head)
 * @param embeddingDim columns of {@code decoder.embedding.weight}
 * @param bridge       how the encoder's final state becomes the decoder's initial state
 * @param context      whether the decoder sees the source summary only initially or at every step
 * @param headActivation activation of the head (softmax for a distribution over target tokens)
 * @param start        token id that starts every decoded sequence
 * @param end          token id that ends a decoded sequence (counted in its length)
 * @param maxDecode    longest sequence greedy / sampled / beam decoding produces
 * @param maxBatch     largest batch an instance holds
 * @param maxLength    longest source and longest target sequence an instance holds
 * @param training     training settings, or null
 */
public record Seq2SeqConfig(
    ModelConfig encoder,
    ModelConfig decoder,
    int targetVocab,
    int embeddingDim,
    Bridge bridge,
    Context context,
    ModelConfig.HeadActivation headActivation,
    int start,
    int end,
    int maxDecode,
    int maxBatch,
    int maxLength,
    ModelConfig.TrainingConfig training) {

  /** How the decoder's initial state comes from the encoder's final state. */
  public enum Bridge {
    /** {@code h0[k] = s_k}, and {@code c0[k]} = the encoder's concatenated c_n when both stacks are LSTMs, else 0. */
    COPY,
    /** {@code h0[k] = tanh(bridge(s_k))} with one {@code nn.Linear} shared by all layers; {@code c0 = 0}. */
    LINEAR
  }

  /** Where the decoder sees the source summary. */
  public enum Context {
    /** Sutskever et al. 2014: only through the initial state. */
    INITIAL,
    /** Cho et al. 2014: every decoder input is {@code concat(embedding(previous token), s_last)}. */
    EVERY_STEP
  }

  public static final String ENCODER_EMBEDDING_WEIGHT = "encoder.embedding.weight";
  public static final String ENCODER_RNN = "encoder.rnn";
  public static final String BRIDGE_WEIGHT = "bridge.weight";
  public static final String BRIDGE_BIAS = "bridge.bias";
  public static final String DECODER_EMBEDDING_WEIGHT = "decoder.embedding.weight";
  public static final String DECODER_RNN = "decoder.rnn";

  public Seq2SeqConfig {
    if (encoder == null || decoder == null || bridge == null || context == null) {
      throw new IllegalArgumentException("encoder, decoder, bridge and context are required");
    }
    if (headActivation == null) {
      headActivation = ModelConfig.HeadActivation.SOFTMAX;
    }
    if (encoder.hasHead() || decoder.hasHead()) {
      throw new IllegalArgumentException("the stacks of an encoder–decoder have no heads of their own");
    }
    if (decoder.bidirectional() || decoder.hasEmbedding()) {
      throw new IllegalArgumentException("the decoder stack is unidirectional with dense (embedded) input");
    }
    if (encoder.layers() != decoder.layers()) {
      throw new IllegalArgumentException("encoder and decoder need the same number of layers, got "
          + encoder.layers() + " and " + decoder.layers());
    }
    if (targetVocab < 2 || embeddingDim < 1) {
      throw new IllegalArgumentException("target vocabulary must be >= 2 and embedding dim >= 1");
    }
    int expectedInput = embeddingDim + (context == Context.EVERY_STEP ? encoder.featureSize() : 0);
    if (decoder.inputSize() != expectedInput) {
      throw new IllegalArgumentException("decoder input must be " + expectedInput + " wide, got " + decoder.inputSize());
    }
    if (bridge == Bridge.COPY) {
      String problem = copyProblem(encoder, decoder);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
    if (start < 0 || start >= targetVocab || end < 0 || end >= targetVocab) {
      throw new IllegalArgumentException("decode start and end must be token ids below " + targetVocab + ", got "
          + start + " and " + end);
    }
    if (maxDecode < 1 || maxBatch < 1 || maxLength < 1) {
      throw new IllegalArgumentException("max_length and max_batch must be positive");
    }
  }

  /**
   * Why {@link Bridge#COPY} cannot hand the encoder's state to this decoder, or null when it can: the decoder's h
   * must be {@code De·Se} wide and, with two LSTMs, its cell state {@code De·He}.
   */
  public static String copyProblem(ModelConfig encoder, ModelConfig decoder) {
    if (decoder.stateSize() != encoder.featureSize()) {
      return "bridge copy needs the decoder's state to be as wide as the encoder's final state: decoder."
          + (decoder.hasProjection() ? "proj_size " : "hidden ") + decoder.stateSize() + " must equal "
          + describeFeature(encoder) + " = " + encoder.featureSize() + "; change decoder."
          + (decoder.hasProjection() ? "proj_size" : "hidden") + " or use bridge: linear";
    }
    if (encoder.hasCellState() && decoder.hasCellState()
        && decoder.hidden() != encoder.directions() * encoder.hidden()) {
      return "bridge copy of an lstm encoder into an lstm decoder also copies the cell state: decoder.hidden "
          + decoder.hidden() + " must equal " + encoder.directions() + " × encoder.hidden " + encoder.hidden()
          + " = " + encoder.directions() * encoder.hidden() + "; or use bridge: linear";
    }
    return null;
  }

  private static String describeFeature(ModelConfig encoder) {
    String state = encoder.hasProjection() ? "encoder.proj_size " : "encoder.hidden ";
    return encoder.bidirectional() ? "2 directions × " + state + encoder.stateSize() : state + encoder.stateSize();
  }

  /** Width of the source summary {@code s_k} of one layer: directions × state size of the encoder. */
  public int contextSize() {
    return encoder.featureSize();
  }

  /** Width of each decoder step's input: the embedding dim, plus the context with {@link Context#EVERY_STEP}. */
  public int decoderInputSize() {
    return decoder.inputSize();
  }

  /** Whether the encoder reads token ids. */
  public boolean sourceTokens() {
    return encoder.hasEmbedding();
  }

  /** Layers of both stacks. */
  public int layers() {
    return encoder.layers();
  }

  /** Whether the decoder starts from the encoder's cell state ({@link Bridge#COPY} between two LSTMs). */
  public boolean copiesCellState() {
    return bridge == Bridge.COPY && encoder.hasCellState() && decoder.hasCellState();
  }

  /**
   * Every parameter with its shape, in {@code state_dict} order: encoder embedding, encoder.rnn, bridge, decoder
   * embedding, decoder.rnn, head (the order of the PyTorch module's attributes).
   */
  public Map<String, int[]> parameterShapes() {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    if (encoder.hasEmbedding()) {
      shapes.put(ENCODER_EMBEDDING_WEIGHT, new int[] {encoder.vocab(), encoder.inputSize()});
    }
    recurrentShapes(shapes, encoder, ENCODER_RNN);
    if (bridge == Bridge.LINEAR) {
      shapes.put(BRIDGE_WEIGHT, new int[] {decoder.stateSize(), contextSize()});
      shapes.put(BRIDGE_BIAS, new int[] {decoder.stateSize()});
    }
    shapes.put(DECODER_EMBEDDING_WEIGHT, new int[] {targetVocab, embeddingDim});
    recurrentShapes(shapes, decoder, DECODER_RNN);
    shapes.put(ModelConfig.HEAD_WEIGHT, new int[] {targetVocab, decoder.stateSize()});
    shapes.put(ModelConfig.HEAD_BIAS, new int[] {targetVocab});
    return shapes;
  }

  /** A stack's recurrent parameters, named under {@code module}, in the order {@link ModelConfig} lists them. */
  private static void recurrentShapes(Map<String, int[]> shapes, ModelConfig stack, String module) {
    String prefix = ModelConfig.RNN_MODULE + ".";
    for (Map.Entry<String, int[]> entry : stack.parameterShapes().entrySet()) {
      if (entry.getKey().startsWith(prefix)) {
        shapes.put(module + "." + entry.getKey().substring(prefix.length()), entry.getValue());
      }
    }
  }

  /** Parameter names in {@code state_dict} order. */
  public List<String> parameterNames() {
    return Collections.unmodifiableList(new ArrayList<>(parameterShapes().keySet()));
  }

  /** Total number of scalar parameters. */
  public long parameterCount() {
    return ModelConfig.elementCount(parameterShapes());
  }
}
