package dev.rnnc.cli;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.decode.BeamSearchDecoder;
import dev.rnnc.runtime.decode.SamplingDecoder;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * How an encoder–decoder decodes (a picocli mixin of run, translate and bench): greedy by default, beam search with
 * {@code --beam K}, sampling with {@code --temperature T} (and {@code --top-k K}; the command's seed seeds it).
 * After {@link #prepare} it decodes with decoders allocated once.
 */
final class DecodeOptions {
  @Option(names = "--beam", paramLabel = "K", description = "Beam search of width K (1 = greedy).")
  Integer beam;

  @Option(names = "--length-penalty", paramLabel = "ALPHA",
      description = "Beam search: compare finished hypotheses by score / length^ALPHA (default: 0, the plain sum).")
  Double lengthPenalty;

  @Option(names = "--temperature", paramLabel = "T",
      description = "Sample each token from softmax(log p / T) (0 = greedy) instead of taking the most likely.")
  Double temperature;

  @Option(names = "--top-k", paramLabel = "K", description = "Sampling: draw among the K most likely tokens (default: 0 = all).")
  Integer topK;

  private BeamSearchDecoder beamDecoder;
  private SamplingDecoder sampler;
  private Seq2SeqConfig config;

  /** Whether any decoding option was given. */
  boolean given() {
    return beam != null || lengthPenalty != null || temperature != null || topK != null;
  }

  /** Checks the combination; returns the rows per item the model needs (the beam width, else 1). */
  int rowsPerItem() {
    if (beam != null && temperature != null) {
      throw new RnncException("--beam and --temperature select different decoders (beam search, sampling); give one");
    }
    if (beam != null && beam < 1) {
      throw new RnncException("--beam must be >= 1, got " + beam);
    }
    if (lengthPenalty != null && beam == null) {
      throw new RnncException("--length-penalty applies to beam search: give --beam K");
    }
    if (lengthPenalty != null && (!(lengthPenalty >= 0) || lengthPenalty.isInfinite())) {
      throw new RnncException("--length-penalty must be a finite number >= 0, got " + lengthPenalty);
    }
    if (topK != null && temperature == null) {
      throw new RnncException("--top-k applies to sampling: give --temperature T");
    }
    if (temperature != null && (!(temperature >= 0) || temperature.isInfinite())) {
      throw new RnncException("--temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
    }
    if (topK != null && topK < 0) {
      throw new RnncException("--top-k must be >= 0 (0 = all tokens), got " + topK);
    }
    return beam == null ? 1 : beam;
  }

  /** Allocates the decoder for {@code maxBatch} items. */
  void prepare(Seq2SeqConfig config, int maxBatch, long seed) {
    int width = rowsPerItem();
    this.config = config;
    if (beam != null) {
      beamDecoder = new BeamSearchDecoder(maxBatch, width, config.targetVocab(), config.maxDecode());
    } else if (temperature != null) {
      sampler = new SamplingDecoder(maxBatch, config.targetVocab(), config.maxDecode(), seed);
    }
  }

  /**
   * Decodes the {@code batch} rows the model's last {@code encode} left: tokens {@code [batch, max_length]} (0 after
   * the end), lengths counting the end token.
   */
  void decode(Seq2SeqModel model, int batch, int[] tokensOut, int[] lengthsOut) {
    int length = config.maxDecode();
    if (beamDecoder != null) {
      beamDecoder.decode(model, batch, config.start(), config.end(), length, lengthPenalty == null ? 0 : lengthPenalty,
          tokensOut, lengthsOut);
    } else if (sampler != null) {
      sampler.decode(model, batch, config.start(), config.end(), length, temperature, topK == null ? 0 : topK,
          tokensOut, lengthsOut);
    } else {
      model.decodeGreedy(tokensOut, lengthsOut);
    }
  }

  /** "greedy", "beam search (width 4)", "sampling (temperature 0.8, top-k 5, seed 1)". */
  String describe(long seed) {
    if (beam != null) {
      return "beam search (width " + beam + (lengthPenalty == null ? "" : ", length penalty " + lengthPenalty) + ")";
    }
    if (temperature != null) {
      return String.format(Locale.ROOT, "sampling (temperature %s, top-k %d, seed %d)", temperature,
          topK == null ? 0 : topK, seed);
    }
    return "greedy";
  }
}
