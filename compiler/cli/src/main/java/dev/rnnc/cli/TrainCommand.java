package dev.rnnc.cli;

import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.io.AtomicFile;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.DataParallel;
import dev.rnnc.runtime.train.Dataset;
import dev.rnnc.runtime.train.LearningRateSchedule;
import dev.rnnc.runtime.train.Metric;
import dev.rnnc.runtime.train.Optimizer;
import dev.rnnc.runtime.train.Scores;
import dev.rnnc.runtime.train.Seq2SeqDataset;
import dev.rnnc.runtime.train.Seq2SeqTrainer;
import dev.rnnc.runtime.train.Sgd;
import dev.rnnc.runtime.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc train}: runs the runtime's {@link Trainer#fit} to a total step or epoch count and saves the result as
 * a checkpoint (weights plus optimiser and trainer state; loadable as plain weights by every other command,
 * resumable with {@code --resume}). Optionally measures a validation set, stops early, follows a learning-rate
 * schedule, writes checkpoints every N steps and, on SIGINT/SIGTERM, a last one before exiting 130/143.
 *
 * <p>The settings that shape a run (optimiser and its hyper-parameters, batch, seed, clipping, schedule, evaluation,
 * early stopping, threads, the step or epoch target) are recorded in the checkpoint as {@code train.*} metadata;
 * resuming takes every one not given on the command line from there, so {@code --resume X --output X} alone
 * continues the run exactly. The instance is sized for the batch and the longest (or truncation window's) length.
 * Nothing is written when training fails (for example on a non-finite loss).
 */
@Command(name = "train", sortOptions = false,
    description = "Trains a spec's model on a dataset and writes the trained weights (a resumable checkpoint).",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc train specs/char_lstm.yaml --data text.safetensors --steps 2000 --optimizer adam --lr 0.002 \\",
        "      --batch 32 --clip-norm 1 --validation-split 0.1 --patience 5 --lr-schedule cosine --warmup-steps 100 \\",
        "      --checkpoint-every 200 --best best.safetensors --output run.safetensors",
        "  rnnc train specs/char_lstm.yaml --data text.safetensors --resume run.safetensors --output run.safetensors",
        "      (after a kill or Ctrl-C: continues to the same final weights, bit for bit)",
        "",
        "Dataset tensors (as for run and grad): input F32 [N, T, I], or token ids I64 [N, T] for embedding models",
        "('tokens' is another name for it); target (class ids [N, T]/[N] for cross_entropy, floats [N, T, K]/[N, K]",
        "for bce/mse); optional lengths [N], h0, c0.",
        "Metrics: loss for every model; accuracy for cross_entropy and bce; perplexity and bits per token for",
        "language models (cross_entropy, many_to_many, embedding); mse and mae for mse. Training figures are running",
        "means over the steps since the last evaluation; validation runs the forward pass only (no dropout).",
        "Default learning rate: 0.01 for sgd, 0.001 for adam/adamw; default weight decay 0 (0.01 for adamw).",
        "--output always holds the latest state; --best the weights of the best validation evaluation.",
        "A SIGINT (Ctrl-C) or SIGTERM ends the step in progress, writes --output and exits 130 or 143.",
        "Progress: a live status line on a terminal, else a plain line every --log-every steps.",
        "",
        "Encoder-decoder specs: the dataset holds source (I64 ids [N, S] or F32 [N, S, I]), optional",
        "source_lengths [N], target (I64 ids [N, T], each ending with the end token) and optional target_lengths [N].",
        "Teacher forcing; metrics loss, accuracy (per target token) and perplexity; a line per evaluation. The",
        "options above apply, except --threads (one thread) and --log-every.",
        ExitCodes.FOOTER})
final class TrainCommand extends RnncCommand {
  enum Kind { SGD, ADAM, ADAMW }

  enum Schedule { CONSTANT, STEP, COSINE }

  /** Exit status after a stop request; the JVM, exiting on the signal, reports 130 (SIGINT) or 143 (SIGTERM). */
  static final int INTERRUPTED = 130;

