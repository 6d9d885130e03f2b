package dev.rnnc.compiler.spec;

import static dev.rnnc.compiler.spec.SpecSchema.*;

import dev.rnnc.compiler.plan.WeightPrecision;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.GruReset;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Loss;
import dev.rnnc.runtime.ModelConfig.Mode;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;
import java.util.function.Function;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads a spec's root mapping into a {@link ModelConfig}: each key on its own first, then the rules that
 * tie keys together (contradictions, losses that need a head), then the size limits of the resulting
 * model. A rule only runs when the keys it reads were valid, so each mistake is reported once.
 */
final class SpecReader {
  private static final int MAX = ModelConfig.MAX_DIMENSION;

  /** What a spec describes once read. */
  record Result(String modelName, String packageName, ModelConfig config, WeightPrecision weights) {}

  private final ErrorList errors;
  private final MappingNode root;
  private final MappingReader top;

  private Field<String> model;
  private Field<String> packageName;
  private Field<Cell> cell;
  private Field<Nonlinearity> nonlinearity;
  private Field<GruReset> gruReset;
  private Field<Integer> projSize;
  private Field<Boolean> peepholes;
  private Field<Integer> input;
  private Field<MappingReader> embedding;
  private Field<Integer> vocab = Field.absent();
  private Field<Integer> dim = Field.absent();
  private Field<Integer> hidden;
  private Field<Integer> layers;
  private Field<Boolean> bidirectional;
  private Field<Mode> mode;
  private Field<MappingReader> head;
  private Field<Integer> headSize = Field.absent();
  private Field<HeadActivation> activation = Field.absent();
  private Field<MappingReader> limits;
  private Field<Integer> maxLength = Field.absent();
  private Field<Integer> maxBatch = Field.absent();
  private Field<MappingReader> training;
  private Field<Loss> loss = Field.absent();
  private Field<Double> dropout = Field.absent();
  private Field<Integer> truncate = Field.absent();
  private Field<WeightPrecision> weights;

  private SpecReader(MappingNode root, ErrorList errors) {
    this.root = root;
    this.errors = errors;
    this.top = new MappingReader(null, root, root, TOP_KEYS, errors);
  }

  /** The spec's content, or null when there were errors (all of them reported to {@code errors}). */
  static Result read(MappingNode root, ErrorList errors) {
    return new SpecReader(root, errors).read();
  }

