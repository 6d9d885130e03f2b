package dev.rnnc.compiler.verify;

import java.util.Arrays;

/** JVM opcodes (JVMS §6.5): the ones the verifier looks for, every mnemonic, and instruction lengths. */
public final class Opcodes {
  public static final int LDC = 18;
  public static final int IINC = 132;
  public static final int TABLESWITCH = 170;
  public static final int LOOKUPSWITCH = 171;
  public static final int GETSTATIC = 178;
  public static final int PUTFIELD = 181;
  public static final int INVOKEVIRTUAL = 182;
  public static final int INVOKESPECIAL = 183;
  public static final int INVOKESTATIC = 184;
  public static final int INVOKEINTERFACE = 185;
  public static final int INVOKEDYNAMIC = 186;
  public static final int NEW = 187;
  public static final int NEWARRAY = 188;
  public static final int ANEWARRAY = 189;
  public static final int ATHROW = 191;
  public static final int CHECKCAST = 192;
  public static final int INSTANCEOF = 193;
  public static final int WIDE = 196;
  public static final int MULTIANEWARRAY = 197;
  /** The last opcode defined; 202 and above are reserved and never appear in a class file. */
  public static final int LAST = 201;

  private static final String[] MNEMONICS = """
      nop aconst_null iconst_m1 iconst_0 iconst_1 iconst_2 iconst_3 iconst_4 iconst_5 lconst_0 lconst_1
      fconst_0 fconst_1 fconst_2 dconst_0 dconst_1 bipush sipush ldc ldc_w ldc2_w iload lload fload dload
      aload iload_0 iload_1 iload_2 iload_3 lload_0 lload_1 lload_2 lload_3 fload_0 fload_1 fload_2 fload_3
      dload_0 dload_1 dload_2 dload_3 aload_0 aload_1 aload_2 aload_3 iaload laload faload daload aaload
      baload caload saload istore lstore fstore dstore astore istore_0 istore_1 istore_2 istore_3 lstore_0
      lstore_1 lstore_2 lstore_3 fstore_0 fstore_1 fstore_2 fstore_3 dstore_0 dstore_1 dstore_2 dstore_3
      astore_0 astore_1 astore_2 astore_3 iastore lastore fastore dastore aastore bastore castore sastore pop
      pop2 dup dup_x1 dup_x2 dup2 dup2_x1 dup2_x2 swap iadd ladd fadd dadd isub lsub fsub dsub imul lmul fmul
      dmul idiv ldiv fdiv ddiv irem lrem frem drem ineg lneg fneg dneg ishl lshl ishr lshr iushr lushr iand
      land ior lor ixor lxor iinc i2l i2f i2d l2i l2f l2d f2i f2l f2d d2i d2l d2f i2b i2c i2s lcmp fcmpl
      fcmpg dcmpl dcmpg ifeq ifne iflt ifge ifgt ifle if_icmpeq if_icmpne if_icmplt if_icmpge if_icmpgt
      if_icmple if_acmpeq if_acmpne goto jsr ret tableswitch lookupswitch ireturn lreturn freturn dreturn
      areturn return getstatic putstatic getfield putfield invokevirtual invokespecial invokestatic
      invokeinterface invokedynamic new newarray anewarray arraylength athrow checkcast instanceof
      monitorenter monitorexit wide multianewarray ifnull ifnonnull goto_w jsr_w
      """.strip().split("\\s+");

  /**
   * Length in bytes of each fixed-size instruction, opcode included; 0 for the variable-length ones
   * (tableswitch, lookupswitch, wide), which {@link ClassFileReader} measures from their operands.
   */
  private static final byte[] LENGTHS = new byte[LAST + 1];

  static {
    Arrays.fill(LENGTHS, (byte) 1);
    set(2, 16, 18, 21, 22, 23, 24, 25, 54, 55, 56, 57, 58, 169, NEWARRAY); // bipush ldc, xload/xstore, ret
    set(3, 17, 19, 20, IINC, 178, 179, 180, 181, 182, 183, 184, NEW, ANEWARRAY, CHECKCAST, INSTANCEOF, 198, 199);
    for (int branch = 153; branch <= 168; branch++) { // if<cond>, if_icmp<cond>, if_acmp<cond>, goto, jsr
      LENGTHS[branch] = 3;
    }
    set(4, MULTIANEWARRAY);
    set(5, INVOKEINTERFACE, INVOKEDYNAMIC, 200, 201); // goto_w, jsr_w
    set(0, TABLESWITCH, LOOKUPSWITCH, WIDE);
  }

  private Opcodes() {}

  private static void set(int length, int... opcodes) {
    for (int opcode : opcodes) {
      LENGTHS[opcode] = (byte) length;
    }
  }

  /** Whether {@code opcode} is defined by the JVM specification (0..201). */
  public static boolean isDefined(int opcode) {
    return opcode >= 0 && opcode <= LAST;
  }

  /** The mnemonic of a defined opcode, as javap prints it. */
  public static String mnemonic(int opcode) {
    return MNEMONICS[opcode];
  }

  /** Length of a fixed-size instruction, 0 for tableswitch, lookupswitch and wide. */
  static int fixedLength(int opcode) {
    return LENGTHS[opcode];
  }

  static {
    if (MNEMONICS.length != LAST + 1) {
      throw new AssertionError("opcode table has " + MNEMONICS.length + " mnemonics");
    }
  }
}
