package dev.rnnc.cli;

import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.VectorSupport;
import dev.rnnc.runtime.stream.GenericStreamBank;
import dev.rnnc.runtime.stream.StreamBank;
import dev.rnnc.runtime.train.DataParallel;
import dev.rnnc.runtime.train.Sgd;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc bench}: how fast a spec's generated class runs on this machine, with seeded random weights and
 * data.
 *
 * <ul>
 *   <li>{@code step}: {@link StreamingModel#step} of one sequence (unidirectional specs), cycling through
 *       {@code length} random inputs; time per step.</li>
 *   <li>{@code sequence}: {@link RnnModel#forward} of {@code batch × length}; time per timestep = call time / T
 *       (the whole batch advances one step in that time). With {@code --threads N > 1} a {@link DataParallel}
 *       splits the batch over N threads (bytes allocated count the calling thread only).</li>
 *   <li>{@code train}: {@link TrainableModel#computeGradients} + an SGD step + {@code setParameters} per
 *       iteration over synthetic {@code batch × length} data; time per iteration. With {@code --threads N > 1}
 *       the model is a {@link DataParallel} splitting each batch over N threads; bytes allocated then count
 *       the calling thread only.</li>
 *   <li>{@code streams}: a stream bank advancing {@code --streams N} open streams by one step per call
 *       ({@link StreamBank#step}), the generated class's own {@code Bank} (or {@link GenericStreamBank} with
 *       {@code --generic-bank}); time per stream step = call time / N, reported beside the single-stream
 *       {@code step} measured in the same run, so their ratio is not skewed by a change of machine load between
 *       two runs.</li>
 *   <li>{@code decode} (encoder–decoder specs): {@link Seq2SeqModel#encode} of {@code batch} random sources of
 *       {@code length} steps, then decoding every item to its end token or max_length (greedy, {@code --beam K} or
 *       sampling); time per call, tokens per second and time per decoded token (tokens counted in the outputs,
 *       end tokens included, averaged over every call made).</li>
 * </ul>
 * GFLOP/s counts {@link ModelConfig#flopsPerStep()} × batch per timestep, and for training three times that
 * (backward ≈ twice forward, the usual convention).
 */
@Command(name = "bench", sortOptions = false,
    description = "Benchmarks a spec's generated class: median, p99 and p99.9 time per step, GFLOP/s and bytes allocated.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc bench specs/lstm_64_128.yaml                       (streaming, one step at a time)",
        "  rnnc bench specs/sentiment_gru.yaml --mode sequence --batch 32 --length 100 --json",
        "  rnnc bench specs/char_lstm.yaml --mode train --batch 32 --length 64 --threads 2",
        "  rnnc bench specs/lstm_64_128.yaml --mode streams --streams 64 --json",
        "  rnnc bench specs/encoder_decoder/date_normalizer_seq2seq.yaml --mode decode --batch 8 --beam 4 --json",
        "",
        "Weights and data are random (seeded). The warm-up runs until the JIT has settled (no compilation, and",
        "time and bytes allocated per call stable over two 0.2 s windows; at least --warmup, at most --max-warmup",
        "seconds, reported if it never settles); then calls are timed individually (tiny calls in small groups)",
        "for --seconds. A bidirectional spec cannot stream: without --mode it is measured in sequence mode.",
        "JSON keys: mode, spec, model, batch, length, threads, ns_per_step (step/sequence), ms_per_iteration (train),",
        "p50_ns, p99_ns, p999_ns (per step, or per iteration in train mode), gflops, bytes_allocated_per_step,",
        "bytes_allocated_per_call (of the calling thread), calls, seconds, warmup_seconds, warmup_settled, vector.",
        "Streams mode adds streams, bank, ns_per_stream_step, single_step_ns (the model's own step, same run) and",
        "ratio_to_single_step; there p50_ns, p99_ns and p999_ns time one call (all N streams advance one step).",
        "Decode mode (encoder-decoder specs; --length = source steps): mode, spec, model, implementation, batch, length,",
        "decoder, beam, tokens_per_call, tokens_per_second, ns_per_token, p50_ns, p99_ns, p999_ns (one call: encode",
        "and decode the batch), bytes_allocated_per_call, bytes_allocated_per_token, calls, seconds, warmup_seconds,",
        "warmup_settled.",
        ExitCodes.FOOTER})
final class BenchCommand extends RnncCommand {
  enum Mode { STEP, SEQUENCE, TRAIN, STREAMS, DECODE }

  @Parameters(index = "0", paramLabel = "SPEC", description = "The model spec (YAML).")
  Path spec;

  @Option(names = "--mode",
      description = "step, sequence, train, streams, or decode for encoder-decoders (default: step; sequence for a"
          + " bidirectional spec; decode for an encoder-decoder).")
  Mode mode;

  @Option(names = "--batch", description = "Sequences per call (default: 1; the spec's max_batch for train).")
  Integer batch;

  @Option(names = "--length", description = "Timesteps per call, or distinct inputs cycled in step mode (default: the spec's max_length).")
  Integer length;

  @Option(names = "--streams", defaultValue = "64", paramLabel = "N",
      description = "Streams mode: open streams a bank advances per call (default: ${DEFAULT-VALUE}).")
  int streams;

  @Option(names = "--generic-bank",
      description = "Streams mode: measure the portable GenericStreamBank (one stream at a time) instead of the"
          + " generated bank.")
  boolean genericBank;

  @Option(names = "--seconds", defaultValue = "5", description = "Measured time (default: ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--warmup", description = "Shortest warm-up in seconds (default: 1, or --seconds when shorter); it"
      + " goes on until the JIT has settled.")
  Double warmup;

  @Option(names = "--max-warmup", defaultValue = "60",
      description = "Longest warm-up in seconds; measuring starts then even if not settled (default: ${DEFAULT-VALUE}).")
  double maxWarmup;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
      description = "Train and sequence modes: threads computing each batch, the batch split between them (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the random weights and data (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--json", description = "Print one JSON object per line instead of text.")
  boolean json;

  @Option(names = "--scalar", description = "Use the generated scalar kernels instead of the Vector API ones.")
  boolean scalar;

  @Option(names = "--reference", description = "Decode mode: measure the reference implementation instead of generated code.")
  boolean reference;

  @Mixin
  DecodeOptions decoding;

  @Override
  int execute() {
    if (!(seconds > 0) || Double.isInfinite(seconds)) {
      throw new RnncException("--seconds must be a positive number, got " + seconds);
    }
    double warmupSeconds = warmup != null ? warmup : Math.min(1.0, seconds);
    if (!(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds)) {
      throw new RnncException("--warmup must be a number >= 0, got " + warmupSeconds);
    }
    if (!(maxWarmup >= warmupSeconds) || Double.isInfinite(maxWarmup)) {
      throw new RnncException("--max-warmup must be a number >= --warmup (" + warmupSeconds + "), got " + maxWarmup);
    }
    if (threads < 1) {
      throw new RnncException("--threads must be >= 1, got " + threads);
    }
    if (threads != 1 && mode != Mode.TRAIN && mode != Mode.SEQUENCE) {
      throw new RnncException("--threads applies to --mode train and --mode sequence only");
    }
    if (streams < 1) {
      throw new RnncException("--streams must be >= 1, got " + streams);
    }
    ParsedSpec parsed = SpecParser.parseAny(spec);
    if (parsed instanceof Seq2SeqSpec seq2seq) {
      return benchDecode(Seq2SeqLoader.of(seq2seq, reference, scalar), warmupSeconds);
    }
    if (mode == Mode.DECODE || decoding.given() || reference) {
      throw new RnncException((mode == Mode.DECODE ? "--mode decode" : reference ? "--reference" : "--beam, "
          + "--length-penalty, --temperature or --top-k") + " is for encoder–decoder specs; " + spec
          + " is a single-stack model");
    }
    ModelLoader loader = ModelLoader.of((Spec) parsed, false, scalar);
    ModelConfig config = loader.config();
    if (mode == null) {
      mode = Mode.STEP;
      if (config.bidirectional()) {
        mode = Mode.SEQUENCE;
        err().println("rnnc: note: " + spec + " is bidirectional, which cannot stream one step at a time; measuring"
            + " --mode sequence instead");
      }
    }
    int b = batch != null ? batch : mode == Mode.TRAIN ? config.maxBatch() : 1;
    int t = length != null ? length : config.maxLength();
    if (b < 1 || t < 1) {
      throw new RnncException("--batch and --length must be >= 1, got batch " + b + ", length " + t);
    }
    SplittableRandom random = new SplittableRandom(seed);
    ModelParameters parameters = ModelParameters.initialize(config, seed);
    Measurement measurement = new Measurement();
    switch (mode) {
      case STEP -> benchStep(loader, parameters, b, t, random, measurement, warmupSeconds);
      case SEQUENCE -> benchSequence(loader, parameters, b, t, random, measurement, warmupSeconds);
      case TRAIN -> benchTrain(loader, parameters, b, t, random, measurement, warmupSeconds);
      case STREAMS -> {
        Measurement single = new Measurement();
        benchStep(loader, parameters, 1, t, new SplittableRandom(seed), single, warmupSeconds);
        benchStreams(loader, parameters, t, random, measurement, warmupSeconds);
        singleStepNanos = single.quantileNanos(0.5);
      }
    }
    report(config, loader.spec().modelName(), b, t, measurement);
    return ExitCodes.OK;
  }

  private void benchStep(ModelLoader loader, ModelParameters parameters, int b, int t, SplittableRandom random,
      Measurement measurement, double warmupSeconds) {
    ModelConfig config = loader.config();
    if (b != 1) {
      throw new RnncException("step mode runs one sequence (--batch 1); use --mode sequence for batches");
    }
    if (!loader.streaming()) {
      throw new RnncException(spec + ": step mode needs a unidirectional model (a bidirectional one cannot stream);"
          + " use --mode sequence");
    }
    StreamingModel model = (StreamingModel) loader.newInstance(parameters, 1, 1);
    if (config.hasEmbedding()) {
      int[] tokens = randomTokens(random, t, config.vocab());
      int[] at = {0};
      measurement.run(() -> {
        model.stepToken(tokens[at[0]]);
        at[0] = at[0] + 1 == t ? 0 : at[0] + 1;
      }, warmupSeconds, maxWarmup, seconds);
    } else {
      float[] x = randomFloats(random, t * config.inputSize());
      int width = config.inputSize();
      int[] at = {0};
      measurement.run(() -> {
        model.step(x, at[0] * width);
        at[0] = at[0] + 1 == t ? 0 : at[0] + 1;
      }, warmupSeconds, maxWarmup, seconds);
    }
  }

  /** Median of the single-stream step measured beside a stream bank (streams mode). */
  private double singleStepNanos = Double.NaN;

  private void benchStreams(ModelLoader loader, ModelParameters parameters, int t, SplittableRandom random,
      Measurement measurement, double warmupSeconds) {
    ModelConfig config = loader.config();
    if (!loader.streaming()) {
      throw new RnncException(spec + ": streams mode needs a unidirectional model (a bidirectional one cannot"
          + " stream); use --mode sequence");
    }
    StreamBank bank = loader.newStreamBank(parameters, streams, genericBank);
    int n = streams;
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = bank.open();
    }
    float[] outputs = new float[n * bank.outputSize()];
    int[] at = {0};
    if (config.hasEmbedding()) {
      int[][] tokens = new int[t][];
      for (int s = 0; s < t; s++) {
        tokens[s] = randomTokens(random, n, config.vocab());
      }
      measurement.run(() -> {
        bank.stepTokens(ids, n, tokens[at[0]], outputs);
        at[0] = at[0] + 1 == t ? 0 : at[0] + 1;
      }, warmupSeconds, maxWarmup, seconds);
    } else {
      float[][] inputs = new float[t][];
      for (int s = 0; s < t; s++) {
        inputs[s] = randomFloats(random, n * config.inputSize());
      }
      measurement.run(() -> {
        bank.step(ids, n, inputs[at[0]], outputs);
        at[0] = at[0] + 1 == t ? 0 : at[0] + 1;
      }, warmupSeconds, maxWarmup, seconds);
    }
  }

  private void benchSequence(ModelLoader loader, ModelParameters parameters, int b, int t, SplittableRandom random,
      Measurement measurement, double warmupSeconds) {
    ModelConfig config = loader.config();
    RnnModel model = threads == 1 ? loader.newInstance(parameters, b, t)
        : new DataParallel(threads, () -> loader.newInstance(parameters, b, t));
    try {
      if (config.hasEmbedding()) {
        int[] tokens = randomTokens(random, b * t, config.vocab());
        measurement.run(() -> model.forwardTokens(tokens, b, t, null, null, null), warmupSeconds, maxWarmup,
            seconds);
      } else {
        float[] x = randomFloats(random, b * t * config.inputSize());
        measurement.run(() -> model.forward(x, b, t, null, null, null), warmupSeconds, maxWarmup, seconds);
      }
    } finally {
      if (model instanceof DataParallel parallel) {
        parallel.close();
      }
    }
  }

  private void benchTrain(ModelLoader loader, ModelParameters parameters, int b, int t, SplittableRandom random,
      Measurement measurement, double warmupSeconds) {
    ModelConfig config = loader.config();
    TrainableModel model = threads == 1 ? loader.newTrainable(parameters, b, t)
        : new DataParallel(threads, () -> loader.newTrainable(parameters, b, t));
    Batch data = new Batch();
    data.batch = b;
    data.steps = t;
    if (config.hasEmbedding()) {
      data.tokens = randomTokens(random, b * t, config.vocab());
    } else {
      data.input = randomFloats(random, b * t * config.inputSize());
    }
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    int positions = perStep ? b * t : b;
    if (config.training().loss() == ModelConfig.Loss.CROSS_ENTROPY) {
      data.classTargets = randomTokens(random, positions, config.outputSize());
    } else {
      data.valueTargets = new float[positions * config.outputSize()];
      for (int i = 0; i < data.valueTargets.length; i++) {
        data.valueTargets[i] = random.nextFloat();
      }
    }
    // A tiny learning rate keeps the weights (and so the work per iteration) realistic for the whole run.
    Sgd sgd = new Sgd(1e-6);
    try {
      measurement.run(() -> {
        model.computeGradients(data);
        sgd.step(parameters, model.gradients());
        model.setParameters(parameters);
      }, warmupSeconds, maxWarmup, seconds);
    } finally {
      if (model instanceof DataParallel parallel) {
        parallel.close();
      }
    }
  }

  private void report(ModelConfig config, String modelName, int b, int t, Measurement m) {
    boolean train = mode == Mode.TRAIN;
    // Time units: one step (step mode), one timestep of the whole batch (sequence), one iteration (train).
    double perUnit = mode == Mode.SEQUENCE ? t : 1;
    double p50 = m.quantileNanos(0.5) / perUnit;
    double p99 = m.quantileNanos(0.99) / perUnit;
    double p999 = m.quantileNanos(0.999) / perUnit;
    boolean banked = mode == Mode.STREAMS;
    double flopsPerUnit = (double) config.flopsPerStep() * b * (train ? 3.0 * t : 1) * (banked ? streams : 1);
    double gflops = flopsPerUnit / p50;
    long stepsMeasured = m.calls() * (mode == Mode.STEP ? 1 : banked ? streams : t);
    double bytesPerCall = m.allocatedBytes() < 0 ? -1 : (double) m.allocatedBytes() / m.calls();
    double bytesPerStep = m.allocatedBytes() < 0 ? -1 : (double) m.allocatedBytes() / stepsMeasured;
    String modeName = mode.name().toLowerCase(Locale.ROOT);
    if (!m.settled()) {
      err().printf(Locale.ROOT, "rnnc: warning: the warm-up did not settle within %.0f s (the JIT was still"
          + " compiling, or time or allocation per call kept changing); raise --max-warmup%n", maxWarmup);
    }
    if (json) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("mode", modeName);
      fields.put("spec", spec.toString());
      fields.put("model", modelName);
      fields.put("batch", b);
      fields.put("length", t);
      fields.put("threads", threads);
      if (train) {
        fields.put("ms_per_iteration", p50 / 1e6);
      } else if (banked) {
        fields.put("streams", streams);
        fields.put("bank", genericBank ? "generic" : "generated");
        fields.put("ns_per_stream_step", p50 / streams);
        fields.put("single_step_ns", singleStepNanos);
        fields.put("ratio_to_single_step", p50 / streams / singleStepNanos);
      } else {
        fields.put("ns_per_step", p50);
      }
      fields.put("p50_ns", p50);
      fields.put("p99_ns", p99);
      fields.put("p999_ns", p999);
      fields.put("gflops", gflops);
      fields.put("bytes_allocated_per_step", bytesPerStep);
      fields.put("bytes_allocated_per_call", bytesPerCall);
      fields.put("calls", m.calls());
      fields.put("seconds", m.measuredSeconds());
      fields.put("warmup_seconds", m.warmupSeconds());
      fields.put("warmup_settled", m.settled());
      fields.put("vector", !scalar && VectorSupport.available());
      out().println(JsonLine.of(fields));
      return;
    }
    out().printf(Locale.ROOT, "%s %s: mode %s, batch %d, length %d, %s kernels%s%n", modelName, spec, modeName, b, t,
        !scalar && VectorSupport.available() ? "vector" : "scalar", threads == 1 ? "" : ", " + threads + " threads");
    if (train) {
      out().printf(Locale.ROOT, "  %.3f ms/iteration (median), p99 %.3f ms, p99.9 %.3f ms%n", p50 / 1e6, p99 / 1e6,
          p999 / 1e6);
    } else if (banked) {
      out().printf(Locale.ROOT, "  %s bank of %d streams: %.1f ns per stream step (median), %.2f× the model's own"
          + " step (%.1f ns, same run)%n", genericBank ? "generic" : "generated", streams, p50 / streams,
          p50 / streams / singleStepNanos, singleStepNanos);
      out().printf(Locale.ROOT, "  %.1f ns/call of all %d streams (median), p99 %.1f ns, p99.9 %.1f ns%n", p50,
          streams, p99, p999);
    } else {
      out().printf(Locale.ROOT, "  %.1f ns/%s (median), p99 %.1f ns, p99.9 %.1f ns%n", p50,
          mode == Mode.STEP ? "step" : "timestep", p99, p999);
    }
    out().printf(Locale.ROOT, "  %.2f GFLOP/s, %.1f bytes allocated/step (%.1f per call)%n", gflops, bytesPerStep,
        bytesPerCall);
    out().printf(Locale.ROOT, "  %,d calls in %.2f s after %,d warm-up calls (%.1f s, %s), timed in groups of %d%n",
        m.calls(), m.measuredSeconds(), m.warmupCalls(), m.warmupSeconds(),
        m.settled() ? "JIT settled" : "JIT NOT settled within --max-warmup: figures may include compilation", m.group());

  }

  /** Decode mode: encode + decode a batch per call; see the class comment. */
  private int benchDecode(Seq2SeqLoader loader, double warmupSeconds) {
    if (mode != null && mode != Mode.DECODE) {
      throw new RnncException("--mode " + mode.name().toLowerCase(Locale.ROOT) + " measures single-stack models; "
          + spec + " is an encoder–decoder: use --mode decode");
    }
    mode = Mode.DECODE;
    if (threads != 1) {
      throw new RnncException("--threads applies to --mode train only");
    }
    Seq2SeqConfig config = loader.config();
    int b = batch != null ? batch : 1;
    int t = length != null ? length : config.maxLength();
    if (b < 1 || t < 1) {
      throw new RnncException("--batch and --length must be >= 1, got batch " + b + ", length " + t);
    }
    int width = decoding.rowsPerItem();
    SplittableRandom random = new SplittableRandom(seed);
    Seq2SeqModel model = loader.newInstance(Seq2SeqParameters.initialize(config, seed), b, t, b * width);
    decoding.prepare(config, b, seed);
    int[] sourceTokens = config.sourceTokens() ? randomTokens(random, b * t, config.encoder().vocab()) : null;
    float[] sourceFeatures = config.sourceTokens() ? null : randomFloats(random, b * t * config.encoder().inputSize());
    int[] tokens = new int[b * config.maxDecode()];
    int[] lengths = new int[b];
    // Tokens decoded and calls made, counted inside the measured call (sampling varies from call to call).
    long[] counts = new long[2];
    Measurement m = new Measurement();
    m.run(() -> {
      model.encode(sourceTokens, sourceFeatures, b, t, null);
      decoding.decode(model, b, tokens, lengths);
      long sum = 0;
      for (int i = 0; i < b; i++) {
        sum += lengths[i];
      }
      counts[0] += sum;
      counts[1]++;
    }, warmupSeconds, maxWarmup, seconds);
    double tokensPerCall = (double) counts[0] / counts[1];
    double p50 = m.quantileNanos(0.5);
    double nsPerToken = p50 / tokensPerCall;
    double bytesPerCall = m.allocatedBytes() < 0 ? -1 : (double) m.allocatedBytes() / m.calls();
    double bytesPerToken = m.allocatedBytes() < 0 ? -1 : bytesPerCall / tokensPerCall;
    String decoder = decoding.beam != null ? "beam" : decoding.temperature != null ? "sampling" : "greedy";
    if (!m.settled()) {
      err().printf(Locale.ROOT, "rnnc: warning: the warm-up did not settle within %.0f s (the JIT was still"
          + " compiling, or time or allocation per call kept changing); raise --max-warmup%n", maxWarmup);
    }
    if (json) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("mode", "decode");
      fields.put("spec", spec.toString());
      fields.put("model", loader.spec().modelName());
      fields.put("implementation", loader.implementation());
      fields.put("batch", b);
      fields.put("length", t);
      fields.put("decoder", decoder);
      fields.put("beam", width);
      fields.put("tokens_per_call", tokensPerCall);
      fields.put("tokens_per_second", 1e9 / nsPerToken);
      fields.put("ns_per_token", nsPerToken);
      fields.put("p50_ns", p50);
      fields.put("p99_ns", m.quantileNanos(0.99));
      fields.put("p999_ns", m.quantileNanos(0.999));
      fields.put("bytes_allocated_per_call", bytesPerCall);
      fields.put("bytes_allocated_per_token", bytesPerToken);
      fields.put("calls", m.calls());
      fields.put("seconds", m.measuredSeconds());
      fields.put("warmup_seconds", m.warmupSeconds());
      fields.put("warmup_settled", m.settled());
      out().println(JsonLine.of(fields));
      return ExitCodes.OK;
    }
    out().printf(Locale.ROOT, "%s %s: mode decode, %s, batch %d, source length %d, %s%n", loader.spec().modelName(),
        spec, decoding.describe(seed), b, t, loader.implementation());
    out().printf(Locale.ROOT, "  %.0f tokens/s, %.1f ns per decoded token (%.1f tokens per call)%n", 1e9 / nsPerToken,
        nsPerToken, tokensPerCall);
    out().printf(Locale.ROOT, "  %.1f µs/call (median, encode + decode), p99 %.1f µs, p99.9 %.1f µs%n", p50 / 1e3,
        m.quantileNanos(0.99) / 1e3, m.quantileNanos(0.999) / 1e3);
    out().printf(Locale.ROOT, "  %.1f bytes allocated/call (%.2f per token)%n", bytesPerCall, bytesPerToken);
    out().printf(Locale.ROOT, "  %,d calls in %.2f s after %,d warm-up calls (%.1f s, %s)%n", m.calls(),
        m.measuredSeconds(), m.warmupCalls(), m.warmupSeconds(),
        m.settled() ? "JIT settled" : "JIT NOT settled within --max-warmup: figures may include compilation");
    return ExitCodes.OK;
  }

  private static int[] randomTokens(SplittableRandom random, int n, int bound) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextInt(bound);
    }
    return out;
  }

  private static float[] randomFloats(SplittableRandom random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextDouble(-1, 1);
    }
    return out;
  }
}
