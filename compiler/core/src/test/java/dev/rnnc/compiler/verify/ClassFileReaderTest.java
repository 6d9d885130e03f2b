package dev.rnnc.compiler.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.Opcodes;

/** The ASM-based reader: what the bytecode checks rely on, checked against javap where javap can say. */
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

  /** Per method, javap's instruction offsets: the code length and instruction count to expect. */
  private static Map<String, List<Integer>> javapOffsets(Path dir, byte[] classFile) throws Exception {
    Path file = dir.resolve("Sample.class");
    Files.write(file, classFile);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    java.util.spi.ToolProvider javap = java.util.spi.ToolProvider.findFirst("javap").orElseThrow();
    int status = javap.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, "-c", "-p", file.toString());
    assertEquals(0, status);
    Map<String, List<Integer>> offsets = new LinkedHashMap<>();
    List<Integer> current = null;
    Matcher header = Pattern.compile("^  \\S.*?(\\w+|<init>|<clinit>)\\(.*\\);$").matcher("");
    Matcher insn = Pattern.compile("^\\s+(\\d+): [a-z]").matcher("");
    for (String line : out.toString(StandardCharsets.UTF_8).split("\\R")) {
      if (header.reset(line).matches()) {
        current = new ArrayList<>();
        offsets.put(header.group(1), current);
      } else if (current != null && insn.reset(line).find()) {
        current.add(Integer.parseInt(insn.group(1)));
      }
    }
    return offsets;
  }

  @Test
  void codeLengthsAndInstructionCountsMatchJavap(@TempDir Path dir) throws Exception {
    Map<String, List<Integer>> expected = javapOffsets(dir, sample);
    ClassFile type = ClassFileReader.read(sample);
    assertTrue(expected.keySet().containsAll(List.of("dense", "sparse", "wide", "allocations")), expected.toString());
    for (ClassFile.Method method : type.methods()) {
      if (method.name().startsWith("lambda$") || method.name().equals("<init>")) {
        continue; // javap names constructors by their class
      }
      List<Integer> offsets = expected.get(method.name());
      assertEquals(offsets.size(), method.instructions().size(), method.name());
      // every method of the sample ends in a one-byte return
      int lastOpcode = method.instructions().get(method.instructions().size() - 1).opcode();
      assertTrue(lastOpcode >= Opcodes.IRETURN && lastOpcode <= Opcodes.RETURN, method.name());
      assertEquals(offsets.get(offsets.size() - 1) + 1, method.codeLength(), method.name());
    }
    // wide locals (slots beyond 255) and switches are measured exactly too
    assertTrue(method(type, "wide").codeLength() > 140 * 4, "wide: " + method(type, "wide").codeLength());
  }

  @Test
  void readsTheClassFileVersionOfTheRunningJdk() {
    ClassFile type = ClassFileReader.read(sample);
    // javac of the running JDK (25 in this build: version 69, Opcodes.V25) wrote it
    assertEquals(Runtime.version().feature() + 44, type.version());
    assertEquals(69, Opcodes.V25);
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
        .map(i -> i.opcode() + " " + i.owner() + " " + i.name() + " " + i.descriptor())
        .toList();
    assertTrue(code.contains(Opcodes.ANEWARRAY + " java/lang/String null null"), code.toString());
    assertTrue(code.contains(Opcodes.MULTIANEWARRAY + " [[I null null"), code.toString());
    assertTrue(code.contains(Opcodes.INVOKEDYNAMIC
        + " java/lang/invoke/LambdaMetafactory getAsInt (I)Ljava/util/function/IntSupplier;"), code.toString());
    assertTrue(code.stream().anyMatch(s -> s.startsWith(Opcodes.INVOKEDYNAMIC
        + " java/lang/invoke/StringConcatFactory makeConcatWithConstants (")), code.toString());
    assertTrue(code.contains(Opcodes.INSTANCEOF + " java/lang/CharSequence null null"), code.toString());
    assertTrue(code.contains(Opcodes.CHECKCAST + " java/lang/CharSequence null null"), code.toString());
    assertTrue(code.contains(Opcodes.NEW + " java/lang/StringBuilder null null"), code.toString());
    assertTrue(code.contains(Opcodes.INVOKESPECIAL + " java/lang/StringBuilder <init> (Ljava/lang/String;)V"),
        code.toString());
    assertTrue(code.contains(Opcodes.INVOKEINTERFACE + " java/util/function/IntSupplier getAsInt ()I"),
        code.toString());
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
  void givesEveryInstructionItsSourceLine() {
    ClassFile.Method dense = method(ClassFileReader.read(sample), "dense");
    assertEquals(7, dense.instructions().get(0).line(), "switch (k) is on line 7 of the sample");
    assertEquals(List.of(7, 8, 9, 10, 11, 12), dense.lines());
    assertEquals(12, dense.instructions().get(dense.instructions().size() - 1).line(), "default: return -1");
  }

  @Test
  void rejectsEveryTruncationAndBadMagic() {
    for (int length = 0; length < sample.length; length++) {
      byte[] prefix = Arrays.copyOf(sample, length);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassFileReader.read(prefix),
          "prefix of " + length);
      assertTrue(e.getMessage().startsWith("not a readable class file"), e.getMessage());
    }
    byte[] future = sample.clone();
    future[7] = (byte) 99; // major version 99: newer than ASM knows
    assertThrows(IllegalArgumentException.class, () -> ClassFileReader.read(future));
  }

  private static ClassFile.Method method(ClassFile type, String name) {
    return type.methods().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
  }
}
