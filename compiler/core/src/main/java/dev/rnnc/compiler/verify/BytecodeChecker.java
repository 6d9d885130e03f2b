package dev.rnnc.compiler.verify;

import dev.rnnc.compiler.verify.ClassFile.Instruction;
import dev.rnnc.compiler.verify.ClassFile.Method;
import dev.rnnc.compiler.verify.Violation.Kind;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.Opcodes;

/**
 * The bytecode layer of {@link CodeVerifier}: sees what javac made of the source, including what the source
 * layer cannot type (a concatenation with a call's result, autoboxing in an argument).
 *
 * <p>Every method must stay below HotSpot's {@code HugeMethodLimit}; hot methods must not allocate, use
 * {@code invokedynamic}, box, or call String/StringBuilder methods, except on a throw path: the
 * instructions from a {@code new} of an exception class (name ending in {@code Exception}, {@code Error}
 * or {@code Throwable}) to the {@code athrow} right after its constructor call.
 */
final class BytecodeChecker {
  /** HotSpot does not JIT-compile methods larger than {@code -XX:HugeMethodLimit=8000} bytes. */
  static final int HUGE_METHOD_LIMIT = 8000;

  /** C2 inlines a hot callee of up to {@code -XX:FreqInlineSize=325} bytecode bytes into its caller. */
  static final int FREQ_INLINE_SIZE = 325;

  /**
   * Vector API operations one compilation may gain by inlining (see {@link #checkInlinedVectorWork}): at a few
   * hundred parse nodes each, this keeps a caller's inlined vector work well below {@code NodeCountInliningCutoff}.
   */
  static final int INLINED_VECTOR_OPERATIONS = 32;

  /** Vector API classes whose methods are queries (sizes, shapes), not vector operations. */
  private static final Set<String> VECTOR_QUERIES =
      Set.of("jdk/incubator/vector/VectorSpecies", "jdk/incubator/vector/VectorShape");

  private static final Set<String> BOXES = Set.of("java/lang/Integer", "java/lang/Long", "java/lang/Float",
      "java/lang/Double", "java/lang/Short", "java/lang/Byte", "java/lang/Character", "java/lang/Boolean");
  private static final Set<String> STRINGS =
      Set.of("java/lang/String", "java/lang/StringBuilder", "java/lang/StringBuffer");

  private final List<Violation> violations;

  BytecodeChecker(List<Violation> violations) {
    this.violations = violations;
  }

  /** Reports methods too large to compile, in any method of {@code type}. */
  void checkSizes(ClassFile type) {
    for (Method method : type.methods()) {
      if (method.codeLength() >= HUGE_METHOD_LIMIT) {
        report(type, method, Kind.HUGE_METHOD, "bytecode is " + method.codeLength()
            + " bytes; methods of " + HUGE_METHOD_LIMIT + " bytes or more are never JIT-compiled (HugeMethodLimit)",
            -1);
      }
    }
  }

