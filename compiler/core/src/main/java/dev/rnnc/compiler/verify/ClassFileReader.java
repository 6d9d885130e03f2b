package dev.rnnc.compiler.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Reads a class file with ASM into a {@link ClassFile}: every method's instructions with their source
 * lines, and its exact bytecode size.
 *
 * <p>ASM's visitor reports instructions in code order but not their offsets, so the size HotSpot's
 * {@code HugeMethodLimit} compares with (the {@code Code} attribute's {@code code_length}) is taken from the
 * method table through {@link ClassReader}'s own accessors ({@link #codeLengths}).
 */
public final class ClassFileReader {
  /** The ASM API level the visitors are written against. */
  private static final int API = Opcodes.ASM9;

  private ClassFileReader() {}

  /**
   * Parses {@code bytes}.
   *
   * @throws IllegalArgumentException if they are not a class file ASM can read (truncated, corrupt, or of a
   *     class-file version newer than it knows)
   */
  public static ClassFile read(byte[] bytes) {
    try {
      ClassReader reader = new ClassReader(bytes);
      Map<String, Integer> codeLengths = codeLengths(reader);
      Collector collector = new Collector(codeLengths);
      reader.accept(collector, ClassReader.SKIP_FRAMES);
      return new ClassFile(collector.name, collector.superName, collector.sourceFile, collector.version,
          collector.methods);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a readable class file: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // ASM reports truncated or corrupt input as index errors from its byte accessors.
      throw new IllegalArgumentException("not a readable class file (" + e + ")", e);
    }
  }

  /**
   * {@code code_length} of every method with a {@code Code} attribute, by {@code name + descriptor}: a walk
   * over the field and method tables (JVMS 4.1, 4.5, 4.6, 4.7.3) using ASM for the constant pool.
   */
  static Map<String, Integer> codeLengths(ClassReader reader) {
    char[] buffer = new char[reader.getMaxStringLength()];
    int p = reader.header + 6; // access_flags, this_class, super_class
    p += 2 + 2 * reader.readUnsignedShort(p); // interfaces
    int fields = reader.readUnsignedShort(p);
    p += 2;
    for (int i = 0; i < fields; i++) {
      p = skipAttributes(reader, p + 6); // access_flags, name_index, descriptor_index
    }
    Map<String, Integer> lengths = new HashMap<>();
    int methods = reader.readUnsignedShort(p);
    p += 2;
    for (int i = 0; i < methods; i++) {
      String key = reader.readUTF8(p + 2, buffer) + reader.readUTF8(p + 4, buffer);
      int attributes = reader.readUnsignedShort(p + 6);
      p += 8;
      for (int a = 0; a < attributes; a++) {
        if ("Code".equals(reader.readUTF8(p, buffer))) {
          lengths.put(key, reader.readInt(p + 10)); // after name_index, length, max_stack, max_locals
        }
        p += 6 + reader.readInt(p + 2);
      }
    }
    return lengths;
  }

  private static int skipAttributes(ClassReader reader, int p) {
    int count = reader.readUnsignedShort(p);
    p += 2;
    for (int a = 0; a < count; a++) {
      p += 6 + reader.readInt(p + 2);
    }
    return p;
  }

  /** Collects the class's name, source file and methods as ASM visits them. */
  private static final class Collector extends ClassVisitor {
    private final Map<String, Integer> codeLengths;
    private final List<ClassFile.Method> methods = new ArrayList<>();
    private String name;
    private String superName;
    private String sourceFile;
    private int version;

    Collector(Map<String, Integer> codeLengths) {
      super(API);
      this.codeLengths = codeLengths;
    }

    @Override
    public void visit(int version, int access, String name, String signature, String superName,
        String[] interfaces) {
      this.version = version & 0xFFFF;
      this.name = name;
      this.superName = superName;
    }

    @Override
    public void visitSource(String source, String debug) {
      this.sourceFile = source;
    }

    @Override
    public MethodVisitor visitMethod(int access, String methodName, String descriptor, String signature,
        String[] exceptions) {
      int codeLength = codeLengths.getOrDefault(methodName + descriptor, 0);
      return new MethodCollector(collected -> methods.add(new ClassFile.Method(methodName, descriptor, access,
          codeLength, collected.instructions, collected.lines)));
    }
  }

  /**
   * Records each instruction with the current source line. ASM visits a label, then the line numbers that
   * start at it, then the instruction at its offset, so the line in force is the last one visited.
   */
  private static final class MethodCollector extends MethodVisitor {
    private final Consumer<MethodCollector> onEnd;
    private final List<ClassFile.Instruction> instructions = new ArrayList<>();
    private final List<Integer> lines = new ArrayList<>();
    private int line = -1;

    MethodCollector(Consumer<MethodCollector> onEnd) {
      super(API);
      this.onEnd = onEnd;
    }

    private void add(int opcode, String owner, String name, String descriptor) {
      instructions.add(new ClassFile.Instruction(opcode, owner, name, descriptor, line));
    }

    @Override
    public void visitLineNumber(int lineNumber, Label start) {
      line = lineNumber;
      lines.add(lineNumber);
    }

    @Override
    public void visitInsn(int opcode) {
      add(opcode, null, null, null);
    }

    @Override
    public void visitIntInsn(int opcode, int operand) {
      add(opcode, null, null, null);
    }

    @Override
    public void visitVarInsn(int opcode, int varIndex) {
      add(opcode, null, null, null);
    }

    @Override
    public void visitTypeInsn(int opcode, String type) {
      add(opcode, type, null, null);
    }

    @Override
    public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
      add(opcode, owner, name, descriptor);
    }

    @Override
    public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
      add(opcode, owner, name, descriptor);
    }

    @Override
    public void visitInvokeDynamicInsn(String name, String descriptor, Handle bootstrap, Object... arguments) {
      add(Opcodes.INVOKEDYNAMIC, bootstrap.getOwner(), name, descriptor);
    }

    @Override
    public void visitJumpInsn(int opcode, Label label) {
      add(opcode, null, null, null);
    }

    @Override
    public void visitLdcInsn(Object value) {
      add(Opcodes.LDC, null, null, null);
    }

    @Override
    public void visitIincInsn(int varIndex, int increment) {
      add(Opcodes.IINC, null, null, null);
    }

    @Override
    public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
      add(Opcodes.TABLESWITCH, null, null, null);
    }

    @Override
    public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
      add(Opcodes.LOOKUPSWITCH, null, null, null);
    }

    @Override
    public void visitMultiANewArrayInsn(String descriptor, int numDimensions) {
      add(Opcodes.MULTIANEWARRAY, descriptor, null, null);
    }

    @Override
    public void visitEnd() {
      onEnd.accept(this);
    }
  }
}
