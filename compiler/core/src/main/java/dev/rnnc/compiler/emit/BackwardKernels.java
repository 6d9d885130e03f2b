package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.VECTOR_OPERATORS;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * The elementwise backward of each cell — from dh (and dc) to the gate pre-activation gradients — as
 * kernels with a vector body and the same math in scalar form (the fallback, and the tail of the vector
 * loop). Arrays: {@code a} the stored activated gates at {@code g}, {@code dh}/{@code dc} per-sequence
 * carries at {@code d}, {@code dG} the gate gradients at {@code dg}.
 */
final class BackwardKernels {
  private final ModelPlan plan;

  BackwardKernels(ModelPlan plan) {
    this.plan = plan;
  }

  /** One kernel: name, documentation, parameters, and per-unit (index j) scalar and per-vector bodies. */
  record Kernel(String name, String doc, List<ParameterSpec> parameters, CodeBlock scalar, CodeBlock vector) {
  }



  private static String v(String array, String index) {
    return "FloatVector.fromArray(S, " + array + ", " + index + ")";
  }

  List<Kernel> kernels() {
    List<Kernel> kernels = new ArrayList<>();
    if (plan.isLstm()) {
      kernels.add(new Kernel("lstmBackward",
          "LSTM: dc += dh·o·(1 - tanh²c); gate gradients through σ' and tanh'; dc ← dc·f for the step before.\n",
          Params.of("[]a", "g", "[]cs", "cOff", "[]cp", "cpOff", "[]dh", "[]dc", "d", "[]dG", "dg"),
          CodeBlock.builder()
              .addStatement("float i = a[g + j]")
              .addStatement("float f = a[g + HIDDEN + j]")
              .addStatement("float gg = a[g + 2 * HIDDEN + j]")
              .addStatement("float o = a[g + 3 * HIDDEN + j]")
              .addStatement("float tc = Scalar.tanh(cs[cOff + j])")
              .addStatement("float dhj = dh[d + j]")
              .addStatement("float dcj = dc[d + j] + dhj * o * (1f - tc * tc)")
              .addStatement("dG[dg + j] = dcj * gg * i * (1f - i)")
              .addStatement("dG[dg + HIDDEN + j] = dcj * cp[cpOff + j] * f * (1f - f)")
              .addStatement("dG[dg + 2 * HIDDEN + j] = dcj * i * (1f - gg * gg)")
              .addStatement("dG[dg + 3 * HIDDEN + j] = dhj * tc * o * (1f - o)")
              .addStatement("dc[d + j] = dcj * f")
              .build(),
          new VectorCode()
              .let("one", "FloatVector.broadcast(S, 1f)")
              .let("i", v("a", "g + j"))
              .let("f", v("a", "g + HIDDEN + j"))
              .let("gg", v("a", "g + 2 * HIDDEN + j"))
              .let("o", v("a", "g + 3 * HIDDEN + j"))
              .tanh("tc", v("cs", "cOff + j"))
              .let("dhj", v("dh", "d + j"))
              .let("dcj", v("dc", "d + j") + ".add(dhj.mul(o).mul(one.sub(tc.mul(tc))))")
              .statement("dcj.mul(gg).mul(i).mul(one.sub(i)).intoArray(dG, dg + j)")
              .statement("dcj.mul(" + v("cp", "cpOff + j") + ").mul(f).mul(one.sub(f)).intoArray(dG, dg + HIDDEN + j)")
              .statement("dcj.mul(i).mul(one.sub(gg.mul(gg))).intoArray(dG, dg + 2 * HIDDEN + j)")
              .statement("dhj.mul(tc).mul(o).mul(one.sub(o)).intoArray(dG, dg + 3 * HIDDEN + j)")
              .statement("dcj.mul(f).intoArray(dc, d + j)")
              .build()));
    } else if (!plan.isGru()) {
      boolean relu = plan.config().nonlinearity() == Nonlinearity.RELU;
      VectorCode vector = new VectorCode()
          .let("av", v("a", "g + j"))
          .let("dhj", v("dh", "d + j"));
      if (relu) {
        vector.statement("FloatVector.zero(S).blend(dhj, av.compare($T.GT, 0f)).intoArray(dG, dg + j)", VECTOR_OPERATORS);
      } else {
        vector.statement("dhj.mul(FloatVector.broadcast(S, 1f).sub(av.mul(av))).intoArray(dG, dg + j)");
      }
      kernels.add(new Kernel("rnnBackward",
          "RNN: through the activation's derivative, computed from its output.\n",
          Params.of("[]a", "g", "[]dh", "d", "[]dG", "dg"),
          CodeBlock.builder()
              .addStatement("float av = a[g + j]")
              .addStatement(relu ? "dG[dg + j] = av > 0f ? dh[d + j] : 0f" : "dG[dg + j] = dh[d + j] * (1f - av * av)")
              .build(),
          vector.build()));
    } else if (!plan.isGruResetBefore()) {
      kernels.add(new Kernel("gruBackward",
          "GRU (reset after): h = n + z·(h_prev - n), n = tanh(x_n + r·(W_hn·h_prev + b_hn)).\n"
              + "Input side gets [dr dz dn]; the recurrent side [dr dz dn·r]; dhDirect = dh·z.\n",
          Params.of("[]a", "g", "[]hp", "hpOff", "[]dh", "[]dhDirect", "d", "[]dG", "[]dGh", "dg"),
          CodeBlock.builder()
              .addStatement("float r = a[g + j]")
              .addStatement("float z = a[g + HIDDEN + j]")
              .addStatement("float n = a[g + 2 * HIDDEN + j]")
              .addStatement("float nh = a[g + 3 * HIDDEN + j]")
              .addStatement("float dhj = dh[d + j]")
              .addStatement("float dan = dhj * (1f - z) * (1f - n * n)")
              .addStatement("float dar = dan * nh * r * (1f - r)")
              .addStatement("float daz = dhj * (hp[hpOff + j] - n) * z * (1f - z)")
              .addStatement("dG[dg + j] = dar")
              .addStatement("dG[dg + HIDDEN + j] = daz")
              .addStatement("dG[dg + 2 * HIDDEN + j] = dan")
              .addStatement("dGh[dg + j] = dar")
              .addStatement("dGh[dg + HIDDEN + j] = daz")
              .addStatement("dGh[dg + 2 * HIDDEN + j] = dan * r")
              .addStatement("dhDirect[d + j] = dhj * z")
              .build(),
          new VectorCode()
              .let("one", "FloatVector.broadcast(S, 1f)")
              .let("r", v("a", "g + j"))
              .let("z", v("a", "g + HIDDEN + j"))
              .let("n", v("a", "g + 2 * HIDDEN + j"))
              .let("nh", v("a", "g + 3 * HIDDEN + j"))
              .let("dhj", v("dh", "d + j"))
              .let("dan", "dhj.mul(one.sub(z)).mul(one.sub(n.mul(n)))")
              .let("dar", "dan.mul(nh).mul(r).mul(one.sub(r))")
              .let("daz", "dhj.mul(" + v("hp", "hpOff + j") + ".sub(n)).mul(z).mul(one.sub(z))")
              .statement("dar.intoArray(dG, dg + j)")
              .statement("daz.intoArray(dG, dg + HIDDEN + j)")
              .statement("dan.intoArray(dG, dg + 2 * HIDDEN + j)")
              .statement("dar.intoArray(dGh, dg + j)")
              .statement("daz.intoArray(dGh, dg + HIDDEN + j)")
              .statement("dan.mul(r).intoArray(dGh, dg + 2 * HIDDEN + j)")
              .statement("dhj.mul(z).intoArray(dhDirect, d + j)")
              .build()));
    } else {
      kernels.add(new Kernel("gruBackwardCandidate",
          "GRU (reset before), first half: dz and dn (the candidate's pre-activation gradient).\n",
          Params.of("[]a", "g", "[]hp", "hpOff", "[]dh", "d", "[]dG", "dg"),
          CodeBlock.builder()
              .addStatement("float z = a[g + HIDDEN + j]")
              .addStatement("float n = a[g + 2 * HIDDEN + j]")
              .addStatement("float dhj = dh[d + j]")
              .addStatement("dG[dg + HIDDEN + j] = dhj * (hp[hpOff + j] - n) * z * (1f - z)")
              .addStatement("dG[dg + 2 * HIDDEN + j] = dhj * (1f - z) * (1f - n * n)")
              .build(),
          new VectorCode()
              .let("one", "FloatVector.broadcast(S, 1f)")
              .let("z", v("a", "g + HIDDEN + j"))
              .let("n", v("a", "g + 2 * HIDDEN + j"))
              .let("dhj", v("dh", "d + j"))
              .statement("dhj.mul(" + v("hp", "hpOff + j") + ".sub(n)).mul(z).mul(one.sub(z)).intoArray(dG, dg + HIDDEN + j)")
              .statement("dhj.mul(one.sub(z)).mul(one.sub(n.mul(n))).intoArray(dG, dg + 2 * HIDDEN + j)")
              .build()));
      kernels.add(new Kernel("gruBackwardReset",
          "GRU (reset before), second half: with resetGrad = W_hn^T·dn = d(r·h_prev), dr and the direct dh_prev\n"
              + "part dh·z + resetGrad·r; also keeps r·h_prev for dW_hn.\n",
          Params.of("[]a", "g", "[]hp", "hpOff", "[]dh", "[]resetGrad", "[]dhDirect", "d", "[]dG", "dg", "[]rhPrev"),
          CodeBlock.builder()
              .addStatement("float r = a[g + j]")
              .addStatement("float z = a[g + HIDDEN + j]")
              .addStatement("float h = hp[hpOff + j]")
              .addStatement("float rg = resetGrad[d + j]")
              .addStatement("dG[dg + j] = rg * h * r * (1f - r)")
              .addStatement("dhDirect[d + j] = dh[d + j] * z + rg * r")
              .addStatement("rhPrev[hpOff + j] = r * h")
              .build(),
          new VectorCode()
              .let("r", v("a", "g + j"))
              .let("z", v("a", "g + HIDDEN + j"))
              .let("h", v("hp", "hpOff + j"))
              .let("rg", v("resetGrad", "d + j"))
              .statement("rg.mul(h).mul(r).mul(FloatVector.broadcast(S, 1f).sub(r)).intoArray(dG, dg + j)")
              .statement(v("dh", "d + j") + ".mul(z).add(rg.mul(r)).intoArray(dhDirect, d + j)")
              .statement("r.mul(h).intoArray(rhPrev, hpOff + j)")
              .build()));
    }
    return kernels;
  }

  /** The scalar kernel: the unit body over every hidden unit. */
  static MethodSpec scalar(Kernel k) {
    return MethodSpec.methodBuilder(k.name()).addModifiers(Modifier.STATIC)
        .addJavadoc(k.doc())
        .addParameters(k.parameters())
        .beginControlFlow("for (int j = 0; j < HIDDEN; j++)")
        .addCode(k.scalar())
        .endControlFlow()
        .build();
  }

  /** The vector kernel: whole vectors, then the scalar body for the tail. */
  static MethodSpec vector(Kernel k) {
    return MethodSpec.methodBuilder(k.name()).addModifiers(Modifier.STATIC)
        .addJavadoc(k.doc())
        .addParameters(k.parameters())
        .addStatement("int j = 0")
        .beginControlFlow("for (; j < HIDDEN_BOUND; j += L)")
        .addCode(k.vector())
        .endControlFlow()
        .beginControlFlow("for (; j < HIDDEN; j++)")
        .addCode(k.scalar())
        .endControlFlow()
        .build();
  }


}
