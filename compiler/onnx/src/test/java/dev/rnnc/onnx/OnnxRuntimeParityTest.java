package dev.rnnc.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every committed ONNX model (made by {@code src/test/python/make_onnx_models.py}) is imported, compiled by
 * rnnc and run on random inputs; ONNX Runtime runs the same file on the same inputs, and every graph output
 * must match rnnc's corresponding array within 1e-5 + 1e-4·|x|.
 */
class OnnxRuntimeParityTest {
  static final Path MODELS = Path.of("src/test/resources/onnx");
  private static final int BATCH = 3;
  private static final int STEPS = 5;

  static Stream<String> importable() {
    return Stream.of(
        "torch_lstm_2x_bi_linear", "torch_gru_2x_bi_softmax", "torch_rnn_sigmoid", "torch_lstm_2x_m2o_softmax",
        "torch_gru_bi_m2o_sigmoid", "torch_rnn_relu_2x_bi_states", "torch_lstm_states", "torch_lstm_embedding_linear",
        "torch_lstm_2x_last_step_linear", "torch_gru_2x_bi_h0_time_major", "torch_lstm_2x_h0_c0_time_major", "helper_lstm_shape_glue", "helper_gru_state_head",
        "torch_lstm_2x_bi_fixed_shapes", "torch_gru_2x_bi_m2o_fixed_shapes",
        "onnx_gru_reset_before", "onnx_gru_bi_lengths_h0", "onnx_lstm_bi_lengths_states", "onnx_lstm_layout1_states",
        "onnx_gru_layout1_before", "onnx_rnn_bi_lengths_explicit_activations", "onnx_lstm_external",
        "onnx_lstm_no_bias");
  }

