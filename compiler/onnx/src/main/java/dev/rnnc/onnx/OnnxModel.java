package dev.rnnc.onnx;

import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX {@code ModelProto} rnnc reads: producer, operator sets and the main graph. Fields rnnc
 * has no use for (docs, metadata, training info, functions, subgraphs of control-flow nodes) are skipped.
 *
 * @param source      the file it came from, for messages
 * @param irVersion   ONNX IR version
 * @param producer    producer name and version, e.g. "pytorch 1.13.1"
 * @param opsets      operator set versions by domain ("" is the default ONNX domain)
 * @param graph       the main graph
 */
public record OnnxModel(String source, long irVersion, String producer, Map<String, Long> opsets, Graph graph) {

  /** The default-domain opset version (1 when the file does not say, as the ONNX spec prescribes). */
  public long opset() {
    Long version = opsets.get("");
    if (version == null) {
      version = opsets.get("ai.onnx");
    }
    return version == null ? 1 : version;
  }

  /**
   * A graph: nodes in file order, constant tensors by name, declared inputs and outputs.
   * {@code inputs} lists only real inputs (names that are also initializers are constants with a default,
   * as older exporters write them, and are left out).
   */
  public record Graph(String name, List<Node> nodes, Map<String, OnnxTensor> initializers, List<ValueInfo> inputs,
      List<ValueInfo> outputs) {}

  /** One operator application; an empty input name means an omitted optional input. */
  public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
      Map<String, Attribute> attributes) {

    /** "name (OpType)" for messages, with the first output standing in for a missing name. */
    public String describe() {
      String label = !name.isEmpty() ? name : outputs.isEmpty() ? "<unnamed>" : "<" + outputs.get(0) + ">";
      return "node '" + label + "' (" + opType + ")";
    }

    /** Input {@code index}, or "" when absent. */
    public String input(int index) {
      return index < inputs.size() ? inputs.get(index) : "";
    }

    /** Output {@code index}, or "" when absent. */
    public String output(int index) {
      return index < outputs.size() ? outputs.get(index) : "";
    }
  }

  /** Attribute value kinds, numbered as ONNX's {@code AttributeProto.AttributeType}. */
  public enum AttributeType {
    UNDEFINED, FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS, SPARSE_TENSOR,
    SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS;

    static AttributeType of(long number) {
      return number >= 0 && number < values().length ? values()[(int) number] : UNDEFINED;
    }
  }

  /**
   * One attribute; only the field that {@code type} names is meaningful.
   */
  public record Attribute(String name, AttributeType type, float f, long i, String s, OnnxTensor t, float[] floats,
      long[] ints, List<String> strings) {}

  /**
   * A declared graph input or output: element type (ONNX {@code TensorProto.DataType} number, 0 unknown) and
   * shape, each dimension a number or a symbolic name (null for a dimension with neither; null shape when
   * the rank is unknown).
   */
  public record ValueInfo(String name, int elementType, List<Object> shape) {
    public String describeShape() {
      if (shape == null) {
        return "[?]";
      }
      StringBuilder out = new StringBuilder("[");
      for (int k = 0; k < shape.size(); k++) {
        out.append(k > 0 ? ", " : "").append(shape.get(k) == null ? "?" : shape.get(k));
      }
      return out.append(']').toString();
    }
  }
}
