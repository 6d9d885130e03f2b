package dev.rnnc.compiler.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.runtime.RnncException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class InMemoryJavaCompilerTest {
  private static InMemoryJavaCompiler compiler;

  @BeforeAll
  static void createCompiler() {
    compiler = new InMemoryJavaCompiler();
  }

  @AfterAll
  static void closeCompiler() {
    compiler.close();
  }

  private static final String VECTOR_DOT = """
      package gen.mem;

      import dev.rnnc.runtime.RnncException;
      import java.util.function.ToDoubleFunction;
      import jdk.incubator.vector.FloatVector;
      import jdk.incubator.vector.VectorOperators;
      import jdk.incubator.vector.VectorSpecies;

      public final class VectorDot implements ToDoubleFunction<float[][]> {
        private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

        /** Dot product of rows 0 and 1. */
        @Override
        public double applyAsDouble(float[][] rows) {
          float[] a = rows[0];
          float[] b = rows[1];
          if (a.length != b.length) {
            throw new RnncException("rows differ: " + a.length + " vs " + b.length);
          }
          FloatVector acc = FloatVector.zero(SPECIES);
          int i = 0;
          for (; i < SPECIES.loopBound(a.length); i += SPECIES.length()) {
            acc = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc);
          }
          float sum = acc.reduceLanes(VectorOperators.ADD);
          for (; i < a.length; i++) {
            sum += a[i] * b[i];
          }
          return sum;
        }

        static final class Nested {}
      }
      """;

  @Test
  void compilesAndRunsVectorApiCodeUsingTheRuntime() throws Exception {
    CompiledClasses classes = compiler.compile(Map.of("gen.mem.VectorDot", VECTOR_DOT));

    assertEquals(java.util.Set.of("gen.mem.VectorDot", "gen.mem.VectorDot$Nested"), classes.classBytes().keySet());
    @SuppressWarnings("unchecked")
    java.util.function.ToDoubleFunction<float[][]> dot = (java.util.function.ToDoubleFunction<float[][]>)
        classes.load("gen.mem.VectorDot").getConstructor().newInstance();
    float[] a = new float[37];
    float[] b = new float[37];
    double expected = 0;
    for (int i = 0; i < a.length; i++) {
      a[i] = i * 0.5f;
      b[i] = 3 - i;
      expected += a[i] * b[i];
    }
    assertEquals(expected, dot.applyAsDouble(new float[][] {a, b}), 1e-3);
    RnncException error = assertThrows(RnncException.class,
        () -> dot.applyAsDouble(new float[][] {a, new float[2]}));
    assertEquals("rows differ: 37 vs 2", error.getMessage());
  }

  @Test
  void loadReusesOneLoaderAndLoaderGivesFreshClasses() throws Exception {
    CompiledClasses classes = compiler.compile(Map.of("gen.mem.VectorDot", VECTOR_DOT));
    Class<?> first = classes.load("gen.mem.VectorDot");
    assertSame(first, classes.load("gen.mem.VectorDot"));
    assertSame(first.getClassLoader(), classes.load("gen.mem.VectorDot$Nested").getClassLoader());
    ClassLoader other = classes.loader(getClass().getClassLoader());
    assertNotSame(first, Class.forName("gen.mem.VectorDot", false, other));
    assertThrows(IllegalArgumentException.class, () -> classes.load("gen.mem.Missing"));
  }

  @Test
  void reportsSyntaxErrorsWithFileLineAndCode() {
    String broken = """
        package gen.mem;

        public final class Broken {
          int twice(int x) {
            return x * 2
          }
        }
        """;
    GeneratedCodeException error = assertThrows(GeneratedCodeException.class,
        () -> compiler.compile(Map.of("gen.mem.Broken", broken)));
    String message = error.getMessage();
    assertTrue(message.startsWith("javac rejected generated code:"), message);
    assertTrue(message.contains("gen/mem/Broken.java:5:"), message);
    assertTrue(message.contains("';' expected"), message);
    assertTrue(message.contains("| return x * 2"), message);
  }

  @Test
  void reportsTypeErrorsInEveryFileOfABatch() {
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("gen.mem.A", "package gen.mem; class A { int f() { return \"no\"; } }");
    sources.put("gen.mem.B", "package gen.mem; class B { void g() { undefined(); } }");
    GeneratedCodeException error = assertThrows(GeneratedCodeException.class, () -> compiler.compile(sources));
    assertTrue(error.getMessage().contains("gen/mem/A.java:1:"), error.getMessage());
    assertTrue(error.getMessage().contains("gen/mem/B.java:1:"), error.getMessage());
    assertTrue(error.getMessage().contains("undefined"), error.getMessage());
  }

  @Test
  void compilesABatchOfManyClassesThatReferToEachOther() throws Exception {
    Map<String, String> sources = new LinkedHashMap<>();
    int count = 40;
    for (int i = 0; i < count; i++) {
      String next = i + 1 < count ? "new Step" + (i + 1) + "().applyAsInt(x + 1)" : "x";
      sources.put("gen.batch.Step" + i, "package gen.batch;\n"
          + "public final class Step" + i + " implements java.util.function.IntUnaryOperator {\n"
          + "  public int applyAsInt(int x) { return " + next + "; }\n"
          + "}\n");
    }
    long start = System.nanoTime();
    CompiledClasses classes = compiler.compile(sources);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertEquals(count, classes.classBytes().size());
    IntUnaryOperator first = (IntUnaryOperator) classes.load("gen.batch.Step0").getConstructor().newInstance();
    assertEquals(count - 1 + 5, first.applyAsInt(5));
    assertTrue(millis < 20_000, "compiling " + count + " small classes took " + millis + " ms");
  }

  @Test
  void rejectsNamesThatAreNotClassNames() {
    assertThrows(IllegalArgumentException.class, () -> compiler.compile(Map.of("gen.mem.class", "")));
    assertThrows(IllegalArgumentException.class, () -> compiler.compile(Map.of()));
  }

  @Test
  void callersMayAddOptions() {
    try (InMemoryJavaCompiler strict = new InMemoryJavaCompiler(java.util.List.of("-Werror", "-Xlint:all"))) {
      String raw = "package gen.mem; class Raw { java.util.List l = new java.util.ArrayList(); }";
      GeneratedCodeException error = assertThrows(GeneratedCodeException.class,
          () -> strict.compile(Map.of("gen.mem.Raw", raw)));
      assertTrue(error.getMessage().contains("warnings found and -Werror specified"), error.getMessage());
    }
  }
}
