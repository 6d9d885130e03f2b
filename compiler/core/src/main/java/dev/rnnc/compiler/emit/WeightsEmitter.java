package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.MODEL_PARAMETERS;
import static dev.rnnc.compiler.emit.Types.PACKING;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.ModelPlan.LayerRun;
import dev.rnnc.runtime.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Emits the nested {@code Weights} class: PyTorch parameters repacked into the panel layout the kernels
 * stream, with biases folded where the math allows (b_ih + b_hh for every gate whose two products are
 * simply added). Trainable models also keep transposed packs for the backward products W^T·dgates.
 * Inference weights are immutable after construction and shared by any number of instances and threads;
 * a training instance owns its weights and repacks them in place after every optimiser step.
 */
final class WeightsEmitter {
  private final ModelPlan plan;
  private final ModelConfig config;

  WeightsEmitter(ModelPlan plan) {
    this.plan = plan;
    this.config = plan.config();
  }

  static String ih(LayerRun run) {
    return "ih" + run.suffix();
  }

  static String ihT(LayerRun run) {
    return "ihRows" + run.suffix();
  }

  static String ihBias(LayerRun run) {
    return "ihBias" + run.suffix();
  }

  static String hh(LayerRun run) {
    return "hh" + run.suffix();
  }

  static String hhT(LayerRun run) {
    return "hhT" + run.suffix();
  }

  static String hhRz(LayerRun run) {
    return "hhRz" + run.suffix();
  }

  static String hhRzT(LayerRun run) {
    return "hhRzT" + run.suffix();
  }

  static String hhN(LayerRun run) {
    return "hhN" + run.suffix();
  }

  static String hhNT(LayerRun run) {
    return "hhNT" + run.suffix();
  }

  static String stepFused(LayerRun run) {
    return "step" + run.suffix();
  }

  /** Whether the streaming step multiplies one fused [W_ih | W_hh] by [x; h] (every gate adds both products). */
  static boolean fusedStep(ModelPlan plan) {
    return plan.streaming() && !plan.isGru();
  }

  static String bhn(LayerRun run) {
    return "bhn" + run.suffix();
  }

  /** One array of the Weights class: how big it is and how it is filled from the parameters. */
  private record Packed(String name, String doc, CodeBlock size, CodeBlock fill) {}

  private static Packed matrix(String name, String doc, String param, String rowStart, String rows, Object cols,
      boolean transposed) {
    CodeBlock size = transposed
        ? CodeBlock.of("$T.packedSize($L, $L, LANES)", PACKING, cols, rows)
        : CodeBlock.of("$T.packedSize($L, $L, LANES)", PACKING, rows, cols);
    CodeBlock fill = CodeBlock.of("$T.packInto($L, parameters.get($S), $L, $L, $L, LANES, GROUP, $L)", PACKING, name,
        param, rowStart, rows, cols, transposed);
    return new Packed(name, doc, size, fill);
  }

  private List<Packed> arrays() {
    List<Packed> arrays = new ArrayList<>();
    boolean training = plan.training();
    for (LayerRun run : plan.runs()) {
      String s = run.torchSuffix();
      String wih = "rnn.weight_ih_" + s;
      String whh = "rnn.weight_hh_" + s;
      String where = "layer " + run.layer() + (run.reverse() ? " (reverse)" : "");
      arrays.add(matrix(ih(run), "W_ih of " + where, wih, "0", "GATE_ROWS", run.inputSize(), false));
      if (training) {
        arrays.add(new Packed(ihT(run), "W_ih of " + where + ", row-major as in PyTorch, for dX = dGates · W_ih",
            CodeBlock.of("GATE_ROWS * $L", run.inputSize()),
            CodeBlock.of("$T.copyInto($L, 0, parameters.get($S), 0, GATE_ROWS * $L)", PACKING, ihT(run), wih,
                run.inputSize())));
      }
      arrays.add(new Packed(ihBias(run), "biases added to the input projection of " + where,
          CodeBlock.of("GX_STRIDE"),
          CodeBlock.of("inputBias($L, parameters.get($S), parameters.get($S))", ihBias(run), "rnn.bias_ih_" + s,
              "rnn.bias_hh_" + s)));
      if (plan.isGru()) {
        arrays.add(matrix(hhRz(run), "W_hr and W_hz of " + where, whh, "0", "2 * HIDDEN", "HIDDEN", false));
        arrays.add(matrix(hhN(run), "W_hn of " + where, whh, "2 * HIDDEN", "HIDDEN", "HIDDEN", false));
        if (!plan.isGruResetBefore()) {
          arrays.add(new Packed(bhn(run), "b_hn of " + where + " (scaled by r, so it cannot be folded)",
              CodeBlock.of("HIDDEN_STRIDE"),
              CodeBlock.of("$T.copyInto($L, 0, parameters.get($S), 2 * HIDDEN, HIDDEN)", PACKING, bhn(run),
                  "rnn.bias_hh_" + s)));
          if (training) {
            arrays.add(matrix(hhT(run), "W_hh^T of " + where, whh, "0", "GATE_ROWS", "HIDDEN", true));
          }
        } else if (training) {
          arrays.add(matrix(hhRzT(run), "[W_hr; W_hz]^T of " + where, whh, "0", "2 * HIDDEN", "HIDDEN", true));
          arrays.add(matrix(hhNT(run), "W_hn^T of " + where, whh, "2 * HIDDEN", "HIDDEN", "HIDDEN", true));
        }
      } else {
        if (fusedStep(plan)) {
          arrays.add(new Packed(stepFused(run), "[W_ih | W_hh] of " + where + ", packed for the streaming step",
              CodeBlock.of("$T.packedSize(GATE_ROWS, $L + HIDDEN, LANES)", PACKING, run.inputSize()),
              CodeBlock.of("$T.packConcatInto($L, parameters.get($S), $L, parameters.get($S), HIDDEN, GATE_ROWS, LANES, GROUP)",
                  PACKING, stepFused(run), wih, run.inputSize(), whh)));
        }
        arrays.add(matrix(hh(run), "W_hh of " + where, whh, "0", "GATE_ROWS", "HIDDEN", false));
        if (training) {
          arrays.add(matrix(hhT(run), "W_hh^T of " + where, whh, "0", "GATE_ROWS", "HIDDEN", true));
        }
      }
    }
    if (config.hasHead()) {
      arrays.add(matrix("headWeight", "head.weight", ModelConfig.HEAD_WEIGHT, "0", "HEAD_SIZE", "FEATURES", false));
      if (training) {
        arrays.add(new Packed("headWeightRows", "head.weight, row-major as in PyTorch, for dF = dLogits · W",
            CodeBlock.of("HEAD_SIZE * FEATURES"),
            CodeBlock.of("$T.copyInto(headWeightRows, 0, parameters.get($S), 0, HEAD_SIZE * FEATURES)", PACKING,
                ModelConfig.HEAD_WEIGHT)));
      }
      arrays.add(new Packed("headBias", "head.bias, padded", CodeBlock.of("HEAD_STRIDE"),
          CodeBlock.of("$T.copyInto(headBias, 0, parameters.get($S), 0, HEAD_SIZE)", PACKING, ModelConfig.HEAD_BIAS)));
    }
    if (config.hasEmbedding()) {
      arrays.add(new Packed("embedding", "embedding.weight [VOCAB, INPUT_SIZE], row-major as in PyTorch",
          CodeBlock.of("VOCAB * INPUT_SIZE"),
          CodeBlock.of("$T.copyInto(embedding, 0, parameters.get($S), 0, VOCAB * INPUT_SIZE)", PACKING,
              ModelConfig.EMBEDDING_WEIGHT)));
    }
    return arrays;
  }

