package dev.rnnc.compiler.memory;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The class files produced by one {@link InMemoryJavaCompiler#compile} call, keyed by binary class name
 * ({@code pkg.Outer} and {@code pkg.Outer$Inner}), with the means to load them.
 */
public final class CompiledClasses {
  private final Map<String, byte[]> classBytes;
  private volatile ClassLoader defaultLoader;

  CompiledClasses(Map<String, byte[]> classBytes) {
    this.classBytes = Collections.unmodifiableMap(new TreeMap<>(classBytes));
  }

  /**
   * Class files compiled earlier (read back from a cache, say), keyed by binary class name. The arrays are
   * not copied and must not be modified afterwards.
   */
  public static CompiledClasses of(Map<String, byte[]> classBytes) {
    if (classBytes.isEmpty()) {
      throw new IllegalArgumentException("no classes");
    }
    return new CompiledClasses(classBytes);
  }

  /** Every class compiled, nested and synthetic ones included; the arrays must not be modified. */
  public Map<String, byte[]> classBytes() {
    return classBytes;
  }

  /**
   * A new class loader defining these classes on demand and delegating everything else to
   * {@code parent}. Each call gives a fresh loader, hence fresh {@link Class} objects.
   */
  public ClassLoader loader(ClassLoader parent) {
    return new MemoryClassLoader(classBytes, parent);
  }

  /**
   * Loads (and initialises) one class through a loader shared by all calls on this object, whose parent
   * is the loader of rnnc's compiler, so generated code sees {@code dev.rnnc.runtime}.
   *
   * @throws IllegalArgumentException if no class of that name was compiled
   */
  public Class<?> load(String binaryName) {
    if (!classBytes.containsKey(binaryName)) {
      throw new IllegalArgumentException(
          "no compiled class named " + binaryName + "; compiled: " + classBytes.keySet());
    }
    ClassLoader loader = defaultLoader;
    if (loader == null) {
      synchronized (this) {
        loader = defaultLoader;
        if (loader == null) {
          loader = loader(CompiledClasses.class.getClassLoader());
          defaultLoader = loader;
        }
      }
    }
    try {
      return Class.forName(binaryName, true, loader);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("compiled class " + binaryName + " could not be loaded", e);
    }
  }

  /** Defines classes from memory; parent-first, as generated names never clash with the parent's. */
  private static final class MemoryClassLoader extends ClassLoader {
    static {
      registerAsParallelCapable();
    }

    private final Map<String, byte[]> classBytes;

    MemoryClassLoader(Map<String, byte[]> classBytes, ClassLoader parent) {
      super("rnnc-generated", parent);
      this.classBytes = classBytes;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      byte[] bytes = classBytes.get(name);
      if (bytes == null) {
        throw new ClassNotFoundException(name);
      }
      return defineClass(name, bytes, 0, bytes.length);
    }
  }
}