  /** Metadata prefix of the recorded settings. */
  static final String SETTING = "train.";

  @Parameters(index = "0", paramLabel = "SPEC", description = "The model spec (YAML), with a training section.")
  Path spec;

  @Option(names = "--data", required = true, paramLabel = "D.safetensors", description = "The training set.")
  Path data;

  @Option(names = "--steps", paramLabel = "N",
      description = "Train until N optimiser steps are done in all (a resumed run counts its earlier steps).")
  Long steps;

  @Option(names = "--epochs", paramLabel = "E", description = "Or: train until E passes over the data are done.")
  Long epochs;

  static final class Start {
    @Option(names = "--weights", paramLabel = "W0.safetensors", description = "Initial weights; default: initialised from --seed.")
    Path weights;

    @Option(names = "--resume", paramLabel = "CHECKPOINT",
        description = "Continue a run from a checkpoint written by 'rnnc train' (settings not given are taken from it).")
    Path resume;
  }

  @ArgGroup(exclusive = true)
  Start start = new Start();

  @Option(names = "--optimizer", description = "sgd, adam or adamw (default: sgd).")
  Kind optimizer;

  @Option(names = "--lr", description = "(Base) learning rate.")
  Double lr;

  @Option(names = "--momentum", description = "SGD momentum (default: 0).")
  Double momentum;

  @Option(names = "--nesterov", description = "SGD Nesterov momentum.")
  Boolean nesterov;

  @Option(names = "--weight-decay", description = "Weight decay (L2 for sgd/adam, decoupled for adamw).")
  Double weightDecay;

  @Option(names = "--clip-norm", description = "Clip the gradients' global L2 norm to this (default 0 = off).")
  Double clipNorm;

  @Option(names = "--clip-value", description = "Clamp each gradient to ±this (default 0 = off).")
  Double clipValue;

  @Option(names = "--batch", description = "Sequences per step, shuffled each epoch; 0 = the whole dataset (default).")
  Integer batch;

  @Option(names = "--threads", paramLabel = "N",
      description = "Threads computing each batch's gradients, the batch split between them; with dropout the masks"
          + " (not their statistics) differ from a 1-thread run (default: 1).")
  Integer threads;

  @Option(names = "--seed", description = "Seeds initial weights, shuffling and dropout (default: 0).")
  Long seed;

  @Option(names = "--lr-schedule", paramLabel = "KIND",
      description = "constant (default), step (x --lr-gamma every --lr-step-size steps) or cosine (to --lr-min x lr at the last step).")
  Schedule lrSchedule;

  @Option(names = "--warmup-steps", paramLabel = "N", description = "Linear warm-up from lr/N to lr over the first N steps (default: 0).")
  Long warmupSteps;

  @Option(names = "--lr-step-size", paramLabel = "N", description = "Step schedule: steps between decays (required with step).")
  Long lrStepSize;

  @Option(names = "--lr-gamma", paramLabel = "G", description = "Step schedule: decay factor (default: 0.1).")
  Double lrGamma;

  @Option(names = "--lr-min", paramLabel = "F", description = "Cosine schedule: final rate as a fraction of lr (default: 0).")
  Double lrMin;

  static final class Held {
    @Option(names = "--validation", paramLabel = "V.safetensors", description = "A validation set (same tensors as --data).")
    Path file;

    @Option(names = "--validation-split", paramLabel = "F",
        description = "Hold out the last fraction F of --data's sequences (before shuffling) for validation.")
    Double split;
  }

  @ArgGroup(exclusive = true)
  Held held = new Held();

  @Option(names = "--eval-every", paramLabel = "N",
      description = "Evaluate every N steps (default: each epoch; with --batch 0 every tenth of the run).")
  Long evalEvery;

  @Option(names = "--patience", paramLabel = "N",
      description = "Stop when the monitored validation metric has not improved for N evaluations (default: 0 = never).")
  Integer patience;

  @Option(names = "--min-delta", paramLabel = "D", description = "Smallest change that counts as an improvement (default: 0).")
  Double minDelta;

