package dev.rnnc.compiler.verify;

import java.util.List;

/**
 * What {@link ClassFileReader} extracts from a class file: enough to check generated methods, nothing more.
 * Class names are in internal form ({@code java/lang/String}, {@code pkg/Outer$Inner}); opcodes are
 * {@link org.objectweb.asm.Opcodes} constants.
 *
 * @param name       this class
 * @param superName  the superclass, {@code null} for {@code java/lang/Object} only
 * @param sourceFile the {@code SourceFile} attribute, {@code null} if absent
 * @param version    the class-file major version (69 for Java 25)
 * @param methods    in class-file order
 */
public record ClassFile(String name, String superName, String sourceFile, int version, List<Method> methods) {

  public ClassFile {
    methods = List.copyOf(methods);
  }

  /** The binary name ({@code pkg.Outer$Inner}), as class loaders and {@code Class.forName} use. */
  public String binaryName() {
    return name.replace('/', '.');
  }

  /**
   * One method.
   *
   * @param codeLength   bytes of bytecode (the {@code Code} attribute's {@code code_length}), 0 for abstract
   *                     and native methods
   * @param instructions in code order
   * @param lines        the source lines its {@code LineNumberTable} names, in code order; empty without
   *                     debug information
   */
  public record Method(String name, String descriptor, int accessFlags, int codeLength,
      List<Instruction> instructions, List<Integer> lines) {

    public Method {
      instructions = List.copyOf(instructions);
      lines = List.copyOf(lines);
    }

    /** Whether javac made this method up (lambda bodies, bridges, enum helpers). */
    public boolean isSynthetic() {
      return (accessFlags & (org.objectweb.asm.Opcodes.ACC_SYNTHETIC | org.objectweb.asm.Opcodes.ACC_BRIDGE)) != 0;
    }
  }

  /**
   * One instruction with the constant-pool entry it references, resolved:
   * <ul>
   *   <li>{@code new}, {@code anewarray}, {@code checkcast}, {@code instanceof}: {@code owner} is the class
   *       (an array descriptor for array classes); {@code multianewarray}: {@code owner} is the array
   *       descriptor;
   *   <li>field and method instructions: {@code owner}, {@code name} and {@code descriptor} of the member;
   *   <li>{@code invokedynamic}: {@code name} and {@code descriptor} of the call site, {@code owner} the class
   *       of its bootstrap method ({@code java/lang/invoke/LambdaMetafactory},
   *       {@code java/lang/invoke/StringConcatFactory}...);
   *   <li>any other instruction: all three {@code null}.
   * </ul>
   * Short and wide forms are folded as ASM reads them ({@code iload_0} is {@code ILOAD}, {@code ldc_w} is
   * {@code LDC}).
   *
   * @param line the source line, or -1 if unknown
   */
  public record Instruction(int opcode, String owner, String name, String descriptor, int line) {}
}
