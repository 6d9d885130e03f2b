package dev.rnnc.compiler.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassFileReaderTest {
  private static InMemoryJavaCompiler compiler;
  private static byte[] sample;

  /** Exercises every variable-length instruction and every kind of constant-pool operand. */
  private static String sampleSource() {
    StringBuilder manyLocals = new StringBuilder();
    for (int i = 0; i < 140; i++) {
      manyLocals.append("    double d").append(i).append(" = seed + ").append(i).append(";\n");
    }
    return """
        package gen.cf;

        import java.util.function.IntSupplier;

        public class Sample {
          int dense(int k) {
            switch (k) {
              case 0: return 10;
              case 1: return 11;
              case 2: return 12;
              case 3: return 13;
              default: return -1;
            }
          }

          int sparse(int k) {
            switch (k) {
              case -100000: return 1;
              case 7: return 2;
              case 123456: return 3;
              default: return 0;
            }
          }

          double wide(double seed) {
        %s    int counter = (int) d139;
            counter += 1000;
            return counter + d0;
          }

          Object allocations(Object o, int n) {
            String[] names = new String[n];
            int[][] grid = new int[n][n];
            IntSupplier lambda = () -> n + 1;
            String text = "n=" + n + names.length;
            if (o instanceof CharSequence) {
              return (CharSequence) o;
            }
            return new StringBuilder(text).append(grid.length).append(lambda.getAsInt()).toString();
          }

          abstract static class Shape {
            abstract double area();
          }
        }
        """.formatted(manyLocals);
  }

  @BeforeAll
  static void compileSample() {
    compiler = new InMemoryJavaCompiler();
    sample = compiler.compile(Map.of("gen.cf.Sample", sampleSource())).classBytes().get("gen.cf.Sample");
  }

  @AfterAll
  static void closeCompiler() {
    compiler.close();
  }

  @Test
  void instructionOffsetsAndMnemonicsMatchJavap(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("Sample.class");
    Files.write(file, sample);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    java.util.spi.ToolProvider javap = java.util.spi.ToolProvider.findFirst("javap").orElseThrow();
    int status = javap.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, "-c", "-p", file.toString());
    assertEquals(0, status);
    List<String> expected = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s+(\\d+): ([a-z_][a-z0-9_]*)").matcher(out.toString(StandardCharsets.UTF_8));
    java.util.Set<String> mnemonics = new java.util.HashSet<>();
    for (int opcode = 0; opcode <= Opcodes.LAST; opcode++) {
      mnemonics.add(Opcodes.mnemonic(opcode));
    }
    while (m.find()) {
      // javap shows "wide dstore" as a pseudo-mnemonic "dstore_w"
      String mnemonic = mnemonics.contains(m.group(2)) ? m.group(2) : m.group(2).endsWith("_w") ? "wide" : m.group(2);
      expected.add(m.group(1) + ": " + mnemonic);
    }

    List<String> actual = new ArrayList<>();
    for (ClassFile.Method method : ClassFileReader.read(sample).methods()) {
      for (ClassFile.Instruction insn : method.instructions()) {
        actual.add(insn.offset() + ": " + insn.mnemonic());
      }
    }
    assertTrue(expected.size() > 100, "javap output not understood: " + out);
    assertEquals(expected, actual);
  }

  @Test
  void measuresSwitchesAndWideInstructions() {
    ClassFile type = ClassFileReader.read(sample);
    ClassFile.Method dense = method(type, "dense");
    ClassFile.Method sparse = method(type, "sparse");
    ClassFile.Method wide = method(type, "wide");
    assertTrue(mnemonics(dense).contains("tableswitch"), mnemonics(dense).toString());
    assertTrue(mnemonics(sparse).contains("lookupswitch"), mnemonics(sparse).toString());
    assertTrue(mnemonics(wide).contains("wide"), mnemonics(wide).toString());
    for (ClassFile.Method method : type.methods()) {
      List<ClassFile.Instruction> code = method.instructions();
      if (code.isEmpty()) {
        assertEquals(0, method.codeLength(), method.name());
        continue;
      }
      ClassFile.Instruction last = code.get(code.size() - 1);
      assertEquals(method.codeLength(), last.offset() + last.length(), method.name());
      assertFalse(method.lineNumbers().isEmpty(), method.name());
    }
    // wide iinc (counter += 1000 on a local beyond slot 255) is six bytes, wide dload four
    assertTrue(wide.instructions().stream().anyMatch(i -> i.opcode() == Opcodes.WIDE && i.length() == 6));
    assertTrue(wide.instructions().stream().anyMatch(i -> i.opcode() == Opcodes.WIDE && i.length() == 4));
  }

  @Test
  void resolvesConstantPoolOperands() {
    ClassFile type = ClassFileReader.read(sample);
    assertEquals("gen/cf/Sample", type.name());
    assertEquals("gen.cf.Sample", type.binaryName());
    assertEquals("java/lang/Object", type.superName());
    assertEquals("Sample.java", type.sourceFile());
    assertEquals("(Ljava/lang/Object;I)Ljava/lang/Object;", method(type, "allocations").descriptor());

    List<String> code = method(type, "allocations").instructions().stream()
        .filter(i -> i.owner() != null || i.name() != null)
        .map(i -> i.mnemonic() + " " + i.owner() + " " + i.name() + " " + i.descriptor())
        .toList();
    assertTrue(code.contains("anewarray java/lang/String null null"), code.toString());
    assertTrue(code.contains("multianewarray [[I null null"), code.toString());
    assertTrue(code.contains("invokedynamic java/lang/invoke/LambdaMetafactory getAsInt (I)Ljava/util/function/IntSupplier;"),
        code.toString());
    assertTrue(code.stream().anyMatch(s -> s.startsWith("invokedynamic java/lang/invoke/StringConcatFactory makeConcatWithConstants (")),
        code.toString());
    assertTrue(code.contains("instanceof java/lang/CharSequence null null"), code.toString());
    assertTrue(code.contains("checkcast java/lang/CharSequence null null"), code.toString());
    assertTrue(code.contains("new java/lang/StringBuilder null null"), code.toString());
    assertTrue(code.contains("invokespecial java/lang/StringBuilder <init> (Ljava/lang/String;)V"), code.toString());
    assertTrue(code.contains("invokeinterface java/util/function/IntSupplier getAsInt ()I"), code.toString());
    assertTrue(method(type, "allocations").instructions().stream().anyMatch(i -> i.opcode() == Opcodes.NEWARRAY)
        || code.contains("multianewarray [[I null null"));
  }

  @Test
  void readsAbstractMethodsWithoutCode() {
    byte[] shape = compiler.compile(Map.of("gen.cf.Sample", sampleSource())).classBytes().get("gen.cf.Sample$Shape");
    ClassFile.Method area = method(ClassFileReader.read(shape), "area");
    assertEquals(0, area.codeLength());
    assertTrue(area.instructions().isEmpty());
    assertEquals("()D", area.descriptor());
  }

  @Test
  void mapsOffsetsToSourceLines() {
    ClassFile.Method dense = method(ClassFileReader.read(sample), "dense");
    int first = dense.lineAt(0);
    assertEquals(7, first, "switch (k) is on line 7 of the sample");
    assertEquals(-1, ClassFileReader.read(sample).methods().get(0).lineAt(-1));
  }

  @Test
  void rejectsEveryTruncation() {
    for (int length = 0; length < sample.length; length++) {
      byte[] prefix = Arrays.copyOf(sample, length);
      assertThrows(IllegalArgumentException.class, () -> ClassFileReader.read(prefix), "prefix of " + length);
    }
  }

  @Test
  void rejectsBadMagicUnknownConstantsAndTrailingBytes() {
    byte[] badMagic = sample.clone();
    badMagic[0] = 0;
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ClassFileReader.read(badMagic))
        .getMessage().contains("magic"));

    byte[] badTag = sample.clone();
    badTag[10] = 2; // the first constant's tag; 2 is unused by the JVM specification
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ClassFileReader.read(badTag))
        .getMessage().contains("unknown constant-pool tag 2"));

    byte[] trailing = Arrays.copyOf(sample, sample.length + 1);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ClassFileReader.read(trailing))
        .getMessage().contains("after the end"));
  }

  private static ClassFile.Method method(ClassFile type, String name) {
    return type.methods().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
  }

  private static List<String> mnemonics(ClassFile.Method method) {
    return method.instructions().stream().map(ClassFile.Instruction::mnemonic).toList();
  }
}
