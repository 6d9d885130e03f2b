package dev.rnnc.compiler.spec;

import java.lang.reflect.Modifier;
import java.util.Set;
import javax.lang.model.SourceVersion;

/**
 * Checks the names a spec gives the generated class and its package. Each check returns a message for
 * the user, or null when the name is fine.
 */
final class JavaNames {
  private JavaNames() {}

  /** Identifiers that are not keywords yet cannot name a type (JLS §3.9, "TypeIdentifier"). */
  private static final Set<String> NOT_TYPE_NAMES = Set.of("var", "yield", "record", "sealed", "permits");

  /**
   * Simple names the generated code refers to without qualification besides {@code java.lang} and the
   * runtime package: the Vector API types the emitters use.
   */
  private static final Set<String> GENERATED_CODE_TYPES = Set.of(
      "FloatVector", "IntVector", "Vector", "VectorSpecies", "VectorOperators", "VectorMask", "VectorShuffle");

  /** Problem with {@code name} as the generated class's simple name, or null. */
  static String classNameProblem(String name) {
    if (!SourceVersion.isIdentifier(name)) {
      return "model must be a Java identifier (letters, digits, _ or $, not starting with a digit), got '"
          + Describe.clip(name) + "'";
    }
    if (SourceVersion.isKeyword(name, SourceVersion.latest())) {
      return "model '" + name + "' is a Java keyword";
    }
    if (NOT_TYPE_NAMES.contains(name)) {
      return "model '" + name + "' cannot name a Java class (it is a restricted identifier)";
    }
    if (isPublicTopLevel("java.lang." + name, null)) {
      return "model '" + name + "' would clash with java.lang." + name
          + ", which generated code uses without importing; choose another name";
    }
    if (isPublicTopLevel("dev.rnnc.runtime." + name, JavaNames.class.getClassLoader())) {
      return "model '" + name + "' would clash with dev.rnnc.runtime." + name
          + ", which the generated class imports; choose another name";
    }
    if (GENERATED_CODE_TYPES.contains(name)) {
      return "model '" + name + "' would clash with jdk.incubator.vector." + name
          + ", which the generated class imports; choose another name";
    }
    return null;
  }

  /** Problem with {@code name} as the generated class's package, or null. */
  static String packageNameProblem(String name) {
    String expected = "package must be a dotted Java name such as org.example.rnn";
    if (name.isEmpty() || name.startsWith(".") || name.endsWith(".") || name.contains("..")) {
      return expected + ", got '" + Describe.clip(name) + "'";
    }
    for (String segment : name.split("\\.")) {
      if (!SourceVersion.isIdentifier(segment)) {
        return expected + "; '" + Describe.clip(segment) + "' is not a Java identifier";
      }
      if (SourceVersion.isKeyword(segment, SourceVersion.latest())) {
        return expected + "; '" + segment + "' is a Java keyword";
      }
    }
    if (name.equals("java") || name.startsWith("java.")) {
      return "package '" + name + "' is reserved for the JDK; the JVM refuses to define classes in it";
    }
    return null;
  }

  private static boolean isPublicTopLevel(String className, ClassLoader loader) {
    try {
      Class<?> type = Class.forName(className, false, loader);
      return Modifier.isPublic(type.getModifiers()) && type.getEnclosingClass() == null;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
