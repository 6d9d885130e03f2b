package dev.rnnc.compiler.verify;

import java.util.List;

/**
 * What {@link ClassFileReader} extracts from a class file: enough to check generated methods, nothing more.
 * Class names are in internal form ({@code java/lang/String}, {@code pkg/Outer$Inner}).
 *
 * @param name       this class
 * @param superName  the superclass, {@code null} for {@code java/lang/Object} only
 * @param sourceFile the {@code SourceFile} attribute, {@code null} if absent
 * @param methods    in class-file order
 */
public record ClassFile(String name, String superName, String sourceFile, List<Method> methods) {

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
   * @param codeLength   bytes of bytecode, 0 for abstract and native methods (no Code attribute)
   * @param instructions in code order
   * @param lineNumbers  the {@code LineNumberTable}, sorted by start offset; empty without debug information
   */
  public record Method(String name, String descriptor, int accessFlags, int codeLength,
      List<Instruction> instructions, List<LineNumber> lineNumbers) {

    public static final int ACC_SYNTHETIC = 0x1000;
    public static final int ACC_BRIDGE = 0x0040;

    public Method {
      instructions = List.copyOf(instructions);
      lineNumbers = List.copyOf(lineNumbers);
    }

    /** The source line of the instruction at {@code offset}, or -1 if unknown. */
    public int lineAt(int offset) {
      int line = -1;
      for (LineNumber entry : lineNumbers) {
        if (entry.startPc() <= offset) {
          line = entry.line();
        } else {
          break;
        }
      }
      return line;
    }

    /** Whether javac made this method up (lambda bodies, bridges, enum helpers). */
    public boolean isSynthetic() {
      return (accessFlags & (ACC_SYNTHETIC | ACC_BRIDGE)) != 0;
    }
  }

  /**
   * One instruction with the constant-pool entry it references, resolved:
   * <ul>
   *   <li>{@code new}, {@code anewarray}, {@code multianewarray}, {@code checkcast}, {@code instanceof}:
   *       {@code owner} is the class (an array descriptor for array classes);
   *   <li>field and method instructions: {@code owner}, {@code name} and {@code descriptor} of the member;
   *   <li>{@code invokedynamic}: {@code name} and {@code descriptor} of the call site, {@code owner} the class
   *       of its bootstrap method ({@code java/lang/invoke/LambdaMetafactory},
   *       {@code java/lang/invoke/StringConcatFactory}...);
   *   <li>any other instruction: all three {@code null}.
   * </ul>
   *
   * @param offset from the start of the method's code
   * @param length in bytes, opcode and operands (and switch padding) included
   */
  public record Instruction(int offset, int opcode, int length, String owner, String name, String descriptor) {

    public String mnemonic() {
      return Opcodes.mnemonic(opcode);
    }

    @Override
    public String toString() {
      StringBuilder text = new StringBuilder().append(offset).append(": ").append(mnemonic());
      if (owner != null) {
        text.append(' ').append(owner);
      }
      if (name != null) {
        text.append(owner != null ? "." : " ").append(name).append(descriptor);
      }
      return text.toString();
    }
  }

  /** A {@code LineNumberTable} entry: code from {@code startPc} on comes from source line {@code line}. */
  public record LineNumber(int startPc, int line) {}
}
