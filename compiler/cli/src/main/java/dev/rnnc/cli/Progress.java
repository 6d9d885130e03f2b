package dev.rnnc.cli;

import dev.rnnc.runtime.train.Trainer;
import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Training progress for {@code rnnc train}: on a terminal, one status line redrawn in place (at most ten times
 * a second) with a bar, the step, the loss and sequences per second; otherwise (a pipe, a file, a CI log) plain
 * lines every so many steps, which stay readable when captured. Evaluations get a line of their own either way.
 * Step numbers count the whole run, a resumed checkpoint's steps included.
 */
abstract class Progress implements Trainer.Progress {
  final PrintWriter out;
  final Trainer trainer;
  /** The step target, or -1 when training to an epoch count. */
  final long totalSteps;
  final long totalEpochs;
  final long firstStep;

  private Progress(PrintWriter out, Trainer trainer, long totalSteps, long totalEpochs) {
    this.out = out;
    this.trainer = trainer;
    this.totalSteps = totalSteps;
    this.totalEpochs = totalEpochs;
    this.firstStep = trainer.steps();
  }

  /**
   * @param totalSteps  the run's step target, or -1
   * @param totalEpochs the run's epoch target, or -1
   * @param logEvery    plain-line interval, or null for about a tenth of the run
   */
  static Progress create(PrintWriter out, Trainer trainer, long totalSteps, long totalEpochs, Long logEvery) {
    Console console = System.console();
    if (console != null && console.isTerminal()) {
      return new Bar(out, trainer, totalSteps, totalEpochs);
    }
    long run = totalSteps >= 0 ? totalSteps - trainer.steps()
        : (totalEpochs - trainer.epochs()) * trainer.batchesPerEpoch();
    long every = logEvery != null ? Math.max(1, logEvery) : Math.max(1, run / 10);
    return new Lines(out, trainer, totalSteps, totalEpochs, every);
  }

  /** Ends the display (a newline after the bar). */
  abstract void finish();

  String status(long step, double loss, double sequencesPerSecond) {
    String where = totalSteps >= 0 ? String.format(Locale.ROOT, "step %d/%d", step, totalSteps)
        : String.format(Locale.ROOT, "step %d  epoch %d/%d", step, trainer.epochs(), totalEpochs);
    return String.format(Locale.ROOT, "%s  loss %.6g  %.1f seq/s", where, loss, sequencesPerSecond);
  }

  /** Fraction of the run done. */
  double done(long step) {
    return totalSteps >= 0 ? (totalSteps == 0 ? 1 : (double) step / totalSteps)
        : (totalEpochs == 0 ? 1 : (double) trainer.epochs() / totalEpochs);
  }

  static String evaluation(Trainer.Evaluation e) {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "eval step %d  epoch %d  lr %.4g  train %s",
        e.step(), e.epoch(), e.learningRate(), e.train()));
    if (e.validation() != null) {
      line.append("  | validation ").append(e.validation()).append(e.improved() ? "  (best)" : "");
    }
    return line.toString();
  }

  /** A live line on a terminal. */
  private static final class Bar extends Progress {
    private static final int WIDTH = 30;
    private long lastDraw;
    private boolean drawn;
    private String lastStatus = "";

    Bar(PrintWriter out, Trainer trainer, long totalSteps, long totalEpochs) {
      super(out, trainer, totalSteps, totalEpochs);
    }

    @Override
    public void onStep(long step, double loss, double sequencesPerSecond) {
      long now = System.nanoTime();
      boolean last = totalSteps >= 0 && step >= totalSteps;
      if (drawn && !last && now - lastDraw < 100_000_000L) {
        return;
      }
      lastDraw = now;
      drawn = true;
      int filled = (int) (WIDTH * Math.min(1.0, done(step)));
      lastStatus = "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + status(step, loss, sequencesPerSecond);
      out.print("\r" + lastStatus + "\u001b[K");
      out.flush();
    }

    @Override
    public void onEvaluation(Trainer.Evaluation evaluation) {
      out.print("\r" + evaluation(evaluation) + "\u001b[K\n" + lastStatus);
      out.flush();
    }

    @Override
    void finish() {
      if (drawn) {
        out.println();
      }
    }
  }

  /** Plain lines when not on a terminal. */
  private static final class Lines extends Progress {
    private final long every;

    Lines(PrintWriter out, Trainer trainer, long totalSteps, long totalEpochs, long every) {
      super(out, trainer, totalSteps, totalEpochs);
      this.every = every;
    }

    @Override
    public void onStep(long step, double loss, double sequencesPerSecond) {
      if ((step - firstStep) % every == 0 || step == totalSteps) {
        out.println(status(step, loss, sequencesPerSecond));
      }
    }

    @Override
    public void onEvaluation(Trainer.Evaluation evaluation) {
      out.println(evaluation(evaluation));
    }

    @Override
    void finish() {
      out.flush();
    }
  }
}