  /**
   * Reports kernels (methods running Vector API operations) that would let the JIT gather several kernels'
   * vector work into one compilation.
   *
   * <p>Why: C2 expands every Vector API intrinsic late, after parsing, and each vector operation parses into
   * hundreds of nodes (an activation loop of 25 operations reaches ~10,000). When a compilation inlines
   * several kernels it passes {@code NodeCountInliningCutoff} (18,000 nodes), the API's own force-inlined
   * methods are inlined late as well, and where that late inlining stops before every intrinsic is expanded
   * the remaining vectors are boxed: the code allocates on every call. Whether a small kernel is inlined
   * depends on timing (a callee already compiled to more than {@code InlineSmallCode} bytes is not), so a
   * GRU decoder whose cell had inlined its sigmoid and tanh loops allocated in some runs of a test and not in
   * others. C2 inlines a hot callee of up to {@value #FREQ_INLINE_SIZE} bytecode bytes; larger methods compile
   * on their own. The rule: a kernel gains at most {@value #INLINED_VECTOR_OPERATIONS} vector operations from
   * inlinable callees (transitively), and a kernel small enough to be inlined brings at most that many, its
   * own included, into its caller. Larger kernels must be larger than {@value #FREQ_INLINE_SIZE} bytes.
   * Helpers taking or returning vectors are part of their caller's work (they must be inlined). Methods
   * without vector operations of their own (the per-layer drivers) are not checked: each small kernel they
   * inline stays within the limit, but a driver may inline several.
   */
  void checkInlinedVectorWork(List<ClassFile> types) {
    Map<String, Method> methods = new HashMap<>();
    for (ClassFile type : types) {
      for (Method method : type.methods()) {
        methods.put(type.name() + "." + method.name() + method.descriptor(), method);
      }
    }
    Map<Method, Integer> weights = new HashMap<>();
    for (ClassFile type : types) {
      for (Method method : type.methods()) {
        Map<String, Integer> parts = new java.util.TreeMap<>();
        int own = ownOperations(method, methods);
        if (own == 0) {
          continue;
        }
        int inlined = inlinedOperations(method, methods, weights, new HashSet<>(), parts);
        int total = own + inlined;
        String from = parts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
            .collect(java.util.stream.Collectors.joining(", "));
        if (inlined > INLINED_VECTOR_OPERATIONS) {
          report(type, method, Kind.INLINED_VECTOR_WORK, "can inline " + inlined + " Vector API operations ("
              + from + ") from callees of at most " + FREQ_INLINE_SIZE + " bytecode bytes; the limit is "
              + INLINED_VECTOR_OPERATIONS + " (make the callees kernels larger than " + FREQ_INLINE_SIZE
              + " bytes, which compile alone)", -1);
        } else if (method.codeLength() <= FREQ_INLINE_SIZE && total > INLINED_VECTOR_OPERATIONS) {
          report(type, method, Kind.INLINED_VECTOR_WORK, "is small enough to be inlined (" + method.codeLength()
              + " bytecode bytes) yet brings " + total + " Vector API operations into its caller; the limit is "
              + INLINED_VECTOR_OPERATIONS + " (a kernel larger than " + FREQ_INLINE_SIZE + " bytes compiles alone)", -1);
        }
      }
    }
  }

  /**
   * Vector operations a compilation of {@code method} gets from callees C2 may inline, transitively, by callee
   * name into {@code parts}. Helpers taking or returning vectors count as the caller's own work (they must be
   * inlined, or the vectors crossing the call would be boxed).
   */
  private static int inlinedOperations(Method method, Map<String, Method> methods, Map<Method, Integer> weights,
      Set<Method> onPath, Map<String, Integer> parts) {
    int sum = 0;
    for (Instruction insn : method.instructions()) {
      if (!isCall(insn.opcode()) || isVectorHelper(insn.descriptor())) {
        continue;
      }
      Method callee = methods.get(insn.owner() + "." + insn.name() + insn.descriptor());
      if (callee != null && callee.codeLength() <= FREQ_INLINE_SIZE && onPath.add(callee)) {
        Integer known = weights.get(callee);
        if (known == null) {
          known = ownOperations(callee, methods) + inlinedOperations(callee, methods, weights, onPath, new HashMap<>());
          weights.put(callee, known);
        }
        if (known > 0) {
          sum += known;
          parts.merge(callee.name(), known, Integer::sum);
        }
        onPath.remove(callee);
      }
    }
    return sum;
  }

  /** A method with a Vector API type among its parameters or its result: a helper its callers inline. */
  private static boolean isVectorHelper(String descriptor) {
    return descriptor != null && descriptor.contains("Ljdk/incubator/vector/");
  }

  /** Vector operations of {@code method} itself, with those of the vector helpers it calls. */
  private static int ownOperations(Method method, Map<String, Method> methods) {
    int count = vectorOperations(method);
    for (Instruction insn : method.instructions()) {
      if (isCall(insn.opcode()) && isVectorHelper(insn.descriptor()) && !insn.owner().startsWith("jdk/")) {
        Method helper = methods.get(insn.owner() + "." + insn.name() + insn.descriptor());
        if (helper != null) {
          count += vectorOperations(helper);
        }
      }
    }
    return count;
  }

  private static boolean isCall(int opcode) {
    return opcode == Opcodes.INVOKESTATIC || opcode == Opcodes.INVOKEVIRTUAL || opcode == Opcodes.INVOKESPECIAL
        || opcode == Opcodes.INVOKEINTERFACE;
  }

  /** Calls of Vector API operations (not species or shape queries) in {@code method} itself. */
  static int vectorOperations(Method method) {
    int count = 0;
    for (Instruction insn : method.instructions()) {
      if (isCall(insn.opcode()) && insn.owner().startsWith("jdk/incubator/vector/")
          && !VECTOR_QUERIES.contains(insn.owner())) {
        count++;
      }
    }
    return count;
  }

