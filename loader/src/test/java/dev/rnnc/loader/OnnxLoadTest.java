package dev.rnnc.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.onnx.ImportedModel;
import dev.rnnc.onnx.OnnxException;
import dev.rnnc.onnx.OnnxImporter;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RnnModels#load(Path)}: an ONNX model is imported, its spec's class compiled (then cached) and loaded
 * over the imported weights. The files are the ONNX module's committed test models (made by its
 * {@code make_onnx_models.py}; that module checks the import against ONNX Runtime).
 */
class OnnxLoadTest {
  /** Two-layer bidirectional GRU with a softmax head, as {@code torch.onnx.export} writes it. */
  private static final Path GRU = Path.of("../compiler/onnx/src/test/resources/onnx/torch_gru_2x_bi_softmax.onnx");
  private static final Path UNSUPPORTED = Path.of("../compiler/onnx/src/test/resources/onnx/bad_unsupported_op.onnx");

  @TempDir Path directory;
  private final List<LoadEvent.Kind> events = Collections.synchronizedList(new ArrayList<>());

  private RnnModels models() {
    return RnnModels.builder().cacheDirectory(directory.resolve("cache")).listener(e -> events.add(e.kind())).build();
  }

  @Test
  void anOnnxModelRunsAsItsImportedSpecAndWeightsDoAndIsCached() {
    RnnModel loaded = models().loadOnnx(GRU);
    assertEquals(List.of(LoadEvent.Kind.COMPILED), events);

    ImportedModel imported = OnnxImporter.read(GRU);
    ModelConfig config = loaded.config();
    assertEquals(imported.config().withLimits(config.maxBatch(), config.maxLength()), config);
    int batch = Math.min(2, loaded.maxBatch());
    int steps = Math.min(5, loaded.maxLength());
    ReferenceModel reference = new ReferenceModel(imported.parameters(), batch, steps);
    int[] lengths = {steps, Math.max(1, steps - 2)};
    float[] input = null;
    int[] tokens = null;
    SplittableRandom random = new SplittableRandom(9);
    if (config.hasEmbedding()) {
      tokens = random.ints(batch * steps, 0, config.vocab()).toArray();
      loaded.forwardTokens(tokens, batch, steps, lengths, null, null);
      reference.forwardTokens(tokens, batch, steps, lengths, null, null);
    } else {
      input = new float[batch * steps * config.inputSize()];
      for (int i = 0; i < input.length; i++) {
        input[i] = (float) random.nextDouble(-1, 1);
      }
      loaded.forward(input, batch, steps, lengths, null, null);
      reference.forward(input, batch, steps, lengths, null, null);
    }
    float[] expected = config.hasHead() ? reference.prediction() : reference.output();
    float[] actual = config.hasHead() ? loaded.prediction() : loaded.output();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5 + 1e-4 * Math.abs(expected[i]), "result " + i);
    }

    events.clear();
    RnnModel cached = models().loadOnnx(GRU);
    assertEquals(List.of(LoadEvent.Kind.DISK_CACHE_HIT), events, "a second load reads the compiled class back");
    if (tokens != null) {
      cached.forwardTokens(tokens, batch, steps, lengths, null, null);
    } else {
      cached.forward(input, batch, steps, lengths, null, null);
    }
    assertArrayEquals(actual, config.hasHead() ? cached.prediction() : cached.output());
  }

  @Test
  void anUnsupportedGraphIsRefusedWithTheImportersMessageAndNothingIsCached() {
    OnnxException e = assertThrows(OnnxException.class, () -> models().loadOnnx(UNSUPPORTED));
    assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
    assertFalse(Files.exists(directory.resolve("cache")));
    assertTrue(events.isEmpty());
  }
}