  TypeSpec emit(ClassName model) {
    ClassName weights = model.nestedClass("Weights");
    TypeSpec.Builder type = TypeSpec.classBuilder(weights)
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Weights of {@link $T}, repacked for its kernels; share one instance between inference instances.\n",
            model);
    MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
        .addJavadoc("Repacks parameters in PyTorch layout (names and shapes as {@code $T.CONFIG.parameterShapes()}).\n",
            model)
        .addParameter(MODEL_PARAMETERS, "parameters")
        .addStatement("checkShapes(parameters)");
    MethodSpec.Builder load = MethodSpec.methodBuilder("load")
        .addJavadoc("Repacks parameters into these arrays without allocating (training updates weights this way);\n"
            + "shapes must have been checked with {@link #checkShapes}.\n")
        .addParameter(MODEL_PARAMETERS, "parameters");
    for (Packed array : arrays()) {
      type.addField(FieldSpec.builder(FLOATS, array.name(), Modifier.FINAL).addJavadoc(array.doc() + ".\n").build());
      ctor.addStatement("$L = new float[$L]", array.name(), array.size());
      load.addStatement("$L", array.fill());
    }
    ctor.addStatement("load(parameters)");
    type.addMethod(ctor.build());
    type.addMethod(load.build());
    type.addMethod(inputBias());
    type.addMethod(checkShapes(model));
    return type.build();
  }

  /** Folded input-side bias per gate row; which rows fold b_hh depends on the cell. */
  private MethodSpec inputBias() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("inputBias").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(FLOATS, "out").addParameter(FLOATS, "bih").addParameter(FLOATS, "bhh");
    if (plan.isGru() && !plan.isGruResetBefore()) {
      m.addJavadoc("r and z rows: b_ih + b_hh; n rows: b_in only, because b_hn is scaled by r.\n");
      m.addStatement("$T.sumInto(out, bih, 0, bhh, 0, 2 * HIDDEN)", PACKING);
      m.addStatement("System.arraycopy(bih, 2 * HIDDEN, out, 2 * HIDDEN, HIDDEN)");
    } else {
      m.addJavadoc("Every gate adds both biases unscaled, so they fold into one.\n");
      m.addStatement("$T.sumInto(out, bih, 0, bhh, 0, GATE_ROWS)", PACKING);
    }
    return m.build();
  }

  private MethodSpec checkShapes(ClassName model) {
    return MethodSpec.methodBuilder("checkShapes").addModifiers(Modifier.STATIC)
        .addParameter(MODEL_PARAMETERS, "parameters")
        .beginControlFlow("for ($T<String, int[]> e : CONFIG.parameterShapes().entrySet())", java.util.Map.Entry.class)
        .beginControlFlow("if (!parameters.names().contains(e.getKey()))")
        .addStatement("throw new IllegalArgumentException($S + e.getKey())", "parameters lack ")
        .endControlFlow()
        .beginControlFlow("if (!java.util.Arrays.equals(parameters.shape(e.getKey()), e.getValue()))")
        .addStatement("throw new IllegalArgumentException(e.getKey() + \" has shape \" + "
            + "java.util.Arrays.toString(parameters.shape(e.getKey())) + \", $L expects \" + "
            + "java.util.Arrays.toString(e.getValue()))", model.simpleName())
        .endControlFlow()
        .endControlFlow()
        .build();
  }
}
