package dev.rnnc.onnx;

import dev.rnnc.runtime.ModelConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Writes an imported model's spec: the ordinary YAML keys, preceded by comments saying where it came from. */
final class SpecText {
  private SpecText() {}

  static String write(ModelConfig config, String name, String pkg, Path onnxFile, OnnxModel model,
      List<Binding> inputs, List<Binding> outputs) {
    StringBuilder out = new StringBuilder();
    out.append("# Imported by 'rnnc import' from ").append(onnxFile.getFileName())
        .append(" (ONNX opset ").append(model.opset())
        .append(model.producer().isEmpty() ? "" : ", produced by " + model.producer()).append(").\n");
    out.append("# Weights: ").append(name).append(".safetensors (PyTorch names; ONNX gate blocks ")
        .append(GraphAnalyzer.onnxGates(config.cell())).append(" reordered to ")
        .append(GraphAnalyzer.rnncGates(config.cell())).append(").\n");
    for (Binding b : inputs) {
      out.append("# ONNX input  ").append(b.onnxName()).append(' ').append(b.describeAxes()).append(" -> ")
          .append(b.role().tensorName()).append('\n');
    }
    for (Binding b : outputs) {
      out.append("# ONNX output ").append(b.onnxName()).append(' ').append(b.describeAxes()).append(" <- ")
          .append(b.role().tensorName()).append('\n');
    }
    out.append("model: ").append(name).append('\n');
    out.append("package: ").append(pkg).append('\n');
    out.append("cell: ").append(lower(config.cell())).append('\n');
    if (config.cell() == ModelConfig.Cell.RNN) {
      out.append("nonlinearity: ").append(lower(config.nonlinearity())).append('\n');
    }
    if (config.cell() == ModelConfig.Cell.GRU) {
      out.append("gru_reset: ").append(lower(config.gruReset())).append('\n');
    }
    if (config.peepholes()) {
      out.append("peepholes: true\n");
    }
    if (config.hasEmbedding()) {
      out.append("embedding: {vocab: ").append(config.vocab()).append(", dim: ").append(config.inputSize()).append("}\n");
    } else {
      out.append("input: ").append(config.inputSize()).append('\n');
    }
    out.append("hidden: ").append(config.hidden()).append('\n');
    out.append("layers: ").append(config.layers()).append('\n');
    out.append("bidirectional: ").append(config.bidirectional()).append('\n');
    out.append("mode: ").append(lower(config.mode())).append('\n');
    if (config.hasHead()) {
      out.append("head:\n  size: ").append(config.headSize()).append("\n  activation: ")
          .append(lower(config.headActivation())).append('\n');
    }
    return out.toString();
  }

  private static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }
}
