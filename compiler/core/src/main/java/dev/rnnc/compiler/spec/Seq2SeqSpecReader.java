package dev.rnnc.compiler.spec;

import static dev.rnnc.compiler.spec.SpecSchema.*;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.GruReset;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqConfig.Bridge;
import dev.rnnc.runtime.Seq2SeqConfig.Context;
import java.util.List;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * Reads an encoder–decoder spec (a root with {@code encoder:} and {@code decoder:} sections) into a
 * {@link Seq2SeqConfig}, with the same discipline as {@link SpecReader}: each key on its own, then the rules between
 * keys (bridge sizes, head over the target vocabulary, decode ids), each mistake reported once at its position.
 *
 * <p>Defaults: {@code decoder.layers} = {@code encoder.layers} (both bridges need equal depths),
 * {@code context: initial}, head activation softmax, {@code decode.max_length} = {@code limits.max_length}.
 */
final class Seq2SeqSpecReader {
  private static final int MAX = ModelConfig.MAX_DIMENSION;
  /** Single-stack keys that belong inside {@code encoder:}/{@code decoder:} in an encoder–decoder spec. */
  private static final List<String> STACK_KEYS = List.of(CELL, NONLINEARITY, GRU_RESET, PROJ_SIZE, PEEPHOLES, INPUT,
      EMBEDDING, HIDDEN, LAYERS, BIDIRECTIONAL);

  /** What an encoder–decoder spec describes once read. */
  record Result(String modelName, String packageName, Seq2SeqConfig config) {}

  /** Whether the root mapping is an encoder–decoder spec: it has an {@code encoder} or a {@code decoder} key. */
  static boolean isEncoderDecoder(MappingNode root) {
    for (NodeTuple entry : root.getValue()) {
      if (entry.getKeyNode() instanceof ScalarNode key
          && (key.getValue().equals(ENCODER) || key.getValue().equals(DECODER))) {
        return true;
      }
    }
    return false;
  }

  /** One recurrent stack's keys. */
  private final class Stack {
    final MappingReader reader;
    Field<Cell> cell;
    Field<Nonlinearity> nonlinearity;
    Field<GruReset> gruReset;
    Field<Integer> projSize;
    Field<Boolean> peepholes;
    Field<Integer> input;
    Field<MappingReader> embedding;
    Field<Integer> vocab = Field.absent();
    Field<Integer> dim = Field.absent();
    Field<Integer> hidden;
    Field<Integer> layers;
    Field<Boolean> bidirectional;

    Stack(MappingReader reader) {
      this.reader = reader;
      reader.require(CELL, "");
      reader.require(HIDDEN, "");
      cell = reader.choice(CELL, Cell.class);
      nonlinearity = reader.choice(NONLINEARITY, Nonlinearity.class);
      gruReset = reader.choice(GRU_RESET, GruReset.class);
      projSize = reader.integer(PROJ_SIZE, 1, MAX, "");
      peepholes = reader.bool(PEEPHOLES);
      input = reader.integer(INPUT, 1, MAX, "");
      embedding = reader.section(EMBEDDING);
      if (embedding.valid()) {
        MappingReader section = embedding.value();
        section.require(VOCAB, "");
        section.require(DIM, "");
        vocab = section.integer(VOCAB, 1, MAX_VOCAB, "");
        dim = section.integer(DIM, 1, MAX, "");
      }
      hidden = reader.integer(HIDDEN, 1, MAX, "");
      layers = reader.integer(LAYERS, 1, MAX_LAYERS,
          " (no practical recurrent model is deeper, and the generated code grows with every layer)");
      bidirectional = reader.bool(BIDIRECTIONAL);
      checkCellOptions();
    }

    /** The same per-cell rules as a single-stack spec, with the section in every key name. */
    private void checkCellOptions() {
      if (!cell.valid()) {
        return;
      }
      String kind = spelling(cell.value());
      if (nonlinearity.present() && cell.value() != Cell.RNN) {
        errors.at(nonlinearity.key(), reader.path(NONLINEARITY) + " applies only to cell rnn, not " + kind
            + "; remove it");
      }
      if (gruReset.present() && cell.value() != Cell.GRU) {
        errors.at(gruReset.key(), reader.path(GRU_RESET) + " applies only to cell gru, not " + kind + "; remove it");
      }
      if (projSize.present() && cell.value() != Cell.LSTM) {
        errors.at(projSize.key(), reader.path(PROJ_SIZE) + " applies only to cell lstm, not " + kind + "; remove it");
      } else if (projSize.valid() && hidden.valid() && projSize.value() >= hidden.value()) {
        errors.at(projSize.node(), reader.path(PROJ_SIZE) + " must be less than " + reader.path(HIDDEN) + " ("
            + hidden.value() + "), got " + projSize.value() + ": the projection narrows h from hidden to proj_size "
            + "values, as in torch.nn.LSTM; remove proj_size for none");
      }
      if (peepholes.present() && cell.value() != Cell.LSTM) {
        errors.at(peepholes.key(), reader.path(PEEPHOLES) + " apply only to cell lstm, not " + kind
            + "; remove them");
      }
    }

