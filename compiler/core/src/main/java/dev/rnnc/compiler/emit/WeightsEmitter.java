package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.MODEL_PARAMETERS;
import static dev.rnnc.compiler.emit.Types.PACKING;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.ModelPlan.LayerRun;
import dev.rnnc.runtime.ModelConfig;
import javax.lang.model.element.Modifier;

/**
 * Emits the nested {@code Weights} class: PyTorch parameters repacked once, at load time, into the panel
 * layout the kernels stream, with biases folded where the math allows (b_ih + b_hh for every gate whose two
 * products are simply added). Weights are immutable after construction and shared by any number of model
 * instances and threads.
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

  static String ihBias(LayerRun run) {
    return "ihBias" + run.suffix();
  }

  static String hh(LayerRun run) {
    return "hh" + run.suffix();
  }

  static String hhRz(LayerRun run) {
    return "hhRz" + run.suffix();
  }

  static String hhN(LayerRun run) {
    return "hhN" + run.suffix();
  }

  static String bhn(LayerRun run) {
    return "bhn" + run.suffix();
  }

  TypeSpec emit(ClassName model) {
    ClassName weights = model.nestedClass("Weights");
    TypeSpec.Builder type = TypeSpec.classBuilder(weights)
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Immutable weights of {@link $T}, repacked for its kernels; share one instance between model instances.\n",
            model);
    MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
        .addJavadoc("Repacks parameters in PyTorch layout (names and shapes as {@code $T.CONFIG.parameterShapes()}).\n",
            model)
        .addParameter(MODEL_PARAMETERS, "parameters")
        .addStatement("checkShapes(parameters)");
    for (LayerRun run : plan.runs()) {
      String s = run.torchSuffix();
      addField(type, ih(run), "W_ih of " + describe(run) + ", packed");
      ctor.addStatement("$L = $T.pack(parameters.get($S), 0, GATE_ROWS, $L, LANES, GROUP)",
          ih(run), PACKING, "rnn.weight_ih_" + s, run.inputSize());
      addField(type, ihBias(run), "biases added to the input projection of " + describe(run));
      ctor.addStatement("$L = inputBias(parameters.get($S), parameters.get($S))", ihBias(run), "rnn.bias_ih_" + s,
          "rnn.bias_hh_" + s);
      if (plan.isGru()) {
        addField(type, hhRz(run), "W_hr and W_hz of " + describe(run) + ", packed");
        ctor.addStatement("$L = $T.pack(parameters.get($S), 0, 2 * HIDDEN, HIDDEN, LANES, GROUP)", hhRz(run), PACKING,
            "rnn.weight_hh_" + s);
        addField(type, hhN(run), "W_hn of " + describe(run) + ", packed");
        ctor.addStatement("$L = $T.pack(parameters.get($S), 2 * HIDDEN, HIDDEN, HIDDEN, LANES, GROUP)", hhN(run),
            PACKING, "rnn.weight_hh_" + s);
        if (!plan.isGruResetBefore()) {
          addField(type, bhn(run), "b_hn of " + describe(run) + " (scaled by r, so it cannot be folded)");
          ctor.addStatement("$L = $T.padded(parameters.get($S), 2 * HIDDEN, HIDDEN, HIDDEN_STRIDE)", bhn(run),
              PACKING, "rnn.bias_hh_" + s);
        }
      } else {
        addField(type, hh(run), "W_hh of " + describe(run) + ", packed");
        ctor.addStatement("$L = $T.pack(parameters.get($S), 0, GATE_ROWS, HIDDEN, LANES, GROUP)", hh(run), PACKING,
            "rnn.weight_hh_" + s);
      }
    }
    if (config.hasHead()) {
      addField(type, "headWeight", "head.weight, packed");
      ctor.addStatement("headWeight = $T.pack(parameters.get($S), 0, HEAD_SIZE, FEATURES, LANES, GROUP)", PACKING,
          ModelConfig.HEAD_WEIGHT);
      addField(type, "headBias", "head.bias, padded");
      ctor.addStatement("headBias = $T.padded(parameters.get($S), 0, HEAD_SIZE, HEAD_STRIDE)", PACKING,
          ModelConfig.HEAD_BIAS);
    }
    if (config.hasEmbedding()) {
      addField(type, "embedding", "embedding.weight [VOCAB, INPUT_SIZE], row-major as in PyTorch");
      ctor.addStatement("embedding = parameters.get($S).clone()", ModelConfig.EMBEDDING_WEIGHT);
    }
    type.addMethod(ctor.build());
    type.addMethod(inputBias());
    type.addMethod(checkShapes(model));
    return type.build();
  }

  private static String describe(LayerRun run) {
    return "layer " + run.layer() + (run.reverse() ? " (reverse)" : "");
  }

  private static void addField(TypeSpec.Builder type, String name, String doc) {
    type.addField(FieldSpec.builder(FLOATS, name, Modifier.FINAL).addJavadoc(doc + ".\n").build());
  }

  /** Folded input-side bias per gate row; which rows fold b_hh depends on the cell. */
  private MethodSpec inputBias() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("inputBias").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .returns(FLOATS).addParameter(FLOATS, "bih").addParameter(FLOATS, "bhh");
    if (plan.isGru() && !plan.isGruResetBefore()) {
      m.addJavadoc("r and z rows: b_ih + b_hh; n rows: b_in only, because b_hn is scaled by r.\n");
      m.addStatement("float[] bias = $T.sumPadded(bih, 0, bhh, 0, 2 * HIDDEN, GX_STRIDE)", PACKING);
      m.addStatement("System.arraycopy(bih, 2 * HIDDEN, bias, 2 * HIDDEN, HIDDEN)");
      m.addStatement("return bias");
    } else {
      m.addJavadoc("Every gate adds both biases unscaled, so they fold into one.\n");
      m.addStatement("return $T.sumPadded(bih, 0, bhh, 0, GATE_ROWS, GX_STRIDE)", PACKING);
    }
    return m.build();
  }

  private MethodSpec checkShapes(ClassName model) {
    return MethodSpec.methodBuilder("checkShapes").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameter(MODEL_PARAMETERS, "parameters")
        .beginControlFlow("for ($T<String, int[]> e : CONFIG.parameterShapes().entrySet())", java.util.Map.Entry.class)
        .beginControlFlow("if (!parameters.names().contains(e.getKey()))")
        .addStatement("throw new IllegalArgumentException($S + e.getKey())", "parameters lack " )
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
