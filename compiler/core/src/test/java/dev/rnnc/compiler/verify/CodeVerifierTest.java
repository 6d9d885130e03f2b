package dev.rnnc.compiler.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.verify.Violation.Kind;
import dev.rnnc.compiler.verify.Violation.Layer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CodeVerifierTest {
  private static InMemoryJavaCompiler compiler;
  private final CodeVerifier verifier = new CodeVerifier();

  @BeforeAll
  static void createCompiler() {
    compiler = new InMemoryJavaCompiler();
  }

  @AfterAll
  static void closeCompiler() {
    compiler.close();
  }

  private static final String GOOD = """
      package gen.v;

      import jdk.incubator.vector.FloatVector;
      import jdk.incubator.vector.VectorMask;
      import jdk.incubator.vector.VectorOperators;
      import jdk.incubator.vector.VectorSpecies;

      public final class Good {
        private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
        private final float[] weights;
        private final float[] state;
        private final String name = "good";

        public Good(int n) {
          weights = new float[n];
          state = new float[n];
          java.util.Arrays.fill(weights, 0.5f);
        }

        public void step(float[] x, int n) {
          if (n > weights.length) {
            throw new IllegalArgumentException("bad " + n + " > " + weights.length + " in " + name);
          }
          assert n >= 0 : "negative n " + n;
          int i = 0;
          int bound = SPECIES.loopBound(n);
          for (; i < bound; i += SPECIES.length()) {
            FloatVector w = FloatVector.fromArray(SPECIES, weights, i);
            FloatVector v = FloatVector.fromArray(SPECIES, x, i);
            FloatVector h = FloatVector.fromArray(SPECIES, state, i);
            w.fma(v, h).lanewise(VectorOperators.TANH).intoArray(state, i);
          }
          if (i < n) {
            VectorMask<Float> mask = SPECIES.indexInRange(i, n);
            FloatVector w = FloatVector.fromArray(SPECIES, weights, i, mask);
            FloatVector v = FloatVector.fromArray(SPECIES, x, i, mask);
            w.mul(v).intoArray(state, i, mask);
          }
        }

        /**
         * Sum of the state, clamped at zero.
         *
         * @rnnc.hot
         */
        public float total() {
          float sum = 0;
          for (float value : state) {
            sum += value;
          }
          if (Float.isNaN(sum)) {
            throw new IllegalStateException(String.format("state of %s is NaN", name));
          }
          return Math.max(sum, 0f) * Float.MIN_NORMAL / Float.MIN_NORMAL;
        }

        /** Cold: may allocate and build strings. */
        public String describe() {
          return name + ": " + java.util.Arrays.toString(state);
        }

        static final class Kernels {
          static void kernelScale(float[] a, float factor) {
            for (int i = 0; i < a.length; i++) {
              a[i] *= factor;
            }
          }
        }
      }
      """;

  @Test
  void passesVectorApiCodeWithAThrowGuard() {
    assertEquals(List.of(), verify("Good", GOOD));
    verifier.verifyOrThrow("gen.v.Good", GOOD, compile("Good", GOOD));
  }

  @Test
  void findsObjectCreation() {
    List<Violation> found = verify("NewObject", hot("java.util.List<float[]> list = new java.util.ArrayList<>(); sink = list;"));
    assertFound(found, Kind.NEW_OBJECT, Layer.SOURCE, "NewObject.step: new java.util.ArrayList<>() (line 12)");
    assertFound(found, Kind.NEW_OBJECT, Layer.BYTECODE, "NewObject.step: new java.util.ArrayList (line ");
  }

  @Test
  void findsArrayCreation() {
    List<Violation> found = verify("NewArray", hot("float[] tmp = new float[n]; sink = tmp; int[] ids = {1, 2}; sink = ids;"
        + " String[] names = new String[n]; sink = names; int[][] grid = new int[n][n]; sink = grid;"));
    assertFound(found, Kind.NEW_ARRAY, Layer.SOURCE, "NewArray.step: new float[] array");
    assertFound(found, Kind.NEW_ARRAY, Layer.SOURCE, "NewArray.step: array initializer { 1, 2 } (line 12)");
    assertFound(found, Kind.NEW_ARRAY, Layer.BYTECODE, "NewArray.step: newarray (line 12)");
    assertFound(found, Kind.NEW_ARRAY, Layer.BYTECODE, "NewArray.step: anewarray java.lang.String (line 12)");
    assertFound(found, Kind.NEW_ARRAY, Layer.BYTECODE, "NewArray.step: multianewarray [[I (line 12)");
  }

  @Test
  void findsLambdas() {
    List<Violation> found = verify("Lambda", hot("Runnable r = () -> sink = null; r.run();"));
    assertFound(found, Kind.LAMBDA, Layer.SOURCE, "Lambda.step: lambda () -> sink = null");
    assertFound(found, Kind.INVOKEDYNAMIC, Layer.BYTECODE,
        "Lambda.step: invokedynamic run via java.lang.invoke.LambdaMetafactory (a lambda or method reference)");
  }

  @Test
  void findsMethodReferences() {
    List<Violation> found = verify("MethodRef", hot("java.util.function.IntUnaryOperator f = Math::abs; n = f.applyAsInt(n);"));
    assertFound(found, Kind.METHOD_REFERENCE, Layer.SOURCE, "MethodRef.step: method reference Math::abs");
    assertFound(found, Kind.INVOKEDYNAMIC, Layer.BYTECODE, "MethodRef.step: invokedynamic applyAsInt");
  }

  @Test
  void findsStreams() {
    List<Violation> found = verify("Streams", hot("n = java.util.stream.IntStream.range(0, n).sum();"));
    assertFound(found, Kind.STREAM, Layer.SOURCE, "Streams.step: stream call");
    assertFound(found, Kind.STREAM, Layer.BYTECODE, "Streams.step: stream call java.util.stream.IntStream.range");
  }

  @Test
  void findsStringConcatenationAndStringCalls() {
    List<Violation> found = verify("Strings", hot("String s = \"n=\" + n; n = s.length(); label += n;"));
    assertFound(found, Kind.STRING, Layer.SOURCE, "Strings.step: string concatenation \"n=\" + n");
    assertFound(found, Kind.STRING, Layer.SOURCE, "Strings.step: String method call s.length()");
    assertFound(found, Kind.STRING, Layer.SOURCE, "Strings.step: string concatenation label += n");
    assertFound(found, Kind.INVOKEDYNAMIC, Layer.BYTECODE, "(string concatenation)");
    assertFound(found, Kind.STRING, Layer.BYTECODE, "Strings.step: string call java.lang.String.length");
  }

  @Test
  void findsBoxing() {
    List<Violation> found = verify("Boxing", hot("Float boxed = x[0]; Object o = n; sink = o; n += Integer.valueOf(3); x[0] = boxed;"));
    assertFound(found, Kind.BOXING, Layer.SOURCE, "Boxing.step: boxed type Float");
    assertFound(found, Kind.BOXING, Layer.SOURCE, "Boxing.step: primitive boxed into Object: o = n");
    assertFound(found, Kind.BOXING, Layer.SOURCE, "Boxing.step: boxing call Integer.valueOf(3)");
    assertFound(found, Kind.BOXING, Layer.BYTECODE, "Boxing.step: boxing call java.lang.Float.valueOf");
    assertFound(found, Kind.BOXING, Layer.BYTECODE, "Boxing.step: boxing call java.lang.Integer.valueOf");
  }

  @Test
  void findsKernelsThatCouldGatherOtherKernelsByInlining() {
    // cell() is small enough for C2 to inline and calls two small vector kernels: a compilation of cell (or of
    // whatever inlines it) would hold all three kernels' vector operations.
    String source = """
        package gen.v;

        import jdk.incubator.vector.FloatVector;
        import jdk.incubator.vector.VectorSpecies;

        final class Gather {
          static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

          static void squash(float[] a, int off) {
            FloatVector v = FloatVector.fromArray(S, a, off);
            FloatVector p = v.fma(v, FloatVector.broadcast(S, 1f)).fma(v, FloatVector.broadcast(S, 2f));
            p = p.fma(v, FloatVector.broadcast(S, 3f)).fma(v, FloatVector.broadcast(S, 4f));
            p = p.fma(v, FloatVector.broadcast(S, 5f)).fma(v, FloatVector.broadcast(S, 6f));
            p.div(v.abs().add(1f)).intoArray(a, off);
          }

          static void bend(float[] a, int off) {
            FloatVector v = FloatVector.fromArray(S, a, off);
            FloatVector p = v.fma(v, FloatVector.broadcast(S, 1f)).fma(v, FloatVector.broadcast(S, 2f));
            p = p.fma(v, FloatVector.broadcast(S, 3f)).fma(v, FloatVector.broadcast(S, 4f));
            p = p.fma(v, FloatVector.broadcast(S, 5f)).fma(v, FloatVector.broadcast(S, 6f));
            p.mul(v.neg().sub(1f)).intoArray(a, off);
          }

          static void cell(float[] g, float[] h) {
            squash(g, 0);
            bend(g, S.length());
            FloatVector.fromArray(S, g, 0).mul(FloatVector.fromArray(S, g, S.length())).intoArray(h, 0);
          }
        }
        """;
    List<Violation> found = verifier.verify("gen.v.Gather", source, compile("Gather", source));
    assertFound(found, Kind.INLINED_VECTOR_WORK, Layer.BYTECODE, "Gather.cell: can inline 34 Vector API operations (bend 17, squash 17)");
    assertEquals(1, found.size(), found.toString());

    // The same kernels without the gathering cell pass: each is small, but none inlines another.
    String alone = source.substring(0, source.indexOf("  static void cell")) + "}\n";
    assertEquals(List.of(), verifier.verify("gen.v.Gather", alone, compile("Gather", alone)));
  }

  @Test
  void findsMethodsTooLargeForTheJit() {
    List<Violation> huge = verify("Huge", straightLine("Huge", 1200));
    assertEquals(1, huge.size(), huge.toString());
    assertFound(huge, Kind.HUGE_METHOD, Layer.BYTECODE, "Huge.mix: bytecode is ");
    assertTrue(huge.get(0).message().contains("never JIT-compiled (HugeMethodLimit)"), huge.toString());

    assertEquals(List.of(), verify("Large", straightLine("Large", 600)), "a large method under the limit passes");
  }

  @Test
  void findsInvokedynamicTheSourceCannotSee() {
    // The source layer cannot type label(): only the bytecode shows the concatenation.
    List<Violation> found = verify("Indy", hot("label = label() + n;"));
    assertEquals(1, found.size(), found.toString());
    assertFound(found, Kind.INVOKEDYNAMIC, Layer.BYTECODE,
        "Indy.step: invokedynamic makeConcatWithConstants via java.lang.invoke.StringConcatFactory (string concatenation)");
  }

  @Test
  void anExceptionThatIsNotThrownAtOnceIsAnAllocation() {
    List<Violation> found = verify("Kept", hot("RuntimeException e = new IllegalStateException(); sink = e;"));
    assertFound(found, Kind.NEW_OBJECT, Layer.SOURCE, "new IllegalStateException()");
    assertFound(found, Kind.NEW_OBJECT, Layer.BYTECODE, "new java.lang.IllegalStateException");
  }

  @Test
  void findsHotMethodsByJavadocTagAndLineNotByName() {
    String source = """
        package gen.v;

        final class Tagged {
          Object sink;

          /**
           * Fills a.
           *
           * @rnnc.hot
           */
          void fill(float[] a) {
            sink = new float[a.length];
          }

          void fill(float[] a, int n) {
            sink = new float[n];
          }

          static final class Inner {
            Object sink;

            void forwardInner() {
              sink = new int[1];
            }
          }
        }
        """;
    List<Violation> found = verify("Tagged", source);
    assertEquals(List.of(
        "Tagged.fill: new float[] array (line 12)",
        "Tagged$Inner.forwardInner: new int[] array (line 23)",
        "Tagged.fill: newarray (line 12)",
        "Tagged$Inner.forwardInner: newarray (line 23)"),
        found.stream().map(Violation::toString).toList());
  }

  @Test
  void acceptsACustomHotRule() {
    String source = hot("float[] tmp = new float[n]; sink = tmp;");
    Map<String, byte[]> classes = compile("Custom", source.replace("Violating", "Custom"));
    CodeVerifier nothingHot = new CodeVerifier(method -> false);
    assertEquals(List.of(), nothingHot.verify("gen.v.Custom", source.replace("Violating", "Custom"), classes));
  }

  @Test
  void verifyOrThrowListsEveryViolation() {
    String source = hot("sink = new Object(); sink = new float[2];").replace("Violating", "Thrower");
    Map<String, byte[]> classes = compile("Thrower", source);
    GeneratedCodeException error = assertThrows(GeneratedCodeException.class,
        () -> verifier.verifyOrThrow(Map.of("gen.v.Thrower", source), classes));
    String message = error.getMessage();
    assertTrue(message.startsWith("generated code failed verification (4 violations):"), message);
    assertTrue(message.contains("\n  Thrower.step: new Object() (line "), message);
    assertTrue(message.contains("\n  Thrower.step: new java.lang.Object (line "), message);
    assertTrue(message.contains("\n  Thrower.step: newarray (line "), message);
  }

  @Test
  void rejectsAMissingClassFile() {
    assertThrows(IllegalArgumentException.class, () -> verifier.verify("gen.v.Nope", GOOD, compile("Good", GOOD)));
  }

  /** A class whose hot method {@code step} has {@code body}; fields and a cold helper to use in it. */
  private static String hot(String body) {
    return """
        package gen.v;

        final class Violating {
          Object sink;
          String label = "";

          String label() {
            return label;
          }

          void step(float[] x, int n) {
            %s
          }
        }
        """.formatted(body);
  }

  /** A cold method of {@code statements} straight-line float operations, about 8 bytes each. */
  private static String straightLine(String name, int statements) {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < statements; i++) {
      body.append("    s = s * ").append(1 + i / 10000f).append("f + ").append(i).append(".5f;\n");
    }
    return "package gen.v;\nfinal class " + name + " {\n  static float mix(float s) {\n" + body
        + "    return s;\n  }\n}\n";
  }

  private static Map<String, byte[]> compile(String simpleName, String source) {
    return compiler.compile(Map.of("gen.v." + simpleName, source)).classBytes();
  }

  private List<Violation> verify(String simpleName, String source) {
    String named = source.replace("class Violating", "class " + simpleName);
    return verifier.verify("gen.v." + simpleName, named, compile(simpleName, named));
  }

  private static void assertFound(List<Violation> found, Kind kind, Layer layer, String text) {
    assertTrue(found.stream().anyMatch(v -> v.kind() == kind && v.layer() == layer && v.toString().contains(text)),
        "expected " + kind + " from " + layer + " containing '" + text + "' in:\n" + String.join("\n",
            found.stream().map(v -> v.kind() + " " + v.layer() + " " + v).toList()));
  }
}
