package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rnnc.runtime.io.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rnnc import} and {@code rnnc inspect} end to end, including {@code rnnc run} on what import wrote. */
class ImportCommandTest {
  private static final Path MODELS = Path.of("../onnx/src/test/resources/onnx");

  @TempDir
  Path dir;

  /** import, check, then run: the imported pair reproduces ONNX Runtime on the same file and input. */
  @Test
  void importedModelRunsAndMatchesOnnxRuntime() throws Exception {
    Path onnx = MODELS.resolve("torch_lstm_2x_bi_linear.onnx");
    Cli.Result imported = Cli.run("import", onnx, "--output-dir", dir.resolve("models"), "--model", "Tagger",
        "--package", "com.acme.nlp");
    assertEquals(0, imported.code(), imported::toString);
    Path spec = dir.resolve("models/Tagger.yaml");
    Path weights = dir.resolve("models/Tagger.safetensors");
    assertTrue(Files.readString(spec).startsWith("# Imported by 'rnnc import' from torch_lstm_2x_bi_linear.onnx"));
    assertTrue(imported.out().contains("ONNX output y [batch, time, head(3)] <- rnnc logits"), imported::toString);
    Cli.Result check = Cli.run("check", spec);
    assertEquals(0, check.code(), check::toString);

    int batch = 2;
    int steps = 6;
    float[] x = new float[batch * steps * 5];
    SplittableRandom random = new SplittableRandom(3);
    for (int k = 0; k < x.length; k++) {
      x[k] = (float) random.nextDouble(-1, 1);
    }
    Path in = Cli.tensors(dir, "x.safetensors", Map.of("input", Tensor.ofFloats(new int[] {batch, steps, 5}, x)));
    Path out = dir.resolve("y.safetensors");
    Cli.Result run = Cli.run("run", spec, "--weights", weights, "--input", in, "--output", out);
    assertEquals(0, run.code(), run::toString);
    float[] logits = Cli.read(out).get("logits").toFloatArray();

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
         ai.onnxruntime.OnnxTensor input = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
             new long[] {batch, steps, 5});
         OrtSession.Result result = session.run(Map.of("x", input))) {
      float[][][] expected = (float[][][]) result.get("y").orElseThrow().getValue();
      assertEquals(batch * steps * 3, logits.length);
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < steps; t++) {
          for (int k = 0; k < 3; k++) {
            float want = expected[b][t][k];
            float got = logits[(b * steps + t) * 3 + k];
            assertTrue(Math.abs(got - want) <= 1e-5 + 1e-4 * Math.abs(want), b + "," + t + "," + k + ": " + got + " vs " + want);
          }
        }
      }
    }
  }

  @Test
  void unsupportedGraphWritesNothing() {
    Path target = dir.resolve("out");
    Cli.Result result = Cli.run("import", MODELS.resolve("bad_unsupported_op.onnx"), "--output-dir", target);
    assertEquals(1, result.code(), result::toString);
    assertTrue(result.err().contains("node 'leaky' (LeakyRelu): op LeakyRelu is not supported"), result::toString);
    assertEquals(1, result.err().lines().count(), result::toString);
    assertFalse(Files.exists(target));
  }

  @Test
  void existingFilesAreKeptUnlessForced() throws Exception {
    Path onnx = MODELS.resolve("onnx_gru_reset_before.onnx");
    Path spec = Cli.write(dir, "Gru.yaml", "mine\n");
    Cli.Result refused = Cli.run("import", onnx, "--output-dir", dir, "--model", "Gru");
    assertEquals(1, refused.code(), refused::toString);
    assertTrue(refused.err().contains("already exists"), refused::toString);
    assertEquals("mine\n", Files.readString(spec));
    assertFalse(Files.exists(dir.resolve("Gru.safetensors")));
    Cli.Result forced = Cli.run("import", onnx, "--output-dir", dir, "--model", "Gru", "--force");
    assertEquals(0, forced.code(), forced::toString);
    assertTrue(Files.readString(spec).contains("gru_reset: before"));
  }

  @Test
  void badModelNameIsASpecError() {
    Cli.Result result = Cli.run("import", MODELS.resolve("onnx_gru_reset_before.onnx"), "--output-dir", dir,
        "--model", "not-a-name");
    assertEquals(1, result.code(), result::toString);
    assertTrue(result.err().contains("model"), result::toString);
    assertFalse(Files.exists(dir.resolve("not-a-name.yaml")));
  }

  @Test
  void inspectShowsTheStackAndTheMapping() {
    Cli.Result result = Cli.run("inspect", MODELS.resolve("torch_gru_bi_m2o_sigmoid.onnx"));
    assertEquals(0, result.code(), result::toString);
    String out = result.out();
    assertTrue(out.contains("opset 11, produced by pytorch 1.13.0"), out);
    assertTrue(out.contains("layer 0: gru bidirectional, input 5, hidden 4, gru_reset after, layout 0"), out);
    assertTrue(out.contains("head 8 -> 1 over the final hidden states [l0, l0r] (many_to_one)"), out);
    assertTrue(out.contains("rnnc model: gru 1 layer bidirectional, input 5, hidden 4, gru_reset after, many_to_one,"
        + " head 1 sigmoid"), out);
    assertTrue(out.contains("input  x [batch, time, input(5)] <-> rnnc input"), out);
    assertTrue(out.contains("output y [batch, head(1)] <-> rnnc prediction"), out);
    assertTrue(out.contains("importable: yes"), out);
  }

  @Test
  void inspectShowsStatesLayoutsAndLengths() {
    Cli.Result result = Cli.run("inspect", MODELS.resolve("onnx_lstm_layout1_states.onnx"));
    assertEquals(0, result.code(), result::toString);
    assertTrue(result.out().contains("input  initial_h [batch, stack[l0, l0r], hidden(4)] <-> rnnc h0"), result::toString);
    assertTrue(result.out().contains("output Y [batch, time, stack[l0, l0r], hidden(4)] <-> rnnc output"),
        result::toString);
    Cli.Result lengths = Cli.run("inspect", MODELS.resolve("onnx_lstm_bi_lengths_states.onnx"));
    assertTrue(lengths.out().contains("input  sequence_lens [batch] <-> rnnc lengths"), lengths::toString);
  }

  @Test
  void inspectListsEveryProblemAndExitsOne() {
    Cli.Result result = Cli.run("inspect", MODELS.resolve("bad_clip.onnx"));
    assertEquals(1, result.code(), result::toString);
    assertTrue(result.out().contains("UNSUPPORTED: clip is not supported"), result::toString);
    assertTrue(result.out().contains("unsupported:\n  node 'clipped' (LSTM): clip is not supported"), result::toString);
    assertTrue(result.out().contains("importable: no"), result::toString);
  }

  @Test
  void inspectOfAMalformedFileIsOneLine() {
    Cli.Result result = Cli.run("inspect", MODELS.resolve("bad_cycle.onnx"));
    assertEquals(1, result.code(), result::toString);
    assertTrue(result.err().contains("the graph has a cycle through node 'first' (Identity)"), result::toString);
    assertEquals(1, result.err().lines().count(), result::toString);
  }
}
