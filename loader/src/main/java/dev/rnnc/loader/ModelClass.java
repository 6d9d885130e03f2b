package dev.rnnc.loader;

import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.Objects;

/**
 * A spec's generated class, compiled (or read from the cache) and loaded: the factory of its weights and
 * instances. Thread-safe; instances it makes are not (one per thread, over shared {@link SharedWeights}).
 */
public final class ModelClass {
  private final Spec spec;
  private final Class<? extends RnnModel> type;
  private final Constructor<?> weightsConstructor;
  private final Constructor<?> modelConstructor;
  private final LoadEvent.Kind origin;
  private final long generationNanos;
  private final long compileNanos;

  ModelClass(Spec spec, Class<?> loaded, LoadEvent.Kind origin, long generationNanos, long compileNanos) {
    if (!RnnModel.class.isAssignableFrom(loaded)) {
      throw new IllegalStateException("generated class " + loaded.getName() + " does not implement RnnModel");
    }
    this.spec = spec;
    this.type = loaded.asSubclass(RnnModel.class);
    this.origin = origin;
    this.generationNanos = generationNanos;
    this.compileNanos = compileNanos;
    try {
      Class<?> weights = Class.forName(loaded.getName() + "$Weights", true, loaded.getClassLoader());
      this.weightsConstructor = weights.getConstructor(ModelParameters.class);
      this.modelConstructor = loaded.getConstructor(weights, int.class, int.class);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("generated class " + loaded.getName() + " lacks its Weights constructors", e);
    }
  }

  /** The spec the class was generated from. */
  public Spec spec() {
    return spec;
  }

  /** The model the spec describes, with the spec's limits. */
  public ModelConfig config() {
    return spec.config();
  }

  /** The generated class. */
  public Class<? extends RnnModel> type() {
    return type;
  }

  /** Whether instances implement {@link StreamingModel} (unidirectional specs). */
  public boolean streaming() {
    return StreamingModel.class.isAssignableFrom(type);
  }

  /** Whether instances implement {@link TrainableModel} (specs with a {@code training} section). */
  public boolean trainable() {
    return TrainableModel.class.isAssignableFrom(type);
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

  /**
   * Repacks {@code parameters} into the generated class's immutable {@code Weights}, which any number of
   * instances and threads may share.
   *
   * @throws IllegalArgumentException if a parameter is missing or has the wrong shape for this model
   */
  public SharedWeights weights(ModelParameters parameters) {
    Objects.requireNonNull(parameters, "parameters");
    return new SharedWeights(construct(weightsConstructor, parameters));
  }

  /** A new instance over its own copy of {@code parameters}, sized by the spec's limits. */
  public RnnModel newInstance(ModelParameters parameters) {
    return weights(parameters).newInstance();
  }

  /** A new instance over its own copy of {@code parameters}, holding at most {@code maxBatch} × {@code maxLength}. */
  public RnnModel newInstance(ModelParameters parameters, int maxBatch, int maxLength) {
    return weights(parameters).newInstance(maxBatch, maxLength);
  }

  private static Object construct(Constructor<?> constructor, Object... arguments) {
    try {
      return constructor.newInstance(arguments);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException("cannot construct " + constructor.getDeclaringClass().getName(), cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + constructor.getDeclaringClass().getName(), e);
    }
  }

  @Override
  public String toString() {
    return type.getName() + " (" + origin + ")";
  }

  /** One model's repacked weights, shared by the instances made from it. */
  public final class SharedWeights {
    private final Object generated;

    private SharedWeights(Object generated) {
      this.generated = generated;
    }

    /** The generated class's {@code Weights} object (cast it when the class is known at compile time). */
    public Object generated() {
      return generated;
    }

    /** The class these weights belong to. */
    public ModelClass modelClass() {
      return ModelClass.this;
    }

    /** A new instance over these weights, sized by the spec's limits. */
    public RnnModel newInstance() {
      return newInstance(config().maxBatch(), config().maxLength());
    }

    /**
     * A new instance over these weights holding at most {@code maxBatch} sequences of {@code maxLength} steps.
     *
     * @throws IllegalArgumentException if a limit is not positive
     */
    public RnnModel newInstance(int maxBatch, int maxLength) {
      return (RnnModel) construct(modelConstructor, generated, maxBatch, maxLength);
    }
  }
}