  @Option(names = "--monitor", paramLabel = "METRIC",
      description = "Validation metric for --patience and --best: loss (default), accuracy, perplexity, bits_per_token, mse, mae.")
  String monitor;

  @Option(names = "--best", paramLabel = "BEST.safetensors",
      description = "Write the weights (a checkpoint) of each new best validation evaluation here.")
  Path best;

  @Option(names = "--checkpoint-every", paramLabel = "N",
      description = "Write --output every N steps (atomically), so a killed run loses at most N steps (default: 0 = at the end).")
  Long checkpointEvery;

  @Option(names = "--log-every", paramLabel = "N", description = "Progress line every N steps when not on a terminal (default: a tenth of the run).")
  Long logEvery;

  @Option(names = "--output", required = true, paramLabel = "W1.safetensors", description = "Where the trained checkpoint goes.")
  Path output;

  @Option(names = "--reference", description = "Train the double-precision reference implementation instead of generated code.")
  boolean reference;

  /** The settings recorded in the checkpoint being resumed (empty for a new run). */
  private Map<String, String> recorded = Map.of();
  /** The settings this run uses, recorded in its checkpoints. */
  private final Map<String, String> used = new LinkedHashMap<>();
  private final List<String> overridden = new ArrayList<>();

  @Override
  int execute() {
    // --resume X --output X is allowed (continuing in place); writing over the spec, data or initial weights is not.
    OutputFiles.check("--output", output, "SPEC", spec, "--data", data, "--weights", start.weights,
        "--validation", held.file);
    if (best != null) {
      OutputFiles.check("--best", best, "SPEC", spec, "--data", data, "--weights", start.weights,
          "--validation", held.file, "--resume", start.resume, "--output", output);
    }
    ParsedSpec parsed = SpecParser.parseAny(spec);
    if (parsed instanceof Seq2SeqSpec seq2seq) {
      return trainEncoderDecoder(Seq2SeqLoader.of(seq2seq, reference, false));
    }
    ModelLoader loader = ModelLoader.of((Spec) parsed, reference, false);
    ModelConfig config = loader.config();
    if (config.training() == null) {
      throw new RnncException(spec + ": spec has no training section (add one with at least 'loss:' to train)");
    }
    if (start.resume != null) {
      recorded = recordedSettings(start.resume);
    }
    Target target = target();
    Dataset full = Dataset.load(data, config);
    Dataset training = full;
    Dataset validation = null;
    double split = held.file != null ? 0 : setting("validation-split", held.split, Double::parseDouble, 0.0);
    if (held.file != null) {
      validation = Dataset.load(held.file, config);
    } else if (split != 0) {
      if (!(split > 0 && split < 1)) {
        throw new RnncException("--validation-split must be a fraction between 0 and 1, got " + split);
      }
      int heldOut = (int) Math.ceil(split * full.size());
      if (heldOut >= full.size()) {
        throw new RnncException("--validation-split " + split + " of " + full.size() + " sequences leaves none to"
            + " train on");
      }
      training = full.rows(0, full.size() - heldOut);
      validation = full.rows(full.size() - heldOut, full.size());
    }
    int batchSize = setting("batch", batch, Integer::parseInt, 0);
    long seedValue = setting("seed", seed, Long::parseLong, 0L);
    int threadCount = setting("threads", threads, Integer::parseInt, 1);
    if (batchSize < 0) {
      throw new RnncException("--batch must be >= 0 (0 = the whole dataset), got " + batchSize);
    }
    if (threadCount < 1) {
      throw new RnncException("--threads must be >= 1, got " + threadCount);
    }
    Optimizer opt = optimizer();
    Trainer.Options options = new Trainer.Options(batchSize, seedValue,
        setting("clip-norm", clipNorm, Double::parseDouble, 0.0), setting("clip-value", clipValue, Double::parseDouble, 0.0));
    LearningRateSchedule schedule = schedule(target);
    Trainer.Fit fit = fit(target, training, validation, batchSize, config);
    long checkpointInterval = checkpointEvery == null ? 0 : checkpointEvery;
    if (checkpointInterval < 0) {
      throw new RnncException("--checkpoint-every must be >= 0 steps, got " + checkpointInterval);
    }
    for (String name : overridden) {
      err().println("rnnc: note: " + name + " differs from the resumed checkpoint's; the run will not replay an"
          + " uninterrupted one exactly");
    }

    // A process killed while writing a checkpoint leaves its temporary file; the next run clears it away.
    AtomicFile.removeStaleTemporaries(output);
    if (best != null) {
      AtomicFile.removeStaleTemporaries(best);
    }
    ModelParameters parameters = start.resume != null ? ModelParameters.zeros(config)
        : Weights.loadOrInitialize(start.weights, config, seedValue, err());
    int capacity = batchSize == 0 ? training.size() : Math.min(batchSize, training.size());
    int truncate = config.training().truncate();
    int longest = Math.max(training.steps(), validation == null ? 0 : validation.steps());
    int window = truncate > 0 ? Math.min(truncate, training.steps()) : longest;
    TrainableModel model = threadCount == 1 ? loader.newTrainable(parameters, capacity, window)
        : new DataParallel(threadCount, () -> loader.newTrainable(parameters, capacity, window));
    Trainer.Summary summary;
    try {
      Trainer trainer = new Trainer(model, parameters, opt, training, options);
      trainer.setLearningRateSchedule(schedule);
      if (start.resume != null) {
        trainer.resume(start.resume);
        err().println("rnnc: resuming " + start.resume + " after step " + trainer.steps() + " (epoch "
            + trainer.epochs() + ")");
      }
      fit.checkpoints(checkpointInterval, t -> t.saveCheckpoint(output, used));
      if (best != null) {
        fit.onImprovement(t -> t.saveCheckpoint(best, used));
      }
      Progress progress = Progress.create(out(), trainer, target.steps, target.epochs, logEvery);
      try (GracefulStop stop = new GracefulStop(trainer)) {
        summary = trainer.fit(fit, progress);
        progress.finish();
        if (summary.reason() != Trainer.StopReason.INTERRUPTED) {
          trainer.saveCheckpoint(output, used);
        }
        report(summary, opt, schedule, fit, validation != null, config);
        if (summary.reason() == Trainer.StopReason.INTERRUPTED) {
          // On stdout: on a terminal, Ctrl-C also ends whatever stderr is piped through (the rnnc launcher's filter).
          out().println("stopped by a signal after step " + summary.steps() + "; wrote " + output
              + "; continue with --resume " + output);
          out().flush();
          return INTERRUPTED;
        }
      }
    } finally {
      if (model instanceof DataParallel parallel) {
        parallel.close();
      }
    }
    return ExitCodes.OK;
  }

