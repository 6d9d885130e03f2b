package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.emit.GeneratedModels.Compiled;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.stream.StreamBank;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * C1 compiles every method of the generated classes that a forward pass, a streaming step, a stream bank and a
 * training step run.
 *
 * <p>Why: under tiered compilation a method whose C1 (tier 3) compilation fails can stay in tier 2 for good when it
 * reached tier 2 while C2 was busy — and C1 code does not intrinsify the Vector API, so every vector operation
 * allocates. C1 compiles the Vector API's force-inlined Java code in full, and a large vector kernel runs its
 * linear-scan allocator out of virtual registers ("COMPILE SKIPPED: out of virtual registers in linear scan"):
 * a 2,122-byte pair product did, and a GRU 64→128 batch then ran 70 times slower, allocating 30 MB per step,
 * only in runs where the JIT took that path. Deterministic here: a child JVM with C1 only
 * ({@code -XX:TieredStopAtLevel=3}) and {@code -Xcomp} compiles each generated method at its first call.
 */
class C1CompilationTest {
  private static final String PACKAGE = "t.c1";

  /** Fixed specs for the largest kernels (bank tiles, four-sequence sweeps, pair products), then random ones. */
  static List<String> specs() {
    List<String> specs = new ArrayList<>(List.of("""
        # c1 lstm 16-32 training
        model: LstmTrain
        package: t.c1
        cell: lstm
        input: 16
        hidden: 32
        mode: many_to_many
        head: {size: 10, activation: softmax}
        training: {loss: cross_entropy}
        limits: {max_length: 6, max_batch: 16}
        """, """
        # c1 gru 16-32 bidirectional training
        model: GruBidiTrain
        package: t.c1
        cell: gru
        input: 16
        hidden: 32
        bidirectional: true
        mode: many_to_one
        head: {size: 3}
        training: {loss: mse}
        limits: {max_length: 6, max_batch: 16}
        """, """
        # c1 lstm 16-32 streaming
        model: LstmStream
        package: t.c1
        cell: lstm
        input: 16
        hidden: 32
        limits: {max_length: 6, max_batch: 16}
        """, """
        # c1 gru 16-32 streaming
        model: GruStream
        package: t.c1
        cell: gru
        input: 16
        hidden: 32
        head: {size: 37, activation: softmax}
        limits: {max_length: 6, max_batch: 16}
        """, """
        # c1 lstm bf16 peephole projection
        model: LstmBf16
        package: t.c1
        cell: lstm
        input: 40
        hidden: 72
        proj_size: 24
        peepholes: true
        weights: bf16
        limits: {max_length: 6, max_batch: 16}
        """));
    // packages of their own: each generator names its models M0, M1...
    specs.addAll(new SpecGenerator(RandomSpecsTest.seed() + 70, PACKAGE + ".train", SpecGenerator.Options.TRAINING)
        .next(6));
    specs.addAll(new SpecGenerator(RandomSpecsTest.seed() + 71, PACKAGE + ".stream", SpecGenerator.Options.STREAMING)
        .next(6));
    return specs;
  }

