package dev.rnnc.compiler.verify;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A small, strict reader of the class-file format (JVMS §4): constant pool, methods, their {@code Code}
 * and {@code LineNumberTable} attributes, and the class's {@code SourceFile} and {@code BootstrapMethods}.
 * Everything else is skipped by its declared length. Any inconsistency (bad magic, unknown constant tag,
 * index of the wrong kind, reserved opcode, an instruction running past the code, trailing bytes) is
 * rejected with an {@link IllegalArgumentException}: the verifier must not reason about bytes it misread.
 *
 * <p>Written for Java 17 code (rnnc's compiler runs inside Maven's JVM), hence not {@code java.lang.classfile}.
 */
public final class ClassFileReader {
  private static final int MAGIC = 0xCAFEBABE;

  private static final int UTF8 = 1;
  private static final int INTEGER = 3;
  private static final int FLOAT = 4;
  private static final int LONG = 5;
  private static final int DOUBLE = 6;
  private static final int CLASS = 7;
  private static final int STRING = 8;
  private static final int FIELDREF = 9;
  private static final int METHODREF = 10;
  private static final int INTERFACE_METHODREF = 11;
  private static final int NAME_AND_TYPE = 12;
  private static final int METHOD_HANDLE = 15;
  private static final int METHOD_TYPE = 16;
  private static final int DYNAMIC = 17;
  private static final int INVOKE_DYNAMIC = 18;
  private static final int MODULE = 19;
  private static final int PACKAGE = 20;

  private final DataInputStream in;
  private int[] tags;
  private int[] first;   // Class/String/MethodType/Module/Package: the index; refs: class; NameAndType: name
  private int[] second;  // refs: name-and-type; NameAndType: descriptor; MethodHandle: the reference
  private String[] utf8;
  private int[] bootstrapOwners; // per BootstrapMethods entry: the constant-pool Class index of its method's owner

  private ClassFileReader(byte[] bytes) {
    this.in = new DataInputStream(new ByteArrayInputStream(bytes));
  }

  /**
   * Parses a class file.
   *
   * @throws IllegalArgumentException if the bytes are not a well-formed class file
   */
  public static ClassFile read(byte[] bytes) {
    try {
      return new ClassFileReader(bytes).readClass();
    } catch (EOFException e) {
      throw new IllegalArgumentException("malformed class file: truncated", e);
    } catch (UTFDataFormatException e) {
      throw new IllegalArgumentException("malformed class file: bad modified UTF-8 in the constant pool", e);
    } catch (IOException e) {
      throw new IllegalStateException("reading a byte array cannot fail", e);
    }
  }

  private ClassFile readClass() throws IOException {
    if (in.readInt() != MAGIC) {
      throw malformed("not a class file (bad magic number)");
    }
    in.readUnsignedShort(); // minor version
    in.readUnsignedShort(); // major version: any; only the structure matters here
    readConstantPool();
    in.readUnsignedShort(); // access flags
    String name = className(in.readUnsignedShort());
    int superIndex = in.readUnsignedShort();
    String superName = superIndex == 0 ? null : className(superIndex);
    int interfaces = in.readUnsignedShort();
    for (int i = 0; i < interfaces; i++) {
      className(in.readUnsignedShort());
    }
    int fields = in.readUnsignedShort();
    for (int i = 0; i < fields; i++) {
      in.readUnsignedShort(); // access flags
      utf8(in.readUnsignedShort());
      utf8(in.readUnsignedShort());
      skipAttributes();
    }
    List<RawMethod> rawMethods = new ArrayList<>();
    int methods = in.readUnsignedShort();
    for (int i = 0; i < methods; i++) {
      rawMethods.add(readMethod());
    }
    String sourceFile = readClassAttributes();
    if (in.available() != 0) {
      throw malformed(in.available() + " bytes after the end of the class");
    }
    // Instructions are decoded last: invokedynamic refers to BootstrapMethods, which follows the methods.
    List<ClassFile.Method> result = new ArrayList<>(rawMethods.size());
    for (RawMethod raw : rawMethods) {
      List<ClassFile.Instruction> instructions = raw.code == null ? List.of() : decode(raw.name, raw.code);
      result.add(new ClassFile.Method(raw.name, raw.descriptor, raw.access,
          raw.code == null ? 0 : raw.code.length, instructions, raw.lines));
    }
    return new ClassFile(name, superName, sourceFile, result);
  }

