package dev.rnnc.cli;

import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TuningProfile;
import dev.rnnc.runtime.VectorSupport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc tune}: measures, on this machine, the streaming step of a few models with the generated kernels at
 * every vector width from 128 bits to the widest the CPU offers, and records the fastest width for this CPU model
 * in the tuning profile, which generated classes read when they initialise ({@link VectorSupport#vectorBits}). The
 * same idea as FFTW's wisdom: machines differ (AVX-512 runs at full width on recent Intel cores and as two 256-bit
 * halves on AMD Zen 4), so the choice is measured rather than assumed. Results do not depend on the width.
 */
@Command(name = "tune", description = "Measures which vector width the generated kernels run fastest with on this "
    + "machine and records it for this CPU model in the tuning profile that generated classes read.",
    footerHeading = "%nExamples:%n",
    footer = {"  rnnc tune",
        "  rnnc tune specs/lstm_64_128.yaml specs/sentiment_gru.yaml --seconds 2",
        "  rnnc tune --dry-run",
        "",
        "Without SPEC it times the step of an LSTM and a GRU of 64 inputs and 128 hidden units. The width with the",
        "smallest geometric mean of step times wins. The profile is a properties file (CPU model=bits), by default",
        "~/.config/rnnc/tune.properties (system property rnnc.tune.profile elsewhere), written atomically; the",
        "system property rnnc.vector.bits overrides it for one run. Results of generated classes are bit-identical",
        "at every width: the choice is only about speed.",
        ExitCodes.FOOTER})
final class TuneCommand extends RnncCommand {
  /** The default workload: the step-sized products issue tables quote. */
  private static final List<String> DEFAULT_SPECS = List.of("""
      model: TuneLstm
      package: dev.rnnc.tune
      cell: lstm
      input: 64
      hidden: 128
      limits: {max_batch: 1, max_length: 1}
      """, """
      model: TuneGru
      package: dev.rnnc.tune
      cell: gru
      input: 64
      hidden: 128
      limits: {max_batch: 1, max_length: 1}
      """);

  @Parameters(arity = "0..*", paramLabel = "SPEC", description = "Unidirectional specs whose step to time (default: LSTM and GRU 64->128).")
  List<Path> specs = new ArrayList<>();

  @Option(names = "--seconds", defaultValue = "1", description = "Measuring time per spec and width (default: ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--max-warmup", defaultValue = "30",
      description = "Longest warm-up per measurement in seconds, if the JIT has not settled by then (default: ${DEFAULT-VALUE}).")
  double maxWarmup;

  @Option(names = "--profile", paramLabel = "FILE", description = "The profile to update (default: ~/.config/rnnc/tune.properties).")
  Path profile;

  @Option(names = "--dry-run", description = "Measure and report, but do not write the profile.")
  boolean dryRun;

  @Override
  int execute() {
    if (!(seconds > 0) || Double.isInfinite(seconds)) {
      throw new RnncException("--seconds must be a positive number, got " + seconds);
    }
    if (!(maxWarmup >= 0) || Double.isInfinite(maxWarmup)) {
      throw new RnncException("--max-warmup must be a number >= 0, got " + maxWarmup);
    }
    if (!VectorSupport.available()) {
      throw new RnncException("the vector kernels are not available in this JVM (run with --add-modules "
          + VectorSupport.MODULE + "; the rnnc script does): there is no width to tune");
    }
    List<Spec> workload = new ArrayList<>();
    if (specs.isEmpty()) {
      for (int i = 0; i < DEFAULT_SPECS.size(); i++) {
        workload.add(SpecParser.parse("tune" + i + ".yaml", DEFAULT_SPECS.get(i)));
      }
    } else {
      for (Path file : specs) {
        Spec spec = SpecParser.parse(file);
        if (spec.config().bidirectional()) {
          throw new RnncException(file + ": a bidirectional spec has no streaming step to time; give a "
              + "unidirectional one");
        }
        workload.add(spec);
      }
    }
    Path target = profile != null ? profile : VectorSupport.profilePath();
    String cpu = VectorSupport.cpuModel();
    String previous = System.getProperty(VectorSupport.BITS_PROPERTY);
    PrintWriter out = out();
    try {
      int widest = widestLanes(workload.get(0)) * Float.SIZE;
      List<Integer> widths = new ArrayList<>();
      for (int bits = 128; bits <= widest; bits *= 2) {
        widths.add(bits);
      }
      out.printf(Locale.ROOT, "CPU: %s; vector widths: %s bits%n", cpu, widths);
      double[] logSum = new double[widths.size()];
      for (Spec spec : workload) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-24s", spec.modelName()));
        for (int w = 0; w < widths.size(); w++) {
          double nanos = stepNanos(spec, widths.get(w));
          logSum[w] += Math.log(nanos);
          line.append(String.format(Locale.ROOT, "  %d bits %,.0f ns", widths.get(w), nanos));
        }
        out.println(line);
        out.flush();
      }
      int best = 0;
      for (int w = 1; w < widths.size(); w++) {
        if (logSum[w] < logSum[best]) {
          best = w;
        }
      }
      int bits = widths.get(best);
      if (dryRun) {
        out.printf(Locale.ROOT, "fastest: %d bits (not recorded: --dry-run)%n", bits);
      } else {
        try {
          TuningProfile.store(target, cpu, bits);
        } catch (IOException e) {
          throw new RnncException("cannot write the tuning profile " + target + ": " + e.getMessage(), e);
        }
        out.printf(Locale.ROOT, "fastest: %d bits, recorded for this CPU in %s%n", bits, target);
      }
      return ExitCodes.OK;
    } finally {
      if (previous == null) {
        System.clearProperty(VectorSupport.BITS_PROPERTY);
      } else {
        System.setProperty(VectorSupport.BITS_PROPERTY, previous);
      }
    }
  }

  /** Median ns of one streaming step of {@code spec}'s class, loaded afresh with {@code bits}-wide kernels. */
  private double stepNanos(Spec spec, int bits) {
    System.setProperty(VectorSupport.BITS_PROPERTY, Integer.toString(bits));
    ModelLoader loader = ModelLoader.of(spec, false, false);
    StreamingModel model = (StreamingModel) loader.newInstance(ModelParameters.initialize(spec.config(), 1), 1, 1);
    int width = spec.config().inputSize();
    SplittableRandom random = new SplittableRandom(5);
    float[][] inputs = new float[16][width];
    for (float[] row : inputs) {
      for (int i = 0; i < width; i++) {
        row[i] = (float) random.nextDouble(-1, 1);
      }
    }
    int vocab = spec.config().hasEmbedding() ? spec.config().vocab() : 0;
    int[] at = {0};
    Measurement measurement = new Measurement();
    measurement.run(() -> {
      int i = at[0];
      if (vocab > 0) {
        model.stepToken(i % vocab);
      } else {
        model.step(inputs[i], 0);
      }
      at[0] = (i + 1) & 15;
    }, Math.min(Math.min(1.0, seconds), maxWarmup), maxWarmup, seconds);
    return measurement.quantileNanos(0.5);
  }

  /** Lanes of {@code spec}'s class when neither the property nor a profile decides: the widest the JVM offers. */
  private static int widestLanes(Spec spec) {
    String profile = System.getProperty(VectorSupport.PROFILE_PROPERTY);
    System.clearProperty(VectorSupport.BITS_PROPERTY);
    System.setProperty(VectorSupport.PROFILE_PROPERTY,
        Path.of(System.getProperty("java.io.tmpdir"), "rnnc-no-profile-" + System.nanoTime(), "none").toString());
    try {
      Class<?> type = ModelLoader.of(spec, false, false)
          .newInstance(ModelParameters.initialize(spec.config(), 1), 1, 1).getClass();
      java.lang.reflect.Field lanes = type.getDeclaredField("LANES");
      lanes.setAccessible(true);
      return lanes.getInt(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("generated class without a LANES constant", e);
    } finally {
      if (profile == null) {
        System.clearProperty(VectorSupport.PROFILE_PROPERTY);
      } else {
        System.setProperty(VectorSupport.PROFILE_PROPERTY, profile);
      }
    }
  }
}
