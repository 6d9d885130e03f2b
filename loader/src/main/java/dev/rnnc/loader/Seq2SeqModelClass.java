package dev.rnnc.loader;

import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.Objects;

/**
 * An encoder–decoder spec's generated class, compiled (or read from the cache) and loaded: the factory of its
 * instances. Thread-safe; the instances it makes are not (one per thread).
 *
 * <pre>{@code
 * Seq2SeqModelClass type = RnnModels.defaults().seq2seqClass(Path.of("date_normalizer.yaml"));
 * Seq2SeqModel model = type.newInstance(Seq2SeqParameters.load(Path.of("w.safetensors"), type.config()), 32, 64, 32 * 4);
 * }</pre>
 */
public final class Seq2SeqModelClass {
  private final Seq2SeqSpec spec;
  private final Class<? extends Seq2SeqModel> type;
  private final Constructor<?> constructor;
  private final LoadEvent.Kind origin;
  private final long generationNanos;
  private final long compileNanos;

  Seq2SeqModelClass(Seq2SeqSpec spec, Class<?> loaded, LoadEvent.Kind origin, long generationNanos,
      long compileNanos) {
    if (!Seq2SeqModel.class.isAssignableFrom(loaded)) {
      throw new IllegalStateException("generated class " + loaded.getName() + " does not implement Seq2SeqModel");
    }
    this.spec = spec;
    this.type = loaded.asSubclass(Seq2SeqModel.class);
    this.origin = origin;
    this.generationNanos = generationNanos;
    this.compileNanos = compileNanos;
    try {
      this.constructor = loaded.getConstructor(Seq2SeqParameters.class, int.class, int.class, int.class);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("generated class " + loaded.getName() + " lacks its constructor", e);
    }
  }

  /** The spec the class was generated from. */
  public Seq2SeqSpec spec() {
    return spec;
  }

  /** The model the spec describes, with the spec's limits. */
  public Seq2SeqConfig config() {
    return spec.config();
  }

  /** The generated class. */
  public Class<? extends Seq2SeqModel> type() {
    return type;
  }

  /** How this class was provided when first asked for: {@link LoadEvent.Kind#COMPILED} or {@link LoadEvent.Kind#DISK_CACHE_HIT}. */
  public LoadEvent.Kind origin() {
    return origin;
  }

  /** Time spent generating the source (0 when read from the cache). */
  public long generationNanos() {
    return generationNanos;
  }

  /** Time spent in javac and loading the class, or reading it from the cache and loading it. */
  public long compileNanos() {
    return compileNanos;
  }

  /** A new instance over its own copy of {@code parameters}, with the spec's limits, decoding max_batch rows. */
  public Seq2SeqModel newInstance(Seq2SeqParameters parameters) {
    return newInstance(parameters, config().maxBatch(), config().maxLength(), config().maxBatch());
  }

  /**
   * A new instance over its own copy of {@code parameters}.
   *
   * @param maxBatch  largest batch of one call
   * @param maxLength longest source and longest target of one call
   * @param maxRows   decoder rows for step-wise decoding: at least maxBatch, max batch × the widest beam for beam
   *                  search
   * @throws IllegalArgumentException if a limit is out of range or a parameter is missing or mis-shaped
   */
  public Seq2SeqModel newInstance(Seq2SeqParameters parameters, int maxBatch, int maxLength, int maxRows) {
    Objects.requireNonNull(parameters, "parameters");
    try {
      return (Seq2SeqModel) constructor.newInstance(parameters, maxBatch, maxLength, maxRows);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException("cannot construct " + type.getName(), cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + type.getName(), e);
    }
  }

  @Override
  public String toString() {
    return type.getName() + " (" + origin + ")";
  }
}
