package dev.rnnc.cli;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.memory.CompiledClasses;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A spec turned into something that makes model instances: its generated class compiled in memory and loaded,
 * or, with {@code --reference}, the runtime's double-precision {@link ReferenceModel} (slow, but the yardstick
 * the generated code is tested against, and trainable even when the generated class is not).
 */
final class ModelLoader {
  private final Spec spec;
  private final boolean reference;
  private final boolean scalar;
  /** The generated class, compiled on first use (null with the reference implementation). */
  private Class<?> type;
  private Constructor<?> weightsConstructor;
  private Constructor<?> modelConstructor;
  /** Time the compilation took: source generation, then javac and class loading (0 until compiled). */
  private long generationNanos;
  private long javacNanos;

  private ModelLoader(Spec spec, boolean reference, boolean scalar) {
    this.spec = spec;
    this.reference = reference;
    this.scalar = scalar;
  }

  /**
   * Parses {@code specFile}; the generated class is compiled only when first needed, so that commands can
   * check their other inputs first and fail fast.
   *
   * @param reference use the reference implementation instead of generated code
   * @param scalar    load the generated class with its scalar kernels instead of the Vector API ones
   */
  static ModelLoader load(Path specFile, boolean reference, boolean scalar) {
    return new ModelLoader(SpecParser.parse(specFile), reference, scalar);
  }

  /** Like {@link #load(Path, boolean, boolean)}, for a spec parsed elsewhere (a built-in one, for example). */
  static ModelLoader of(Spec spec, boolean reference, boolean scalar) {
    return new ModelLoader(spec, reference, scalar);
  }

  /**
   * One compiler for the process: a command compiles once, but in-process callers (tests, a future REPL) reuse
   * javac's warmed-up caches. It keeps the class path's jars open until the JVM exits.
   */
  private static InMemoryJavaCompiler javac;

  private static synchronized InMemoryJavaCompiler javac() {
    if (javac == null) {
      javac = new InMemoryJavaCompiler();
    }
    return javac;
  }

  /** Compiles and loads the generated class if that has not been done yet. */
  private void compile() {
    if (reference || type != null) {
      return;
    }
    long start = System.nanoTime();
    GeneratedSource source = new RnnCompiler().compile(spec);
    long generated = System.nanoTime();
    CompiledClasses classes = javac().compile(Map.of(source.qualifiedName(), source.source()));
    // Generated classes read rnnc.vector once, when initialised: set it just for that moment.
    String previous = System.getProperty("rnnc.vector");
    if (scalar) {
      System.setProperty("rnnc.vector", "false");
    }
    try {
      type = classes.load(source.qualifiedName());
    } finally {
      if (scalar) {
        if (previous == null) {
          System.clearProperty("rnnc.vector");
        } else {
          System.setProperty("rnnc.vector", previous);
        }
      }
    }
    generationNanos = generated - start;
    javacNanos = System.nanoTime() - generated;
    try {
      Class<?> weights = Class.forName(type.getName() + "$Weights", true, type.getClassLoader());
      weightsConstructor = weights.getConstructor(ModelParameters.class);
      modelConstructor = type.getConstructor(weights, int.class, int.class);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("generated class " + type.getName() + " lacks its Weights constructors", e);
    }
  }

  Spec spec() {
    return spec;
  }

  /** Compiles the generated class if needed; returns how long generating its source took, in nanoseconds. */
  long generationNanos() {
    compile();
    return generationNanos;
  }

  /** Compiles the generated class if needed; returns how long javac and loading it took, in nanoseconds. */
  long javacNanos() {
    compile();
    return javacNanos;
  }

  ModelConfig config() {
    return spec.config();
  }

  /** The generated class's name, or the reference model's. */
  String implementation() {
    compile();
    return type == null ? ReferenceModel.class.getName() + " (reference)" : type.getName();
  }

  /** Whether instances implement {@link TrainableModel}. */
  boolean trainable() {
    compile();
    return type == null || TrainableModel.class.isAssignableFrom(type);
  }

  /** Whether instances implement {@link StreamingModel}. */
  boolean streaming() {
    compile();
    return type == null ? !config().bidirectional() : StreamingModel.class.isAssignableFrom(type);
  }

  /** A new instance holding at most {@code maxBatch} sequences of {@code maxLength} steps. */
  RnnModel newInstance(ModelParameters parameters, int maxBatch, int maxLength) {
    compile();
    if (type == null) {
      return new ReferenceModel(parameters, maxBatch, maxLength);
    }
    try {
      Object weights = weightsConstructor.newInstance(parameters);
      return (RnnModel) modelConstructor.newInstance(weights, maxBatch, maxLength);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException("cannot instantiate " + type.getName(), cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot instantiate " + type.getName(), e);
    }
  }

  /** A trainable instance, or a clear error when the spec has no training section. */
  TrainableModel newTrainable(ModelParameters parameters, int maxBatch, int maxLength) {
    if (config().training() == null) {
      throw new RnncException(spec.sourceName() + ": spec has no training section (add one with at least"
          + " 'loss:' to compute gradients or train)");
    }
    if (!trainable()) {
      throw new RnncException(spec.sourceName() + ": the generated class " + type.getName()
          + " does not implement training in this version of rnnc; run with --reference to use the reference"
          + " implementation");
    }
    return (TrainableModel) newInstance(parameters, maxBatch, maxLength);
  }
}
