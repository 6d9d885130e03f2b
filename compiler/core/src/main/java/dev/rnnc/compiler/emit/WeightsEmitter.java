package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.MODEL_PARAMETERS;
import static dev.rnnc.compiler.emit.Types.PACKING;
import static dev.rnnc.compiler.emit.Types.PACKED_WEIGHTS;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.WeightArray;
import dev.rnnc.compiler.plan.WeightPrecision;
import java.util.Arrays;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Emits the nested {@code Weights} class from the plan's weight inventory: PyTorch parameters repacked into the
 * panel layout the kernels stream, with biases folded where the cell allows (b_ih + b_hh for every gate whose two
 * products are simply added). Trainable models also keep transposed packs for the backward products W^T·dgates.
 * Inference weights are immutable after construction and shared by any number of instances and threads;
 * a training instance owns its weights and repacks them in place after every optimiser step.
 */
final class WeightsEmitter {
  private final ModelPlan plan;
  private final CellEmitter cell;

  WeightsEmitter(ModelPlan plan, CellEmitter cell) {
    this.plan = plan;
    this.cell = cell;
  }

  /** How big one array is (generated expression). */
  private static CodeBlock size(WeightArray array) {
    return switch (array.layout()) {
      case PANELS -> CodeBlock.of("$T.packedSize($L, $L, LANES)", PACKING, array.rows(), array.cols());
      case PANELS_TRANSPOSED -> CodeBlock.of("$T.packedSize($L, $L, LANES)", PACKING, array.cols(), array.rows());
      case ROW_MAJOR -> CodeBlock.of("$L * $L", array.rows(), array.cols());
      case FOLDED_BIAS -> CodeBlock.of("GX_STRIDE");
      case SLICE -> CodeBlock.of("$L", stride(array.rows()));
      case CONCAT_PANELS -> CodeBlock.of("$T.packedSize($L, $L, LANES)", PACKING, array.rows(), array.packedCols());
      case UNIT_PANELS -> CodeBlock.of("$T.unitRows(GATE_ROWS / HIDDEN, HIDDEN, LANES) * ($L + STATE)", PACKING, array.cols());
      case UNIT_BIAS -> CodeBlock.of("$T.unitRows($L, HIDDEN, LANES)", PACKING, array.rows());
      case PADDED_ROWS -> CodeBlock.of("$L * $L", array.rows(), stride(array.cols()));
    };
  }

  /** The padded length of a vector of {@code rows} values. */
  private static String stride(String rows) {
    return switch (rows) {
      case "HIDDEN" -> "HIDDEN_STRIDE";
      case "HEAD_SIZE" -> "HEAD_STRIDE";
      default -> throw new IllegalArgumentException("no stride constant for " + rows);
    };
  }

