package dev.rnnc.compiler.spec;

import dev.rnnc.runtime.ModelConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The keys a spec may hold, their defaults and their bounds. One place, so error messages, the parser and
 * the documentation agree.
 *
 * <p>Bounds, and why:
 * <ul>
 *   <li>input, hidden, embedding.dim, head.size, limits.max_length, limits.max_batch, training.truncate:
 *       at most {@link ModelConfig#MAX_DIMENSION} (65536), the runtime's bound on any single size.</li>
 *   <li>embedding.vocab: at most {@link #MAX_VOCAB} (16 × 65536), the runtime's bound; real vocabularies
 *       (subword tokenisers) exceed 65536.</li>
 *   <li>layers: at most {@link #MAX_LAYERS} (16). Published recurrent models stop well below that, and the
 *       generated code is unrolled per layer, so the bound keeps it small.</li>
 *   <li>Any one parameter tensor and any one activation buffer holds at most {@link #MAX_ELEMENTS} (2^28)
 *       floats (1 GiB), so sizes multiplied together can never overflow an {@code int} index.</li>
 * </ul>
 */
final class SpecSchema {
  private SpecSchema() {}

  static final int MAX_LAYERS = 16;
  static final int MAX_VOCAB = ModelConfig.MAX_DIMENSION * 16;
  static final long MAX_ELEMENTS = 1L << 28;

  static final int DEFAULT_LAYERS = 1;
  static final int DEFAULT_MAX_LENGTH = 256;
  static final int DEFAULT_MAX_BATCH = 32;

  static final String MODEL = "model";
  static final String PACKAGE = "package";
  static final String CELL = "cell";
  static final String NONLINEARITY = "nonlinearity";
  static final String GRU_RESET = "gru_reset";
  static final String PROJ_SIZE = "proj_size";
  static final String PEEPHOLES = "peepholes";
  static final String INPUT = "input";
  static final String EMBEDDING = "embedding";
  static final String HIDDEN = "hidden";
  static final String LAYERS = "layers";
  static final String BIDIRECTIONAL = "bidirectional";
  static final String MODE = "mode";
  static final String HEAD = "head";
  static final String LIMITS = "limits";
  static final String TRAINING = "training";
  static final String WEIGHTS = "weights";

  static final String VOCAB = "vocab";
  static final String DIM = "dim";
  static final String SIZE = "size";
  static final String ACTIVATION = "activation";
  static final String MAX_LENGTH = "max_length";
  static final String MAX_BATCH = "max_batch";
  static final String LOSS = "loss";
  static final String DROPOUT = "dropout";
  static final String TRUNCATE = "truncate";

  // Encoder–decoder specs.
  static final String ENCODER = "encoder";
  static final String DECODER = "decoder";
  static final String DECODE = "decode";
  static final String BRIDGE = "bridge";
  static final String CONTEXT = "context";
  static final String START = "start";
  static final String END = "end";

  /** Top-level keys, in the order the documentation lists them. */
  static final List<String> TOP_KEYS = List.of(MODEL, PACKAGE, CELL, NONLINEARITY, GRU_RESET, PROJ_SIZE, PEEPHOLES,
      INPUT, EMBEDDING, HIDDEN, LAYERS, BIDIRECTIONAL, MODE, HEAD, LIMITS, WEIGHTS, TRAINING);

  /** Top-level keys of an encoder–decoder spec (one with an {@code encoder:} or {@code decoder:} section). */
  static final List<String> SEQ2SEQ_TOP_KEYS = List.of(MODEL, PACKAGE, ENCODER, DECODER, HEAD, DECODE, LIMITS,
      TRAINING);

  /** Keys of each section (nested mapping), in lookup order: single-stack sections first. */
  static final Map<String, List<String>> SECTION_KEYS = sections();

  private static Map<String, List<String>> sections() {
    Map<String, List<String>> sections = new java.util.LinkedHashMap<>();
    sections.put(EMBEDDING, List.of(VOCAB, DIM));
    sections.put(HEAD, List.of(SIZE, ACTIVATION));
    sections.put(LIMITS, List.of(MAX_LENGTH, MAX_BATCH));
    sections.put(TRAINING, List.of(LOSS, DROPOUT, TRUNCATE));
    sections.put(ENCODER, List.of(CELL, NONLINEARITY, GRU_RESET, PROJ_SIZE, PEEPHOLES, INPUT, EMBEDDING, HIDDEN,
        LAYERS, BIDIRECTIONAL));
    sections.put(DECODER, List.of(CELL, NONLINEARITY, GRU_RESET, PROJ_SIZE, PEEPHOLES, INPUT, EMBEDDING, HIDDEN,
        LAYERS, BIDIRECTIONAL, BRIDGE, CONTEXT));
    sections.put(DECODE, List.of(START, END, MAX_LENGTH));
    return java.util.Collections.unmodifiableMap(sections);
  }

  /**
   * How an enumerated value is spelled in a spec: the constant's name in lower case ({@code many_to_one},
   * {@code cross_entropy}); the runtime's enums list them in the order messages show them.
   */
  static String spelling(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** The section a key belongs to when it is not a top-level key, or null. */
  static String sectionOf(String key) {
    for (Map.Entry<String, List<String>> section : SECTION_KEYS.entrySet()) {
      if (section.getValue().contains(key)) {
        return section.getKey();
      }
    }
    return null;
  }
}
