package dev.rnnc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.examples.models.SignalGru;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class StreamingForecasterTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  @Test
  void forecastsBetterThanRepeatingTheLastSample() {
    SignalGru model = StreamingForecaster.train(4, 40, QUIET);
    StreamingForecaster.Report report = StreamingForecaster.stream(model, 20_000, 4, QUIET);
    assertTrue(report.modelRmse() < 0.6 * report.persistenceRmse(), report.toString());
    assertTrue(report.p50() > 0 && report.p50() <= report.p99() && report.p99() <= report.p999(), report.toString());
    assertEquals(16_000, report.measured());
  }

  /** The streaming step of the generated class allocates nothing once the JIT has compiled it. */
  @Test
  void streamingStepAllocatesNothing() {
    SignalGru model = new SignalGru(dev.rnnc.runtime.ModelParameters.initialize(SignalGru.CONFIG, 1));
    float[] signal = Signal.samples(0, 4096, 1);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long allocated = -1;
    // early rounds warm up the JIT, which may allocate while compiling; on a loaded machine that can take a
    // while, so measure until a round is allocation-free (bounded in time: a real allocation never gets there)
    long deadline = System.nanoTime() + 20_000_000_000L;
    for (int round = 0; round < 5 || (allocated != 0 && System.nanoTime() < deadline); round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < signal.length; i++) {
        model.step(signal, i);
        if (model.stepPrediction()[0] > 1e9f) {
          throw new AssertionError("keeps the result live");
        }
      }
      allocated = threads.getCurrentThreadAllocatedBytes() - before;
    }
    assertEquals(0, allocated, "bytes allocated by 4096 streaming steps");
  }

  @Test
  void percentilesUseNearestRank() {
    long[] values = {5, 1, 4, 2, 3, 100, 100};
    Latencies latencies = new Latencies(values, 0, 5); // 5 1 4 2 3
    assertEquals(3, latencies.percentile(50));
    assertEquals(5, latencies.percentile(99));
    assertEquals(1, latencies.percentile(1));
  }
}