  /** Teacher-forced training of an encoder–decoder with {@link Seq2SeqTrainer}; the same options and files. */
  private int trainEncoderDecoder(Seq2SeqLoader loader) {
    Seq2SeqConfig config = loader.config();
    if (config.training() == null) {
      throw new RnncException(spec + ": spec has no training section (add 'training: {loss: cross_entropy}' to train)");
    }
    if (threads != null && threads != 1) {
      throw new RnncException("--threads: encoder–decoder training runs on one thread in this version");
    }
    if (logEvery != null) {
      throw new RnncException("--log-every: encoder–decoder training prints a line per evaluation; use --eval-every");
    }
    if (start.resume != null) {
      recorded = recordedSettings(start.resume);
    }
    Target target = target();
    Seq2SeqDataset full = Seq2SeqDataset.load(data, config, true);
    Seq2SeqDataset training = full;
    Seq2SeqDataset validation = null;
    double split = held.file != null ? 0 : setting("validation-split", held.split, Double::parseDouble, 0.0);
    if (held.file != null) {
      validation = Seq2SeqDataset.load(held.file, config, true);
    } else if (split != 0) {
      if (!(split > 0 && split < 1)) {
        throw new RnncException("--validation-split must be a fraction between 0 and 1, got " + split);
      }
      int heldOut = (int) Math.ceil(split * full.size());
      if (heldOut >= full.size()) {
        throw new RnncException("--validation-split " + split + " of " + full.size() + " sequences leaves none to"
            + " train on");
      }
      training = full.rows(0, full.size() - heldOut);
      validation = full.rows(full.size() - heldOut, full.size());
    }
    int withoutEnd = full.targetsWithoutEnd();
    if (withoutEnd > 0) {
      err().println("rnnc: note: " + withoutEnd + " of " + full.size() + " targets in " + data + " do not end with the"
          + " end token " + config.end() + " at their last valid step; a model trained on them does not learn to stop");
    }
    int withStart = full.targetsBeginningWithStart();
    if (withStart > 0) {
      err().println("rnnc: note: " + withStart + " of " + full.size() + " targets in " + data + " begin with the start"
          + " token " + config.start() + "; the decoder is fed it before the first target token, so the model learns"
          + " to emit it again");
    }
    int batchSize = setting("batch", batch, Integer::parseInt, 0);
    long seedValue = setting("seed", seed, Long::parseLong, 0L);
    if (batchSize < 0) {
      throw new RnncException("--batch must be >= 0 (0 = the whole dataset), got " + batchSize);
    }
    Optimizer opt = optimizer();
    Trainer.Options options = new Trainer.Options(batchSize, seedValue,
        setting("clip-norm", clipNorm, Double::parseDouble, 0.0), setting("clip-value", clipValue, Double::parseDouble, 0.0));
    LearningRateSchedule schedule = schedule(target);
    long defaultEval = batchSize == 0 || batchSize >= training.size()
        ? Math.max(1, (target.steps >= 0 ? target.steps : target.epochs) / 10) : 0;
    long every = setting("eval-every", evalEvery, Long::parseLong, defaultEval);
    int wait = setting("patience", patience, Integer::parseInt, 0);
    double delta = setting("min-delta", minDelta, Double::parseDouble, 0.0);
    Metric metric = Metric.parse(setting("monitor", monitor, Function.identity(), "loss"));
    if (!Seq2SeqTrainer.METRICS.contains(metric)) {
      throw new RnncException("--monitor " + metric + ": an encoder–decoder reports " + Seq2SeqTrainer.METRICS);
    }
    if (validation == null && (wait > 0 || best != null)) {
      throw new RnncException((wait > 0 ? "--patience" : "--best") + " needs a validation set: give --validation FILE"
          + " or --validation-split F");
    }
    if (every < 0) {
      throw new RnncException("--eval-every must be >= 0, got " + every);
    }
    Seq2SeqTrainer.Plan plan = (target.steps >= 0 ? Seq2SeqTrainer.Plan.steps(target.steps)
        : Seq2SeqTrainer.Plan.epochs(target.epochs)).validation(validation, every).earlyStopping(metric, wait, delta);
    long checkpointInterval = checkpointEvery == null ? 0 : checkpointEvery;
    if (checkpointInterval < 0) {
      throw new RnncException("--checkpoint-every must be >= 0 steps, got " + checkpointInterval);
    }
    for (String name : overridden) {
      err().println("rnnc: note: " + name + " differs from the resumed checkpoint's; the run will not replay an"
          + " uninterrupted one exactly");
    }
    AtomicFile.removeStaleTemporaries(output);
    if (best != null) {
      AtomicFile.removeStaleTemporaries(best);
    }
    Seq2SeqParameters parameters = start.resume != null ? Seq2SeqParameters.zeros(config)
        : loader.weights(start.weights, seedValue, err());
    int capacity = batchSize == 0 ? training.size() : Math.min(batchSize, training.size());
    int longest = Math.max(Math.max(training.sourceSteps(), training.targetSteps()),
        validation == null ? 0 : Math.max(validation.sourceSteps(), validation.targetSteps()));
    Seq2SeqModel model = loader.newInstance(parameters, capacity, longest, capacity);
    Seq2SeqTrainer trainer = new Seq2SeqTrainer(model, opt, training, options);
    trainer.setLearningRateSchedule(schedule);
    if (start.resume != null) {
      trainer.resume(start.resume);
      err().println("rnnc: resuming " + start.resume + " after step " + trainer.steps() + " (epoch "
          + trainer.epochs() + ")");
    }
    plan.checkpoints(checkpointInterval, t -> t.saveCheckpoint(output, used));
    if (best != null) {
      plan.onImprovement(t -> t.saveCheckpoint(best, used));
    }
    Seq2SeqTrainer.Summary summary;
    try (GracefulStop stop = new GracefulStop(trainer::requestStop)) {
      summary = trainer.fit(plan, (step, epoch, rate, train, held, improved) -> {
        out().println(String.format(Locale.ROOT, "step %d  epoch %d  lr %.4g  |  %s%s%s", step, epoch, rate,
            train == null ? "-" : train, held == null ? "" : "  |  validation " + held, improved ? "  (best)" : ""));
        out().flush();
      });
      if (summary.reason() != Trainer.StopReason.INTERRUPTED) {
        trainer.saveCheckpoint(output, used);
      }
      if (summary.reason() == Trainer.StopReason.EARLY_STOPPED) {
        out().printf(Locale.ROOT, "stopped early at step %d: validation %s has not improved for %d evaluations%n",
            summary.steps(), metric, wait);
      }
      List<String[]> rows = new ArrayList<>();
      if (summary.train() != null) {
        rows.add(row("train (running)", summary.train(), Seq2SeqTrainer.METRICS));
      }
      if (summary.validation() != null) {
        rows.add(row("validation", summary.validation(), Seq2SeqTrainer.METRICS));
      }
      if (summary.best() != null) {
        rows.add(row("best validation (step " + summary.bestStep() + ")", summary.best(), Seq2SeqTrainer.METRICS));
      }
      table(rows, Seq2SeqTrainer.METRICS);
      if (summary.reason() == Trainer.StopReason.INTERRUPTED) {
        out().println("stopped by a signal after step " + summary.steps() + "; wrote " + output
            + "; continue with --resume " + output);
        out().flush();
        return INTERRUPTED;
      }
      out().println(String.format(Locale.ROOT, "trained %d steps, %d epochs (%s, lr %s%s): last loss %.6g; wrote %s%s",
          summary.steps(), summary.epochs(), opt.kind(), used.get(SETTING + "lr"),
          schedule == null ? "" : ", " + schedule, summary.lastLoss(), output,
          best != null && summary.best() != null ? " (best: " + best + ")" : ""));
    }
    return ExitCodes.OK;
  }