  @Test
  void c1CompilesEveryGeneratedMethodThatRuns(@TempDir Path classes) throws Exception {
    // javac runs here: under -Xcomp with compilation limited to the generated classes it would run interpreted
    Map<String, String> sources = new LinkedHashMap<>();
    RnnCompiler rnnc = RnnCompiler.unverified();
    List<String> specs = specs();
    for (int i = 0; i < specs.size(); i++) {
      GeneratedSource source = rnnc.compile(SpecParser.parse("c1-" + i + ".yaml", specs.get(i)));
      sources.put(source.qualifiedName(), source.source());
    }
    try (InMemoryJavaCompiler javac = new InMemoryJavaCompiler()) {
      for (Map.Entry<String, byte[]> type : javac.compile(sources).classBytes().entrySet()) {
        Path file = classes.resolve(type.getKey().replace('.', '/') + ".class");
        Files.createDirectories(file.getParent());
        Files.write(file, type.getValue());
      }
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules=jdk.incubator.vector", "-Xcomp", "-XX:TieredStopAtLevel=3", "-XX:+PrintCompilation",
        "-XX:CompileCommand=quiet"));
    for (String pkg : List.of(PACKAGE, PACKAGE + ".train", PACKAGE + ".stream")) {
      command.add("-XX:CompileCommand=compileonly," + pkg + ".*::*");
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Exercise.class.getName(), classes.toString()));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(600, TimeUnit.SECONDS), "the child JVM finished");
    assertEquals(0, child.exitValue(), output);
    assertTrue(output.contains("exercised " + specs.size() + " models"), output);
    assertTrue(output.lines().anyMatch(l -> l.matches(".*\\$Vec::rows[0-9]+ .*")),
        "the row tiles of the stream banks ran (a PrintCompilation line for a rowsN kernel):\n" + output);
    List<String> skipped = output.lines().filter(l -> l.contains(PACKAGE + ".") && l.contains("COMPILE SKIPPED"))
        .toList();
    assertEquals(List.of(), skipped, "C1 could not compile these generated methods");
    assertTrue(output.lines().filter(l -> l.contains(PACKAGE + ".") && l.contains("$Vec::")).count() > 50,
        "the child compiled the vector kernels (PrintCompilation lines):\n" + output);
  }

  /** Run in the child JVM: forward passes, steps, bank steps and training steps of every spec. */
  public static final class Exercise {
    /** Rounds per model: under -Xcomp the first call of each method compiles it. */
    static final int ROUNDS = 2;
    /** Streams per bank step: enough for the largest row tile (13 on AVX-512). */
    static final int BANK = 16;

    /** {@code args[0]}: the folder of the compiled classes. */
    public static void main(String[] args) throws Exception {
      List<String> specs = specs();
      try (URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(args[0]).toUri().toURL()},
          Exercise.class.getClassLoader())) {
        for (int i = 0; i < specs.size(); i++) {
          Spec spec = SpecParser.parse("c1-" + i + ".yaml", specs.get(i));
          Compiled compiled = new Compiled(spec, null, Class.forName(spec.qualifiedName(), true, loader));
          exercise(new GeneratedCase(specs.get(i), compiled, ModelParameters.initialize(spec.config(), 7 + i)));
        }
      }
      System.out.println("exercised " + specs.size() + " models");
    }

    private static void exercise(GeneratedCase c) {
      ModelConfig config = c.config();
      SplittableRandom random = new SplittableRandom(5);
      RnnModel model = c.generated();
      Call call = Call.random(config, config.maxBatch(), config.maxLength(), random);
      boolean streaming = model instanceof StreamingModel && !config.bidirectional();
      StreamBank bank = streaming ? StreamBankTest.generatedBank(c, BANK) : null;
      int[] ids = new int[BANK];
      for (int i = 0; bank != null && i < BANK; i++) {
        ids[i] = bank.open();
      }
      float[] bankInputs = bank == null ? null : Call.values(BANK * bank.inputSize(), random);
      float[] bankOutputs = bank == null ? null : new float[BANK * bank.outputSize()];
      float[] stepInput = Call.values(config.inputSize(), random);
      TrainableModel trainable = model instanceof TrainableModel t ? t : null;
      var batch = trainable == null ? null : RandomGradientsTest.batch(config, call, random);
      for (int round = 0; round < ROUNDS; round++) {
        call.runOn(model);
        if (streaming) {
          StreamingModel stream = (StreamingModel) model;
          if (config.hasEmbedding()) {
            stream.stepToken(round % config.vocab());
            bank.stepTokens(ids, BANK, new int[BANK], bankOutputs);
          } else {
            stream.step(stepInput, 0);
            bank.step(ids, BANK, bankInputs, bankOutputs);
          }
        }
        if (trainable != null) {
          trainable.computeGradients(batch);
        }
      }
    }
  }
}
