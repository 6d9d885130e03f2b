package dev.rnnc.compiler.generated;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes random, valid spec texts from a seed, reproducibly. The categorical choices (cell variant,
 * bidirectional, dense or embedding input, mode, head kind) are not left to chance: the first specs
 * enumerate every combination once, in a seeded random order, so a run of at least that many covers them
 * all; sizes are drawn from {@link #SIZES}, odd values that are not multiples of any vector width (a
 * kernel's tail handling is where a wrong index hides), including 1.
 */
final class SpecGenerator {
  static final int[] SIZES = {1, 2, 3, 5, 17, 33, 65, 130};

  /** Cell variants: every formulation the generated kernels implement separately. */
  enum CellKind {
    LSTM("cell: lstm"),
    GRU_AFTER("cell: gru\ngru_reset: after"),
    GRU_BEFORE("cell: gru\ngru_reset: before"),
    RNN_TANH("cell: rnn\nnonlinearity: tanh"),
    RNN_RELU("cell: rnn\nnonlinearity: relu");

    final String yaml;

    CellKind(String yaml) {
      this.yaml = yaml;
    }
  }

  enum HeadKind { NONE, LINEAR, SIGMOID, SOFTMAX }

  /** What kind of specs to make. */
  record Options(boolean unidirectionalOnly, boolean training) {
    static final Options ANY = new Options(false, false);
    static final Options STREAMING = new Options(true, false);
    static final Options TRAINING = new Options(false, true);
  }

  private record Kind(CellKind cell, boolean bidirectional, boolean embedding, boolean manyToOne, HeadKind head) {}

  private final long seed;
  private final String packageName;
  private final Options options;
  private final SplittableRandom random;
  private final List<Kind> combinations;
  private int made;

  /** A generator for classes in {@code packageName}, named {@code M0, M1, ...}. */
  SpecGenerator(long seed, String packageName, Options options) {
    this.seed = seed;
    this.packageName = packageName;
    this.options = options;
    this.random = new SplittableRandom(seed);
    this.combinations = shuffledCombinations();
  }

  /** The next {@code count} spec texts. */
  List<String> next(int count) {
    List<String> specs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      specs.add(next());
    }
    return specs;
  }

  /** The next spec text; its first line says how to reproduce it. */
  String next() {
    int index = made++;
    Kind kind = index < combinations.size() ? combinations.get(index) : randomKind();
    int layers = 1 + random.nextInt(3);
    StringBuilder yaml = new StringBuilder()
        .append("# SpecGenerator seed ").append(seed).append(", spec ").append(index).append('\n')
        .append("model: M").append(index).append('\n')
        .append("package: ").append(packageName).append('\n')
        .append(kind.cell.yaml).append('\n');
    if (kind.embedding) {
      yaml.append("embedding: {vocab: ").append(size()).append(", dim: ").append(size()).append("}\n");
    } else {
      yaml.append("input: ").append(size()).append('\n');
    }
    int hidden = size();
    yaml.append("hidden: ").append(hidden).append('\n');
    if (kind.cell == CellKind.LSTM) {
      // LSTM variants: a projection (proj_size < hidden), peepholes, both, or neither
      int variant = random.nextInt(6);
      if ((variant == 0 || variant == 2) && hidden > 1) {
        yaml.append("proj_size: ").append(1 + random.nextInt(hidden - 1)).append('\n');
      }
      if (variant == 1 || variant == 2) {
        yaml.append("peepholes: true\n");
      }
    }
    yaml.append("layers: ").append(layers).append('\n')
        .append("bidirectional: ").append(kind.bidirectional).append('\n')
        .append("mode: ").append(kind.manyToOne ? "many_to_one" : "many_to_many").append('\n');
    HeadKind head = kind.head;
    int headSize = size();
    if (options.training) {
      // cross-entropy needs 2+ classes; keep the drawn head kind but make the size fit when it is chosen
      String loss = loss(head);
      if (loss.equals("cross_entropy") && headSize < 2) {
        headSize = 2 + random.nextInt(3);
      }
      appendHead(yaml, head, headSize);
      appendLimits(yaml);
      yaml.append("training: {loss: ").append(loss);
      if (layers > 1 && random.nextBoolean()) {
        yaml.append(", dropout: ").append(random.nextBoolean() ? "0.5" : "0.2");
      }
      yaml.append("}\n");
    } else {
      appendHead(yaml, head, headSize);
      appendLimits(yaml);
    }
    return yaml.toString();
  }

  /** A loss the head kind admits: cross_entropy and bce need a head; mse no softmax head. */
  private String loss(HeadKind head) {
    return switch (head) {
      case NONE -> "mse";
      case SOFTMAX -> random.nextBoolean() ? "cross_entropy" : "bce";
      case LINEAR, SIGMOID -> List.of("cross_entropy", "bce", "mse").get(random.nextInt(3));
    };
  }

  private void appendHead(StringBuilder yaml, HeadKind head, int headSize) {
    if (head != HeadKind.NONE) {
      yaml.append("head: {size: ").append(headSize).append(", activation: ")
          .append(head.name().toLowerCase(java.util.Locale.ROOT)).append("}\n");
    }
  }

  /** Small limits, so calls often use a batch and length below them (results must then be compact). */
  private void appendLimits(StringBuilder yaml) {
    int maxLength = random.nextBoolean() ? 9 : 1 + random.nextInt(9);
    int maxBatch = 1 + random.nextInt(4);
    yaml.append("limits: {max_length: ").append(maxLength).append(", max_batch: ").append(maxBatch).append("}\n");
  }

  private int size() {
    return SIZES[random.nextInt(SIZES.length)];
  }

  private Kind randomKind() {
    CellKind[] cells = CellKind.values();
    HeadKind[] heads = HeadKind.values();
    return new Kind(cells[random.nextInt(cells.length)], !options.unidirectionalOnly && random.nextBoolean(),
        random.nextBoolean(), random.nextBoolean(), heads[random.nextInt(heads.length)]);
  }

  private List<Kind> shuffledCombinations() {
    List<Kind> all = new ArrayList<>();
    for (CellKind cell : CellKind.values()) {
      for (boolean bidirectional : options.unidirectionalOnly ? new boolean[] {false} : new boolean[] {false, true}) {
        for (boolean embedding : new boolean[] {false, true}) {
          for (boolean manyToOne : new boolean[] {false, true}) {
            for (HeadKind head : HeadKind.values()) {
              all.add(new Kind(cell, bidirectional, embedding, manyToOne, head));
            }
          }
        }
      }
    }
    for (int i = all.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      all.set(j, all.set(i, all.get(j)));
    }
    return all;
  }

  /** How many specs it takes to cover every categorical combination once. */
  int combinationCount() {
    return combinations.size();
  }
}
