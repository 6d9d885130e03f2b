package dev.rnnc.loader;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.memory.CompiledClasses;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.plan.Seq2SeqPlan;
import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.onnx.ImportedModel;
import dev.rnnc.onnx.OnnxImporter;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Load-time specialisation: turns a spec (and weights) into a loaded instance of the model's generated class
 * while the application runs, instead of generating the class at build time with the Maven plugin.
 *
 * <pre>{@code
 * RnnModel model = RnnModels.load(Path.of("tagger.yaml"), Path.of("tagger.safetensors"));
 * // cast to StreamingModel / TrainableModel when the spec makes the class one
 * RnnModel imported = RnnModels.load(Path.of("exported.onnx"));
 * }</pre>
 *
 * <p>The first load of a spec generates its source and compiles it with the JDK's javac in memory (seconds);
 * the class files go to a content-addressed cache directory, so any later load of the same spec, in
 * this JVM or another, reads them back instead (milliseconds). The cache key is the SHA-256 of the spec's bytes,
 * rnnc's version and the JDK's version. Entries are written atomically and checksummed: a corrupt entry is
 * reported ({@link LoadEvent.Kind#CORRUPT_CACHE_ENTRY}) and rebuilt, and a cache that cannot be written
 * only costs the next start its compilation. Within one {@code RnnModels} a spec is loaded once and its class
 * reused; concurrent loads of one spec in one JVM compile it once.
 *
 * <p>The default cache directory is {@value #CACHE_DIRECTORY_PROPERTY} if set ({@code none} disables the disk
 * cache), else {@code $XDG_CACHE_HOME/rnnc}, else {@code ~/.cache/rnnc}. Needs a JDK (javac) at run time on a
 * cache miss; run with {@code --add-modules jdk.incubator.vector} for the vector kernels.
 */
public final class RnnModels {
  /** System property naming the default cache directory; {@code none} turns the disk cache off. */
  public static final String CACHE_DIRECTORY_PROPERTY = "rnnc.cache.dir";
  /** Bumped when the cache's entry format or key changes meaning. */
  private static final String CACHE_FORMAT = "1";

  /** The compiler is costly to start and keeps warm caches: one per JVM, for every instance. */
  private static InMemoryJavaCompiler javac;
  /** One lock per cache entry, JVM-wide, so two instances sharing a directory compile a spec once. */
  private static final Map<Path, Object> ENTRY_LOCKS = new ConcurrentHashMap<>();
  /** Generated classes read {@code rnnc.vector} while they initialise; this serialises that moment. */
  private static final Object INITIALISATION = new Object();
  private static volatile RnnModels defaults;

  private final ClassCache cache;
  private final boolean scalarKernels;
  private final Consumer<LoadEvent> listener;
  /** The classes this instance provided, by cache key: {@link ModelClass}es and {@link Seq2SeqModelClass}es. */
  private final Map<String, CompletableFuture<Object>> loaded = new ConcurrentHashMap<>();

  private RnnModels(Builder builder) {
    this.cache = builder.cacheDirectory == null ? null : new ClassCache(builder.cacheDirectory);
    this.scalarKernels = builder.scalarKernels;
    this.listener = builder.listener;
  }

  /**
   * Loads {@code weights} (safetensors, PyTorch names) into a new instance of {@code spec}'s generated class,
   * sized by the spec's limits, using {@link #defaults()}.
   *
   * @throws dev.rnnc.compiler.spec.SpecException if the spec has errors (each named {@code file:line:column})
   * @throws dev.rnnc.runtime.RnncException       if a file cannot be read or the weights do not fit the spec
   */
  public static RnnModel load(Path spec, Path weights) {
    return defaults().loadModel(spec, weights);
  }

  /**
   * Imports an ONNX model (LSTM, GRU and RNN nodes with the glue exporters put between them and a head, as
   * {@code rnnc import} supports) and loads it as {@link #load(Path, Path)} loads a spec and its weights, using
   * {@link #defaults()}. The imported spec's text is the cache key's spec part.
   *
   * @throws dev.rnnc.onnx.OnnxException if the file is malformed or the graph is not one rnnc supports (the
   *     message names the node and its op type)
   */
  public static RnnModel load(Path onnx) {
    return defaults().loadOnnx(onnx);
  }

  /** The process-wide instance behind the static methods: default cache directory, vector kernels. */
  public static RnnModels defaults() {
    RnnModels instance = defaults;
    if (instance == null) {
      synchronized (RnnModels.class) {
        instance = defaults;
        if (instance == null) {
          instance = builder().build();
          defaults = instance;
        }
      }
    }
    return instance;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The default cache directory, or empty when {@value #CACHE_DIRECTORY_PROPERTY} is {@code none}.
   */
  public static Optional<Path> defaultCacheDirectory() {
    String configured = System.getProperty(CACHE_DIRECTORY_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return configured.strip().equals("none") ? Optional.empty() : Optional.of(Path.of(configured.strip()));
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Optional.of(Path.of(xdg, "rnnc"));
    }
    return Optional.of(Path.of(System.getProperty("user.home"), ".cache", "rnnc"));
  }

  /** The cache directory of this instance, or empty without a disk cache. */
  public Optional<Path> cacheDirectory() {
    return cache == null ? Optional.empty() : Optional.of(cache.directory());
  }

  /** Like {@link #load(Path, Path)}, through this instance's cache. */
  public RnnModel loadModel(Path spec, Path weights) {
    ModelClass modelClass = modelClass(spec);
    return modelClass.newInstance(ModelParameters.load(weights, modelClass.config()));
  }

  /** Like {@link #load(Path)}, through this instance's cache. */
  public RnnModel loadOnnx(Path onnx) {
    ImportedModel imported = OnnxImporter.read(onnx);
    Spec spec = SpecParser.parse(onnx + " (imported)", imported.specYaml());
    return modelClass(spec).newInstance(imported.parameters());
  }

  /** A new instance of {@code spec}'s class over {@code parameters}, sized by the spec's limits. */
  public RnnModel loadModel(Spec spec, ModelParameters parameters) {
    return modelClass(spec).newInstance(parameters);
  }

  /** Parses {@code specFile} and provides its class (see {@link #modelClass(Spec)}). */
  public ModelClass modelClass(Path specFile) {
    ParsedSpec parsed = SpecParser.parseAny(specFile);
    if (parsed instanceof Seq2SeqSpec) {
      throw new RnncException(specFile + " is an encoder–decoder spec; its class implements Seq2SeqModel: load it with"
          + " RnnModels.seq2seqClass or loadSeq2Seq");
    }
    return modelClass((Spec) parsed);
  }

  /**
   * Loads {@code weights} (safetensors, the PyTorch names of an encoder–decoder) into a new instance of an
   * encoder–decoder spec's generated class, sized by the spec's limits, using {@link #defaults()}.
   *
   * @throws dev.rnnc.compiler.spec.SpecException if the spec has errors (each named {@code file:line:column})
   * @throws RnncException                        if a file cannot be read, the weights do not fit the spec, or the
   *     spec is a single-stack one
   */
  public static Seq2SeqModel loadSeq2Seq(Path spec, Path weights) {
    return defaults().loadSeq2SeqModel(spec, weights);
  }

  /** Like {@link #loadSeq2Seq(Path, Path)}, through this instance's cache. */
  public Seq2SeqModel loadSeq2SeqModel(Path spec, Path weights) {
    Seq2SeqModelClass modelClass = seq2seqClass(spec);
    return modelClass.newInstance(Seq2SeqParameters.load(weights, modelClass.config()));
  }

  /** Parses {@code specFile}, which must be an encoder–decoder spec, and provides its class. */
  public Seq2SeqModelClass seq2seqClass(Path specFile) {
    ParsedSpec parsed = SpecParser.parseAny(specFile);
    if (parsed instanceof Seq2SeqSpec seq2seq) {
      return seq2seqClass(seq2seq);
    }
    throw new RnncException(specFile + " is a single-stack spec (no encoder: and decoder: sections); load it with"
        + " RnnModels.modelClass or load");
  }

  /**
   * An encoder–decoder spec's generated class (implementing {@link Seq2SeqModel}), provided as
   * {@link #modelClass(Spec)} provides single-stack classes: from this instance, the disk cache, or freshly
   * generated and compiled.
   *
   * @throws dev.rnnc.compiler.GeneratedCodeException if javac rejects the generated code (an rnnc bug)
   */
  public Seq2SeqModelClass seq2seqClass(Seq2SeqSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return (Seq2SeqModelClass) provideOnce(spec, loaded -> new Seq2SeqModelClass(spec, loaded.type(), loaded.origin(),
        loaded.generationNanos(), loaded.compileNanos()));
  }

  /**
   * {@code spec}'s generated class: the one this instance loaded before, or one read from the disk cache, or a
   * freshly generated and compiled one (then written to the cache).
   *
   * @throws dev.rnnc.compiler.GeneratedCodeException if javac rejects the generated code (an rnnc bug)
   */
  public ModelClass modelClass(Spec spec) {
    Objects.requireNonNull(spec, "spec");
    return (ModelClass) provideOnce(spec, loaded -> new ModelClass(spec, loaded.type(), loaded.origin(),
        loaded.generationNanos(), loaded.compileNanos()));
  }

  /** A class as compiled or read from the disk cache, with where it came from and what it cost. */
  private record Provided(Class<?> type, LoadEvent.Kind origin, long generationNanos, long compileNanos) {}

  /** The object {@code wrap} made of the spec's class the first time this instance provided it. */
  private Object provideOnce(ParsedSpec spec, java.util.function.Function<Provided, Object> wrap) {
    String key = cacheKey(spec);
    CompletableFuture<Object> mine = new CompletableFuture<>();
    CompletableFuture<Object> earlier = loaded.putIfAbsent(key, mine);
    if (earlier != null) {
      long start = System.nanoTime();
      Object result = join(earlier);
      report(LoadEvent.Kind.MEMORY_HIT, spec.qualifiedName(), key, System.nanoTime() - start, "");
      return result;
    }
    try {
      Object result = wrap.apply(provide(spec, key));
      mine.complete(result);
      return result;
    } catch (RuntimeException | Error e) {
      // Forget the failure so a later call tries again (after the user fixed the environment, say).
      loaded.remove(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * The cache key of a spec: SHA-256 over the spec's own hash, rnnc's version, a fingerprint of the code generator
   * itself ({@link GeneratorFingerprint}: a generator changed without a version bump never reuses classes an older
   * one compiled), the JDK's version and the cache format, in lowercase hex. The spec's file name is not part of it
   * (it only appears in a source comment).
   */
  public static String cacheKey(ParsedSpec spec) {
    String material = String.join("\n", "rnnc-class-cache " + CACHE_FORMAT, spec.sha256(), spec.qualifiedName(),
        RnnCompiler.VERSION, GeneratorFingerprint.get(), Runtime.version().toString(),
        System.getProperty("java.vm.vendor", ""));
    MessageDigest digest = ClassCache.sha256();
    return HexFormat.of().formatHex(digest.digest(material.getBytes(StandardCharsets.UTF_8)));
  }

  private static Object join(CompletableFuture<Object> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  private Provided provide(ParsedSpec spec, String key) {
    if (cache == null) {
      return compile(spec, key);
    }
    Path file = cache.entry(key);
    synchronized (ENTRY_LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), f -> new Object())) {
      long start = System.nanoTime();
      String problem;
      try {
        ClassCache.Entry entry = cache.read(key);
        if (entry == null) {
          return compile(spec, key);
        }
        if (!entry.mainClass().equals(spec.qualifiedName())) {
          throw new ClassCache.Corrupt("entry holds " + entry.mainClass() + ", not " + spec.qualifiedName());
        }
        Class<?> type = define(CompiledClasses.of(entry.classBytes()), entry.mainClass());
        long nanos = System.nanoTime() - start;
        Provided result = new Provided(type, LoadEvent.Kind.DISK_CACHE_HIT, 0, nanos);
        report(LoadEvent.Kind.DISK_CACHE_HIT, spec.qualifiedName(), key, nanos, "");
        return result;
      } catch (ClassCache.Corrupt e) {
        problem = e.getMessage();
      } catch (IOException e) {
        problem = "cannot read: " + e;
      } catch (LinkageError e) {
        if (e instanceof ExceptionInInitializerError) {
          throw e; // the class is fine; its initialisation failed, and would again after a rebuild
        }
        problem = "classes do not load: " + e;
      }
      report(LoadEvent.Kind.CORRUPT_CACHE_ENTRY, spec.qualifiedName(), key, System.nanoTime() - start, problem);
      return compile(spec, key);
    }
  }

  private Provided compile(ParsedSpec spec, String key) {
    long start = System.nanoTime();
    GeneratedSource source = new RnnCompiler().compile(spec);
    long generated = System.nanoTime();
    CompiledClasses classes = javac().compile(Map.of(source.qualifiedName(), source.source()));
    Class<?> type = define(classes, source.qualifiedName());
    long compiled = System.nanoTime();
    Provided result = new Provided(type, LoadEvent.Kind.COMPILED, generated - start, compiled - generated);
    report(LoadEvent.Kind.COMPILED, spec.qualifiedName(), key, compiled - start, "");
    if (cache != null) {
      long writeStart = System.nanoTime();
      try {
        cache.write(key, new ClassCache.Entry(source.qualifiedName(), classes.classBytes()));
      } catch (IOException | RuntimeException e) {
        report(LoadEvent.Kind.CACHE_WRITE_FAILED, spec.qualifiedName(), key, System.nanoTime() - writeStart,
            e.toString());
      }
    }
    return result;
  }

  /** Defines the classes in a fresh loader and initialises the main one, with the kernels this instance asks for. */
  private Class<?> define(CompiledClasses classes, String mainClass) {
    ClassLoader loader = classes.loader(RnnModels.class.getClassLoader());
    synchronized (INITIALISATION) {
      String previous = System.getProperty("rnnc.vector");
      if (scalarKernels) {
        System.setProperty("rnnc.vector", "false");
      }
      try {
        Class<?> type = Class.forName(mainClass, true, loader);
        if (Seq2SeqModel.class.isAssignableFrom(type)) {
          // The stacks are nested classes with their own kernel choice: initialise them now, under the same setting.
          for (String stack : List.of(Seq2SeqPlan.ENCODER_CLASS, Seq2SeqPlan.DECODER_CLASS)) {
            Class.forName(mainClass + "$" + stack, true, loader);
          }
        }
        return type;
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("compiled classes lack " + mainClass, e);
      } finally {
        if (scalarKernels) {
          if (previous == null) {
            System.clearProperty("rnnc.vector");
          } else {
            System.setProperty("rnnc.vector", previous);
          }
        }
      }
    }
  }

  private static synchronized InMemoryJavaCompiler javac() {
    if (javac == null) {
      javac = new InMemoryJavaCompiler();
    }
    return javac;
  }

  private void report(LoadEvent.Kind kind, String className, String key, long nanos, String detail) {
    if (listener != null) {
      listener.accept(new LoadEvent(kind, className, key, cache == null ? null : cache.entry(key), nanos, detail));
    }
  }

  /** Configures an {@link RnnModels}; by default the {@link #defaultCacheDirectory()}, vector kernels, no listener. */
  public static final class Builder {
    private Path cacheDirectory = defaultCacheDirectory().orElse(null);
    private boolean scalarKernels;
    private Consumer<LoadEvent> listener;

    private Builder() {}

    /** Where compiled classes are cached (created when first written). */
    public Builder cacheDirectory(Path directory) {
      this.cacheDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** No disk cache: every new {@code RnnModels} compiles each spec it loads once. */
    public Builder noDiskCache() {
      this.cacheDirectory = null;
      return this;
    }

    /** Loads classes with their scalar kernels (as {@code -Drnnc.vector=false} would), for comparisons. */
    public Builder scalarKernels(boolean scalar) {
      this.scalarKernels = scalar;
      return this;
    }

    /** Told of every load, cache hit and cache problem, on the loading thread. */
    public Builder listener(Consumer<LoadEvent> listener) {
      this.listener = listener;
      return this;
    }

    public RnnModels build() {
      return new RnnModels(this);
    }
  }
}