  /** The step or epoch target. */
  private record Target(long steps, long epochs) {}

  private Target target() {
    if (steps != null && epochs != null) {
      throw new RnncException("give --steps or --epochs, not both");
    }
    Long s = steps;
    Long e = epochs;
    if (s == null && e == null) {
      if (recorded.containsKey(SETTING + "steps")) {
        s = Long.parseLong(recorded.get(SETTING + "steps"));
      } else if (recorded.containsKey(SETTING + "epochs")) {
        e = Long.parseLong(recorded.get(SETTING + "epochs"));
      } else {
        throw new RnncException("give --steps N (optimiser steps in all) or --epochs E (passes over the data)");
      }
    }
    if (s != null && s < 0 || e != null && e < 0) {
      throw new RnncException((s != null ? "--steps" : "--epochs") + " must be >= 0, got " + (s != null ? s : e));
    }
    if (s != null) {
      used.put(SETTING + "steps", Long.toString(s));
      return new Target(s, -1);
    }
    used.put(SETTING + "epochs", Long.toString(e));
    return new Target(-1, e);
  }

  private Trainer.Fit fit(Target target, Dataset training, Dataset validation, int batchSize, ModelConfig config) {
    Trainer.Fit fit = target.steps >= 0 ? Trainer.Fit.steps(target.steps) : Trainer.Fit.epochs(target.epochs);
    // Full batch makes every step an epoch: evaluate every tenth of the run instead of every step.
    long defaultEval = batchSize == 0 || batchSize >= training.size()
        ? Math.max(1, (target.steps >= 0 ? target.steps : target.epochs) / 10) : 0;
    long every = setting("eval-every", evalEvery, Long::parseLong, defaultEval);
    int wait = setting("patience", patience, Integer::parseInt, 0);
    double delta = setting("min-delta", minDelta, Double::parseDouble, 0.0);
    Metric metric = Metric.parse(setting("monitor", monitor, Function.identity(), "loss"));
    if (!Metric.forModel(config).contains(metric)) {
      throw new RnncException("--monitor " + metric + ": this model reports " + Metric.forModel(config));
    }
    if (validation == null && (wait > 0 || best != null)) {
      throw new RnncException((wait > 0 ? "--patience" : "--best") + " needs a validation set: give --validation FILE"
          + " or --validation-split F");
    }
    return fit.validation(validation).evalEvery(every).earlyStopping(metric, wait, delta);
  }