  /** How it is filled from the parameters (a statement of {@code load}). */
  private static CodeBlock fill(WeightArray array) {
    String name = array.packed() ? array.name() + ".array()" : array.name();
    return switch (array.layout()) {
      case PANELS, PANELS_TRANSPOSED -> CodeBlock.of("$T.packInto($L, parameters.get($S), $L, $L, $L, LANES, GROUP, $L)",
          PACKING, name, array.parameter(), array.rowStart(), array.rows(), array.cols(),
          array.layout() == WeightArray.Layout.PANELS_TRANSPOSED);
      case ROW_MAJOR -> CodeBlock.of("$T.copyInto($N, 0, parameters.get($S), $L, $L * $L)", PACKING, name,
          array.parameter(), array.rowStart(), array.rows(), array.cols());
      case FOLDED_BIAS -> CodeBlock.of("inputBias($N, parameters.get($S), parameters.get($S))", name, array.parameter(),
          array.second());
      case SLICE -> CodeBlock.of("$T.copyInto($N, 0, parameters.get($S), $L, $L)", PACKING, name, array.parameter(),
          array.rowStart(), array.rows());
      case CONCAT_PANELS -> CodeBlock.of("$T.packConcatInto($L, parameters.get($S), $L, parameters.get($S), STATE, "
          + "$L, LANES, GROUP)", PACKING, name, array.parameter(), array.cols(), array.second(), array.rows());
      case UNIT_PANELS -> CodeBlock.of("$T.packUnitsInto($L, parameters.get($S), $L, parameters.get($S), STATE, GATE_ROWS / HIDDEN, "
          + "HIDDEN, LANES, UNIT_VECTORS)", PACKING, name, array.parameter(), array.cols(), array.second());
      case UNIT_BIAS -> array.parameter() == null
          ? CodeBlock.of("$T.unitsInto($N, $N, $L, HIDDEN, LANES, UNIT_VECTORS)", PACKING, name, array.second(), array.rows())
          : CodeBlock.of("$T.unitsInto($N, $N, $N, $L, HIDDEN, LANES, UNIT_VECTORS)", PACKING, name, array.second(), array.parameter(),
              array.rows());
      case PADDED_ROWS -> CodeBlock.of("$T.padRowsInto($N, parameters.get($S), $L, $L, $L)", PACKING, name,
          array.parameter(), array.rows(), array.cols(), stride(array.cols()));
    };
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
    for (WeightArray array : plan.weights()) {
      if (array.training() && !plan.training()) {
        continue;
      }
      if (array.packed()) {
        type.addField(FieldSpec.builder(PACKED_WEIGHTS, array.name(), Modifier.FINAL)
            .addJavadoc(array.doc() + (plan.weightPrecision() == WeightPrecision.BF16
                ? " (stored as bfloat16, mirrored 64-byte aligned for the vector kernels).\n"
                : " (mirrored 64-byte aligned for the vector kernels).\n")).build());
        boolean bf16 = plan.weightPrecision() == WeightPrecision.BF16;
        if (array.tiled()) {
          ctor.addStatement("$N = $T.allocate($L, VECTOR, $L, VECTOR ? new $T($L, $L, LANES, GROUP, TILE_PANELS) : null)",
              array.name(),
              PACKED_WEIGHTS, size(array), bf16, PACKED_WEIGHTS.nestedClass("TileLayout"), array.rows(),
              array.packedCols());
        } else if (bf16) {
          ctor.addStatement("$N = $T.allocate($L, VECTOR, true)", array.name(), PACKED_WEIGHTS, size(array));
        } else {
          ctor.addStatement("$N = $T.allocate($L, VECTOR)", array.name(), PACKED_WEIGHTS, size(array));
        }
        load.addStatement("$L", fill(array));
        load.addStatement("$N.publish()", array.name());
      } else {
        type.addField(FieldSpec.builder(FLOATS, array.name(), Modifier.FINAL).addJavadoc(array.doc() + ".\n").build());
        ctor.addStatement("$N = new float[$L]", array.name(), size(array));
        load.addStatement("$L", fill(array));
      }
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
    cell.inputBias(m);
    return m.build();
  }

  private MethodSpec checkShapes(ClassName model) {
    return MethodSpec.methodBuilder("checkShapes").addModifiers(Modifier.STATIC)
        .addParameter(MODEL_PARAMETERS, "parameters")
        .beginControlFlow("for ($T<String, int[]> e : CONFIG.parameterShapes().entrySet())", Map.Entry.class)
        .beginControlFlow("if (!parameters.names().contains(e.getKey()))")
        .addStatement("throw new IllegalArgumentException($S + e.getKey())", "parameters lack ")
        .endControlFlow()
        .beginControlFlow("if (!$T.equals(parameters.shape(e.getKey()), e.getValue()))", Arrays.class)
        .addStatement("throw new IllegalArgumentException(e.getKey() + \" has shape \" + "
            + "$T.toString(parameters.shape(e.getKey())) + \", $L expects \" + "
            + "$T.toString(e.getValue()))", Arrays.class, model.simpleName(), Arrays.class)
        .endControlFlow()
        .endControlFlow()
        .build();
  }
}