    boolean valid() {
      return cell.valid() && nonlinearity.usable() && gruReset.usable() && projSize.usable() && peepholes.usable()
          && input.usable() && embedding.usable() && vocab.usable() && dim.usable() && hidden.valid()
          && layers.usable() && bidirectional.usable();
    }

    ModelConfig.Builder builder(int defaultLayers) {
      return ModelConfig.builder(cell.value())
          .nonlinearity(nonlinearity.or(Nonlinearity.TANH))
          .gruReset(gruReset.or(GruReset.AFTER))
          .hidden(hidden.value())
          .projSize(projSize.or(0))
          .peepholes(peepholes.or(false))
          .layers(layers.or(defaultLayers))
          .bidirectional(bidirectional.or(false));
    }
  }

  private final ErrorList errors;
  private final MappingNode root;
  private final MappingReader top;

  private Seq2SeqSpecReader(MappingNode root, ErrorList errors) {
    this.root = root;
    this.errors = errors;
    // Accept the single-stack keys here so that each gets the message below rather than "unknown key".
    List<String> keys = new java.util.ArrayList<>(SEQ2SEQ_TOP_KEYS);
    keys.addAll(STACK_KEYS);
    keys.add(MODE);
    this.top = new MappingReader(null, root, root, List.copyOf(keys), errors);
  }

  /** The spec's content, or null when there were errors (all of them reported to {@code errors}). */
  static Result read(MappingNode root, ErrorList errors) {
    return new Seq2SeqSpecReader(root, errors).read();
  }

