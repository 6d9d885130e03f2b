package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.memory.CompiledClasses;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.VectorSupport;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated classes run without {@code jdk.incubator.vector}: their class files, compiled here (where the
 * module is present), are run in a child JVM started without {@code --add-modules jdk.incubator.vector}, which
 * must link them, pick their scalar kernels and compute what the vector kernels compute in this JVM.
 *
 * <p>Both JVMs run the same probe class ({@link #PROBE_SOURCE}, compiled with the models): it prints whether the
 * module is in the boot layer, which kernels each class chose, and the results of a forward pass, a streaming
 * pass and a gradient computation on fixed inputs with seeded weights, one array per line.
 */
class NoVectorModuleTest {
  private static final double ABS = 1e-5;
  private static final double REL = 1e-4;
  private static final String PACKAGE = "t.novector";

  /** An LSTM with embedding and softmax head (streaming too), and a bidirectional many-to-one GRU. */
  private static final List<String> SPECS = List.of("""
      model: NoVectorLstm
      package: t.novector
      cell: lstm
      embedding: {vocab: 23, dim: 12}
      hidden: 40
      layers: 2
      head: {size: 23, activation: softmax}
      limits: {max_batch: 3, max_length: 9}
      training: {loss: cross_entropy}
      """, """
      model: NoVectorBiGru
      package: t.novector
      cell: gru
      input: 10
      hidden: 24
      bidirectional: true
      mode: many_to_one
      head: {size: 3, activation: sigmoid}
      limits: {max_batch: 4, max_length: 7}
      training: {loss: bce}
      """);

  private static final String PROBE_SOURCE = """
      package t.novector;

      import dev.rnnc.runtime.Batch;
      import dev.rnnc.runtime.ModelConfig;
      import dev.rnnc.runtime.ModelParameters;
      import dev.rnnc.runtime.RnnModel;
      import dev.rnnc.runtime.StreamingModel;
      import dev.rnnc.runtime.TrainableModel;
      import java.lang.reflect.Field;

      /** Runs generated classes on fixed inputs and prints the results; uses nothing of the Vector API. */
      public final class Probe {
        public static void main(String[] args) throws Exception {
          System.out.print(run(args));
        }

        public static String run(String... classNames) throws Exception {
          StringBuilder out = new StringBuilder();
          out.append("vector-module ").append(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent())
              .append('\\n');
          for (String name : classNames) {
            Class<?> type = Class.forName(name);
            ModelConfig c = (ModelConfig) type.getField("CONFIG").get(null);
            Field vector = type.getDeclaredField("VECTOR");
            vector.setAccessible(true);
            out.append(name).append(".vector-kernels ").append(vector.getBoolean(null)).append('\\n');
            RnnModel model = (RnnModel) type.getConstructor(ModelParameters.class)
                .newInstance(ModelParameters.initialize(c, 7));
            int b = c.maxBatch();
            int t = c.maxLength();
            int h = c.hidden();
            int[] lengths = new int[b];
            for (int i = 0; i < b; i++) {
              lengths[i] = t - (2 * i) % t;
            }
            Batch batch = new Batch();
            batch.batch = b;
            batch.steps = t;
            batch.lengths = lengths;
            if (c.hasEmbedding()) {
              batch.tokens = new int[b * t];
              for (int i = 0; i < batch.tokens.length; i++) {
                batch.tokens[i] = (i * 7 + 3) % c.vocab();
              }
              model.forwardTokens(batch.tokens, b, t, lengths, null, null);
            } else {
              batch.input = new float[b * t * c.inputSize()];
              for (int i = 0; i < batch.input.length; i++) {
                batch.input[i] = (float) Math.sin(0.37 * i + 0.1);
              }
              model.forward(batch.input, b, t, lengths, null, null);
            }
            String p = name + ".forward.";
            print(out, p + "output", model.output(), b * t * c.featureSize());
            print(out, p + "hN", model.hN(), c.layers() * c.directions() * b * h);
            print(out, p + "cN", model.cN(), c.layers() * c.directions() * b * h);
            boolean perStep = c.mode() == ModelConfig.Mode.MANY_TO_MANY;
            print(out, p + "features", model.features(), b * c.featureSize());
            print(out, p + "logits", model.logits(), (perStep ? b * t : b) * c.headSize());
            print(out, p + "prediction", model.prediction(), (perStep ? b * t : b) * c.headSize());
            if (model instanceof StreamingModel stream) {
              for (int s = 0; s < lengths[0]; s++) {
                stream.stepToken(batch.tokens[s]);
              }
              print(out, name + ".step.output", stream.stepOutput(), h);
              print(out, name + ".step.logits", stream.stepLogits(), c.headSize());
            }
            TrainableModel trainable = (TrainableModel) model;
            int positions = perStep ? b * t : b;
            if (c.training().loss() == ModelConfig.Loss.CROSS_ENTROPY) {
              batch.classTargets = new int[positions];
              for (int i = 0; i < positions; i++) {
                batch.classTargets[i] = (i * 5 + 1) % c.headSize();
              }
            } else {
              batch.valueTargets = new float[positions * c.outputSize()];
              for (int i = 0; i < batch.valueTargets.length; i++) {
                batch.valueTargets[i] = (i % 3) / 2f;
              }
            }
            print(out, name + ".loss", new float[] {trainable.computeGradients(batch)}, 1);
            ModelParameters gradients = trainable.gradients();
            for (String parameter : gradients.names()) {
              float[] g = gradients.get(parameter);
              print(out, name + ".grad." + parameter, g, g.length);
            }
          }
          return out.toString();
        }

        private static void print(StringBuilder out, String key, float[] values, int count) {
          if (values == null) {
            return;
          }
          out.append(key);
          for (int i = 0; i < count; i++) {
            out.append(' ').append(values[i]);
          }
          out.append('\\n');
        }
      }
      """;

  @TempDir
  Path dir;

  @Test
  void generatedClassesRunWithoutTheVectorModuleAndMatchTheVectorKernels() throws Exception {
    assertTrue(VectorSupport.available(), "tests run with --add-modules jdk.incubator.vector: this JVM must have the"
        + " vector kernels to compare the child's scalar kernels with");
    Map<String, String> sources = new LinkedHashMap<>();
    List<String> models = new ArrayList<>();
    for (String yaml : SPECS) {
      GeneratedSource source = new RnnCompiler().compile(SpecParser.parse("novector.yaml", yaml));
      sources.put(source.qualifiedName(), source.source());
      models.add(source.qualifiedName());
    }
    sources.put(PACKAGE + ".Probe", PROBE_SOURCE);
    CompiledClasses classes;
    try (InMemoryJavaCompiler javac = new InMemoryJavaCompiler()) {
      classes = javac.compile(sources);
    }

    Map<String, float[]> vector = parse(probeHere(classes, models));
    Map<String, float[]> scalar = parse(probeInChildWithoutModule(classes, models));

    assertEquals(1, vector.get("vector-module").length);
    assertEquals(1f, vector.get("vector-module")[0], "this JVM has the module");
    assertEquals(0f, scalar.get("vector-module")[0], "the child JVM must not have loaded jdk.incubator.vector");
    for (String model : models) {
      assertEquals(1f, vector.get(model + ".vector-kernels")[0], model + " uses vector kernels here");
      assertEquals(0f, scalar.get(model + ".vector-kernels")[0], model + " falls back to scalar kernels in the child");
    }
    assertEquals(vector.keySet(), scalar.keySet(), "both JVMs print the same results");
    assertTrue(vector.keySet().stream().anyMatch(k -> k.endsWith(".step.logits")), "the LSTM streamed");
    assertTrue(vector.keySet().stream().anyMatch(k -> k.contains(".grad.")), "gradients were computed");
    int compared = 0;
    for (Map.Entry<String, float[]> entry : vector.entrySet()) {
      String key = entry.getKey();
      if (!key.equals("vector-module") && !key.endsWith(".vector-kernels")) {
        compare(key, entry.getValue(), scalar.get(key));
        compared += entry.getValue().length;
      }
    }
    assertTrue(compared > 10_000, "outputs, states and every gradient compared: " + compared + " values");
  }

  /** The probe in this JVM (vector kernels), through a class loader over the compiled classes. */
  private static String probeHere(CompiledClasses classes, List<String> models) throws Exception {
    Class<?> probe = Class.forName(PACKAGE + ".Probe", true, classes.loader(NoVectorModuleTest.class.getClassLoader()));
    Method run = probe.getMethod("run", String[].class);
    return (String) run.invoke(null, (Object) models.toArray(String[]::new));
  }

  /** The probe in a child JVM without the module, the class files written to disk beside the runtime. */
  private String probeInChildWithoutModule(CompiledClasses classes, List<String> models)
      throws IOException, InterruptedException, URISyntaxException {
    Path classDir = dir.resolve("classes");
    for (Map.Entry<String, byte[]> entry : classes.classBytes().entrySet()) {
      Path file = classDir.resolve(entry.getKey().replace('.', '/') + ".class");
      Files.createDirectories(file.getParent());
      Files.write(file, entry.getValue());
    }
    Path runtime = Path.of(ModelConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>(List.of(java, "-cp", runtime + File.pathSeparator + classDir,
        PACKAGE + ".Probe"));
    command.addAll(models);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(dir.resolve("child.out").toFile())
        .redirectError(dir.resolve("child.err").toFile());
    // Options the launcher would read from the environment could add the module back.
    builder.environment().remove("JDK_JAVA_OPTIONS");
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    Process child = builder.start();
    if (!child.waitFor(120, TimeUnit.SECONDS)) {
      child.destroyForcibly();
      fail("the child JVM did not finish in 120 s: " + command);
    }
    String out = Files.readString(dir.resolve("child.out"), StandardCharsets.UTF_8);
    String err = Files.readString(dir.resolve("child.err"), StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(),
        () -> "child JVM " + command + " failed\n--- stdout\n" + out + "--- stderr\n" + err);
    assertFalse(err.contains("incubator"), () -> "the child must not load the incubator module:\n" + err);
    return out;
  }

  /** Lines {@code key v1 v2 ...}; booleans become 1 and 0. */
  private static Map<String, float[]> parse(String text) {
    Map<String, float[]> values = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      String[] words = line.strip().split(" ");
      float[] numbers = new float[words.length - 1];
      for (int i = 1; i < words.length; i++) {
        numbers[i - 1] = switch (words[i]) {
          case "true" -> 1f;
          case "false" -> 0f;
          default -> Float.parseFloat(words[i]);
        };
      }
      assertTrue(values.put(words[0], numbers) == null, "key printed twice: " + words[0]);
    }
    return values;
  }

  private static void compare(String key, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, key + ": length");
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Float.isFinite(expected[i]), key + "[" + i + "] is not finite: " + expected[i]);
      double tolerance = ABS + REL * Math.abs(expected[i]);
      if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
        fail(key + "[" + i + "]: scalar kernels without the module gave " + actual[i] + ", vector kernels "
            + expected[i] + " (tolerance " + tolerance + ")");
      }
    }
  }
}
