package dev.rnnc.onnx;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import java.util.List;

/**
 * An ONNX model imported as an rnnc model: an ordinary spec (YAML text, with a comment saying where it came
 * from), its configuration, and its parameters under rnnc's PyTorch-style names and gate orders.
 *
 * @param specYaml    the spec text {@code rnnc import} writes as {@code NAME.yaml}
 * @param config      the configuration that spec describes
 * @param parameters  the weights, as {@code NAME.safetensors} holds them
 * @param modelName   the class name the spec gives the model
 * @param packageName the package the spec gives it
 * @param inputs      how the ONNX graph's inputs map to rnnc's input, lengths, h0 and c0 arrays
 * @param outputs     how the ONNX graph's outputs map to rnnc's results
 * @param source      the ONNX file
 */
public record ImportedModel(String specYaml, ModelConfig config, ModelParameters parameters, String modelName,
    String packageName, List<Binding> inputs, List<Binding> outputs, String source) {
  public ImportedModel {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }
}
