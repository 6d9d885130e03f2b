package dev.rnnc.compiler.memory;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardLocation;

/**
 * Wraps the shared standard file manager for one compilation: reads (class path, system modules) go to
 * the standard manager, whose jar caches survive between calls; class output is caught in memory.
 */
final class MemoryFileManager extends ForwardingJavaFileManager<JavaFileManager> {
  private final Map<String, ByteArrayOutputStream> outputs = new LinkedHashMap<>();

  MemoryFileManager(JavaFileManager standard) {
    super(standard);
  }

  @Override
  public JavaFileObject getJavaFileForOutput(
      Location location, String className, JavaFileObject.Kind kind, FileObject sibling) {
    if (location != StandardLocation.CLASS_OUTPUT || kind != JavaFileObject.Kind.CLASS) {
      throw new IllegalStateException("javac asked to write " + kind + " " + className + " to " + location);
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    outputs.put(className, buffer);
    return new SimpleJavaFileObject(uri(className, kind), kind) {
      @Override
      public OutputStream openOutputStream() {
        return buffer;
      }
    };
  }

  /** The bytes of every class javac wrote, by binary name. */
  Map<String, byte[]> classBytes() {
    Map<String, byte[]> result = new LinkedHashMap<>();
    outputs.forEach((name, buffer) -> result.put(name, buffer.toByteArray()));
    return result;
  }

  /** Closing one compilation must not close the shared standard manager underneath. */
  @Override
  public void close() {}

  /** A source held in memory; its path mirrors the package so javac's file-name checks apply. */
  static JavaFileObject source(String className, String code) {
    return new SimpleJavaFileObject(uri(className, JavaFileObject.Kind.SOURCE), JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return code;
      }
    };
  }

  private static URI uri(String className, JavaFileObject.Kind kind) {
    return URI.create("mem:///" + className.replace('.', '/') + kind.extension);
  }
}