  private Result read() {
    rejectSingleStackKeys();
    top.require(MODEL, "");
    top.require(PACKAGE, "");
    Field<String> model = javaName(MODEL, "a Java class name", JavaNames::classNameProblem);
    Field<String> packageName = javaName(PACKAGE, "a Java package name", JavaNames::packageNameProblem);
    top.require(ENCODER, " (an encoder–decoder spec needs both encoder: and decoder:)");
    top.require(DECODER, " (an encoder–decoder spec needs both encoder: and decoder:)");
    Field<MappingReader> encoderSection = top.section(ENCODER);
    Field<MappingReader> decoderSection = top.section(DECODER);
    Stack encoder = encoderSection.valid() ? new Stack(encoderSection.value()) : null;
    Stack decoder = decoderSection.valid() ? new Stack(decoderSection.value()) : null;
    Field<Bridge> bridge = Field.absent();
    Field<Context> context = Field.absent();
    if (decoder != null) {
      decoder.reader.require(BRIDGE, " (copy: the encoder's final state is the decoder's initial state; linear: "
          + "through tanh(bridge(s)))");
      bridge = decoder.reader.choice(BRIDGE, Bridge.class);
      context = decoder.reader.choice(CONTEXT, Context.class);
    }

    top.require(HEAD, " (the head scores the next target token: head: {size: V, activation: softmax} with V = "
        + "decoder.embedding.vocab)");
    Field<MappingReader> head = top.section(HEAD);
    Field<Integer> headSize = Field.absent();
    Field<HeadActivation> activation = Field.absent();
    if (head.valid()) {
      head.value().require(SIZE, "");
      headSize = head.value().integer(SIZE, 1, MAX, "");
      activation = head.value().choice(ACTIVATION, HeadActivation.class);
    }
    top.require(DECODE, " (decode: {start: ID, end: ID, max_length: N} says how generated sequences begin and end)");
    Field<MappingReader> decode = top.section(DECODE);
    Field<Integer> start = Field.absent();
    Field<Integer> end = Field.absent();
    Field<Integer> maxDecode = Field.absent();
    if (decode.valid()) {
      decode.value().require(START, "");
      decode.value().require(END, "");
      start = decode.value().integer(START, 0, MAX_VOCAB, "");
      end = decode.value().integer(END, 0, MAX_VOCAB, "");
      maxDecode = decode.value().integer(MAX_LENGTH, 1, MAX, "");
    }
    Field<MappingReader> limits = top.section(LIMITS);
    Field<Integer> maxLength = Field.absent();
    Field<Integer> maxBatch = Field.absent();
    if (limits.valid()) {
      maxLength = limits.value().integer(MAX_LENGTH, 1, MAX, "");
      maxBatch = limits.value().integer(MAX_BATCH, 1, MAX, "");
    }
    Field<MappingReader> training = top.section(TRAINING);
    Field<Loss> loss = Field.absent();
    if (training.valid()) {
      training.value().require(LOSS, "");
      loss = training.value().choice(LOSS, Loss.class);
      Field<Double> dropout = training.value().fraction(DROPOUT);
      Field<Integer> truncate = training.value().integer(TRUNCATE, 0, MAX, "");
      if (loss.valid() && loss.value() != Loss.CROSS_ENTROPY) {
        errors.at(loss.node(), "training.loss of an encoder–decoder must be cross_entropy (the head scores the next "
            + "target token), got " + spelling(loss.value()));
      }
      if (dropout.valid() && dropout.value() > 0) {
        errors.at(dropout.node(), "training.dropout is not supported for encoder–decoder models in this version; "
            + "remove it");
      }
      if (truncate.valid() && truncate.value() > 0) {
        errors.at(truncate.node(), "training.truncate (truncated BPTT for streams) does not apply to encoder–decoder "
            + "training, which backpropagates through whole sequences; remove it");
      }
    }

    // Rules between keys.
    if (encoder != null) {
      checkInputKind(encoder);
    }
    if (decoder != null) {
      checkDecoderStack(decoder);
    }
    if (activation.valid() && activation.value() == HeadActivation.SIGMOID) {
      errors.at(activation.node(), "head.activation sigmoid does not give a distribution over target tokens; use "
          + "softmax (or linear for raw logits)");
    }
    Integer vocab = decoder != null && decoder.vocab.valid() ? decoder.vocab.value() : null;
    if (vocab != null && headSize.valid() && !headSize.value().equals(vocab)) {
      errors.at(headSize.node(), "head.size " + headSize.value() + " must equal decoder.embedding.vocab " + vocab
          + ": the head scores the next target token, which the decoder embeds as its next input");
    }
    if (vocab != null) {
      checkTokenId(start, vocab);
      checkTokenId(end, vocab);
    }
    if (maxDecode.valid() && maxLength.usable() && maxDecode.value() > maxLength.or(DEFAULT_MAX_LENGTH)) {
      errors.at(maxDecode.node(), "decode.max_length " + maxDecode.value() + " must be at most limits.max_length "
          + maxLength.or(DEFAULT_MAX_LENGTH) + " (the longest target an instance holds); raise limits.max_length or "
          + "lower decode.max_length");
    }
    if (encoder != null && decoder != null && encoder.layers.usable() && decoder.layers.valid()
        && !decoder.layers.value().equals(encoder.layers.or(DEFAULT_LAYERS))) {
      errors.at(decoder.layers.node(), "decoder.layers " + decoder.layers.value() + " must equal encoder.layers "
          + encoder.layers.or(DEFAULT_LAYERS) + ": the bridge maps encoder layer k's final state to decoder layer k"
          + (bridge.valid() ? " (bridge " + spelling(bridge.value()) + ")" : ""));
    }
    int batch = maxBatch.or(DEFAULT_MAX_BATCH);
    int length = maxLength.or(DEFAULT_MAX_LENGTH);
    Context contextValue = context.or(Context.INITIAL);
    ModelConfig encoderConfig = null;
    ModelConfig decoderConfig = null;
    // The stacks are built as soon as their own keys are valid, so a bridge mismatch is reported beside other errors.
    if (encoder != null && decoder != null && encoder.valid() && decoder.valid() && context.usable()
        && (encoder.embedding.present() ? encoder.vocab.valid() && encoder.dim.valid() : encoder.input.valid())
        && decoder.dim.valid() && !decoder.input.present()) {
      ModelConfig.Builder encoderBuilder = encoder.builder(DEFAULT_LAYERS).limits(batch, length);
      if (encoder.embedding.present()) {
        encoderBuilder.embedding(encoder.vocab.value(), encoder.dim.value());
      } else {
        encoderBuilder.input(encoder.input.value());
      }
      try {
        encoderConfig = encoderBuilder.build();
        int decoderInput = decoder.dim.value()
            + (contextValue == Context.EVERY_STEP ? encoderConfig.featureSize() : 0);
        decoderConfig = decoder.builder(encoderConfig.layers()).bidirectional(false).input(decoderInput)
            .limits(batch, length).build();
      } catch (IllegalArgumentException e) {
        // The per-key checks cover the builder's own; reaching this is a gap in them, still a user-facing error.
        errors.at(root, e.getMessage());
        return null;
      }
      if (bridge.valid() && bridge.value() == Bridge.COPY) {
        String problem = Seq2SeqConfig.copyProblem(encoderConfig, decoderConfig);
        if (problem != null) {
          errors.at(bridge.node(), problem);
        }
      }
    }
    if (!errors.isEmpty()) {
      return null;
    }
    Seq2SeqConfig config;
    try {
      config = new Seq2SeqConfig(encoderConfig, decoderConfig, vocab, decoder.dim.value(), bridge.value(),
          contextValue, activation.or(HeadActivation.SOFTMAX), start.value(), end.value(), maxDecode.or(length), batch,
          length, training.present() ? new ModelConfig.TrainingConfig(Loss.CROSS_ENTROPY, 0, 0) : null);
    } catch (IllegalArgumentException e) {
      // The checks above cover the record's own; reaching this is a gap in them, still a user-facing error.
      errors.at(root, e.getMessage());
      return null;
    }
    checkSizes(config, limits.present() ? limits.key() : root);
    return errors.isEmpty() ? new Result(model.value(), packageName.value(), config) : null;
  }