  private LearningRateSchedule schedule(Target target) {
    Schedule kind = Schedule.valueOf(setting("lr-schedule", lrSchedule == null ? null
        : lrSchedule.name().toLowerCase(Locale.ROOT), Function.identity(), "constant").toUpperCase(Locale.ROOT));
    long warmup = setting("warmup-steps", warmupSteps, Long::parseLong, 0L);
    LearningRateSchedule schedule;
    switch (kind) {
      case STEP -> {
        Long size = setting("lr-step-size", lrStepSize, Long::parseLong, null);
        if (size == null) {
          throw new RnncException("--lr-schedule step needs --lr-step-size N (steps between decays)");
        }
        schedule = LearningRateSchedule.step(size, setting("lr-gamma", lrGamma, Double::parseDouble, 0.1));
      }
      case COSINE -> {
        if (target.steps < 0) {
          throw new RnncException("--lr-schedule cosine needs --steps (the run's length), not --epochs");
        }
        schedule = LearningRateSchedule.cosine(target.steps, setting("lr-min", lrMin, Double::parseDouble, 0.0));
      }
      default -> schedule = kind == Schedule.CONSTANT && warmup == 0 ? null : LearningRateSchedule.constant();
    }
    if (warmup < 0) {
      throw new RnncException("--warmup-steps must be >= 0, got " + warmup);
    }
    return schedule == null || warmup == 0 ? schedule : schedule.withWarmup(warmup);
  }

