package dev.rnnc.cli;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.Checkpoint;
import dev.rnnc.runtime.train.DataParallel;
import dev.rnnc.runtime.train.Dataset;
import dev.rnnc.runtime.train.Optimizer;
import dev.rnnc.runtime.train.Sgd;
import dev.rnnc.runtime.train.Trainer;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc train}: runs the runtime's {@link Trainer} for a number of optimiser steps and saves the result as
 * a checkpoint (weights plus optimiser state; loadable as plain weights by every other command, resumable with
 * {@code --resume}). The instance is sized for the batch and the dataset's (or truncation window's) length.
 * Nothing is written when training fails (for example on a non-finite loss).
 */
@Command(name = "train", sortOptions = false,
    description = "Trains a spec's model on a dataset and writes the trained weights.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc train specs/char_lstm.yaml --data text.safetensors --steps 1000 --optimizer adam --lr 0.002 \\",
        "      --batch 32 --clip-norm 1 --output trained.safetensors",
        "  rnnc train model.yaml --data d.safetensors --steps 500 --resume trained.safetensors --output more.safetensors",
        "",
        "Dataset tensors: input F32 [N, T, I] (or tokens I64 [N, T] for embedding models), target (class ids",
        "[N, T]/[N] for cross_entropy, floats [N, T, K]/[N, K] for bce/mse), optional lengths [N], h0, c0.",
        "Default learning rate: 0.01 for sgd, 0.001 for adam/adamw; default weight decay 0 (0.01 for adamw).",
        "Progress: a live status line on a terminal, else a plain line every --log-every steps.",
        ExitCodes.FOOTER})
final class TrainCommand extends RnncCommand {
  enum Kind { SGD, ADAM, ADAMW }

  @Parameters(index = "0", paramLabel = "SPEC", description = "The model spec (YAML), with a training section.")
  Path spec;

  @Option(names = "--data", required = true, paramLabel = "D.safetensors", description = "The training set.")
  Path data;

  @Option(names = "--steps", required = true, paramLabel = "N", description = "Optimiser steps to take.")
  long steps;

  static final class Start {
    @Option(names = "--weights", paramLabel = "W0.safetensors", description = "Initial weights; default: initialised from --seed.")
    Path weights;

    @Option(names = "--resume", paramLabel = "CHECKPOINT",
        description = "Continue from a checkpoint written by 'rnnc train' (weights and optimiser state).")
    Path resume;
  }

  @ArgGroup(exclusive = true)
  Start start = new Start();

  @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd, adam or adamw (default: ${DEFAULT-VALUE}).")
  Kind optimizer;

  @Option(names = "--lr", description = "Learning rate.")
  Double lr;

  @Option(names = "--momentum", defaultValue = "0", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
  double momentum;

  @Option(names = "--nesterov", description = "SGD Nesterov momentum.")
  boolean nesterov;

  @Option(names = "--weight-decay", description = "Weight decay (L2 for sgd/adam, decoupled for adamw).")
  Double weightDecay;

  @Option(names = "--clip-norm", defaultValue = "0", description = "Clip the gradients' global L2 norm to this (0 = off).")
  double clipNorm;

  @Option(names = "--clip-value", defaultValue = "0", description = "Clamp each gradient to ±this (0 = off).")
  double clipValue;

  @Option(names = "--batch", defaultValue = "0", description = "Sequences per step, shuffled each epoch; 0 = the whole dataset (default).")
  int batch;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
      description = "Threads computing each batch's gradients, the batch split between them; with dropout the masks"
          + " (not their statistics) differ from a 1-thread run (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--seed", defaultValue = "0", description = "Seeds initial weights, shuffling and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--log-every", paramLabel = "N", description = "Progress line every N steps when not on a terminal (default: steps/10).")
  Long logEvery;

  @Option(names = "--output", required = true, paramLabel = "W1.safetensors", description = "Where the trained checkpoint goes.")
  Path output;

  @Option(names = "--reference", description = "Train the double-precision reference implementation instead of generated code.")
  boolean reference;

  @Override
  int execute() {
    if (steps < 0) {
      throw new RnncException("--steps must be >= 0, got " + steps);
    }
    if (threads < 1) {
      throw new RnncException("--threads must be >= 1, got " + threads);
    }
    // --resume X --output X is allowed (continuing in place); writing over the spec, data or initial weights is not.
    OutputFiles.check("--output", output, "SPEC", spec, "--data", data, "--weights", start.weights);
    ModelLoader loader = ModelLoader.load(spec, reference, false);
    ModelConfig config = loader.config();
    if (config.training() == null) {
      throw new RnncException(spec + ": spec has no training section (add one with at least 'loss:' to train)");
    }
    Dataset dataset = Dataset.load(data, config);
    Optimizer opt = optimizer();
    ModelParameters parameters;
    long done = 0;
    if (start.resume != null) {
      parameters = ModelParameters.zeros(config);
      done = Checkpoint.load(start.resume, parameters, opt).step();
      err().println("rnnc: resuming " + start.resume + " after step " + done);
    } else {
      parameters = Weights.loadOrInitialize(start.weights, config, seed, err());
    }
    int capacity = batch == 0 ? dataset.size() : Math.min(batch, dataset.size());
    int truncate = config.training().truncate();
    int window = truncate > 0 ? Math.min(truncate, dataset.steps()) : dataset.steps();
    TrainableModel model = threads == 1 ? loader.newTrainable(parameters, capacity, window)
        : new DataParallel(threads, () -> loader.newTrainable(parameters, capacity, window));
    double loss;
    try {
      Trainer.Options options = new Trainer.Options(batch, seed, clipNorm, clipValue);
      Trainer trainer = new Trainer(model, parameters, opt, dataset, options);
      Progress progress = Progress.create(out(), steps, done, logEvery);
      loss = trainer.train(steps, progress);
      progress.finish();
    } finally {
      if (model instanceof DataParallel parallel) {
        parallel.close();
      }
    }
    Checkpoint.save(output, parameters, opt);
    out().println(String.format(Locale.ROOT, "trained %d steps (%s, lr %s): last loss %.6g; wrote %s", steps,
        opt.kind(), opt.hyperParameters().get("lr"), loss, output));
    return ExitCodes.OK;
  }

  private Optimizer optimizer() {
    if (optimizer != Kind.SGD && (momentum != 0 || nesterov)) {
      throw new RnncException("--momentum and --nesterov are SGD options; " + optimizer.name().toLowerCase(Locale.ROOT)
          + " has its own moment estimates");
    }
    return switch (optimizer) {
      case SGD -> new Sgd(lr == null ? 0.01 : lr, momentum, 0, nesterov, weightDecay == null ? 0 : weightDecay);
      case ADAM -> new Adam(lr == null ? Adam.DEFAULT_LR : lr, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, Adam.DEFAULT_EPS,
          weightDecay == null ? 0 : weightDecay, false);
      case ADAMW -> new Adam(lr == null ? Adam.DEFAULT_LR : lr, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, Adam.DEFAULT_EPS,
          weightDecay == null ? Adam.DEFAULT_ADAMW_WEIGHT_DECAY : weightDecay, true);
    };
  }
}