  private Result read() {
    readKeys();
    checkInputKind();
    checkCellOptions();
    checkTraining();
    if (!errors.isEmpty()) {
      return null;
    }
    ModelConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      // The checks above cover ModelConfig's own; reaching this is a gap in them, still a user-facing error.
      errors.at(root, e.getMessage());
      return null;
    }
    new SizeLimits(config, errors).check(hidden, input, dim, embedding, headSize, limits);
    return errors.isEmpty()
        ? new Result(model.value(), packageName.value(), config, weights.or(WeightPrecision.F32)) : null;
  }

  private void readKeys() {
    top.require(MODEL, "");
    top.require(PACKAGE, "");
    top.require(CELL, "");
    top.require(HIDDEN, "");
    model = javaName(MODEL, "a Java class name", JavaNames::classNameProblem);
    packageName = javaName(PACKAGE, "a Java package name", JavaNames::packageNameProblem);
    cell = top.choice(CELL, Cell.class);
    nonlinearity = top.choice(NONLINEARITY, Nonlinearity.class);
    gruReset = top.choice(GRU_RESET, GruReset.class);
    projSize = top.integer(PROJ_SIZE, 1, MAX, "");
    peepholes = top.bool(PEEPHOLES);
    input = top.integer(INPUT, 1, MAX, "");
    embedding = top.section(EMBEDDING);
    if (embedding.valid()) {
      MappingReader section = embedding.value();
      section.require(VOCAB, "");
      section.require(DIM, "");
      vocab = section.integer(VOCAB, 1, MAX_VOCAB, "");
      dim = section.integer(DIM, 1, MAX, "");
    }
    hidden = top.integer(HIDDEN, 1, MAX, "");
    layers = top.integer(LAYERS, 1, MAX_LAYERS,
        " (no practical recurrent model is deeper, and the generated code grows with every layer)");
    bidirectional = top.bool(BIDIRECTIONAL);
    mode = top.choice(MODE, Mode.class);
    head = top.section(HEAD);
    if (head.valid()) {
      head.value().require(SIZE, "");
      headSize = head.value().integer(SIZE, 1, MAX, "");
      activation = head.value().choice(ACTIVATION, HeadActivation.class);
    }
    limits = top.section(LIMITS);
    if (limits.valid()) {
      maxLength = limits.value().integer(MAX_LENGTH, 1, MAX, "");
      maxBatch = limits.value().integer(MAX_BATCH, 1, MAX, "");
    }
    weights = top.choice(WEIGHTS, WeightPrecision.class);
    training = top.section(TRAINING);
    if (training.valid()) {
      training.value().require(LOSS, "");
      loss = training.value().choice(LOSS, Loss.class);
      dropout = training.value().fraction(DROPOUT);
      truncate = training.value().integer(TRUNCATE, 0, MAX, "");
    }
  }

  private Field<String> javaName(String key, String what, Function<String, String> problem) {
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

  /** Exactly one of input (dense features) and embedding (token ids). */
  private void checkInputKind() {
    if (input.present() && embedding.present()) {
      Node later = index(input.key()) > index(embedding.key()) ? input.key() : embedding.key();
      errors.at(later, "give either input (dense features) or embedding (token ids), not both");
    } else if (!input.present() && !embedding.present() && !top.suggested(EMBEDDING)) {
      top.require(INPUT, " (or 'embedding' for token-id inputs)");
    }
  }

  /** Options that only one cell kind has; a projection narrower than the hidden state. */
  private void checkCellOptions() {
    if (!cell.valid()) {
      return;
    }
    String kind = spelling(cell.value());
    if (nonlinearity.present() && cell.value() != Cell.RNN) {
      errors.at(nonlinearity.key(), "nonlinearity applies only to cell rnn, not " + kind + "; remove it");
    }
    if (gruReset.present() && cell.value() != Cell.GRU) {
      errors.at(gruReset.key(), "gru_reset applies only to cell gru, not " + kind + "; remove it");
    }
    if (projSize.present() && cell.value() != Cell.LSTM) {
      errors.at(projSize.key(), "proj_size applies only to cell lstm, not " + kind + "; remove it");
    } else if (projSize.valid() && hidden.valid() && projSize.value() >= hidden.value()) {
      errors.at(projSize.node(), "proj_size must be less than hidden (" + hidden.value() + "), got "
          + projSize.value() + ": the projection narrows h from hidden to proj_size values, as in "
          + "torch.nn.LSTM; remove proj_size for none");
    }
    if (peepholes.present() && cell.value() != Cell.LSTM) {
      errors.at(peepholes.key(), "peepholes apply only to cell lstm, not " + kind + "; remove them");
    }
  }

  /** A loss must fit the head it trains; dropout needs stacked layers. */
  private void checkTraining() {
    if (loss.valid() && head.usable() && headSize.usable() && activation.usable()) {
      String name = TRAINING + "." + LOSS + " " + spelling(loss.value());
      if (loss.value() != Loss.MSE && !head.present()) {
        errors.at(loss.node(), name + " needs a head (it scores the head's logits); add head: {size: N}");
      } else if (loss.value() == Loss.CROSS_ENTROPY && headSize.valid() && headSize.value() < 2) {
        errors.at(loss.node(), name + " needs head.size >= 2 (one logit per class), got " + headSize.value()
            + "; use bce for a single yes/no output");
      } else if (loss.value() == Loss.MSE && activation.or(HeadActivation.LINEAR) == HeadActivation.SOFTMAX) {
        errors.at(loss.node(), name + " cannot train a softmax head: mse compares the prediction with the "
            + "target; use head activation linear or sigmoid");
      }
    }
    if (weights.valid() && weights.value() == WeightPrecision.BF16 && training.present()) {
      errors.at(weights.node(), "weights bf16 is for inference: training updates float32 weights; remove the "
          + "training section, or use weights: f32 (the default) to train, then compile a bf16 spec for the "
          + "trained weights");
    }
    if (dropout.valid() && dropout.value() > 0 && layers.usable() && layers.or(DEFAULT_LAYERS) == 1) {
      errors.at(dropout.node(), "training.dropout must be 0 when layers is 1: dropout only acts between "
          + "stacked layers (PyTorch warns the same); use layers >= 2 or remove dropout");
    }
  }

  private ModelConfig config() {
    boolean embedded = embedding.present();
    ModelConfig.TrainingConfig trainingConfig = training.present()
        ? new ModelConfig.TrainingConfig(loss.value(), dropout.or(0.0), truncate.or(0))
        : null;
    ModelConfig.Builder builder = ModelConfig.builder(cell.value())
        .nonlinearity(nonlinearity.or(Nonlinearity.TANH))
        .gruReset(gruReset.or(GruReset.AFTER))
        .hidden(hidden.value())
        .projSize(projSize.or(0))
        .peepholes(peepholes.or(false))
        .layers(layers.or(DEFAULT_LAYERS))
        .bidirectional(bidirectional.or(false))
        .mode(mode.or(Mode.MANY_TO_MANY))
        .head(headSize.or(0), activation.or(HeadActivation.LINEAR))
        .limits(maxBatch.or(DEFAULT_MAX_BATCH), maxLength.or(DEFAULT_MAX_LENGTH))
        .training(trainingConfig);
    if (embedded) {
      builder.embedding(vocab.value(), dim.value());
    } else {
      builder.input(input.value());
    }
    return builder.build();
  }

  private static int index(Node node) {
    return node.getStartMark().map(m -> m.getIndex()).orElse(0);
  }
}