  private Optimizer optimizer() {
    Kind kind = Kind.valueOf(setting("optimizer", optimizer == null ? null : optimizer.name().toLowerCase(Locale.ROOT),
        Function.identity(), "sgd").toUpperCase(Locale.ROOT));
    double rate = setting("lr", lr, Double::parseDouble, kind == Kind.SGD ? 0.01 : Adam.DEFAULT_LR);
    double decay = setting("weight-decay", weightDecay, Double::parseDouble,
        kind == Kind.ADAMW ? Adam.DEFAULT_ADAMW_WEIGHT_DECAY : 0.0);
    if (kind != Kind.SGD) {
      if (momentum != null && momentum != 0 || Boolean.TRUE.equals(nesterov)) {
        throw new RnncException("--momentum and --nesterov are SGD options; " + kind.name().toLowerCase(Locale.ROOT)
            + " has its own moment estimates");
      }
      return new Adam(rate, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, Adam.DEFAULT_EPS, decay, kind == Kind.ADAMW);
    }
    double m = setting("momentum", momentum, Double::parseDouble, 0.0);
    boolean n = setting("nesterov", nesterov, Boolean::parseBoolean, false);
    return new Sgd(rate, m, 0, n, decay);
  }

  /**
   * A setting: the command line's value when given, else the resumed checkpoint's, else the default; recorded for
   * this run's checkpoints. A given value that differs from the checkpoint's is noted.
   */
  private <T> T setting(String name, T given, Function<String, T> parse, T fallback) {
    String key = SETTING + name;
    T value;
    if (given != null) {
      value = given;
      if (recorded.containsKey(key) && !recorded.get(key).equals(String.valueOf(given))) {
        overridden.add("--" + name + " " + given + " (checkpoint: " + recorded.get(key) + ")");
      }
    } else if (recorded.containsKey(key)) {
      try {
        value = parse.apply(recorded.get(key));
      } catch (IllegalArgumentException e) {
        throw new RnncException(start.resume + ": recorded setting " + key + " = '" + recorded.get(key)
            + "' is not valid");
      }
    } else {
      value = fallback;
    }
    if (value != null) {
      used.put(key, String.valueOf(value));
    }
    return value;
  }