  /** Reports allocations, invokedynamic, boxing and string work outside throw paths in a hot method. */
  void checkHot(ClassFile type, Method method) {
    List<Instruction> code = method.instructions();
    boolean[] cold = throwPaths(code);
    for (int i = 0; i < code.size(); i++) {
      if (cold[i]) {
        continue;
      }
      Instruction insn = code.get(i);
      int line = insn.line();
      switch (insn.opcode()) {
        case Opcodes.NEW -> report(type, method, Kind.NEW_OBJECT, "new " + javaName(insn.owner()), line);
        case Opcodes.NEWARRAY -> report(type, method, Kind.NEW_ARRAY, "newarray", line);
        case Opcodes.ANEWARRAY -> report(type, method, Kind.NEW_ARRAY, "anewarray " + javaName(insn.owner()), line);
        case Opcodes.MULTIANEWARRAY ->
            report(type, method, Kind.NEW_ARRAY, "multianewarray " + javaName(insn.owner()), line);
        case Opcodes.INVOKEDYNAMIC -> report(type, method, Kind.INVOKEDYNAMIC,
            "invokedynamic " + insn.name() + " via " + javaName(insn.owner()) + describeBootstrap(insn.owner()), line);
        case Opcodes.INVOKEVIRTUAL, Opcodes.INVOKESPECIAL, Opcodes.INVOKESTATIC, Opcodes.INVOKEINTERFACE ->
            checkCall(type, method, insn, line);
        default -> { }
      }
    }
  }

  private void checkCall(ClassFile type, Method method, Instruction call, int line) {
    String target = javaName(call.owner()) + "." + call.name();
    if (BOXES.contains(call.owner()) && call.name().equals("valueOf")) {
      report(type, method, Kind.BOXING, "boxing call " + target, line);
    } else if (STRINGS.contains(call.owner())) {
      report(type, method, Kind.STRING, "string call " + target, line);
    } else if (call.owner().startsWith("java/util/stream/")
        || call.name().equals("stream") || call.name().equals("parallelStream")) {
      report(type, method, Kind.STREAM, "stream call " + target, line);
    }
  }

  /**
   * Marks the throw paths: {@code new E; ...; invokespecial E.<init>; athrow} with E an exception class.
   * A stack pairs each {@code new} with its constructor call, so arguments that themselves construct
   * objects (a message built with a StringBuilder) lie inside the pair.
   */
  static boolean[] throwPaths(List<Instruction> code) {
    boolean[] cold = new boolean[code.size()];
    Deque<Integer> pending = new ArrayDeque<>();
    for (int i = 0; i < code.size(); i++) {
      Instruction insn = code.get(i);
      if (insn.opcode() == Opcodes.NEW) {
        pending.push(i);
      } else if (insn.opcode() == Opcodes.INVOKESPECIAL && insn.name().equals("<init>") && !pending.isEmpty()
          && code.get(pending.peek()).owner().equals(insn.owner())) {
        int start = pending.pop();
        boolean thrown = i + 1 < code.size() && code.get(i + 1).opcode() == Opcodes.ATHROW;
        if (thrown && isThrowableName(insn.owner())) {
          for (int j = start; j <= i + 1; j++) {
            cold[j] = true;
          }
        }
      }
    }
    return cold;
  }

  private static boolean isThrowableName(String internalName) {
    return internalName.endsWith("Exception") || internalName.endsWith("Error")
        || internalName.endsWith("Throwable");
  }

  private static String describeBootstrap(String owner) {
    return switch (owner) {
      case "java/lang/invoke/LambdaMetafactory" -> " (a lambda or method reference)";
      case "java/lang/invoke/StringConcatFactory" -> " (string concatenation)";
      case "java/lang/runtime/SwitchBootstraps" -> " (pattern or enum switch)";
      case "java/lang/runtime/ObjectMethods" -> " (record toString/equals/hashCode)";
      default -> "";
    };
  }

  private static String javaName(String internalName) {
    return internalName.replace('/', '.');
  }

  private void report(ClassFile type, Method method, Kind kind, String what, int line) {
    String binary = type.binaryName();
    String simple = binary.substring(binary.lastIndexOf('.') + 1);
    violations.add(new Violation(kind, Violation.Layer.BYTECODE, simple, method.name(),
        what + (line > 0 ? " (line " + line + ")" : "")));
  }
}
