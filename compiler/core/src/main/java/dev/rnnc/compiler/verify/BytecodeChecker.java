package dev.rnnc.compiler.verify;

import dev.rnnc.compiler.verify.ClassFile.Instruction;
import dev.rnnc.compiler.verify.ClassFile.Method;
import dev.rnnc.compiler.verify.Violation.Kind;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
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