  static Stream<String> peepholes() {
    return Stream.of("onnx_lstm_peepholes", "onnx_lstm_bi_peepholes_lengths");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("importable")
  void generatedClassMatchesOnnxRuntime(String name) throws OrtException {
    ImportedModel imported = OnnxImporter.read(MODELS.resolve(name + ".onnx"));
    assertFalse(imported.outputs().isEmpty(), "bound outputs");
    assertEquals(imported.config(), dev.rnnc.compiler.spec.SpecParser.parse(name + ".yaml", imported.specYaml()).config(),
        "the spec text describes the imported configuration");
    compare(name, imported, RnncRunner.generated(imported, BATCH, STEPS));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("importable")
  void referenceMatchesOnnxRuntime(String name) throws OrtException {
    ImportedModel imported = OnnxImporter.read(MODELS.resolve(name + ".onnx"));
    compare(name, imported, RnncRunner.reference(imported, BATCH, STEPS));
  }

  /**
   * Peephole LSTMs through the generated class, once the code generator emits peepholes: until then its classes
   * never read {@code weight_ph}, and the test is skipped (visibly) instead of comparing a model without them.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("peepholes")
  void peepholeGeneratedClassMatchesOnnxRuntime(String name) throws OrtException {
    ImportedModel imported = OnnxImporter.read(MODELS.resolve(name + ".onnx"));
    String source = new dev.rnnc.compiler.RnnCompiler().compile(
        dev.rnnc.compiler.spec.SpecParser.parse(name + ".yaml", imported.specYaml())).source();
    org.junit.jupiter.api.Assumptions.assumeTrue(source.contains("weight_ph") || source.contains("weightPh"),
        "the code generator does not emit peepholes yet");
    compare(name, imported, RnncRunner.generated(imported, BATCH, STEPS));
  }

  /** Peephole LSTMs through the reference implementation, which has them. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("peepholes")
  void peepholeReferenceMatchesOnnxRuntime(String name) throws OrtException {
    ImportedModel imported = OnnxImporter.read(MODELS.resolve(name + ".onnx"));
    assertTrue(imported.config().peepholes());
    compare(name, imported, RnncRunner.reference(imported, BATCH, STEPS));
  }

  /**
   * Runs both on the same random inputs (two draws: different lengths and states) and compares every output.
   * ONNX Runtime's CPU kernels refuse {@code layout = 1}; such a model is run there as its layout-0 twin (same
   * weights, written by the script), fed and read through the twin's own bindings, while rnnc runs the model
   * imported from the layout-1 file itself.
   */
  static void compare(String name, ImportedModel imported, RnnModel rnnc) throws OrtException {
    Path twinFile = MODELS.resolve(name + "_twin.onnx");
    boolean twin = java.nio.file.Files.exists(twinFile);
    Path ortFile = twin ? twinFile : MODELS.resolve(name + ".onnx");
    ImportedModel ortSide = twin ? OnnxImporter.read(ortFile) : imported;
    if (twin) {
      assertEquals(ortSide.config(), imported.config(), "the twin is the same model");
      for (String parameter : imported.parameters().names()) {
        assertTrue(java.util.Arrays.equals(ortSide.parameters().get(parameter), imported.parameters().get(parameter)),
            parameter);
      }
    }
    compare(name, imported, rnnc, ortFile, ortSide);
  }

  private static void compare(String name, ImportedModel imported, RnnModel rnnc, Path ortFile, ImportedModel ortSide)
      throws OrtException {
    OnnxModel file = OnnxReader.read(ortFile);
    Map<String, Integer> elementTypes = new HashMap<>();
    file.graph().inputs().forEach(in -> elementTypes.put(in.name(), in.elementType()));
    ModelConfig config = imported.config();
    // Exports without dynamic axes fix the batch and time sizes: use the declared ones (they fit the instance).
    Map<String, java.util.List<Object>> declared = new HashMap<>();
    file.graph().inputs().forEach(in -> declared.put(in.name(), in.shape()));
    int batch = fixedSize(ortSide, declared, "batch", BATCH);
    int steps = fixedSize(ortSide, declared, "time", STEPS);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(ortFile.toString(), new OrtSession.SessionOptions())) {
      for (long seed = 1; seed <= 2; seed++) {
        SplittableRandom random = new SplittableRandom(seed * 7919 + name.hashCode());
        int layersDirs = config.layers() * config.directions();
        float[] input = new float[batch * steps * config.inputSize()];
        int[] tokens = new int[batch * steps];
        int[] lengths = null;
        float[] h0 = null;
        float[] c0 = null;
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        List<OnnxTensor> opened = new ArrayList<>();
        try {
          for (Binding binding : imported.inputs()) {
            int[] index = binding.rnncIndex(config, batch, steps);
            switch (binding.role()) {
              case INPUT -> index(index, input, random);
              case H0 -> h0 = index(index, h0 != null ? h0 : new float[layersDirs * batch * config.stateSize()], random);
              case C0 -> c0 = index(index, c0 != null ? c0 : new float[layersDirs * batch * config.hidden()], random);
              case TOKENS -> {
                for (int k : index) {
                  tokens[k] = random.nextInt(config.vocab());
                }
              }
              case LENGTHS -> {
                lengths = new int[batch];
                for (int b = 0; b < batch; b++) {
                  lengths[b] = b == 0 ? steps : 1 + random.nextInt(steps);
                }
              }
              default -> throw new AssertionError(binding);
            }
          }
          // ONNX Runtime's inputs, gathered from rnnc's arrays through the bindings of the file it runs.
          for (Binding binding : ortSide.inputs()) {
            long[] shape = binding.onnxShape(batch, steps);
            int[] index = binding.rnncIndex(config, batch, steps);
            OnnxTensor tensor = switch (binding.role()) {
              case INPUT -> OnnxTensor.createTensor(env, FloatBuffer.wrap(gather(input, index)), shape);
              case H0 -> OnnxTensor.createTensor(env, FloatBuffer.wrap(gather(h0, index)), shape);
              case C0 -> OnnxTensor.createTensor(env, FloatBuffer.wrap(gather(c0, index)), shape);
              case TOKENS -> {
                long[] ids = new long[index.length];
                for (int k = 0; k < ids.length; k++) {
                  ids[k] = tokens[index[k]];
                }
                yield OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
              }
              case LENGTHS -> elementTypes.get(binding.onnxName()) == dev.rnnc.onnx.OnnxTensor.INT64
                  ? OnnxTensor.createTensor(env, LongBuffer.wrap(java.util.Arrays.stream(lengths).asLongStream().toArray()), shape)
                  : OnnxTensor.createTensor(env, IntBuffer.wrap(lengths.clone()), shape);
              default -> throw new AssertionError(binding);
            };
            opened.add(tensor);
            feeds.put(binding.onnxName(), tensor);
          }
          if (config.hasEmbedding()) {
            rnnc.forwardTokens(tokens, batch, steps, lengths, h0, c0);
          } else {
            rnnc.forward(input, batch, steps, lengths, h0, c0);
          }
          try (OrtSession.Result result = session.run(feeds)) {
            assertEquals(imported.outputs().size(), ortSide.outputs().size());
            for (Binding binding : ortSide.outputs()) {
              float[] expected = flatten(result.get(binding.onnxName()).orElseThrow().getValue());
              int[] index = binding.rnncIndex(config, batch, steps);
              assertEquals(expected.length, index.length, binding + ": element count");
              float[] actual = switch (binding.role()) {
                case OUTPUT -> rnnc.output();
                case H_N -> rnnc.hN();
                case C_N -> rnnc.cN();
                case LOGITS -> rnnc.logits();
                case PREDICTION -> rnnc.prediction();
                default -> throw new AssertionError(binding);
              };
              for (int k = 0; k < expected.length; k++) {
                float want = expected[k];
                float got = actual[index[k]];
                if (!(Math.abs(got - want) <= 1e-5 + 1e-4 * Math.abs(want))) {
                  fail(name + " " + binding + " element " + k + ": rnnc " + got + ", ONNX Runtime " + want
                      + " (seed " + seed + ")");
                }
              }
            }
          }
        } finally {
          opened.forEach(OnnxTensor::close);
        }
      }
    }
  }

  /** The size a graph input declares for the batch or time axis, or {@code fallback} when it is symbolic. */
  private static int fixedSize(ImportedModel model, Map<String, java.util.List<Object>> declared, String role,
      int fallback) {
    for (Binding binding : model.inputs()) {
      java.util.List<Object> dims = declared.get(binding.onnxName());
      for (int a = 0; a < binding.axes().size(); a++) {
        if (binding.axes().get(a).equals(List.of(new Factor.Named(role))) && dims != null
            && dims.get(a) instanceof Long size) {
          return Math.toIntExact(size);
        }
      }
    }
    return fallback;
  }

  /** Draws a random value for each bound element of an rnnc array (the others stay 0, as ONNX's defaults). */
  private static float[] index(int[] index, float[] target, SplittableRandom random) {
    for (int k : index) {
      target[k] = (float) random.nextDouble(-1, 1);
    }
    return target;
  }

  private static float[] gather(float[] from, int[] index) {
    float[] out = new float[index.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = from[index[k]];
    }
    return out;
  }

  /** Flattens ORT's nested Java arrays (float[][]..., row-major). */
  static float[] flatten(Object value) {
    List<Float> out = new ArrayList<>();
    flattenInto(value, out);
    float[] array = new float[out.size()];
    for (int k = 0; k < array.length; k++) {
      array[k] = out.get(k);
    }
    return array;
  }

  private static void flattenInto(Object value, List<Float> out) {
    if (value instanceof float[] floats) {
      for (float f : floats) {
        out.add(f);
      }
    } else if (value instanceof Object[] array) {
      for (Object element : array) {
        flattenInto(element, out);
      }
    } else if (value instanceof Float f) {
      out.add(f);
    } else {
      throw new AssertionError("unexpected ORT output " + value.getClass());
    }
  }
}
