package dev.rnnc.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.reference.ReferenceSeq2Seq;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encoder–decoder specs through the loader: generated, compiled, cached, instantiated, equal to the reference. */
class Seq2SeqLoadTest {
  private static final String SPEC = """
      model: %s
      package: t.loader
      encoder: {cell: lstm, embedding: {vocab: 9, dim: 4}, hidden: 5, bidirectional: true}
      decoder: {cell: lstm, embedding: {vocab: 7, dim: 3}, hidden: 10, bridge: copy, context: every_step}
      head: {size: 7}
      decode: {start: 1, end: 2, max_length: 6}
      limits: {max_batch: 3, max_length: 8}
      training: {loss: cross_entropy}
      """;

  @TempDir Path directory;
  private final List<LoadEvent> events = Collections.synchronizedList(new ArrayList<>());

  private RnnModels models() {
    return RnnModels.builder().cacheDirectory(directory.resolve("cache")).listener(events::add).build();
  }

  private Path writeSpec(String model) throws IOException {
    Path file = directory.resolve(model + ".yaml");
    Files.writeString(file, SPEC.formatted(model));
    return file;
  }

  @Test
  void loadsCachesAndAgreesWithTheReference() throws IOException {
    Path spec = writeSpec("LoadedS2s");
    RnnModels models = models();
    Seq2SeqModelClass type = models.seq2seqClass(spec);
    assertEquals(LoadEvent.Kind.COMPILED, type.origin());
    assertSame(type, models.seq2seqClass(spec));
    Seq2SeqModelClass cached = models().seq2seqClass(spec);
    assertEquals(LoadEvent.Kind.DISK_CACHE_HIT, cached.origin());

    Seq2SeqParameters parameters = Seq2SeqParameters.initialize(type.config(), 3);
    Path weights = directory.resolve("w.safetensors");
    parameters.save(weights);
    Seq2SeqModel fromFiles = models.loadSeq2SeqModel(spec, weights);
    Seq2SeqModel model = cached.newInstance(parameters, 2, 8, 4);
    ReferenceSeq2Seq reference = new ReferenceSeq2Seq(parameters, 2, 8, 4);
    int[] source = {3, 4, 5, 6, 8, 1, 0, 0};
    int[] sourceLengths = {4, 2};
    int[] target = {3, 4, 2, 5, 2, 0};
    int[] targetLengths = {3, 2};
    double expected = reference.teacherForce(source, null, 2, 4, sourceLengths, target, 3, targetLengths);
    assertEquals(expected, model.teacherForce(source, null, 2, 4, sourceLengths, target, 3, targetLengths), 1e-5);
    assertEquals(expected, fromFiles.teacherForce(source, null, 2, 4, sourceLengths, target, 3, targetLengths), 1e-5);

    int[] tokens = new int[2 * 6];
    int[] lengths = new int[2];
    int[] referenceTokens = new int[2 * 6];
    int[] referenceLengths = new int[2];
    model.encode(source, null, 2, 4, sourceLengths);
    model.decodeGreedy(tokens, lengths);
    reference.encode(source, null, 2, 4, sourceLengths);
    reference.decodeGreedy(referenceTokens, referenceLengths);
    assertArrayEquals(referenceTokens, tokens);
    assertArrayEquals(referenceLengths, lengths);
  }

  @Test
  void eachKindOfSpecIsRefusedByTheOtherKindsLoader() throws IOException {
    Path spec = writeSpec("Refused");
    RnncException e = assertThrows(RnncException.class, () -> models().modelClass(spec));
    assertTrue(e.getMessage().contains("encoder–decoder spec") && e.getMessage().contains("seq2seqClass"),
        e.getMessage());
    Path single = directory.resolve("single.yaml");
    Files.writeString(single, "model: Single\npackage: t.loader\ncell: gru\ninput: 3\nhidden: 4\n");
    RnncException other = assertThrows(RnncException.class, () -> models().seq2seqClass(single));
    assertTrue(other.getMessage().contains("single-stack spec"), other.getMessage());
  }

  /** Scalar kernels reach the nested stacks too (they choose their kernels when they initialise). */
  @Test
  void scalarKernelsApplyToBothStacks() throws Exception {
    Path spec = writeSpec("ScalarS2s");
    Seq2SeqModelClass type = RnnModels.builder().noDiskCache().scalarKernels(true).build().seq2seqClass(spec);
    for (String stack : List.of("Encoder", "Decoder")) {
      java.lang.reflect.Field vector = Class.forName(type.type().getName() + "$" + stack, false,
          type.type().getClassLoader()).getDeclaredField("VECTOR");
      vector.setAccessible(true);
      assertEquals(false, vector.getBoolean(null), stack);
    }
  }

  @Test
  void theShippedSpecsLoad() {
    RnnModels models = RnnModels.builder().noDiskCache().build();
    for (String name : List.of("date_normalizer_seq2seq.yaml", "melody_one_to_many.yaml")) {
      Path file = Path.of("../specs/encoder_decoder", name);
      Seq2SeqSpec spec = (Seq2SeqSpec) SpecParser.parseAny(file);
      Seq2SeqModel model = models.seq2seqClass(spec).newInstance(Seq2SeqParameters.initialize(spec.config(), 1), 2,
          spec.config().maxLength(), 2);
      assertEquals(spec.config().targetVocab(), model.vocabulary(), name);
    }
  }
}
