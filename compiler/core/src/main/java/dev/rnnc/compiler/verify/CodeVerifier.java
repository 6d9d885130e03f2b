package dev.rnnc.compiler.verify;

import com.github.javaparser.JavaParser;
import com.github.javaparser.ParseResult;
import com.github.javaparser.ParserConfiguration;
import com.github.javaparser.ast.CompilationUnit;
import com.github.javaparser.ast.body.MethodDeclaration;
import dev.rnnc.compiler.GeneratedCodeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Checks generated code before rnnc hands it over; any violation is a bug in rnnc's emitters.
 *
 * <p>Two layers look at each class. The source layer (JavaParser) finds, in the hot methods (see
 * {@link HotMethods}), object and array creation, lambdas, method references, streams, string
 * concatenation and String calls, and boxing; code under a {@code throw} and {@code assert} messages are
 * exempt (cold: they run only on the error path). The bytecode layer ({@link BytecodeChecker}, reading
 * class files with ASM through {@link ClassFileReader}) checks that no method reaches HotSpot's huge-method
 * limit and that the same hot methods, found through their source lines, contain no {@code new}, array
 * creation, {@code invokedynamic}, boxing {@code valueOf} or String/StringBuilder call outside a throw path.
 *
 * <p>Vector API calls ({@code FloatVector.fromArray}, {@code fma}, {@code intoArray}...) are plain calls
 * that the JIT scalarises, so they pass, as do static calls to other classes.
 */
public final class CodeVerifier {
  private final Predicate<MethodDeclaration> isHot;
  private final JavaParser parser =
      new JavaParser(new ParserConfiguration().setLanguageLevel(ParserConfiguration.LanguageLevel.JAVA_21));

  /** A verifier using {@link HotMethods#defaultRule()}. */
  public CodeVerifier() {
    this(HotMethods.defaultRule());
  }

  /** A verifier treating the methods {@code isHot} accepts as hot. */
  public CodeVerifier(Predicate<MethodDeclaration> isHot) {
    this.isHot = isHot;
  }

  /**
   * Checks one generated source file and its classes.
   *
   * @param qualifiedName the source's top-level class, {@code pkg.Name}
   * @param source        its code, exactly as compiled (the bytecode is matched to it by line numbers)
   * @param classBytes    class files by binary name; those of {@code qualifiedName} and its nested classes
   *                      ({@code pkg.Name$...}) are checked, any others ignored
   * @return every violation found, source layer first; empty if the code is fine
   * @throws IllegalArgumentException if {@code classBytes} has no class {@code qualifiedName}
   * @throws GeneratedCodeException   if the source does not parse
   */
  public List<Violation> verify(String qualifiedName, String source, Map<String, byte[]> classBytes) {
    if (!classBytes.containsKey(qualifiedName)) {
      throw new IllegalArgumentException("no class file for " + qualifiedName + " among " + classBytes.keySet());
    }
    SourceChecker sourceChecker = new SourceChecker(isHot);
    sourceChecker.check(parse(qualifiedName, source));
    List<Violation> violations = new ArrayList<>(sourceChecker.violations());

    BytecodeChecker bytecode = new BytecodeChecker(violations);
    List<ClassFile> types = new ArrayList<>();
    for (Map.Entry<String, byte[]> entry : new TreeMap<>(classBytes).entrySet()) {
      String name = entry.getKey();
      if (!name.equals(qualifiedName) && !name.startsWith(qualifiedName + "$")) {
        continue;
      }
      ClassFile type = ClassFileReader.read(entry.getValue());
      types.add(type);
      bytecode.checkSizes(type);
      boolean hasLines = type.methods().stream().anyMatch(m -> !m.lines().isEmpty());
      for (ClassFile.Method method : type.methods()) {
        boolean hot = hasLines
            ? isInHotLines(method, sourceChecker.hotLineRanges())
            : isHotByName(type, method, sourceChecker.hotMethodKeys(), qualifiedName);
        if (hot) {
          bytecode.checkHot(type, method);
        }
      }
    }
    bytecode.checkInlinedVectorWork(types);
    return violations;
  }

  /**
   * The source layer alone, for callers that do not compile the code (the Maven plugin generates sources
   * that the build compiles later): hot-method rules only, no bytecode sizes.
   */
  public List<Violation> verifySource(String qualifiedName, String source) {
    SourceChecker sourceChecker = new SourceChecker(isHot);
    sourceChecker.check(parse(qualifiedName, source));
    return new ArrayList<>(sourceChecker.violations());
  }

  /**
   * Checks every source of a batch against the classes compiled from it.
   *
   * @param sources    code by qualified name of its top-level class
   * @param classBytes the class files compiled from {@code sources}
   */
  public List<Violation> verify(Map<String, String> sources, Map<String, byte[]> classBytes) {
    List<Violation> violations = new ArrayList<>();
    new TreeMap<>(sources).forEach((name, code) -> violations.addAll(verify(name, code, classBytes)));
    return violations;
  }

  /**
   * Like {@link #verify(String, String, Map)}, but fails on any violation.
   *
   * @throws GeneratedCodeException listing every violation as {@code Class.method: what}
   */
  public void verifyOrThrow(String qualifiedName, String source, Map<String, byte[]> classBytes) {
    throwIfAny(verify(qualifiedName, source, classBytes));
  }

  /**
   * Like {@link #verify(Map, Map)}, but fails on any violation.
   *
   * @throws GeneratedCodeException listing every violation as {@code Class.method: what}
   */
  public void verifyOrThrow(Map<String, String> sources, Map<String, byte[]> classBytes) {
    throwIfAny(verify(sources, classBytes));
  }

  private static void throwIfAny(List<Violation> violations) {
    if (!violations.isEmpty()) {
      throw new GeneratedCodeException("generated code failed verification (" + violations.size() + " violation"
          + (violations.size() == 1 ? "" : "s") + "):\n  "
          + violations.stream().map(Violation::toString).collect(Collectors.joining("\n  ")));
    }
  }

  private CompilationUnit parse(String qualifiedName, String source) {
    ParseResult<CompilationUnit> result = parser.parse(source);
    if (!result.isSuccessful() || result.getResult().isEmpty()) {
      throw new GeneratedCodeException("cannot parse generated source " + qualifiedName + ":\n  "
          + result.getProblems().stream().map(Object::toString).collect(Collectors.joining("\n  ")));
    }
    return result.getResult().get();
  }

  /**
   * A method is hot if its code comes from a hot method's lines; this finds overloads precisely and
   * includes lambda bodies javac moved out of a hot method. Constructors and static initialisers are
   * never hot, even when javac attributes their code to a line inside a hot method (enum-switch maps).
   */
  private static boolean isInHotLines(ClassFile.Method method, List<int[]> hotRanges) {
    if (method.name().equals("<init>") || method.name().equals("<clinit>")) {
      return false;
    }
    for (int line : method.lines()) {
      for (int[] range : hotRanges) {
        if (line >= range[0] && line <= range[1]) {
          return true;
        }
      }
    }
    return false;
  }

  /** Without line numbers: a method is hot if a hot source method of its class has its name. */
  private static boolean isHotByName(ClassFile type, ClassFile.Method method, List<String> hotKeys, String qualifiedName) {
    String packagePrefix = qualifiedName.substring(0, qualifiedName.lastIndexOf('.') + 1);
    String classKey = type.binaryName().substring(packagePrefix.length());
    return hotKeys.contains(classKey + "." + method.name());
  }
}
