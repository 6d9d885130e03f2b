package dev.rnnc.cli;

import dev.rnnc.runtime.train.Trainer;
import java.util.concurrent.CountDownLatch;

/**
 * Turns SIGINT and SIGTERM during training into a clean stop: a JVM shutdown hook asks the {@link Trainer} to stop
 * after the step in progress and then waits until the training loop says it is done (its last checkpoint written),
 * so the process exits only with everything on disk. The JVM then exits with the signal's status, 130 (SIGINT) or
 * 143 (SIGTERM). SIGKILL cannot be caught: the periodic checkpoints ({@code --checkpoint-every}) cover it.
 */
final class GracefulStop implements AutoCloseable {
  private final Thread hook;
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile boolean signalled;

  GracefulStop(Trainer trainer) {
    this(trainer::requestStop);
  }

  /** For any training loop: {@code requestStop} asks it to stop after the step in progress (from the hook's thread). */
  GracefulStop(Runnable requestStop) {
    this.hook = new Thread(() -> {
      signalled = true;
      requestStop.run();
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "rnnc-train-stop");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Whether a signal asked the run to stop. */
  boolean signalled() {
    return signalled;
  }

  /** The training loop is done (its files written or failed): lets a waiting hook return, and removes the hook. */
  @Override
  public void close() {
    done.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting on a signal: the hook has run (or runs now) and returns at once.
    }
  }
}
