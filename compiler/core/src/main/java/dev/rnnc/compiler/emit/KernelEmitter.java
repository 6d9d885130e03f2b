package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.INTS;
import static dev.rnnc.compiler.emit.Types.FLOAT_SPECIES;
import static dev.rnnc.compiler.emit.Types.FLOAT_VECTOR;
import static dev.rnnc.compiler.emit.Types.VECTOR_OPERATORS;
import static dev.rnnc.compiler.emit.Types.BYTE_ORDER;
import static dev.rnnc.compiler.emit.Types.MEMORY_SEGMENT;
import static dev.rnnc.compiler.emit.Types.PACKED_WEIGHTS;
import static dev.rnnc.compiler.emit.Types.INT_VECTOR;
import static dev.rnnc.compiler.emit.Types.SHORT_VECTOR;
import static dev.rnnc.compiler.emit.Types.VECTOR_SHAPE;
import static dev.rnnc.compiler.emit.Types.VECTOR_SPECIES;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.LayerRun;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.WeightPrecision;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Emits the two kernel classes of a model: {@code Vec} (Vector API, any vector width) and {@code Scalar}
 * (plain Java, used when {@code jdk.incubator.vector} is absent, and for the tails of {@code Vec}).
 *
 * <p>Both implement the same kernels with the same arithmetic order (fused multiply-adds, columns in
 * ascending order), so they agree closely: the matrix–vector product over the panel layout of
 * {@link dev.rnnc.runtime.Packing}, and one cell update per kernel that also leaves the activated gates in
 * the gate workspace for the backward pass.
 */
final class KernelEmitter {
  private static final Modifier[] KERNEL = {Modifier.STATIC};

  private final ModelPlan plan;
  private final CellEmitter cell;

  KernelEmitter(ModelPlan plan, CellEmitter cell) {
    this.plan = plan;
    this.cell = cell;
  }

  /**
   * Whether the class needs the four-sequence kernels: only the backward pass's W_hh^T product of a trainable model
   * still sweeps four sequences at a time (the forward pass and the bank multiply many rows with {@code rowsProduct}).
   */
  static boolean quadKernels(ModelPlan plan) {
    return plan.training() && plan.blocking().quadSweeps();
  }

  /** The largest register-blocked group (the packing group): the main loop of a product. */
  private int largest() {
    return plan.blocking().packingGroup();
  }

  /** Groups between the largest and the single panel, each taken at most once after the main loop. */
  private List<Integer> middleGroups() {
    List<Integer> groups = plan.blocking().groups();
    return groups.subList(1, groups.size() - 1);
  }

  // ---------------------------------------------------------------------------------------------- Scalar