  /** The {@code train.*} settings of a checkpoint (an absent or unreadable file is reported by the resume itself). */
  private static Map<String, String> recordedSettings(Path checkpoint) {
    if (!Files.isRegularFile(checkpoint)) {
      return Map.of();
    }
    Map<String, String> settings = new LinkedHashMap<>();
    SafeTensors.read(checkpoint).metadata().forEach((key, value) -> {
      if (key.startsWith(SETTING)) {
        settings.put(key, value);
      }
    });
    return settings;
  }

  /** The closing lines: why the run ended, a table of the final figures, what was written. */
  private void report(Trainer.Summary summary, Optimizer opt, LearningRateSchedule schedule, Trainer.Fit fit,
      boolean validated, ModelConfig config) {
    if (summary.reason() == Trainer.StopReason.EARLY_STOPPED) {
      out().printf(Locale.ROOT, "stopped early at step %d: validation %s has not improved for %d evaluations%n",
          summary.steps(), fit.monitor(), fit.patience());
    }
    List<Metric> metrics = Metric.forModel(config);
    List<String[]> rows = new ArrayList<>();
    if (summary.train() != null) {
      rows.add(row("train (running)", summary.train(), metrics));
    }
    if (validated && summary.validation() != null) {
      rows.add(row("validation", summary.validation(), metrics));
    }
    if (summary.best() != null) {
      rows.add(row("best validation (step " + summary.bestStep() + ")", summary.best(), metrics));
    }
    table(rows, metrics);
    String written = summary.reason() == Trainer.StopReason.INTERRUPTED ? "" : "; wrote " + output
        + (best != null && summary.best() != null ? " (best: " + best + ")" : "");
    if (Double.isNaN(summary.lastLoss()) && summary.reason() != Trainer.StopReason.INTERRUPTED) {
      out().println("nothing to train: the run " + (summary.reason() == Trainer.StopReason.EARLY_STOPPED
          ? "had stopped early" : "had reached its target") + " at step " + summary.steps() + written);
      return;
    }
    out().println(String.format(Locale.ROOT, "trained %d steps, %d epochs (%s, lr %s%s): last loss %.6g%s",
        summary.steps(), summary.epochs(), opt.kind(), used.get(SETTING + "lr"),
        schedule == null ? "" : ", " + schedule, summary.lastLoss(), written));
  }

  /** Prints rows of figures under a header of the metrics' labels, columns aligned. */
  private void table(List<String[]> rows, List<Metric> metrics) {
    if (rows.isEmpty()) {
      return;
    }
    String[] header = new String[metrics.size() + 1];
    header[0] = "";
    for (int i = 0; i < metrics.size(); i++) {
      header[i + 1] = metrics.get(i).label();
    }
    rows.add(0, header);
    int[] widths = new int[header.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + widths[0] + "s", row[0]));
      for (int i = 1; i < row.length; i++) {
        line.append("  ").append(String.format(Locale.ROOT, "%" + widths[i] + "s", row[i]));
      }
      out().println(line.toString().stripTrailing());
    }
  }

  private static String[] row(String label, Scores scores, List<Metric> metrics) {
    String[] row = new String[metrics.size() + 1];
    row[0] = label;
    for (int i = 0; i < metrics.size(); i++) {
      row[i + 1] = Scores.format(metrics.get(i), scores.get(metrics.get(i)));
    }
    return row;
  }
}