  private void readConstantPool() throws IOException {
    int count = in.readUnsignedShort();
    tags = new int[count];
    first = new int[count];
    second = new int[count];
    utf8 = new String[count];
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      tags[i] = tag;
      switch (tag) {
        case UTF8 -> utf8[i] = in.readUTF();
        case INTEGER, FLOAT -> in.readInt();
        case LONG, DOUBLE -> {
          in.readLong();
          if (++i >= count) { // eight-byte constants take two slots (JVMS §4.4.5)
            throw malformed("constant pool ends in the middle of a long or double");
          }
        }
        case CLASS, STRING, METHOD_TYPE, MODULE, PACKAGE -> first[i] = in.readUnsignedShort();
        case FIELDREF, METHODREF, INTERFACE_METHODREF, NAME_AND_TYPE, DYNAMIC, INVOKE_DYNAMIC -> {
          first[i] = in.readUnsignedShort();
          second[i] = in.readUnsignedShort();
        }
        case METHOD_HANDLE -> {
          first[i] = in.readUnsignedByte(); // reference kind
          second[i] = in.readUnsignedShort();
        }
        default -> throw malformed("unknown constant-pool tag " + tag + " at index " + i);
      }
    }
  }

  private RawMethod readMethod() throws IOException {
    RawMethod method = new RawMethod();
    method.access = in.readUnsignedShort();
    method.name = utf8(in.readUnsignedShort());
    method.descriptor = utf8(in.readUnsignedShort());
    int attributes = in.readUnsignedShort();
    for (int i = 0; i < attributes; i++) {
      String attribute = utf8(in.readUnsignedShort());
      long length = Integer.toUnsignedLong(in.readInt());
      if (!attribute.equals("Code")) {
        skip(length);
        continue;
      }
      if (method.code != null) {
        throw malformed("method " + method.name + " has two Code attributes");
      }
      int before = in.available();
      readCode(method);
      if (before - in.available() != length) {
        throw malformed("Code attribute of " + method.name + " declares " + length + " bytes but holds "
            + (before - in.available()));
      }
    }
    return method;
  }

  private void readCode(RawMethod method) throws IOException {
    in.readUnsignedShort(); // max stack
    in.readUnsignedShort(); // max locals
    long codeLength = Integer.toUnsignedLong(in.readInt());
    if (codeLength == 0 || codeLength > 65535) {
      throw malformed("method " + method.name + " has code length " + codeLength + " (JVMS §4.7.3: 1..65535)");
    }
    method.code = new byte[(int) codeLength];
    in.readFully(method.code);
    skip(8L * in.readUnsignedShort()); // exception table
    int attributes = in.readUnsignedShort();
    for (int i = 0; i < attributes; i++) {
      String attribute = utf8(in.readUnsignedShort());
      long length = Integer.toUnsignedLong(in.readInt());
      if (!attribute.equals("LineNumberTable")) {
        skip(length);
        continue;
      }
      int entries = in.readUnsignedShort();
      if (length != 2 + 4L * entries) {
        throw malformed("LineNumberTable of " + method.name + " has a wrong length");
      }
      for (int e = 0; e < entries; e++) {
        int startPc = in.readUnsignedShort();
        int line = in.readUnsignedShort();
        if (startPc >= codeLength) {
          throw malformed("LineNumberTable of " + method.name + " points past the code");
        }
        method.lines.add(new ClassFile.LineNumber(startPc, line));
      }
    }
    method.lines.sort(Comparator.comparingInt(ClassFile.LineNumber::startPc));
  }

  /** Reads the class attributes; returns the source file name and records the bootstrap methods. */
  private String readClassAttributes() throws IOException {
    String sourceFile = null;
    bootstrapOwners = new int[0];
    int attributes = in.readUnsignedShort();
    for (int i = 0; i < attributes; i++) {
      String attribute = utf8(in.readUnsignedShort());
      long length = Integer.toUnsignedLong(in.readInt());
      if (attribute.equals("SourceFile")) {
        if (length != 2) {
          throw malformed("SourceFile attribute of length " + length);
        }
        sourceFile = utf8(in.readUnsignedShort());
      } else if (attribute.equals("BootstrapMethods")) {
        int before = in.available();
        int count = in.readUnsignedShort();
        bootstrapOwners = new int[count];
        for (int b = 0; b < count; b++) {
          int handle = expect(in.readUnsignedShort(), METHOD_HANDLE, "method handle");
          int member = second[handle];
          expect(member, METHODREF, INTERFACE_METHODREF, "bootstrap method");
          bootstrapOwners[b] = first[member];
          skip(2L * in.readUnsignedShort()); // static arguments
        }
        if (before - in.available() != length) {
          throw malformed("BootstrapMethods attribute has a wrong length");
        }
      } else {
        skip(length);
      }
    }
    return sourceFile;
  }

  private void skipAttributes() throws IOException {
    int attributes = in.readUnsignedShort();
    for (int i = 0; i < attributes; i++) {
      utf8(in.readUnsignedShort());
      skip(Integer.toUnsignedLong(in.readInt()));
    }
  }

  /** Walks the code instruction by instruction (JVMS §6.5), resolving constant-pool operands. */
  private List<ClassFile.Instruction> decode(String method, byte[] code) {
    List<ClassFile.Instruction> instructions = new ArrayList<>();
    int pc = 0;
    while (pc < code.length) {
      int opcode = code[pc] & 0xFF;
      if (!Opcodes.isDefined(opcode)) {
        throw malformed("method " + method + ": reserved opcode " + opcode + " at offset " + pc);
      }
      long length = switch (opcode) {
        case Opcodes.TABLESWITCH -> {
          int operands = align(pc);
          int low = s4(code, operands + 4, method);
          int high = s4(code, operands + 8, method);
          if (low > high) {
            throw malformed("method " + method + ": tableswitch at " + pc + " has low > high");
          }
          yield operands - pc + 12 + 4 * ((long) high - low + 1);
        }
        case Opcodes.LOOKUPSWITCH -> {
          int operands = align(pc);
          int pairs = s4(code, operands + 4, method);
          if (pairs < 0) {
            throw malformed("method " + method + ": lookupswitch at " + pc + " has " + pairs + " pairs");
          }
          yield operands - pc + 8 + 8L * pairs;
        }
        case Opcodes.WIDE -> {
          int modified = u1(code, pc + 1, method);
          if (modified == Opcodes.IINC) {
            yield 6;
          }
          if ((modified >= 21 && modified <= 25) || (modified >= 54 && modified <= 58) || modified == 169) {
            yield 4;
          }
          throw malformed("method " + method + ": wide applied to " + modified + " at offset " + pc);
        }
        default -> Opcodes.fixedLength(opcode);
      };
      if (pc + length > code.length) {
        throw malformed("method " + method + ": " + Opcodes.mnemonic(opcode) + " at offset " + pc
            + " runs past the end of the code");
      }
      instructions.add(instruction(pc, opcode, (int) length, code));
      pc += (int) length;
    }
    return instructions;
  }

  private ClassFile.Instruction instruction(int pc, int opcode, int length, byte[] code) {
    switch (opcode) {
      case Opcodes.NEW, Opcodes.ANEWARRAY, Opcodes.MULTIANEWARRAY, Opcodes.CHECKCAST, Opcodes.INSTANCEOF -> {
        return new ClassFile.Instruction(pc, opcode, length, className(u2(code, pc + 1)), null, null);
      }
      case 178, 179, 180, 181 -> { // getstatic, putstatic, getfield, putfield
        return member(pc, opcode, length, expect(u2(code, pc + 1), FIELDREF, "field reference"));
      }
      case Opcodes.INVOKEVIRTUAL, Opcodes.INVOKESPECIAL, Opcodes.INVOKESTATIC, Opcodes.INVOKEINTERFACE -> {
        int ref = u2(code, pc + 1);
        return member(pc, opcode, length, expect(ref, METHODREF, INTERFACE_METHODREF, "method reference"));
      }
      case Opcodes.INVOKEDYNAMIC -> {
        int site = expect(u2(code, pc + 1), INVOKE_DYNAMIC, "invokedynamic call site");
        int bootstrap = first[site];
        if (bootstrap >= bootstrapOwners.length) {
          throw malformed("invokedynamic at " + pc + " names bootstrap method " + bootstrap + " of "
              + bootstrapOwners.length);
        }
        int nameAndType = expect(second[site], NAME_AND_TYPE, "name and type");
        return new ClassFile.Instruction(pc, opcode, length, className(bootstrapOwners[bootstrap]),
            utf8(first[nameAndType]), utf8(second[nameAndType]));
      }
      default -> {
        return new ClassFile.Instruction(pc, opcode, length, null, null, null);
      }
    }
  }

  private ClassFile.Instruction member(int pc, int opcode, int length, int ref) {
    int nameAndType = expect(second[ref], NAME_AND_TYPE, "name and type");
    return new ClassFile.Instruction(pc, opcode, length, className(first[ref]),
        utf8(first[nameAndType]), utf8(second[nameAndType]));
  }

  /** Offset of a switch's operands: after the opcode, padded to a multiple of four from the code start. */
  private static int align(int pc) {
    return (pc + 4) & ~3;
  }

  private String className(int index) {
    return utf8(first[expect(index, CLASS, "class")]);
  }

  private String utf8(int index) {
    return utf8[expect(index, UTF8, "UTF-8 string")];
  }

  private int expect(int index, int tag, String what) {
    return expect(index, tag, tag, what);
  }

  private int expect(int index, int tag, int otherTag, String what) {
    if (index <= 0 || index >= tags.length || (tags[index] != tag && tags[index] != otherTag)) {
      throw malformed("constant-pool index " + index + " is not a " + what);
    }
    return index;
  }

  private void skip(long bytes) throws IOException {
    if (bytes > in.available()) {
      throw new EOFException();
    }
    in.skipNBytes(bytes);
  }

  private static int u1(byte[] code, int at, String method) {
    if (at >= code.length) {
      throw malformed("method " + method + ": instruction runs past the end of the code");
    }
    return code[at] & 0xFF;
  }

  private static int u2(byte[] code, int at) {
    return ((code[at] & 0xFF) << 8) | (code[at + 1] & 0xFF);
  }

  private static int s4(byte[] code, int at, String method) {
    if (at + 4 > code.length) {
      throw malformed("method " + method + ": switch runs past the end of the code");
    }
    return ((code[at] & 0xFF) << 24) | ((code[at + 1] & 0xFF) << 16) | ((code[at + 2] & 0xFF) << 8)
        | (code[at + 3] & 0xFF);
  }

  private static IllegalArgumentException malformed(String what) {
    return new IllegalArgumentException("malformed class file: " + what);
  }

  /** A method as read, before its code is decoded. */
  private static final class RawMethod {
    int access;
    String name;
    String descriptor;
    byte[] code;
    final List<ClassFile.LineNumber> lines = new ArrayList<>();
  }
}