  TypeSpec scalar() {
    TypeSpec.Builder type = TypeSpec.classBuilder("Scalar")
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Plain-Java kernels: the fallback without {@code jdk.incubator.vector}, and the tails of {@link Vec}.\n"
            + "Weights are row-major here (panels of one row).\n");
    type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build());
    type.addMethod(MethodSpec.methodBuilder("matvec")
        .addModifiers(KERNEL)
        .addJavadoc("y[yOff, yOff + rows) = init[initOff, ...) + W·x[xOff, xOff + cols), W row-major.\n")
        .addParameters(Params.scalarForm(matvecParameters()))
        .beginControlFlow("for (int r = 0; r < rows; r++)")
        .addStatement("float s = init[initOff + r]")
        .addStatement("int row = r * cols")
        .beginControlFlow("for (int c = 0; c < cols; c++)")
        .addStatement("s = Math.fma(w[row + c], x[xOff + c], s)")
        .endControlFlow()
        .addStatement("y[yOff + r] = s")
        .endControlFlow()
        .build());
    if (plan.blocking().fusedStep()) {
      type.addMethod(MethodSpec.methodBuilder("matvecReversed")
          .addModifiers(KERNEL)
          .addJavadoc("{@code matvec}: one row at a time, so the order of the panel groups means nothing here.\n")
          .addParameters(Params.scalarForm(matvecParameters()))
          .addStatement("matvec(w, rows, cols, x, xOff, init, initOff, y, yOff)")
          .build());
    }
    type.addMethod(MethodSpec.methodBuilder("matvec2")
        .addModifiers(KERNEL)
        .addJavadoc("Two independent products with the same matrix (two sequences, or two steps).\n")
        .addParameters(Params.scalarForm(pairParameters()))
        .addStatement("matvec(w, rows, cols, x, xA, init, initA, y, yA)")
        .addStatement("matvec(w, rows, cols, x, xB, init, initB, y, yB)")
        .build());
    if (quadKernels(plan)) {
      type.addMethod(MethodSpec.methodBuilder("matvec4")
          .addModifiers(KERNEL)
          .addJavadoc("Four independent products with the same matrix.\n")
          .addParameters(Params.scalarForm(quadParameters()))
          .addStatement("matvec(w, rows, cols, x, x0, init, init0, y, y0)")
          .addStatement("matvec(w, rows, cols, x, x1, init, init1, y, y1)")
          .addStatement("matvec(w, rows, cols, x, x2, init, init2, y, y2)")
          .addStatement("matvec(w, rows, cols, x, x3, init, init3, y, y3)")
          .build());
    }
    type.addMethod(new RowsProductEmitter(plan).scalar());
    type.addMethod(MethodSpec.methodBuilder("sigmoid").addModifiers(KERNEL).returns(float.class)
        .addJavadoc(SIGMOID_DOC)
        .addParameter(float.class, "v")
        .addStatement("return Math.fma(0.5f, tanh(0.5f * v), 0.5f)").build());
    type.addMethod(MethodSpec.methodBuilder("tanh").addModifiers(KERNEL).returns(float.class)
        .addJavadoc(TANH_DOC)
        .addParameter(float.class, "v")
        .addCode(scalarTanh("t", "v"))
        .addStatement("return t")
        .build());
    for (String kind : new String[] {"sigmoid", "tanh"}) {
      type.addMethod(MethodSpec.methodBuilder(kind + "Range").addModifiers(KERNEL)
          .addJavadoc("a[off, off + n) = $L(a[off, off + n)), in place.\n", kind)
          .addParameter(FLOATS, "a").addParameter(int.class, "off").addParameter(int.class, "n")
          .beginControlFlow("for (int j = off, end = off + n; j < end; j++)")
          .addStatement("a[j] = $L(a[j])", kind)
          .endControlFlow()
          .build());
    }
    if (plan.softmaxHead()) {
      type.addMethod(MethodSpec.methodBuilder("softmax").addModifiers(KERNEL).returns(float.class)
          .addJavadoc(SOFTMAX_DOC)
          .addParameter(FLOATS, "z").addParameter(int.class, "s").addParameter(FLOATS, "out").addParameter(int.class, "o")
          .addStatement("float max = z[s]")
          .beginControlFlow("for (int k = 1; k < HEAD_SIZE; k++)")
          .addStatement("max = Math.max(max, z[s + k])")
          .endControlFlow()
          .beginControlFlow("for (int k = 0; k < HEAD_SIZE; k++)")
          .addStatement("out[o + k] = expShifted(z[s + k] - max)")
          .endControlFlow()
          .addStatement("float sum = headSum(out, o)")
          .addStatement("float inv = 1f / sum")
          .beginControlFlow("for (int k = 0; k < HEAD_SIZE; k++)")
          .addStatement("out[o + k] *= inv")
          .endControlFlow()
          .addStatement("return max + (float) Math.log(sum)")
          .build());
      type.addMethod(MethodSpec.methodBuilder("expShifted").addModifiers(KERNEL).returns(float.class)
          .addJavadoc("e^x for x ≤ 0 (a logit minus the maximum): the operations of the vector softmax's exp, so every\n"
              + "path and vector width gives the same bits; at most 1.26 ulp from Math.exp over [−87, 0].\n")
          .addParameter(float.class, "v")
          .addStatement("float x = Math.max(v, -87f)")
          .addStatement("int n = (int) (x * -1.44269504f + 0.5f)")
          .addStatement("float nf = n")
          .addStatement("float r = Math.fma(nf, 0.693359375f, x)")
          .addStatement("r = Math.fma(nf, -2.12194440e-4f, r)")
          .addStatement("float p = Math.fma(r, 1.9875691500e-4f, 1.3981999507e-3f)")
          .addStatement("p = Math.fma(r, p, 8.3334519073e-3f)")
          .addStatement("p = Math.fma(r, p, 4.1665795894e-2f)")
          .addStatement("p = Math.fma(r, p, 1.6666665459e-1f)")
          .addStatement("p = Math.fma(r, p, 5.0000001201e-1f)")
          .addStatement("p = Math.fma(r * r, p, r + 1f)")
          .addStatement("return p * Float.intBitsToFloat((127 - n) << 23)")
          .build());
      type.addMethod(MethodSpec.methodBuilder("headSum").addModifiers(KERNEL).returns(float.class)
          .addJavadoc("Σ e[o, o + HEAD_SIZE) in four interleaved partial sums (element k into sum k mod 4), an order\n"
              + "that depends on nothing but HEAD_SIZE.\n")
          .addParameter(FLOATS, "e").addParameter(int.class, "o")
          .addStatement("float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f")
          .addStatement("int k = 0")
          .beginControlFlow("for (; k + 4 <= HEAD_SIZE; k += 4)")
          .addStatement("s0 += e[o + k]")
          .addStatement("s1 += e[o + k + 1]")
          .addStatement("s2 += e[o + k + 2]")
          .addStatement("s3 += e[o + k + 3]")
          .endControlFlow()
          .beginControlFlow("for (; k < HEAD_SIZE; k++)")
          .addStatement("s0 += e[o + k]")
          .endControlFlow()
          .addStatement("return (s0 + s1) + (s2 + s3)")
          .build());
    }
    for (MethodSpec unit : cellUnits()) {
      type.addMethod(unit);
    }
    if (plan.training()) {
      for (BackwardKernels.Kernel kernel : cell.backwardKernels()) {
        type.addMethod(BackwardKernels.scalar(kernel));
      }
      type.addMethod(MethodSpec.methodBuilder("outerAccumulate").addModifiers(KERNEL)
          .addJavadoc(OUTER_DOC)
          .addParameters(outerParameters())
          .beginControlFlow("for (int k = 0; k < count; k++)")
          .addStatement("int r = rowList[k]")
          .addStatement("int g = r * gStride + gOff")
          .addStatement("int xr = r * xStride + xOff")
          .beginControlFlow("for (int i = 0; i < rows; i++)")
          .addStatement("float gi = dG[g + i]")
          .addStatement("int o = dwOff + i * cols")
          .beginControlFlow("for (int c = 0; c < cols; c++)")
          .addStatement("dW[o + c] = Math.fma(gi, x[xr + c], dW[o + c])")
          .endControlFlow()
          .endControlFlow()
          .endControlFlow()
          .build());
      type.addMethod(MethodSpec.methodBuilder("rowsTimes").addModifiers(KERNEL)
          .addJavadoc(ROWS_TIMES_DOC)
          .addParameters(rowsTimesParameters())
          .beginControlFlow("for (int k = 0; k < count; k++)")
          .addStatement("int r = rowList[k]")
          .addStatement("int ar = r * aStride + aOff")
          .addStatement("int o = r * outStride")
          .beginControlFlow("for (int c = 0; c < cols; c++)")
          .addStatement("float t = out[o + c]")
          .beginControlFlow("for (int i = 0; i < inner; i++)")
          .addStatement("t = Math.fma(a[ar + i], w[i * cols + c], t)")
          .endControlFlow()
          .addStatement("out[o + c] = t")
          .endControlFlow()
          .endControlFlow()
          .build());
      type.addMethod(MethodSpec.methodBuilder("sumRows").addModifiers(KERNEL)
          .addJavadoc(SUM_ROWS_DOC)
          .addParameters(sumRowsParameters())
          .beginControlFlow("for (int k = 0; k < count; k++)")
          .addStatement("int g = rowList[k] * gStride + gOff")
          .beginControlFlow("for (int i = 0; i < n; i++)")
          .addStatement("db[i] += dG[g + i]")
          .endControlFlow()
          .endControlFlow()
          .build());
    }
    for (CellKernel kernel : cellKernels()) {
      type.addMethod(MethodSpec.methodBuilder(kernel.name).addModifiers(KERNEL)
          .addJavadoc(kernel.doc)
          .addParameters(kernel.parameters())
          .addCode(kernel.activationCalls())
          .beginControlFlow("for (int j = 0; j < HIDDEN; j++)")
          .addStatement("$L($L)", kernel.unitName(), kernel.unitArguments("j"))
          .endControlFlow()
          .build());
    }
    return type.build();
  }

  private static final String OUTER_DOC =
      "dW[dwOff + i * cols + c] += Σ over the listed rows r of dG[r * gStride + gOff + i] * x[r * xStride + xOff + c]:\n"
      + "a weight gradient as one matrix product over every valid step (i < rows, c < cols).\n";

  private static final String SOFTMAX_DOC =
      "out[o, o + HEAD_SIZE) = softmax(z[s, s + HEAD_SIZE)), shifted by the maximum so exp cannot overflow;\n"
      + "returns the log-sum-exp (max + log Σ exp), from which cross-entropy needs no second pass of exp.\n";

  private static final String ROWS_TIMES_DOC =
      "out[r * outStride + c] += Σ_{i < inner} a[r * aStride + aOff + i] · w[i * cols + c] for every listed row r and\n"
      + "c < cols, w row-major [inner, cols] (PyTorch layout): input and feature gradients, dX = dGates · W, as one\n"
      + "matrix product over all valid steps.\n";

  static List<com.palantir.javapoet.ParameterSpec> rowsTimesParameters() {
    return Params.of("[]a", "aOff", "aStride", "#rowList", "count", "[]w", "inner", "cols", "[]out", "outStride");
  }


  /**
   * dX = A · W register-blocked: 4 listed rows × 4 vectors of columns in 16 accumulators over the inner
   * dimension (4 broadcasts and 4 loads feed 16 FMAs), each output element loaded and stored once.
   */
  private MethodSpec vectorRowsTimes() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("rowsTimes").addModifiers(KERNEL)
        .addJavadoc(ROWS_TIMES_DOC)
        .addParameters(rowsTimesParameters())
        .addStatement("int bound = S.loopBound(cols)")
        .addStatement("int k = 0")
        .beginControlFlow("for (; k + 4 <= count; k += 4)");
    for (int rr = 0; rr < 4; rr++) {
      m.addStatement("int r$L = rowList[k + $L]", rr, rr);
      m.addStatement("int a$L = r$L * aStride + aOff", rr, rr);
      m.addStatement("int o$L = r$L * outStride", rr, rr);
    }
    m.addStatement("int c = 0");
    for (int vectors : new int[] {4, 1}) {
      String step = vectors == 1 ? "L" : vectors + " * L";
      m.beginControlFlow("for (; c + $L <= bound; c += $L)", step, step);
      for (int rr = 0; rr < 4; rr++) {
        for (int cc = 0; cc < vectors; cc++) {
          m.addStatement("$T s$L$L = $T.fromArray(S, out, o$L + c$L)", FLOAT_VECTOR, rr, cc, FLOAT_VECTOR, rr,
              cc == 0 ? "" : " + " + cc + " * L");
        }
      }
      m.beginControlFlow("for (int i = 0, wi = c; i < inner; i++, wi += cols)");
      for (int cc = 0; cc < vectors; cc++) {
        m.addStatement("$T w$L = $T.fromArray(S, w, wi$L)", FLOAT_VECTOR, cc, FLOAT_VECTOR, cc == 0 ? "" : " + " + cc + " * L");
      }
      for (int rr = 0; rr < 4; rr++) {
        m.addStatement("$T g$L = $T.broadcast(S, a[a$L + i])", FLOAT_VECTOR, rr, FLOAT_VECTOR, rr);
        for (int cc = 0; cc < vectors; cc++) {
          m.addStatement("s$L$L = w$L.fma(g$L, s$L$L)", rr, cc, cc, rr, rr, cc);
        }
      }
      m.endControlFlow();
      for (int rr = 0; rr < 4; rr++) {
        for (int cc = 0; cc < vectors; cc++) {
          m.addStatement("s$L$L.intoArray(out, o$L + c$L)", rr, cc, rr, cc == 0 ? "" : " + " + cc + " * L");
        }
      }
      m.endControlFlow();
    }
    m.beginControlFlow("for (; c < cols; c++)")
        .addStatement("float t0 = out[o0 + c], t1 = out[o1 + c], t2 = out[o2 + c], t3 = out[o3 + c]")
        .beginControlFlow("for (int i = 0; i < inner; i++)")
        .addStatement("float wc = w[i * cols + c]")
        .addStatement("t0 = Math.fma(a[a0 + i], wc, t0)")
        .addStatement("t1 = Math.fma(a[a1 + i], wc, t1)")
        .addStatement("t2 = Math.fma(a[a2 + i], wc, t2)")
        .addStatement("t3 = Math.fma(a[a3 + i], wc, t3)")
        .endControlFlow()
        .addStatement("out[o0 + c] = t0")
        .addStatement("out[o1 + c] = t1")
        .addStatement("out[o2 + c] = t2")
        .addStatement("out[o3 + c] = t3")
        .endControlFlow()
        .endControlFlow()
        .beginControlFlow("for (; k < count; k++)")
        .addComment("remaining rows one at a time")
        .addStatement("int r = rowList[k]")
        .addStatement("int ar = r * aStride + aOff")
        .addStatement("int o = r * outStride")
        .addStatement("int c = 0")
        .beginControlFlow("for (; c < bound; c += L)")
        .addStatement("$T sum = $T.fromArray(S, out, o + c)", FLOAT_VECTOR, FLOAT_VECTOR)
        .beginControlFlow("for (int i = 0; i < inner; i++)")
        .addStatement("sum = $T.fromArray(S, w, i * cols + c).fma($T.broadcast(S, a[ar + i]), sum)", FLOAT_VECTOR,
            FLOAT_VECTOR)
        .endControlFlow()
        .addStatement("sum.intoArray(out, o + c)")
        .endControlFlow()
        .beginControlFlow("for (; c < cols; c++)")
        .addStatement("float t = out[o + c]")
        .beginControlFlow("for (int i = 0; i < inner; i++)")
        .addStatement("t = Math.fma(a[ar + i], w[i * cols + c], t)")
        .endControlFlow()
        .addStatement("out[o + c] = t")
        .endControlFlow()
        .endControlFlow();
    return m.build();
  }

  private static final String SUM_ROWS_DOC =
      "db[i] += Σ over the listed rows of dG[row * gStride + gOff + i], for i < n (bias gradients).\n";

  static List<com.palantir.javapoet.ParameterSpec> sumRowsParameters() {
    return Params.of("[]dG", "gOff", "gStride", "#rowList", "count", "n", "[]db");
  }


  static List<com.palantir.javapoet.ParameterSpec> outerParameters() {
    return Params.of("[]dG", "gOff", "gStride", "[]x", "xOff", "xStride", "#rowList", "count", "rows", "cols", "[]dW", "dwOff");
  }


  /** The weight-gradient product, register-blocked (see the generated javadoc). */
  private MethodSpec vectorOuter() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("outerAccumulate").addModifiers(KERNEL)
        .addJavadoc(OUTER_DOC)
        .addJavadoc("Register-blocked: 4 gradient rows × 4 vectors of columns stay in 16 accumulators over all listed\n"
            + "rows (4 broadcasts and 4 loads feed 16 FMAs), so each dW element is loaded and stored once per call.\n")
        .addParameters(outerParameters())
        .addStatement("int bound = S.loopBound(cols)")
        .addStatement("int i = 0")
        .beginControlFlow("for (; i + 4 <= rows; i += 4)")
        .addStatement("int c = 0");
    for (int vectors : new int[] {4, 1}) {
      m.beginControlFlow("for (; c + $L <= bound; c += $L)", vectors == 1 ? "L" : vectors + " * L",
          vectors == 1 ? "L" : vectors + " * L");
      for (int ii = 0; ii < 4; ii++) {
        for (int cc = 0; cc < vectors; cc++) {
          m.addStatement("$T a$L$L = $T.zero(S)", FLOAT_VECTOR, ii, cc, FLOAT_VECTOR);
        }
      }
      m.beginControlFlow("for (int k = 0; k < count; k++)")
          .addStatement("int r = rowList[k]")
          .addStatement("int g = r * gStride + gOff + i")
          .addStatement("int xr = r * xStride + xOff + c");
      for (int cc = 0; cc < vectors; cc++) {
        m.addStatement("$T x$L = $T.fromArray(S, x, xr$L)", FLOAT_VECTOR, cc, FLOAT_VECTOR, cc == 0 ? "" : " + " + cc + " * L");
      }
      for (int ii = 0; ii < 4; ii++) {
        m.addStatement("$T g$L = $T.broadcast(S, dG[g$L])", FLOAT_VECTOR, ii, FLOAT_VECTOR, ii == 0 ? "" : " + " + ii);
        for (int cc = 0; cc < vectors; cc++) {
          m.addStatement("a$L$L = x$L.fma(g$L, a$L$L)", ii, cc, cc, ii, ii, cc);
        }
      }
      m.endControlFlow();
      for (int ii = 0; ii < 4; ii++) {
        m.addStatement("int o$L = dwOff + (i + $L) * cols + c", ii, ii);
        for (int cc = 0; cc < vectors; cc++) {
          String off = cc == 0 ? "" : " + " + cc + " * L";
          m.addStatement("a$L$L.add($T.fromArray(S, dW, o$L$L)).intoArray(dW, o$L$L)", ii, cc, FLOAT_VECTOR, ii, off, ii, off);
        }
      }
      m.endControlFlow();
    }
    m.beginControlFlow("for (; c < cols; c++)")
        .addComment("column tail: plain dot products over the listed rows")
        .addStatement("float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f")
        .beginControlFlow("for (int k = 0; k < count; k++)")
        .addStatement("int r = rowList[k]")
        .addStatement("int g = r * gStride + gOff + i")
        .addStatement("float xc = x[r * xStride + xOff + c]")
        .addStatement("s0 = Math.fma(dG[g], xc, s0)")
        .addStatement("s1 = Math.fma(dG[g + 1], xc, s1)")
        .addStatement("s2 = Math.fma(dG[g + 2], xc, s2)")
        .addStatement("s3 = Math.fma(dG[g + 3], xc, s3)")
        .endControlFlow()
        .addStatement("dW[dwOff + i * cols + c] += s0")
        .addStatement("dW[dwOff + (i + 1) * cols + c] += s1")
        .addStatement("dW[dwOff + (i + 2) * cols + c] += s2")
        .addStatement("dW[dwOff + (i + 3) * cols + c] += s3")
        .endControlFlow()
        .endControlFlow()
        .beginControlFlow("for (; i < rows; i++)")
        .addComment("row tail: one gradient row at a time")
        .addStatement("int o = dwOff + i * cols")
        .beginControlFlow("for (int k = 0; k < count; k++)")
        .addStatement("int r = rowList[k]")
        .addStatement("float gi = dG[r * gStride + gOff + i]")
        .addStatement("int xr = r * xStride + xOff")
        .addStatement("$T gv = $T.broadcast(S, gi)", FLOAT_VECTOR, FLOAT_VECTOR)
        .addStatement("int c = 0")
        .beginControlFlow("for (; c < bound; c += L)")
        .addStatement("$T.fromArray(S, x, xr + c).fma(gv, $T.fromArray(S, dW, o + c)).intoArray(dW, o + c)", FLOAT_VECTOR,
            FLOAT_VECTOR)
        .endControlFlow()
        .beginControlFlow("for (; c < cols; c++)")
        .addStatement("dW[o + c] = Math.fma(gi, x[xr + c], dW[o + c])")
        .endControlFlow()
        .endControlFlow()
        .endControlFlow();
    return m.build();
  }

  /**
   * {@code name = exp(input)} for inputs ≤ 0 (logits minus their maximum), the Cephes expf scheme in operations
   * whose results IEEE fixes: n = round(x·log2 e), r = x − n·ln 2 in two parts, e^r by a degree-7 polynomial, 2^n
   * put straight into the exponent bits. Inputs below −87 are taken as −87 (e^−87 ≈ 1.6e-38, where the true value
   * would be a denormal or 0). Error against Math.exp: at most 1.26 ulp over 32 million inputs in [−87, 0].
   */
  private static CodeBlock vectorExp(String name, String input) {
    return CodeBlock.builder()
        .addStatement("$T $LX = ($L).max(-87f)", FLOAT_VECTOR, name, input)
        .add("// x ≤ 0: truncating 0.5 − x·log2 e (≥ 0.5) rounds to the nearest −n\n")
        .addStatement("$T $LN = ($T) $LX.mul(-1.44269504f).add(0.5f).convertShape($T.F2I, WORDS, 0)", INT_VECTOR, name,
            INT_VECTOR, name, VECTOR_OPERATORS)
        .addStatement("$T $LNf = ($T) $LN.convertShape($T.I2F, S, 0)", FLOAT_VECTOR, name, FLOAT_VECTOR, name,
            VECTOR_OPERATORS)
        .addStatement("$T $LR = $LNf.fma($T.broadcast(S, 0.693359375f), $LX)", FLOAT_VECTOR, name, name, FLOAT_VECTOR, name)
        .addStatement("$LR = $LNf.fma($T.broadcast(S, -2.12194440e-4f), $LR)", name, name, FLOAT_VECTOR, name)
        .addStatement("$T $LP = $LR.fma(1.9875691500e-4f, 1.3981999507e-3f)", FLOAT_VECTOR, name, name)
        .addStatement("$LP = $LR.fma($LP, $T.broadcast(S, 8.3334519073e-3f))", name, name, name, FLOAT_VECTOR)
        .addStatement("$LP = $LR.fma($LP, $T.broadcast(S, 4.1665795894e-2f))", name, name, name, FLOAT_VECTOR)
        .addStatement("$LP = $LR.fma($LP, $T.broadcast(S, 1.6666665459e-1f))", name, name, name, FLOAT_VECTOR)
        .addStatement("$LP = $LR.fma($LP, $T.broadcast(S, 5.0000001201e-1f))", name, name, name, FLOAT_VECTOR)
        .addStatement("$LP = $LR.mul($LR).fma($LP, $LR.add(1f))", name, name, name, name, name)
        .add("// 2^−n: the exponent field 127 − n (n ≤ 126 after the clamp)\n")
        .addStatement("$T $L = $LP.mul(($T) $LN.neg().add(127).lanewise($T.LSHL, 23).reinterpretShape(S, 0))",
            FLOAT_VECTOR, name, name, FLOAT_VECTOR, name, VECTOR_OPERATORS)
        .build();
  }

  /**
   * {@code float out = tanh(in)} as statements (the formula of {@code Scalar.tanh}, locals prefixed with
   * {@code out}), for the scalar tails the vector activation kernels write out in place.
   */
  static CodeBlock scalarTanh(String out, String in) {
    CodeBlock.Builder code = CodeBlock.builder()
        .addStatement("float $LX = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, $L))", out, in)
        .addStatement("float $LX2 = $LX * $LX", out, out, out)
        .addStatement("float $LP = $Lf", out, Float.toString(TANH_P[0]));
    for (int k = 1; k < TANH_P.length; k++) {
      code.addStatement("$LP = Math.fma($LX2, $LP, $Lf)", out, out, out, Float.toString(TANH_P[k]));
    }
    code.addStatement("float $LQ = $Lf", out, Float.toString(TANH_Q[0]));
    for (int k = 1; k < TANH_Q.length; k++) {
      code.addStatement("$LQ = Math.fma($LX2, $LQ, $Lf)", out, out, out, Float.toString(TANH_Q[k]));
    }
    return code.addStatement("float $L = $LX * $LP / $LQ", out, out, out, out).build();
  }

  /** Numerator coefficients of the tanh approximation, highest power first (polynomial in x²). */
  static final float[] TANH_P = {-2.76076847742355e-16f, 2.00018790482477e-13f, -8.60467152213735e-11f,
      5.12229709037114e-08f, 1.48572235717979e-05f, 6.37261928875436e-04f, 4.89352455891786e-03f};
  /** Denominator coefficients, highest power first. */
  static final float[] TANH_Q = {1.19825839466702e-06f, 1.18534705686654e-04f, 2.26843463243900e-03f,
      4.89352518554385e-03f};

  private static final String TANH_DOC =
      "tanh as a clamped rational function x·P(x²)/Q(x²) (the minimax form Eigen uses): a dozen FMAs and one\n"
      + "division instead of exp; max error 2.8e-7 against Math.tanh over [-20, 20], NaN propagates. Vector\n"
      + "and scalar paths compute the same formula, so they agree.\n";
  private static final String SIGMOID_DOC = "σ(v) = 0.5 + 0.5·tanh(v/2): max error 1.7e-7, through the same tanh.\n";

  /** The approximation's clamp, emitted once into the generated class. */
  static List<FieldSpec> activationConstants() {
    List<FieldSpec> fields = new ArrayList<>();
    fields.add(FieldSpec.builder(float.class, "TANH_CLAMP", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Beyond ±TANH_CLAMP the approximation is flat at ±(1 - 2.4e-7).\n")
        .initializer("7.90531110763549805f").build());
    return fields;
  }

  static List<com.palantir.javapoet.ParameterSpec> matvecParameters() {
    return Params.of("%w", "rows", "cols", "[]x", "xOff", "[]init", "initOff", "[]y", "yOff");
  }


  /** Per-unit cell updates (one hidden unit j), shared by the scalar kernels and the vector tails. */
  private List<MethodSpec> cellUnits() {
    List<MethodSpec> units = new ArrayList<>();
    for (CellKernel kernel : cellKernels()) {
      MethodSpec.Builder m = MethodSpec.methodBuilder(kernel.unitName()).addModifiers(KERNEL)
          .addParameters(kernel.parameters())
          .addParameter(int.class, "j");
      m.addCode(kernel.scalarBody);
      units.add(m.build());
    }
    return units;
  }

  // ------------------------------------------------------------------------------------------------- Vec

  TypeSpec vector() {
    TypeSpec.Builder type = TypeSpec.classBuilder("Vec")
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Vector API kernels (loaded only when the module is present), at the width {@link $T#vectorBits} picks:\n"
            + "the platform's widest unless a system property or the tuning profile of {@code rnnc tune} says otherwise.\n",
            Types.VECTOR_SUPPORT);
    type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build());
    type.addField(FieldSpec.builder(FLOAT_SPECIES, "S", Modifier.STATIC, Modifier.FINAL)
        .initializer("$T.of(float.class, $T.forBitSize($T.vectorBits($T.SPECIES_PREFERRED.vectorBitSize())))",
            VECTOR_SPECIES, VECTOR_SHAPE, Types.VECTOR_SUPPORT, FLOAT_VECTOR).build());
    type.addField(FieldSpec.builder(int.class, "L", Modifier.STATIC, Modifier.FINAL)
        .initializer("S.length()").build());
    type.addField(FieldSpec.builder(int.class, "WEIGHT_BYTES", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc(bf16() ? "Bytes of one stored weight: bfloat16 ({@code weights: bf16}).\n"
            : "Bytes of one stored weight: float32.\n")
        .initializer(bf16() ? "Short.BYTES" : "Float.BYTES").build());
    type.addField(FieldSpec.builder(int.class, "PANEL_BYTES", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Bytes of one panel column (L weights): the stride between a group's panels in the aligned weights.\n")
        .initializer("L * WEIGHT_BYTES").build());
    type.addField(FieldSpec.builder(int.class, "PRODUCT_CHUNK_ROWS", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Most rows of one chunk of rowsProduct: its tiles share each block of weights.\n")
        .initializer("$L", plan.blocking().productTile().chunkRows()).build());
    type.addField(FieldSpec.builder(int.class, "PRODUCT_BLOCK_BYTES", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Weights per block of rowsProduct (whole packing groups, at least one): kept in the L2 cache while\n"
            + "every tile of a chunk passes over them.\n")
        .initializer("$L * 1024", plan.blocking().productTile().blockBytes() / 1024).build());
    if (bf16()) {
      type.addField(FieldSpec.builder(ParameterizedTypeName.get(VECTOR_SPECIES, ClassName.get(Short.class)), "HALF",
              Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("L shorts: the stored bfloat16 weights of one panel column.\n")
          .initializer("$T.of(short.class, $T.forBitSize(S.vectorBitSize() / 2))", VECTOR_SPECIES, VECTOR_SHAPE)
          .build());
      type.addMethod(widen());
    }
    if (bf16() || plan.softmaxHead()) {
      type.addField(FieldSpec.builder(ParameterizedTypeName.get(VECTOR_SPECIES, ClassName.get(Integer.class)), "WORDS",
              Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("L ints, S's shape: bit patterns on their way to floats (bfloat16 weights, the exponent of exp).\n"
              + "Every conversion names its species through a constant: a species derived at the call ({@code convert},\n"
              + "{@code reinterpretAsFloats}) is a lookup C2 does not always fold, and an intrinsic without constant\n"
              + "species falls back to Java code that boxes the vectors.\n")
          .initializer("$T.of(int.class, S.vectorShape())", VECTOR_SPECIES)
          .build());
    }
    type.addField(FieldSpec.builder(BYTE_ORDER, "NATIVE", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Weights are mirrored off-heap in the platform's byte order ({@link $T}).\n", PACKED_WEIGHTS)
        .initializer("$T.nativeOrder()", BYTE_ORDER).build());
    type.addField(FieldSpec.builder(int.class, "HIDDEN_BOUND", Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Hidden units covered by whole vectors; the rest run through the scalar unit kernels.\n")
        .initializer("S.loopBound(HIDDEN)").build());
    type.addMethod(matvecDispatch());
    if (plan.blocking().fusedStep()) {
      type.addMethod(matvecReversedDispatch());
    }
    for (int group : plan.blocking().groups()) {
      type.addMethod(matvecGroup(group));
    }
    if (plan.softmaxHead()) {
      type.addMethod(MethodSpec.methodBuilder("softmax").addModifiers(KERNEL).returns(float.class)
          .addJavadoc(SOFTMAX_DOC)
          .addParameter(FLOATS, "z").addParameter(int.class, "s").addParameter(FLOATS, "out").addParameter(int.class, "o")
          .addStatement("int bound = S.loopBound(HEAD_SIZE)")
          .addStatement("float max = z[s]")
          .addStatement("int k = 0")
          .beginControlFlow("for (; k < bound; k += L)")
          .addStatement("max = Math.max(max, $T.fromArray(S, z, s + k).reduceLanes($T.MAX))", FLOAT_VECTOR, VECTOR_OPERATORS)
          .endControlFlow()
          .beginControlFlow("for (; k < HEAD_SIZE; k++)")
          .addStatement("max = Math.max(max, z[s + k])")
          .endControlFlow()
          .addComment("exp in basic IEEE operations, the same as Scalar.expShifted lane by lane, and the sum in an order")
          .addComment("of its own: the Vector API's EXP and ADD reduction change once C2 intrinsifies them (SVML, tree")
          .addComment("order), and a lane-wise sum would change with the vector width")
          .beginControlFlow("for (k = 0; k < bound; k += L)")
          .addCode(vectorExp("e", "FloatVector.fromArray(S, z, s + k).sub(max)"))
          .addStatement("e.intoArray(out, o + k)")
          .endControlFlow()
          .beginControlFlow("for (; k < HEAD_SIZE; k++)")
          .addStatement("out[o + k] = Scalar.expShifted(z[s + k] - max)")
          .endControlFlow()
          .addStatement("float sum = Scalar.headSum(out, o)")
          .addStatement("float inv = 1f / sum")
          .beginControlFlow("for (k = 0; k < bound; k += L)")
          .addStatement("$T.fromArray(S, out, o + k).mul(inv).intoArray(out, o + k)", FLOAT_VECTOR)
          .endControlFlow()
          .beginControlFlow("for (; k < HEAD_SIZE; k++)")
          .addStatement("out[o + k] *= inv")
          .endControlFlow()
          .addStatement("return max + (float) Math.log(sum)")
          .build());
    }
    type.addMethod(pairDispatch());
    for (int group : plan.blocking().groups()) {
      type.addMethod(pairGroup(group));
    }
    if (quadKernels(plan)) {
      type.addMethod(quadDispatch());
      for (int panels : new int[] {4, 2, 1}) {
        type.addMethod(quadGroup(panels));
      }
    }
    new RowsProductEmitter(plan).vector().forEach(type::addMethod);
    if (plan.runs().stream().anyMatch(LayerRun::unitStep)) {
      cell.unitStepKernels(plan).forEach(type::addMethod);
    }
    for (String kind : new String[] {"sigmoid", "tanh"}) {
      VectorCode body = new VectorCode();
      if (kind.equals("sigmoid")) {
        body.sigmoid("v", "FloatVector.fromArray(S, a, j)");
      } else {
        body.tanh("v", "FloatVector.fromArray(S, a, j)");
      }
      CodeBlock tail = kind.equals("sigmoid")
          ? CodeBlock.builder().add(scalarTanh("t", "0.5f * a[j]")).addStatement("a[j] = Math.fma(0.5f, t, 0.5f)")
              .build()
          : CodeBlock.builder().add(scalarTanh("t", "a[j]")).addStatement("a[j] = t").build();
      type.addMethod(MethodSpec.methodBuilder(kind + "Range").addModifiers(KERNEL)
          .addJavadoc("a[off, off + n) = $L(a[off, off + n)), in place; the tail through the scalar formula, written\n"
              + "out here rather than called: it makes the kernel larger than C2 inlines (FreqInlineSize, 325\n"
              + "bytecode bytes), so a cell calling several ranges never becomes one compilation of all their\n"
              + "vector work (see the verifier's INLINED_VECTOR_WORK rule).\n", kind)
          .addParameter(FLOATS, "a").addParameter(int.class, "off").addParameter(int.class, "n")
          .addStatement("int j = off")
          .beginControlFlow("for (int end = off + S.loopBound(n); j < end; j += L)")
          .addCode(body.statement("v.intoArray(a, j)").build())
          .endControlFlow()
          .beginControlFlow("for (int end = off + n; j < end; j++)")
          .addCode(tail)
          .endControlFlow()
          .build());
    }
    if (plan.training()) {
      for (BackwardKernels.Kernel kernel : cell.backwardKernels()) {
        type.addMethod(BackwardKernels.vector(kernel));
      }
      type.addMethod(vectorOuter());
      type.addMethod(vectorRowsTimes());
      type.addMethod(MethodSpec.methodBuilder("sumRows").addModifiers(KERNEL)
          .addJavadoc(SUM_ROWS_DOC)
          .addParameters(sumRowsParameters())
          .addStatement("int bound = S.loopBound(n)")
          .beginControlFlow("for (int k = 0; k < count; k++)")
          .addStatement("int g = rowList[k] * gStride + gOff")
          .addStatement("int i = 0")
          .beginControlFlow("for (; i < bound; i += L)")
          .addStatement("FloatVector.fromArray(S, db, i).add(FloatVector.fromArray(S, dG, g + i)).intoArray(db, i)")
          .endControlFlow()
          .beginControlFlow("for (; i < n; i++)")
          .addStatement("db[i] += dG[g + i]")
          .endControlFlow()
          .endControlFlow()
          .build());
    }
    for (CellKernel kernel : cellKernels()) {
      type.addMethod(MethodSpec.methodBuilder(kernel.name).addModifiers(KERNEL)
          .addJavadoc(kernel.doc)
          .addParameters(kernel.parameters())
          .addCode(kernel.activationCalls())
          .addStatement("int j = 0")
          .beginControlFlow("for (; j < HIDDEN_BOUND; j += L)")
          .addCode(kernel.vectorBody)
          .endControlFlow()
          .beginControlFlow("for (; j < HIDDEN; j++)")
          .addStatement("Scalar.$L($L)", kernel.unitName(), kernel.unitArguments("j"))
          .endControlFlow()
          .build());
    }
    return type.build();
  }

  private MethodSpec matvecDispatch() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("matvec").addModifiers(KERNEL)
        .addJavadoc("y = init + W·x over {@code rows} rows of a matrix packed by {@link $T#pack} (groups of 8, 4, 2, 1 panels).\n"
            + "Writes whole panels: y and init must have room for the rows rounded up to the vector length.\n", Types.PACKING)
        .addParameters(Params.vectorForm(matvecParameters()))
        .addStatement("int panels = (rows + L - 1) / L")
        .addStatement("int p = 0")
        .addStatement("int o = 0")
        .beginControlFlow("for (; p + $L <= panels; p += $L, o += $L * L * cols)", largest(), largest(), largest())
        .addStatement("mv$L(w, o, cols, x, xOff, init, initOff + p * L, y, yOff + p * L)", largest())
        .endControlFlow();
    tailGroups(m);
    return m.build();
  }

  /** The panels past the whole largest groups, from panel p at offset o: one group each of 4, 2 and 1 as they fit. */
  private void tailGroups(MethodSpec.Builder m) {
    for (int group : middleGroups()) {
      m.beginControlFlow("if (p + $L <= panels)", group)
          .addStatement("mv$L(w, o, cols, x, xOff, init, initOff + p * L, y, yOff + p * L)", group)
          .addStatement("p += $L", group)
          .addStatement("o += $L * L * cols", group)
          .endControlFlow();
    }
    m.beginControlFlow("if (p < panels)")
        .addStatement("mv1(w, o, cols, x, xOff, init, initOff + p * L, y, yOff + p * L)")
        .endControlFlow();
  }

  /** matvec over the same groups, the last first: the streaming step alternates the two (see ForwardEmitter). */
  private MethodSpec matvecReversedDispatch() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("matvecReversed").addModifiers(KERNEL)
        .addJavadoc("{@code matvec} with its panel groups in reverse order (the smaller groups at the end first, then the\n"
            + "groups of $L from the last): the same sums, since each output is one group's own chain over the columns.\n",
            largest())
        .addParameters(Params.vectorForm(matvecParameters()))
        .addStatement("int panels = (rows + L - 1) / L")
        .addStatement("int whole = panels - panels % $L", largest())
        .addStatement("int p = whole")
        .addStatement("int o = whole * L * cols");
    tailGroups(m);
    m.beginControlFlow("for (int q = whole - $L; q >= 0; q -= $L)", largest(), largest())
        .addStatement("mv$L(w, q * L * cols, cols, x, xOff, init, initOff + q * L, y, yOff + q * L)", largest())
        .endControlFlow();
    return m.build();
  }

  static List<com.palantir.javapoet.ParameterSpec> pairParameters() {
    return Params.of("%w", "rows", "cols", "[]x", "xA", "xB", "[]init", "initA", "initB", "[]y", "yA", "yB");
  }


  static final String[] QUAD = {"0", "1", "2", "3"};

  static List<com.palantir.javapoet.ParameterSpec> quadParameters() {
    return Params.of("%w", "rows", "cols", "[]x", "x0", "x1", "x2", "x3", "[]init", "init0", "init1", "init2", "init3", "[]y", "y0", "y1", "y2", "y3");
  }


  /** Call arguments of a quad kernel for panel offset expression {@code p}. */
  private static String quadCall(String p) {
    return "x, x0, x1, x2, x3, init, init0 + " + p + ", init1 + " + p + ", init2 + " + p + ", init3 + " + p
        + ", y, y0 + " + p + ", y1 + " + p + ", y2 + " + p + ", y3 + " + p;
  }

  private MethodSpec quadDispatch() {
    return MethodSpec.methodBuilder("matvec4").addModifiers(KERNEL)
        .addJavadoc("Four products with the same matrix: every weight vector loaded once feeds four accumulators.\n"
            + "An 8-panel group is swept as two halves of 4 panels (16 accumulators each).\n")
        .addParameters(Params.vectorForm(quadParameters()))
        .addStatement("int panels = (rows + L - 1) / L")
        .addStatement("int p = 0")
        .addStatement("int o = 0")
        .beginControlFlow("for (; p + 8 <= panels; p += 8, o += 8 * L * cols)")
        .addStatement("mv4x4(w, o, 8 * L, cols, $L)", quadCall("p * L"))
        .addStatement("mv4x4(w, o + 4 * L, 8 * L, cols, $L)", quadCall("(p + 4) * L"))
        .endControlFlow()
        .beginControlFlow("if (p + 4 <= panels)")
        .addStatement("mv4x4(w, o, 4 * L, cols, $L)", quadCall("p * L"))
        .addStatement("p += 4")
        .addStatement("o += 4 * L * cols")
        .endControlFlow()
        .beginControlFlow("if (p + 2 <= panels)")
        .addStatement("mv2x4(w, o, 2 * L, cols, $L)", quadCall("p * L"))
        .addStatement("p += 2")
        .addStatement("o += 2 * L * cols")
        .endControlFlow()
        .beginControlFlow("if (p < panels)")
        .addStatement("mv1x4(w, o, L, cols, $L)", quadCall("p * L"))
        .endControlFlow()
        .build();
  }

  private MethodSpec quadGroup(int panels) {
    MethodSpec.Builder m = MethodSpec.methodBuilder("mv" + panels + "x4").addModifiers(KERNEL)
        .addJavadoc("$L panels (column stride {@code stride}) for four inputs: $L accumulators.\n", panels, 4 * panels)
        .addParameter(MEMORY_SEGMENT, "w").addParameter(int.class, "wOff").addParameter(int.class, "stride")
        .addParameter(int.class, "cols");
    for (String array : new String[] {"x", "init", "y"}) {
      m.addParameter(FLOATS, array);
      for (String q : QUAD) {
        m.addParameter(int.class, array + q);
      }
    }
    for (String q : QUAD) {
      for (int k = 0; k < panels; k++) {
        m.addStatement("$T a$L$L = $T.fromArray(S, init, init$L$L)", FLOAT_VECTOR, q, k, FLOAT_VECTOR, q,
            k == 0 ? "" : " + " + k + " * L");
      }
    }
    m.addStatement("long o = (long) wOff * WEIGHT_BYTES")
        .addStatement("long step = (long) stride * WEIGHT_BYTES");
    m.beginControlFlow("for (int c = 0; c < cols; c++, o += step)");
    for (int k = 0; k < panels; k++) {
      m.addStatement("$T w$L = $L", FLOAT_VECTOR, k, load(k));
    }
    for (String q : QUAD) {
      m.addStatement("$T x$L = $T.broadcast(S, x[x$L + c])", FLOAT_VECTOR, "v" + q, FLOAT_VECTOR, q);
      for (int k = 0; k < panels; k++) {
        m.addStatement("a$L$L = w$L.fma(xv$L, a$L$L)", q, k, k, q, q, k);
      }
    }
    m.endControlFlow();
    for (String q : QUAD) {
      for (int k = 0; k < panels; k++) {
        m.addStatement("a$L$L.intoArray(y, y$L$L)", q, k, q, k == 0 ? "" : " + " + k + " * L");
      }
    }
    return m.build();
  }

  private MethodSpec pairDispatch() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("matvec2").addModifiers(KERNEL)
        .addJavadoc("Two products with the same matrix in one sweep over it: every weight vector loaded once feeds\n"
            + "two accumulators, halving the weight traffic of batched sequences and of input projections.\n")
        .addParameters(Params.vectorForm(pairParameters()))
        .addStatement("int panels = (rows + L - 1) / L")
        .addStatement("int p = 0")
        .addStatement("int o = 0")
        .beginControlFlow("for (; p + $L <= panels; p += $L, o += $L * L * cols)", largest(), largest(), largest())
        .addStatement("mv$Lx2(w, o, cols, x, xA, xB, init, initA + p * L, initB + p * L, y, yA + p * L, yB + p * L)",
            largest())
        .endControlFlow();
    for (int group : middleGroups()) {
      m.beginControlFlow("if (p + $L <= panels)", group)
          .addStatement("mv$Lx2(w, o, cols, x, xA, xB, init, initA + p * L, initB + p * L, y, yA + p * L, yB + p * L)", group)
          .addStatement("p += $L", group)
          .addStatement("o += $L * L * cols", group)
          .endControlFlow();
    }
    m.beginControlFlow("if (p < panels)")
        .addStatement("mv1x2(w, o, cols, x, xA, xB, init, initA + p * L, initB + p * L, y, yA + p * L, yB + p * L)")
        .endControlFlow();
    return m.build();
  }

  private MethodSpec pairGroup(int group) {
    MethodSpec.Builder m = MethodSpec.methodBuilder("mv" + group + "x2").addModifiers(KERNEL)
        .addJavadoc("$L panels for two inputs: $L accumulators, one weight load per panel and column.\n", group, 2 * group)
        .addParameter(MEMORY_SEGMENT, "w").addParameter(int.class, "wOff").addParameter(int.class, "cols")
        .addParameter(FLOATS, "x").addParameter(int.class, "xA").addParameter(int.class, "xB")
        .addParameter(FLOATS, "init").addParameter(int.class, "initA").addParameter(int.class, "initB")
        .addParameter(FLOATS, "y").addParameter(int.class, "yA").addParameter(int.class, "yB");
    for (int k = 0; k < group; k++) {
      String off = k == 0 ? "" : " + " + k + " * L";
      m.addStatement("$T a$L = FloatVector.fromArray(S, init, initA$L)", FLOAT_VECTOR, k, off);
      m.addStatement("$T b$L = FloatVector.fromArray(S, init, initB$L)", FLOAT_VECTOR, k, off);
    }
    m.addStatement("long o = (long) wOff * WEIGHT_BYTES");
    m.beginControlFlow("for (int c = 0; c < cols; c++, o += $L)", Fold.times(group, "PANEL_BYTES"));
    m.addStatement("$T xa = $T.broadcast(S, x[xA + c])", FLOAT_VECTOR, FLOAT_VECTOR);
    m.addStatement("$T xb = $T.broadcast(S, x[xB + c])", FLOAT_VECTOR, FLOAT_VECTOR);
    for (int k = 0; k < group; k++) {
      m.addStatement("$T w$L = $L", FLOAT_VECTOR, k, load(k));
      m.addStatement("a$L = w$L.fma(xa, a$L)", k, k, k);
      m.addStatement("b$L = w$L.fma(xb, b$L)", k, k, k);
    }
    m.endControlFlow();
    for (int k = 0; k < group; k++) {
      String off = k == 0 ? "" : " + " + k + " * L";
      m.addStatement("a$L.intoArray(y, yA$L)", k, off);
      m.addStatement("b$L.intoArray(y, yB$L)", k, off);
    }
    return m.build();
  }

  /** The weight vector of panel {@code k} at byte offset {@code o} of the aligned weights {@code w}. */
  private CodeBlock load(int k) {
    return weightLoad(plan, k == 0 ? "o" : "o + " + Fold.times(k, "PANEL_BYTES"));
  }

  /** A vector of L weights at byte offset {@code offset} of the aligned weights {@code w}, widened if bf16. */
  static CodeBlock weightLoad(ModelPlan plan, String offset) {
    return plan.weightPrecision() == WeightPrecision.BF16 ? CodeBlock.of("widen(w, $L)", offset)
        : CodeBlock.of("$T.fromMemorySegment(S, w, $L, NATIVE)", FLOAT_VECTOR, offset);
  }

  private boolean bf16() {
    return plan.weightPrecision() == WeightPrecision.BF16;
  }

  /** Widening of L bfloat16 weights, for {@code weights: bf16}. */
  private MethodSpec widen() {
    return MethodSpec.methodBuilder("widen").addModifiers(KERNEL).returns(FLOAT_VECTOR)
        .addJavadoc("L bfloat16 weights at byte offset o as floats: sign-extended to 32 bits, shifted into the upper\n"
            + "half (a bfloat16 is a float's upper 16 bits), so the sign-extension bits fall out.\n")
        .addParameter(MEMORY_SEGMENT, "w").addParameter(long.class, "o")
        .addStatement("return ($T) (($T) $T.fromMemorySegment(HALF, w, o, NATIVE).convertShape($T.S2I, WORDS, 0))"
            + ".lanewise($T.LSHL, 16).reinterpretShape(S, 0)", FLOAT_VECTOR, INT_VECTOR, SHORT_VECTOR, VECTOR_OPERATORS,
            VECTOR_OPERATORS)
        .build();
  }

  /** One register-blocked group: {@code group} accumulators of L rows, one contiguous weight stream. */
  private MethodSpec matvecGroup(int group) {
    MethodSpec.Builder m = MethodSpec.methodBuilder("mv" + group).addModifiers(KERNEL)
        .addJavadoc("$L panels ($L rows per vector): per column one broadcast of x[c], $L loads and $L fused multiply-adds;\n"
            + "accumulators stay in registers for the whole column sweep, so there is no horizontal reduction.\n",
            group, "L", group, group)
        .addParameter(MEMORY_SEGMENT, "w").addParameter(int.class, "wOff").addParameter(int.class, "cols")
        .addParameter(FLOATS, "x").addParameter(int.class, "xOff")
        .addParameter(FLOATS, "init").addParameter(int.class, "initOff")
        .addParameter(FLOATS, "y").addParameter(int.class, "yOff");
    for (int k = 0; k < group; k++) {
      m.addStatement("$T a$L = FloatVector.fromArray(S, init, initOff$L)", FLOAT_VECTOR, k, k == 0 ? "" : " + " + k + " * L");
    }
    m.addStatement("long o = (long) wOff * WEIGHT_BYTES");
    m.beginControlFlow("for (int c = 0; c < cols; c++, o += $L)", Fold.times(group, "PANEL_BYTES"));
    m.addStatement("$T xc = $T.broadcast(S, x[xOff + c])", FLOAT_VECTOR, FLOAT_VECTOR);
    for (int k = 0; k < group; k++) {
      m.addStatement("a$L = $L.fma(xc, a$L)", k, load(k), k);
    }
    m.endControlFlow();
    for (int k = 0; k < group; k++) {
      m.addStatement("a$L.intoArray(y, yOff$L)", k, k == 0 ? "" : " + " + k + " * L");
    }
    return m.build();
  }

  // ------------------------------------------------------------------------------------------ cell kernels

  /**
   * A cell-update kernel: first in-place activations over gate ranges (one small loop each, so no method
   * grows past what C2 intrinsifies in one compile), then a combine loop per hidden unit.
   */
  static final class CellKernel {
    final String name;
    final String doc;
    final List<String> floatArrays;
    /** In-place activations: {kind ("sigmoid" or "tanh"), start offset expression relative to gOff, length expression}. */
    final List<String[]> activations;
    final CodeBlock scalarBody;
    final CodeBlock vectorBody;

    CellKernel(String name, String doc, List<String> arrays, List<String[]> activations, CodeBlock scalarBody,
        CodeBlock vectorBody) {
      this.name = name;
      this.doc = doc;
      this.floatArrays = arrays;
      this.activations = activations;
      this.scalarBody = scalarBody;
      this.vectorBody = vectorBody;
    }

    String unitName() {
      return name + "Unit";
    }

    List<com.palantir.javapoet.ParameterSpec> parameters() {
      List<com.palantir.javapoet.ParameterSpec> params = new ArrayList<>();
      for (String array : floatArrays) {
        params.add(com.palantir.javapoet.ParameterSpec.builder(FLOATS, array).build());
        params.add(com.palantir.javapoet.ParameterSpec.builder(TypeName.INT, array + "Off").build());
      }
      return params;
    }

    String unitArguments(String index) {
      StringBuilder sb = new StringBuilder();
      for (String array : floatArrays) {
        sb.append(array).append(", ").append(array).append("Off, ");
      }
      return sb.append(index).toString();
    }

    /** Statements applying the activations with the given class's range kernels. */
    CodeBlock activationCalls() {
      CodeBlock.Builder code = CodeBlock.builder();
      for (String[] a : activations) {
        code.addStatement("$LRange(g, gOff$L, $L)", a[0], a[1].equals("0") ? "" : " + " + a[1], a[2]);
      }
      return code.build();
    }
  }

  /** In-place activation ranges written as triples: kind, start (relative to gOff), length. */
  static List<String[]> ranges(String... triples) {
    List<String[]> list = new ArrayList<>();
    for (int i = 0; i < triples.length; i += 3) {
      list.add(new String[] {triples[i], triples[i + 1], triples[i + 2]});
    }
    return list;
  }

  /** The cell kernels this model's cell needs. */
  List<CellKernel> cellKernels() {
    return cell.kernels();
  }
}
