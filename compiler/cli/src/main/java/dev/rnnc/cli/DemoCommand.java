package dev.rnnc.cli;

import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.VectorSupport;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.Dataset;
import dev.rnnc.runtime.train.Metric;
import dev.rnnc.runtime.train.Sampler;
import dev.rnnc.runtime.train.Scores;
import dev.rnnc.runtime.train.Trainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rnnc demo}: the whole pipeline in a few seconds, for someone who has just built rnnc. A spec (by default
 * a built-in character-level LSTM, classpath resource {@value #BUILT_IN_SPEC}) is summarised, its class generated
 * and compiled in memory, trained with the generated BPTT on a built-in text ({@value #TEXT}), sampled from, and
 * benchmarked one streaming step at a time.
 *
 * <p>Every random choice is seeded ({@value #SEED}); training runs for a time budget (and at least
 * {@value #MIN_STEPS} steps) rather than a step count, so how far the loss falls depends on the machine. What it
 * learnt is measured on the text's last {@value #HELD_OUT_PERCENT}%, held out from training. Output is plain lines (no cursor tricks), readable in a
 * terminal, a pipe or a CI log.
 */
@Command(name = "demo", sortOptions = false,
    description = "Shows rnnc at work in a few seconds: parses a spec, compiles its generated class in memory, "
        + "trains it on a built-in text, samples from it and benchmarks a streaming step.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc demo                                     (built-in character LSTM, about 10 s)",
        "  rnnc demo --seconds 20                        (train longer: better samples)",
        "  rnnc demo --spec specs/lstm_64_128.yaml       (your spec, random seeded weights)",
        "",
        "With --spec, training and sampling run only for character models the built-in text can train: an",
        "embedding, many_to_many, a softmax head and cross_entropy loss; otherwise the demo says why it skips them.",
        ExitCodes.FOOTER})
final class DemoCommand extends RnncCommand {
  static final String BUILT_IN_SPEC = "demo/char_lstm.yaml";
  static final String TEXT = "demo/text.txt";
  static final long SEED = 42;
  /** Training windows: sequences of LENGTH characters starting every STRIDE characters, BATCH per step. */
  private static final int LENGTH = 64;
  private static final int STRIDE = 16;
  private static final int BATCH = 16;
  private static final double LEARNING_RATE = 0.01;
  private static final double CLIP_NORM = 5;
  private static final String PROMPT = "the ";
  private static final int SAMPLE_LENGTH = 80;
  private static final double TEMPERATURE = 0.8;
  /** Progress lines printed while training. */
  private static final int PROGRESS_LINES = 5;
  /** Steps trained even when the time budget is up (a loaded machine), so the held-out figure means something. */
  private static final int MIN_STEPS = 40;
  private static final int HELD_OUT_PERCENT = 10;

  @Option(names = "--spec", paramLabel = "SPEC",
      description = "Use this spec (YAML) instead of the built-in character LSTM, with random seeded weights.")
  Path specFile;

  @Option(names = "--seconds", defaultValue = "4", paramLabel = "S",
      description = "Training time in seconds (default: ${DEFAULT-VALUE}); the benchmark takes about half as long.")
  double seconds;

  private int sections;

  @Override
  int execute() {
    if (!(seconds > 0) || Double.isInfinite(seconds)) {
      throw new RnncException("--seconds must be a positive number, got " + seconds);
    }
    Spec spec = specFile == null
        ? SpecParser.parse(BUILT_IN_SPEC + " (built in)", resource(BUILT_IN_SPEC))
        : SpecParser.parse(specFile);
    ModelLoader loader = ModelLoader.of(spec, false, false);
    out().println("rnnc demo: " + (specFile == null
        ? "a character-level language model, from spec to trained model in a few seconds."
        : spec.modelName() + " from " + specFile + ", with random weights (seed " + SEED + ")."));
    summarize(spec);
    compile(loader);

    ModelParameters parameters = ModelParameters.initialize(spec.config(), SEED);
    Corpus corpus = Corpus.load();
    String skip = whyNotTrainable(loader, corpus);
    if (skip == null) {
      train(loader, parameters, corpus);
      sample(loader, parameters, corpus);
    } else {
      section("Train and sample", "skipped");
      out().println("   " + skip);
    }
    benchmark(loader, parameters, corpus);

    out().println();
    out().println("Next steps");
    nextStep("./rnnc compile SPEC -d src/main/java",
        "generate the Java class of your own spec (./rnnc --help: every command)");
    nextStep("rnnc-maven-plugin (goal rnnc:generate)", "generate classes from src/main/rnnc/*.yaml in a Maven build");
    nextStep("README.md", "the spec format, the runtime API, the examples");
    return ExitCodes.OK;
  }

  private void summarize(Spec spec) {
    ModelConfig config = spec.config();
    section("Spec", specFile == null ? BUILT_IN_SPEC + ", built in" : specFile.toString());
    out().println("   model       " + spec.modelName() + ": " + InfoCommand.describe(config));
    out().printf(Locale.ROOT, "   parameters  %,d (%,d bytes as float32)%n", config.parameterCount(),
        4 * config.parameterCount());
    out().printf(Locale.ROOT, "   FLOPs/step  %,d (one timestep of one sequence)%n", config.flopsPerStep());
  }

  private void compile(ModelLoader loader) {
    section("Compile", "Java source generated and compiled in memory");
    long generation = loader.generationNanos();
    out().printf(Locale.ROOT, "   %s: source generated in %s, javac and class loading %s%n",
        loader.spec().qualifiedName(), duration(generation), duration(loader.javacNanos()));
    out().println("   kernels     " + (VectorSupport.available() ? "Vector API (" + VectorSupport.MODULE + ")"
        : "scalar (" + VectorSupport.MODULE + " is not loaded; add --add-modules " + VectorSupport.MODULE + ")"));
  }

  /** Why the built-in text cannot train this model (one line), or null when it can. */
  private static String whyNotTrainable(ModelLoader loader, Corpus corpus) {
    ModelConfig c = loader.config();
    String reason;
    if (c.training() == null) {
      reason = "the spec has no training section, so there is no loss to train with";
    } else if (!c.hasHead() || c.headActivation() != ModelConfig.HeadActivation.SOFTMAX) {
      reason = "the model has no softmax head to score the next character";
    } else if (c.training().loss() != ModelConfig.Loss.CROSS_ENTROPY) {
      reason = "it trains with " + c.training().loss().name().toLowerCase(Locale.ROOT)
          + " loss, next-character prediction needs cross_entropy";
    } else if (!c.hasEmbedding()) {
      reason = "it reads dense input, the built-in text needs an embedding of character ids";
    } else if (c.mode() != ModelConfig.Mode.MANY_TO_MANY) {
      reason = "it predicts once per sequence, the built-in text needs a prediction per character (many_to_many)";
    } else if (c.vocab() < corpus.alphabet().length()) {
      reason = "the built-in text has " + corpus.alphabet().length() + " distinct characters, its vocabulary only "
          + c.vocab();
    } else if (c.headSize() < corpus.alphabet().length()) {
      reason = "the built-in text has " + corpus.alphabet().length() + " distinct characters, its head scores only "
          + c.headSize() + " classes";
    } else if (!loader.trainable()) {
      reason = "its generated class does not implement training in this version of rnnc";
    } else {
      return null;
    }
    return reason + "; train it on your own data with ./rnnc train.";
  }

  private void train(ModelLoader loader, ModelParameters parameters, Corpus corpus) {
    PrintWriter out = out();
    ModelConfig config = loader.config();
    // The last tenth of the text is held out: windows are cut from either side of the split, never across it.
    int split = corpus.text().length() * (100 - HELD_OUT_PERCENT) / 100;
    Dataset dataset = corpus.dataset(config, 0, split);
    Dataset heldOut = corpus.dataset(config, split, corpus.text().length());
    section("Train", String.format(Locale.ROOT,
        "generated BPTT, Adam lr %s, %d windows of %d characters, batches of %d, %s", LEARNING_RATE, dataset.size(),
        LENGTH, BATCH, duration((long) (seconds * 1e9))));
    out.printf(Locale.ROOT, "   held out: the text's last %d%% (%d windows), never trained on, measures what it learnt%n",
        HELD_OUT_PERCENT, heldOut.size());
    TrainableModel model = loader.newTrainable(parameters, BATCH, LENGTH);
    Trainer trainer = new Trainer(model, parameters, Adam.adam(LEARNING_RATE), dataset,
        Trainer.Options.miniBatches(BATCH, SEED).withClipNorm(CLIP_NORM));
    double before = trainer.evaluate(heldOut).get(Metric.LOSS);
    double trainingBefore = trainer.evaluate();
    out.printf(Locale.ROOT, "   held-out loss %.3f nats/char before training (a uniform guess over %d classes: %.3f)%n",
        before, config.headSize(), Math.log(config.headSize()));
    long start = System.nanoTime();
    long budget = (long) (seconds * 1e9);
    long nextReport = budget / PROGRESS_LINES;
    double lossSum = 0;
    int lossCount = 0;
    long elapsed;
    do {
      lossSum += trainer.step();
      lossCount++;
      elapsed = System.nanoTime() - start;
      // Lines at fifths of the budget, and one at the end (after the minimum steps on a slow machine).
      boolean done = elapsed >= budget && trainer.steps() >= MIN_STEPS;
      if (done || elapsed >= nextReport && elapsed < budget) {
        out.printf(Locale.ROOT, "   %5.1f s  step %5d  training loss %.3f%n", elapsed * 1e-9, trainer.steps(),
            lossSum / lossCount);
        lossSum = 0;
        lossCount = 0;
        nextReport = elapsed + budget / PROGRESS_LINES;
      }
    } while (!(elapsed >= budget && trainer.steps() >= MIN_STEPS));
    Scores after = trainer.evaluate(heldOut);
    double afterLoss = after.get(Metric.LOSS);
    out.printf(Locale.ROOT, "   held-out loss %.3f -> %.3f nats/char (%.2f bits/char, perplexity %.1f) after %d steps"
        + " (%s)%n", before, afterLoss, after.get(Metric.BITS_PER_TOKEN), after.get(Metric.PERPLEXITY),
        trainer.steps(), duration(elapsed));
    out.printf(Locale.ROOT, "   training loss %.3f -> %.3f nats/char on the text it trained on%n", trainingBefore,
        trainer.evaluate());
  }

  private void sample(ModelLoader loader, ModelParameters parameters, Corpus corpus) {
    ModelConfig config = loader.config();
    section("Sample", "temperature " + TEMPERATURE + ", one character at a time through the streaming step");
    if (!loader.streaming()) {
      out().println("   skipped: a bidirectional model reads whole sequences, so it cannot write one character"
          + " at a time.");
      return;
    }
    StreamingModel model = (StreamingModel) loader.newInstance(parameters, 1, 1);
    int[] prompt = corpus.tokens(PROMPT);
    int[] generated = new int[SAMPLE_LENGTH];
    new Sampler(model, config, SEED).generate(prompt, prompt.length, TEMPERATURE, 0, generated, SAMPLE_LENGTH);
    StringBuilder text = new StringBuilder(PROMPT);
    for (int id : generated) {
      text.append(corpus.character(id));
    }
    out().println("   \"" + text + "\"");
  }

  /**
   * Longest warm-up of the benchmark section: it warms up until the JIT has settled (as {@code rnnc bench} does), so
   * the bytes per step it prints are the steady state's, but never holds the tour up for longer than this.
   */
  private static final double MAX_WARMUP_SECONDS = 20;

  /** Times the streaming step (or, for a bidirectional model, a one-sequence forward) with {@link Measurement}. */
  private void benchmark(ModelLoader loader, ModelParameters parameters, Corpus corpus) {
    PrintWriter out = out();
    ModelConfig config = loader.config();
    double warmup = Math.min(1.5, Math.max(0.3, seconds / 3));
    double measured = Math.min(1.0, Math.max(0.3, seconds / 5));
    SplittableRandom random = new SplittableRandom(SEED);
    Measurement m = new Measurement();
    boolean streaming = loader.streaming();
    int length = streaming ? 256 : Math.min(LENGTH, config.maxLength());
    int[] tokens = config.hasEmbedding() ? inputTokens(corpus, config, random, length) : null;
    float[] x = config.hasEmbedding() ? null : inputFloats(random, length * config.inputSize());
    section("Benchmark", streaming ? "streaming step: one input in, one output out, batch 1"
        : "bidirectional, so no streaming step: forward of one " + length + "-step sequence, per timestep");
    if (streaming) {
      StreamingModel model = (StreamingModel) loader.newInstance(parameters, 1, 1);
      int width = config.inputSize();
      int[] at = {0};
      m.run(() -> {
        if (tokens != null) {
          model.stepToken(tokens[at[0]]);
        } else {
          model.step(x, at[0] * width);
        }
        at[0] = at[0] + 1 == length ? 0 : at[0] + 1;
      }, warmup, MAX_WARMUP_SECONDS, measured);
    } else {
      RnnModel model = loader.newInstance(parameters, 1, length);
      m.run(() -> {
        if (tokens != null) {
          model.forwardTokens(tokens, 1, length, null, null, null);
        } else {
          model.forward(x, 1, length, null, null, null);
        }
      }, warmup, MAX_WARMUP_SECONDS, measured);
    }
    int perCall = streaming ? 1 : length;
    double median = m.quantileNanos(0.5) / perCall;
    double p99 = m.quantileNanos(0.99) / perCall;
    String allocated = m.allocatedBytes() < 0 ? "unknown bytes"
        : String.format(Locale.ROOT, "%,.1f bytes", (double) m.allocatedBytes() / (m.calls() * perCall));
    out.printf(Locale.ROOT, "   %,.0f ns/step median, p99 %,.0f ns, %.1f GFLOP/s, %s allocated/step%n", median, p99,
        config.flopsPerStep() / median, allocated);
    out.printf(Locale.ROOT, "   (%,d steps in %.1f s after a %.1f s warm-up; ./rnnc bench SPEC measures longer)%n",
        m.calls() * perCall, m.measuredSeconds(), warmup);
  }

  /** The text's own characters for the built-in model (realistic input), else random ids in the vocabulary. */
  private static int[] inputTokens(Corpus corpus, ModelConfig config, SplittableRandom random, int length) {
    int[] ids = new int[length];
    boolean fromText = config.vocab() >= corpus.alphabet().length() && corpus.text().length() >= length;
    for (int i = 0; i < length; i++) {
      ids[i] = fromText ? corpus.alphabet().indexOf(corpus.text().charAt(i)) : random.nextInt(config.vocab());
    }
    return ids;
  }

  private static float[] inputFloats(SplittableRandom random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextDouble(-1, 1);
    }
    return values;
  }

  private void nextStep(String what, String why) {
    out().printf(Locale.ROOT, "   %-40s %s%n", what, why);
  }

  /** Numbers the sections as they are printed, so none is skipped when a part of the tour does not apply. */
  private void section(String title, String detail) {
    sections++;
    out().println();
    out().println(sections + ". " + title + "  (" + detail + ")");
  }

  private static String duration(long nanos) {
    return nanos < 1_000_000_000L ? String.format(Locale.ROOT, "%d ms", nanos / 1_000_000)
        : String.format(Locale.ROOT, "%.1f s", nanos * 1e-9);
  }

  /** A classpath resource of rnnc itself, as text; missing means a broken installation (an internal error). */
  static String resource(String name) {
    try (InputStream in = DemoCommand.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the resource " + name + " is missing from rnnc's class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read rnnc's resource " + name, e);
    }
  }

  /**
   * The built-in training text, whitespace runs folded to one space, and its alphabet: its distinct characters
   * in code-point order, character {@code alphabet.charAt(i)} being token id {@code i}.
   */
  record Corpus(String text, String alphabet) {
    static Corpus load() {
      String text = resource(TEXT).strip().replaceAll("\\s+", " ");
      StringBuilder alphabet = new StringBuilder();
      text.chars().distinct().sorted().forEach(alphabet::appendCodePoint);
      return new Corpus(text, alphabet.toString());
    }

    int[] tokens(String s) {
      return s.chars().map(alphabet::indexOf).toArray();
    }

    /** Ids beyond the alphabet (a larger user vocabulary) show as '?'. */
    char character(int id) {
      return id < alphabet.length() ? alphabet.charAt(id) : '?';
    }

    /**
     * Windows of {@link #LENGTH} characters every {@link #STRIDE} within {@code text[from, to)}; the target at each step
     * is the next character (also inside the range).
     */
    Dataset dataset(ModelConfig config, int from, int to) {
      int count = (to - from - 1 - LENGTH) / STRIDE + 1;
      int[] ids = tokens(text);
      int[] inputs = new int[count * LENGTH];
      int[] targets = new int[count * LENGTH];
      for (int n = 0; n < count; n++) {
        System.arraycopy(ids, from + n * STRIDE, inputs, n * LENGTH, LENGTH);
        System.arraycopy(ids, from + n * STRIDE + 1, targets, n * LENGTH, LENGTH);
      }
      return new Dataset(config, count, LENGTH, null, inputs, null, targets, null, null, null);
    }
  }
}
