package dev.rnnc.compiler.emit;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.memory.CompiledClasses;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelParameters;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test support: generates, compiles (many specs per javac run) and instantiates model classes. */
public final class GeneratedModels {
  private static final InMemoryJavaCompiler JAVAC = new InMemoryJavaCompiler();
  // Unverified here: compile() below verifies every class once, source and bytecode layer together.
  private static final RnnCompiler RNNC = RnnCompiler.unverified();
  /** The system property {@link dev.rnnc.runtime.VectorSupport} reads once per generated class. */
  private static final String VECTOR_PROPERTY = "rnnc.vector";

  private GeneratedModels() {}

  /** A compiled generated class and its source. */
  public record Compiled(Spec spec, GeneratedSource source, Class<?> type) {
    /** A new instance with the spec's limits. */
    public Object instantiate(ModelParameters parameters) {
      try {
        Constructor<?> ctor = type.getConstructor(ModelParameters.class);
        return ctor.newInstance(parameters);
      } catch (InvocationTargetException e) {
        throw rethrow(e);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError("cannot instantiate " + type.getName(), e);
      }
    }

    /** The packed weights of the nested {@code Weights} class, built from {@code parameters}. */
    public Object weights(ModelParameters parameters) {
      try {
        Class<?> weights = Class.forName(type.getName() + "$Weights", true, type.getClassLoader());
        return weights.getConstructor(ModelParameters.class).newInstance(parameters);
      } catch (InvocationTargetException e) {
        throw rethrow(e);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError("cannot build the weights of " + type.getName(), e);
      }
    }

    /** A new instance over shared {@code weights} (from {@link #weights} or another instance) with its own limits. */
    public Object instantiate(Object weights, int maxBatch, int maxLength) {
      try {
        Constructor<?> ctor = type.getConstructor(weights.getClass(), int.class, int.class);
        return ctor.newInstance(weights, maxBatch, maxLength);
      } catch (InvocationTargetException e) {
        throw rethrow(e);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError("cannot instantiate " + type.getName() + " over shared weights", e);
      }
    }

    /** The weights an instance runs on (its public {@code weights()} accessor). */
    public Object weightsOf(Object model) {
      try {
        return type.getMethod("weights").invoke(model);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError("cannot read the weights of " + type.getName(), e);
      }
    }

    /** Whether the class chose its Vector API kernels (its private {@code VECTOR} constant) when initialised. */
    public boolean usesVectorKernels() {
      try {
        Field vector = type.getDeclaredField("VECTOR");
        vector.setAccessible(true);
        return vector.getBoolean(null);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(type.getName() + " has no VECTOR kernel switch", e);
      }
    }

    private static RuntimeException rethrow(InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        return runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      return new IllegalStateException(cause);
    }
  }

  /** Compiles the given spec texts in one javac run; the classes pick their kernels as at run time. */
  public static List<Compiled> compile(List<String> specTexts) {
    return compile(specTexts, true);
  }

  /**
   * Compiles the given spec texts in one javac run and initialises the classes; with {@code vectorKernels}
   * false, {@code rnnc.vector=false} is set while they initialise, so they choose their scalar kernels
   * (each call loads fresh classes in their own loader, so earlier classes are unaffected).
   */
  public static List<Compiled> compile(List<String> specTexts, boolean vectorKernels) {
    return compile(specTexts, vectorKernels ? Map.of() : Map.of(VECTOR_PROPERTY, "false"));
  }

  /**
   * Compiles the given spec texts in one javac run and initialises the classes (in a loader of their own) with
   * the given system properties set, e.g. {@code rnnc.vector.bits}; the properties are restored afterwards.
   */
  public static List<Compiled> compile(List<String> specTexts, Map<String, String> properties) {
    List<Spec> specs = new ArrayList<>();
    Map<String, String> sources = new LinkedHashMap<>();
    List<GeneratedSource> generated = new ArrayList<>();
    for (int i = 0; i < specTexts.size(); i++) {
      Spec spec = SpecParser.parse("spec" + i + ".yaml", specTexts.get(i));
      GeneratedSource source = RNNC.compile(spec);
      specs.add(spec);
      generated.add(source);
      sources.put(source.qualifiedName(), source.source());
    }
    CompiledClasses classes = JAVAC.compile(sources);
    // every class the tests use has passed the full verifier, bytecode layer included
    RnnCompiler.verifier().verifyOrThrow(sources, classes.classBytes());
    ClassLoader loader = classes.loader(GeneratedModels.class.getClassLoader());
    Map<String, String> previous = new LinkedHashMap<>();
    for (Map.Entry<String, String> property : properties.entrySet()) {
      previous.put(property.getKey(), System.getProperty(property.getKey()));
      System.setProperty(property.getKey(), property.getValue());
    }
    try {
      List<Compiled> out = new ArrayList<>();
      for (int i = 0; i < specs.size(); i++) {
        try {
          out.add(new Compiled(specs.get(i), generated.get(i),
              Class.forName(generated.get(i).qualifiedName(), true, loader)));
        } catch (ClassNotFoundException e) {
          throw new AssertionError(e);
        }
      }
      return out;
    } finally {
      for (Map.Entry<String, String> property : previous.entrySet()) {
        if (property.getValue() == null) {
          System.clearProperty(property.getKey());
        } else {
          System.setProperty(property.getKey(), property.getValue());
        }
      }
    }
  }

  public static Compiled compile(String specText) {
    return compile(List.of(specText)).get(0);
  }
}
