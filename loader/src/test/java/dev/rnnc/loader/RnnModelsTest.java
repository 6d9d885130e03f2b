package dev.rnnc.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecException;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RnnModelsTest {
  /** Each test gets its own model name so that classes of different tests cannot be confused. */
  private static final String SPEC = """
      model: %s
      package: t.loader
      cell: lstm
      input: 5
      hidden: 12
      layers: 2
      head: {size: 3}
      limits: {max_batch: 2, max_length: 6}
      training: {loss: mse}
      """;

  @TempDir Path directory;
  private Path cache;
  private final List<LoadEvent> events = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void setUp() {
    cache = directory.resolve("cache");
  }

  private RnnModels models() {
    return RnnModels.builder().cacheDirectory(cache).listener(events::add).build();
  }

  private Path writeSpec(String model) throws IOException {
    Path file = directory.resolve(model + ".yaml");
    Files.writeString(file, SPEC.formatted(model));
    return file;
  }

  private Path writeWeights(Path spec) {
    Path file = directory.resolve("weights.safetensors");
    ModelParameters.initialize(SpecParser.parse(spec).config(), 7).save(file);
    return file;
  }

  private List<LoadEvent.Kind> kinds() {
    synchronized (events) {
      return events.stream().map(LoadEvent::kind).toList();
    }
  }

  /** A forward pass on fixed input; the bits of every output float, so equal fingerprints mean identical results. */
  static String fingerprint(RnnModel model) {
    int inputSize = model.config().inputSize();
    float[] input = new float[2 * 6 * inputSize];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) Math.sin(0.37 * i);
    }
    model.forward(input, 2, 6, new int[] {6, 4}, null, null);
    StringBuilder bits = new StringBuilder();
    for (float[] result : List.of(model.prediction(), model.hN(), model.cN())) {
      for (float v : result) {
        bits.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(' ');
      }
    }
    return bits.toString().strip();
  }

  @Test
  void firstLoadCompilesAndANewInstanceReadsTheDiskCache() throws IOException {
    Path spec = writeSpec("CachedLstm");
    Path weights = writeWeights(spec);

    RnnModel first = models().loadModel(spec, weights);
    assertEquals(List.of(LoadEvent.Kind.COMPILED), kinds());
    assertTrue(Files.isRegularFile(events.get(0).cacheFile()), "entry written");
    assertInstanceOf(StreamingModel.class, first);
    assertInstanceOf(TrainableModel.class, first);

    events.clear();
    RnnModels second = models();
    RnnModel cached = second.loadModel(spec, weights);
    assertEquals(List.of(LoadEvent.Kind.DISK_CACHE_HIT), kinds());
    assertEquals(LoadEvent.Kind.DISK_CACHE_HIT, second.modelClass(spec).origin());
    assertEquals(0, second.modelClass(spec).generationNanos(), "nothing generated on a cache hit");
    assertEquals(fingerprint(first), fingerprint(cached));
    try (Stream<Path> files = Files.list(cache)) {
      assertEquals(List.of(events.get(0).key() + ".classes"), files.map(p -> p.getFileName().toString()).toList(),
          "one entry, no temporary files left");
    }
  }

  @Test
  void aSpecLoadedBeforeIsReusedFromMemory() throws IOException {
    Path spec = writeSpec("ReusedLstm");
    RnnModels models = models();
    ModelClass first = models.modelClass(spec);
    ModelClass again = models.modelClass(spec);
    assertSame(first, again);
    assertEquals(List.of(LoadEvent.Kind.COMPILED, LoadEvent.Kind.MEMORY_HIT), kinds());
  }

  @Test
  void theSpecsBytesNotItsFileNameAreTheKey() throws IOException {
    Path spec = writeSpec("RenamedLstm");
    Path copy = Files.copy(spec, directory.resolve("elsewhere.yaml"));
    models().modelClass(spec);
    models().modelClass(copy);
    assertEquals(List.of(LoadEvent.Kind.COMPILED, LoadEvent.Kind.DISK_CACHE_HIT), kinds());

    Files.writeString(copy, SPEC.formatted("RenamedLstm").replace("hidden: 12", "hidden: 13"));
    events.clear();
    models().modelClass(copy);
    assertEquals(List.of(LoadEvent.Kind.COMPILED), kinds(), "a changed spec is a new key");
  }

  @Test
  void corruptOrTruncatedEntriesAreRebuilt() throws IOException {
    Path spec = writeSpec("CorruptedLstm");
    Path weights = writeWeights(spec);
    String expected = fingerprint(models().loadModel(spec, weights));
    Path entry = events.get(0).cacheFile();
    byte[] good = Files.readAllBytes(entry);

    byte[] flipped = good.clone();
    flipped[flipped.length / 2] ^= 0x10;
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 100);
    for (byte[] damaged : List.of(flipped, truncated, new byte[0], "not a cache entry".getBytes(StandardCharsets.UTF_8))) {
      Files.write(entry, damaged);
      events.clear();
      RnnModel rebuilt = models().loadModel(spec, weights);
      assertEquals(List.of(LoadEvent.Kind.CORRUPT_CACHE_ENTRY, LoadEvent.Kind.COMPILED), kinds());
      assertEquals(expected, fingerprint(rebuilt));
      events.clear();
      models().modelClass(spec);
      assertEquals(List.of(LoadEvent.Kind.DISK_CACHE_HIT), kinds(), "the rebuilt entry is good");
    }
  }

  @Test
  void temporaryFilesOfKilledWritersAreRemovedWhenOld() throws IOException {
    Files.createDirectories(cache);
    Path abandoned = Files.writeString(cache.resolve("0123.abc.tmp"), "half an entry");
    Path recent = Files.writeString(cache.resolve("4567.def.tmp"), "being written by another JVM");
    Path unrelated = Files.writeString(cache.resolve("notes.txt"), "not the cache's");
    Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minus(java.time.Duration.ofDays(2))));
    models().modelClass(writeSpec("CleaningLstm"));
    assertFalse(Files.exists(abandoned));
    assertTrue(Files.exists(recent), "a write in progress elsewhere is left alone");
    assertTrue(Files.exists(unrelated));
  }

  @Test
  void anEntryOfAnotherKeyUnderThisKeysNameIsRejected() throws IOException {
    Path one = writeSpec("OneLstm");
    Path other = writeSpec("OtherLstm");
    models().modelClass(one);
    models().modelClass(other);
    Path oneEntry = events.get(0).cacheFile();
    Files.copy(events.get(1).cacheFile(), oneEntry, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    events.clear();
    ModelClass reloaded = models().modelClass(one);
    assertEquals("t.loader.OneLstm", reloaded.type().getName());
    assertEquals(List.of(LoadEvent.Kind.CORRUPT_CACHE_ENTRY, LoadEvent.Kind.COMPILED), kinds());
  }

  @Test
  void anUnwritableCacheOnlyCostsTheCompilation() throws IOException {
    Path spec = writeSpec("UncachedLstm");
    Path notADirectory = Files.writeString(directory.resolve("file"), "x");
    RnnModels models = RnnModels.builder().cacheDirectory(notADirectory).listener(events::add).build();
    ModelClass loaded = models.modelClass(spec);
    assertEquals(LoadEvent.Kind.COMPILED, loaded.origin());
    assertEquals(List.of(LoadEvent.Kind.COMPILED, LoadEvent.Kind.CACHE_WRITE_FAILED), kinds());
    assertEquals("x", Files.readString(notADirectory), "nothing of the user's overwritten");
  }

  @Test
  void concurrentLoadsOfOneSpecCompileOnce() throws Exception {
    Path spec = writeSpec("ConcurrentLstm");
    Path weights = writeWeights(spec);
    RnnModels shared = models();
    RnnModels other = models();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        RnnModels models = i % 2 == 0 ? shared : other;
        results.add(pool.submit(() -> fingerprint(models.loadModel(spec, weights))));
      }
      String first = results.get(0).get();
      for (Future<String> result : results) {
        assertEquals(first, result.get());
      }
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
    List<LoadEvent.Kind> kinds = kinds();
    assertEquals(1, Collections.frequency(kinds, LoadEvent.Kind.COMPILED), kinds.toString());
    assertEquals(1, Collections.frequency(kinds, LoadEvent.Kind.DISK_CACHE_HIT), "the other instance: " + kinds);
    assertEquals(6, Collections.frequency(kinds, LoadEvent.Kind.MEMORY_HIT), kinds.toString());
  }

  @Test
  void twoJvmsLoadingAtOnceBothSucceed() throws Exception {
    Path spec = writeSpec("TwoJvmLstm");
    Path weights = writeWeights(spec);
    String expected = fingerprint(RnnModels.builder().noDiskCache().build().loadModel(spec, weights));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<Process> children = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      children.add(new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector",
          "-cp", System.getProperty("java.class.path"), ChildLoad.class.getName(),
          cache.toString(), spec.toString(), weights.toString())
          .redirectErrorStream(true).start());
    }
    for (Process child : children) {
      String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(child.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, child.exitValue(), output);
      List<String> lines = output.lines().filter(l -> l.startsWith("events ") || l.startsWith("output ")).toList();
      assertEquals(2, lines.size(), output);
      assertTrue(lines.get(0).equals("events COMPILED") || lines.get(0).equals("events DISK_CACHE_HIT"), output);
      assertEquals("output " + expected, lines.get(1));
    }
    try (Stream<Path> files = Files.list(cache)) {
      List<String> names = files.map(p -> p.getFileName().toString()).toList();
      assertEquals(1, names.size(), "one entry and no temporary files: " + names);
    }
    events.clear();
    models().modelClass(spec);
    assertEquals(List.of(LoadEvent.Kind.DISK_CACHE_HIT), kinds(), "the entry the children left is good");
  }

  @Test
  void outputsEqualThoseOfTheClassCompiledDirectly() throws Exception {
    Path specFile = writeSpec("DirectLstm");
    Spec spec = SpecParser.parse(specFile);
    ModelParameters parameters = ModelParameters.initialize(spec.config(), 11);
    GeneratedSource source = new RnnCompiler().compile(spec);
    try (InMemoryJavaCompiler javac = new InMemoryJavaCompiler()) {
      Class<?> type = javac.compile(Map.of(source.qualifiedName(), source.source())).load(source.qualifiedName());
      RnnModel direct = (RnnModel) type.getConstructor(ModelParameters.class).newInstance(parameters);
      models().modelClass(spec);
      RnnModel cached = models().loadModel(spec, parameters);
      assertEquals(List.of(LoadEvent.Kind.COMPILED, LoadEvent.Kind.DISK_CACHE_HIT), kinds());
      assertEquals(fingerprint(direct), fingerprint(cached));
    }
  }

  @Test
  void sharedWeightsMakeIndependentInstances() throws IOException {
    Path spec = writeSpec("SharedLstm");
    ModelClass modelClass = models().modelClass(spec);
    ModelClass.SharedWeights weights = modelClass.weights(ModelParameters.initialize(modelClass.config(), 3));
    RnnModel a = weights.newInstance();
    RnnModel b = weights.newInstance(1, 20);
    assertEquals(20, b.maxLength());
    assertEquals(modelClass.type(), a.getClass());
    assertThrows(IllegalArgumentException.class, () -> weights.newInstance(0, 5));
  }

  @Test
  void bidirectionalSpecsAreNotStreaming() throws IOException {
    Path spec = directory.resolve("bi.yaml");
    Files.writeString(spec, "model: BiGru\npackage: t.loader\ncell: gru\ninput: 3\nhidden: 4\nbidirectional: true\n");
    ModelClass modelClass = models().modelClass(spec);
    assertFalse(modelClass.streaming());
    assertFalse(modelClass.trainable());
    assertFalse(modelClass.newInstance(ModelParameters.initialize(modelClass.config(), 1)) instanceof StreamingModel);
  }

  @Test
  void specErrorsArePositionedAndNothingIsCached() throws IOException {
    Path spec = directory.resolve("bad.yaml");
    Files.writeString(spec, "model: Bad\npackage: t.loader\ncell: lstm\ninput: 3\nhiden: 4\n");
    SpecException e = assertThrows(SpecException.class, () -> models().modelClass(spec));
    assertTrue(e.getMessage().contains("bad.yaml:5:1"), e.getMessage());
    assertFalse(Files.exists(cache));
  }
}