  /** Each single-stack key at the top level is an error that says where it goes instead. */
  private void rejectSingleStackKeys() {
    for (NodeTuple entry : root.getValue()) {
      if (!(entry.getKeyNode() instanceof ScalarNode key)) {
        continue;
      }
      String name = key.getValue();
      if (name.equals(MODE)) {
        errors.at(key, "'mode' does not apply to an encoder–decoder spec (one with encoder: and decoder: "
            + "sections): its decoder always outputs a sequence; remove it");
      } else if (STACK_KEYS.contains(name)) {
        errors.at(key, "'" + name + "' is not a top-level key in an encoder–decoder spec (one with encoder: and "
            + "decoder: sections); give it under encoder: and/or decoder:");
      }
    }
  }

  /** The encoder reads either features or token ids. */
  private void checkInputKind(Stack encoder) {
    if (encoder.input.present() && encoder.embedding.present()) {
      errors.at(encoder.input.key(), "give either encoder.input (dense features) or encoder.embedding (token ids), "
          + "not both");
    } else if (!encoder.input.present() && !encoder.embedding.present() && !encoder.reader.suggested(EMBEDDING)) {
      encoder.reader.require(INPUT, " (or 'encoder.embedding' for token-id sources)");
    }
  }

  /** The decoder embeds target tokens and runs forwards, one step at a time. */
  private void checkDecoderStack(Stack decoder) {
    if (decoder.input.present()) {
      errors.at(decoder.input.key(), "decoder.input does not apply: the decoder reads the previous target token "
          + "through decoder.embedding: {vocab: V, dim: D}; remove it");
    } else if (!decoder.embedding.present() && !decoder.reader.suggested(EMBEDDING)) {
      decoder.reader.require(EMBEDDING, " (the decoder embeds the previous target token: embedding: {vocab: V, "
          + "dim: D})");
    }
    if (decoder.bidirectional.valid() && decoder.bidirectional.value()) {
      errors.at(decoder.bidirectional.node(), "decoder.bidirectional must be false: the decoder generates one token "
          + "after another and cannot read the future");
    }
    if (decoder.vocab.valid() && decoder.vocab.value() < 2) {
      errors.at(decoder.vocab.node(), "decoder.embedding.vocab must be at least 2 (a start/end token and one more), "
          + "got " + decoder.vocab.value());
    }
  }

  private void checkTokenId(Field<Integer> id, int vocab) {
    if (id.valid() && id.value() >= vocab) {
      errors.at(id.node(), "decode." + (id.key() instanceof ScalarNode s ? s.getValue() : "id") + " must be a target "
          + "token id below decoder.embedding.vocab (" + vocab + "), got " + id.value());
    }
  }

  /** No parameter tensor or per-step buffer beyond {@link SpecSchema#MAX_ELEMENTS} floats. */
  private void checkSizes(Seq2SeqConfig config, Node where) {
    config.parameterShapes().forEach((name, shape) -> {
      long size = 1;
      for (int d : shape) {
        size *= d;
      }
      if (size > MAX_ELEMENTS) {
        errors.at(root, name + " would have " + size + " elements, more than the " + MAX_ELEMENTS
            + " (2^28) one tensor may hold; use smaller sizes");
      }
    });
    long rows = (long) config.maxBatch() * config.maxLength();
    long widest = Math.max(Math.max(config.encoder().gateRows(), config.decoder().gateRows()),
        Math.max(config.targetVocab(), Math.max(config.encoder().featureSize(), config.decoderInputSize())));
    if (rows * widest > MAX_ELEMENTS) {
      errors.at(where, "limits max_batch × max_length = " + rows + " rows of up to " + widest + " values would need "
          + rows * widest + " elements in one buffer, more than " + MAX_ELEMENTS + " (2^28); use smaller limits");
    }
  }

  private Field<String> javaName(String key, String what, java.util.function.Function<String, String> problem) {
    Field<String> field = top.text(key, what);
    if (field.valid()) {
      String message = problem.apply(field.value());
      if (message != null) {
        errors.at(field.node(), message);
        return new Field<>(null, field.key(), field.node());
      }
    }
    return field;
  }
}
