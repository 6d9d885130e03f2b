package dev.rnnc.cli;

import dev.rnnc.runtime.train.Trainer;
import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Training progress for {@code rnnc train}: on a terminal, one status line redrawn in place (at most ten times
 * a second) with a bar, the step, the loss and sequences per second; otherwise (a pipe, a file, a CI log) plain
 * lines every so many steps, which stay readable when captured.
 */
abstract class Progress implements Trainer.Progress {
  final PrintWriter out;
  final long total;
  final long offset;

  private Progress(PrintWriter out, long total, long offset) {
    this.out = out;
    this.total = total;
    this.offset = offset;
  }

  /**
   * @param total    steps this run will take
   * @param offset   steps taken before (a resumed checkpoint), added to the numbers shown
   * @param logEvery plain-line interval, or null for about a tenth of the run
   */
  static Progress create(PrintWriter out, long total, long offset, Long logEvery) {
    Console console = System.console();
    if (console != null && console.isTerminal()) {
      return new Bar(out, total, offset);
    }
    long every = logEvery != null ? Math.max(1, logEvery) : Math.max(1, total / 10);
    return new Lines(out, total, offset, every);
  }

  /** Ends the display (a newline after the bar). */
  abstract void finish();

  String status(long step, double loss, double sequencesPerSecond) {
    return String.format(Locale.ROOT, "step %d/%d  loss %.6g  %.1f seq/s", offset + step, offset + total, loss,
        sequencesPerSecond);
  }

  /** A live line on a terminal. */
  private static final class Bar extends Progress {
    private static final int WIDTH = 30;
    private long lastDraw;
    private boolean drawn;

    Bar(PrintWriter out, long total, long offset) {
      super(out, total, offset);
    }

    @Override
    public void onStep(long step, double loss, double sequencesPerSecond) {
      long now = System.nanoTime();
      long local = step - offset;
      if (drawn && local < total && now - lastDraw < 100_000_000L) {
        return;
      }
      lastDraw = now;
      drawn = true;
      int filled = total == 0 ? WIDTH : (int) (WIDTH * Math.min(1.0, (double) local / total));
      out.print("\r[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + status(local, loss, sequencesPerSecond)
          + "\u001b[K");
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

    Lines(PrintWriter out, long total, long offset, long every) {
      super(out, total, offset);
      this.every = every;
    }

    @Override
    public void onStep(long step, double loss, double sequencesPerSecond) {
      long local = step - offset;
      if (local % every == 0 || local == total) {
        out.println(status(local, loss, sequencesPerSecond));
      }
    }

    @Override
    void finish() {
      out.flush();
    }
  }
}
