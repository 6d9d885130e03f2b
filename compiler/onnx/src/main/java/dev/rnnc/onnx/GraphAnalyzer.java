package dev.rnnc.onnx;

import dev.rnnc.onnx.Value.Constant;
import dev.rnnc.onnx.Value.Data;
import dev.rnnc.onnx.Value.Ints;
import dev.rnnc.onnx.Value.Kind;
import dev.rnnc.onnx.Value.Unknown;
import dev.rnnc.onnx.Value.Zeros;
import dev.rnnc.runtime.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Recognises rnnc's model in an ONNX graph by abstract interpretation: every tensor gets a {@link Value} saying
 * what it is — a constant, a shape computed from the input, zeros, or data (the input, a layer's per-step output,
 * final states, logits) with each axis described by {@link Factor}s. Glue ops (Transpose, Reshape, Squeeze,
 * Unsqueeze, Concat, Slice, Gather, Shape arithmetic, Identity, Cast) move factors around; recurrent nodes check
 * that their input is the model input or the previous layer's full output; the head checks it reads the last
 * layer. Whatever the exporter's exact pattern, a graph is accepted exactly when its outputs are arrays rnnc
 * computes, in a layout {@link Binding} can describe.
 *
 * <p>A node the analysis cannot follow is recorded as a problem (one line naming the node and its op type) and
 * its outputs become {@link Unknown}, so that {@code rnnc inspect} can list every problem, not just the first.
 */
final class GraphAnalyzer {
  static final String SUPPORTED = "rnnc imports LSTM, GRU and RNN nodes, the glue exporters put between them"
      + " (Transpose, Squeeze, Unsqueeze, Reshape, Concat, Slice, Gather, Shape arithmetic, ConstantOfShape,"
      + " Identity, Cast, Dropout), an embedding (Gather on a constant table) and a MatMul+Add or Gemm head with"
      + " Softmax, Sigmoid or no activation";

  private static final Set<String> RECURRENT = Set.of("LSTM", "GRU", "RNN");

  /** A recurrent node accepted as one layer of the stack. */
  record Layer(OnnxModel.Node node, ModelConfig.Cell cell, int directions, int hidden, int inputSize,
      ModelConfig.Nonlinearity nonlinearity, ModelConfig.GruReset gruReset, boolean peepholes, String lengthsInput,
      float[] w, float[] r, float[] b, float[] p) {}

  private final OnnxModel model;
  private final String source;
  private final long opset;
  private final Map<String, Value> values = new HashMap<>();
  private final List<String> problems = new ArrayList<>();
  /** Per node, what the analysis made of it (for {@code rnnc inspect}). */
  private final Map<OnnxModel.Node, String> notes = new IdentityHashMap<>();
  private List<OnnxModel.Node> order = List.of();
  /** What graph input axes turned out to be: batch, time, a stack of states, a feature width. */
  private final Map<Factor, Factor> meaning = new HashMap<>();
  private final Map<String, Binding.Role> inputRoles = new LinkedHashMap<>();
  /** Rows of stacked initial-state inputs that layers took by Slice: row -> (layer, direction). */
  private final Map<Factor, Map<Integer, Factor.Slot>> rowSlots = new HashMap<>();
  private final Map<String, List<List<Factor>>> inputAxes = new LinkedHashMap<>();

  final List<Layer> layers = new ArrayList<>();
  private Factor batchFactor;
  private Factor timeFactor;
  // embedding
  float[] embedding;
  int vocab;
  int embeddingDim;
  // head
  float[] headWeight;
  float[] headBias;
  int headSize;
  ModelConfig.HeadActivation headActivation = ModelConfig.HeadActivation.LINEAR;
  private List<Factor.Slot> headSlots;
  boolean headOnFinalState;
  private OnnxModel.Node headNode;

  GraphAnalyzer(OnnxModel model) {
    this.model = model;
    this.source = model.source();
    this.opset = model.opset();
  }

  List<String> problems() {
    return problems;
  }

  /** Analyses the whole graph; problems are collected, structural errors (cycles, missing inputs) thrown. */
  void run() {
    if (opset < 7 || opset > 21) {
      problems.add(source + ": default-domain opset " + opset + " is outside the supported range 7-21");
    }
    order = GraphOrder.sort(model);
    OnnxModel.Graph graph = model.graph();
    graph.initializers().forEach((name, tensor) -> values.put(name, constant(tensor)));
    for (OnnxModel.ValueInfo input : graph.inputs()) {
      if (input.shape() == null) {
        values.put(input.name(), new Unknown());
        problems.add("graph input '" + input.name() + "' has no declared shape; rnnc needs at least its rank");
        continue;
      }
      List<List<Factor>> axes = new ArrayList<>();
      for (int k = 0; k < input.shape().size(); k++) {
        Object dim = input.shape().get(k);
        axes.add(List.of(new Factor.Free(input.name(), k, dim instanceof Long n ? n : -1)));
      }
      inputAxes.put(input.name(), axes);
      values.put(input.name(), new Data(Kind.GRAPH_INPUT, input.name(), axes));
    }
    Set<OnnxModel.Node> needed = needed(graph);
    for (OnnxModel.Node node : order) {
      if (!needed.contains(node)) {
        notes.put(node, "unused (does not reach a graph output)");
        continue;
      }
      Value[] outputs;
      boolean unknownInput = node.inputs().stream().anyMatch(in -> !in.isEmpty() && values.get(in) instanceof Unknown);
      if (unknownInput) {
        outputs = null;
        notes.put(node, "skipped (an input could not be analysed)");
      } else {
        try {
          outputs = evaluate(node);
        } catch (Unsupported e) {
          problems.add(node.describe() + ": " + e.getMessage());
          notes.put(node, "UNSUPPORTED: " + e.getMessage());
          outputs = null;
        }
      }
      for (int k = 0; k < node.outputs().size(); k++) {
        String name = node.outputs().get(k);
        if (!name.isEmpty()) {
          values.put(name, outputs != null && k < outputs.length && outputs[k] != null ? outputs[k] : new Unknown());
        }
      }
      if (outputs != null && !notes.containsKey(node)) {
        Value first = outputs.length > 0 ? outputs[0] : null;
        notes.put(node, "glue -> " + describe(first));
      }
    }
    if (problems.isEmpty() && layers.isEmpty()) {
      problems.add("no LSTM, GRU or RNN node reaches the graph outputs; " + SUPPORTED);
    }
  }

  /** Nodes some graph output depends on. */
  private Set<OnnxModel.Node> needed(OnnxModel.Graph graph) {
    Map<String, OnnxModel.Node> producer = new HashMap<>();
    graph.nodes().forEach(node -> node.outputs().forEach(out -> producer.put(out, node)));
    Set<OnnxModel.Node> needed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    java.util.ArrayDeque<String> work = new java.util.ArrayDeque<>();
    graph.outputs().forEach(out -> work.add(out.name()));
    Set<String> seen = new HashSet<>();
    while (!work.isEmpty()) {
      String name = work.poll();
      if (!seen.add(name)) {
        continue;
      }
      OnnxModel.Node node = producer.get(name);
      if (node != null && needed.add(node)) {
        node.inputs().stream().filter(in -> !in.isEmpty()).forEach(work::add);
      }
    }
    return needed;
  }

  /** A problem with one node, turned into a line naming the node by {@link #run()}. */
  static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unsupported(String message) {
      super(message, null, false, false);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Evaluation of one node

  private Value[] evaluate(OnnxModel.Node node) {
    if (!node.domain().isEmpty() && !node.domain().equals("ai.onnx")) {
      throw new Unsupported("domain '" + node.domain() + "' is not supported; " + SUPPORTED);
    }
    return switch (node.opType()) {
      case "Constant" -> new Value[] {constantNode(node)};
      case "Identity", "Cast", "Dropout" -> passThrough(node);
      case "Shape" -> new Value[] {shape(node)};
      case "Gather" -> new Value[] {gather(node)};
      case "Unsqueeze" -> new Value[] {unsqueeze(node)};
      case "Squeeze" -> new Value[] {squeeze(node)};
      case "Concat" -> new Value[] {concat(node)};
      case "Slice" -> new Value[] {slice(node)};
      case "Reshape" -> new Value[] {reshape(node)};
      case "Transpose" -> new Value[] {transpose(node)};
      case "ConstantOfShape" -> new Value[] {constantOfShape(node)};
      case "Expand" -> new Value[] {expand(node)};
      case "Add", "Sub", "Mul", "Div" -> new Value[] {arithmetic(node)};
      case "MatMul" -> new Value[] {matMul(node)};
      case "Gemm" -> new Value[] {gemm(node)};
      case "Softmax", "Sigmoid" -> new Value[] {activation(node)};
      case "LSTM", "GRU", "RNN" -> recurrent(node);
      default -> throw new Unsupported("op " + node.opType() + " is not supported; " + SUPPORTED);
    };
  }

  private Value input(OnnxModel.Node node, int index) {
    String name = node.input(index);
    if (name.isEmpty()) {
      return null;
    }
    return values.get(name);
  }

  private Value required(OnnxModel.Node node, int index) {
    Value value = input(node, index);
    if (value == null) {
      throw new Unsupported("input " + index + " is missing");
    }
    return value;
  }

  private static Value constant(OnnxTensor tensor) {
    if (tensor.isInteger() && tensor.rank() <= 1 && tensor.elementCount() <= 1024) {
      List<Object> elements = new ArrayList<>();
      for (long v : tensor.longs()) {
        elements.add(v);
      }
      return new Ints(tensor.rank() == 0, elements);
    }
    return new Constant(tensor);
  }

  private Value constantNode(OnnxModel.Node node) {
    OnnxModel.Attribute value = node.attributes().get("value");
    if (value != null && value.t() != null) {
      return constant(value.t());
    }
    if (node.attributes().containsKey("value_int")) {
      return new Ints(true, List.of(node.attributes().get("value_int").i()));
    }
    if (node.attributes().containsKey("value_ints")) {
      List<Object> elements = new ArrayList<>();
      for (long v : node.attributes().get("value_ints").ints()) {
        elements.add(v);
      }
      return new Ints(false, elements);
    }
    if (node.attributes().containsKey("value_float")) {
      return new Constant(OnnxTensor.ofFloats(node.output(0), new long[0],
          new float[] {node.attributes().get("value_float").f()}));
    }
    if (node.attributes().containsKey("value_floats")) {
      float[] floats = node.attributes().get("value_floats").floats();
      return new Constant(OnnxTensor.ofFloats(node.output(0), new long[] {floats.length}, floats));
    }
    throw new Unsupported("a Constant without a tensor, int(s) or float(s) value is not supported");
  }

  private Value[] passThrough(OnnxModel.Node node) {
    Value in = required(node, 0);
    if (node.opType().equals("Cast") && in instanceof Data data) {
      long to = intAttribute(node, "to", OnnxTensor.FLOAT);
      boolean isFloat = to == OnnxTensor.FLOAT || to == OnnxTensor.DOUBLE;
      if (!isFloat && data.kind() != Kind.GRAPH_INPUT) {
        throw new Unsupported("a Cast of model data to " + OnnxTensor.typeName((int) to) + " is not supported");
      }
    }
    if (node.opType().equals("Dropout") && node.outputs().size() > 1 && !node.output(1).isEmpty()) {
      throw new Unsupported("Dropout's mask output is not supported (inference needs none)");
    }
    return new Value[] {in};
  }

  private Value shape(OnnxModel.Node node) {
    Value in = required(node, 0);
    List<Object> dims = new ArrayList<>();
    if (in instanceof Data data) {
      for (List<Factor> axis : data.axes()) {
        dims.add(axisSize(axis));
      }
    } else if (in instanceof Ints ints) {
      if (!ints.scalar()) {
        dims.add((long) ints.elements().size());
      }
    } else if (in instanceof Constant constant) {
      for (long d : constant.tensor().dims()) {
        dims.add(d);
      }
    } else {
      throw new Unsupported("the shape of " + describe(in) + " is not known to rnnc");
    }
    int rank = dims.size();
    int start = (int) normalizeAxis(intAttribute(node, "start", 0), rank + 1);
    long endAttr = intAttribute(node, "end", rank);
    int end = (int) Math.min(rank, endAttr < 0 ? endAttr + rank : endAttr);
    return new Ints(false, dims.subList(Math.min(start, rank), Math.max(Math.min(start, rank), end)));
  }

  /** The size of an axis: a number when every factor is known, the factor itself when it is one symbolic factor. */
  private Object axisSize(List<Factor> axis) {
    if (axis.size() == 1 && axis.get(0).size() < 0) {
      return axis.get(0);
    }
    long size = 1;
    for (Factor factor : axis) {
      if (factor.size() < 0) {
        throw new Unsupported("the size of a merged axis " + axis + " is symbolic");
      }
      size *= factor.size();
    }
    return size;
  }

  private Value gather(OnnxModel.Node node) {
    Value data = required(node, 0);
    Value indices = required(node, 1);
    long axisAttr = intAttribute(node, "axis", 0);
    if (data instanceof Constant table && indices instanceof Data ids && ids.kind() == Kind.GRAPH_INPUT) {
      return embeddingLookup(node, table.tensor(), ids, axisAttr);
    }
    if (!(indices instanceof Ints index) || !index.allKnown()) {
      throw new Unsupported("Gather with indices " + describe(indices) + " is not supported");
    }
    if (data instanceof Zeros) {
      return data;
    }
    if (data instanceof Ints ints) {
      if (ints.scalar() || axisAttr != 0 && axisAttr != -1) {
        throw new Unsupported("Gather on a scalar is not supported");
      }
      List<Object> picked = new ArrayList<>();
      for (long i : index.longs()) {
        picked.add(ints.elements().get((int) normalizeIndex(i, ints.elements().size())));
      }
      return new Ints(index.scalar(), picked);
    }
    if (data instanceof Data d) {
      int axis = (int) normalizeAxis(axisAttr, d.rank());
      List<Factor> factors = d.axes().get(axis);
      if (isTimeAxis(d, factors)) {
        long[] picked = index.longs();
        if (picked.length != 1 || picked[0] != -1) {
          throw new Unsupported("Gather of step " + Arrays.toString(picked) + " of the per-step output is not supported"
              + " (only the last step, of a forward layer)");
        }
        return lastStep(d, axis, index.scalar());
      }
      if (factors.size() != 1 || !(factors.get(0) instanceof Factor.Stack stack)) {
        throw new Unsupported("Gather along axis " + axis + " of " + describe(d)
            + " is not supported (only along the layers/directions axis of states)");
      }
      List<Factor.Slot> picked = new ArrayList<>();
      for (long i : index.longs()) {
        picked.add(stack.slots().get((int) normalizeIndex(i, stack.slots().size())));
      }
      List<List<Factor>> axes = new ArrayList<>(d.axes());
      if (index.scalar()) {
        axes.set(axis, List.of(new Factor.Stack(picked)));
        return d.withAxes(removeAxis(axes, axis));
      }
      axes.set(axis, List.of(new Factor.Stack(picked)));
      return d.withAxes(axes);
    }
    throw new Unsupported("Gather on " + describe(data) + " is not supported");
  }

  private Value embeddingLookup(OnnxModel.Node node, OnnxTensor table, Data ids, long axis) {
    if (axis != 0 || table.rank() != 2 || !table.isFloatingPoint()) {
      throw new Unsupported("an embedding must be a Gather along axis 0 of a 2-D float table, got " + table);
    }
    if (embedding != null) {
      throw new Unsupported("a second embedding lookup is not supported");
    }
    long[] dims = table.dims();
    vocab = Math.toIntExact(dims[0]);
    embeddingDim = Math.toIntExact(dims[1]);
    embedding = table.floats();
    assignRole(ids.input(), Binding.Role.TOKENS);
    List<List<Factor>> axes = new ArrayList<>(ids.axes());
    axes.add(List.of(new Factor.Width("embedding", embeddingDim)));
    notes.put(node, "embedding " + vocab + " x " + embeddingDim + " -> embedding.weight; ids from '" + ids.input() + "'");
    return new Data(Kind.EMBEDDED, null, axes);
  }

  private Ints axesOperand(OnnxModel.Node node, int inputIndex) {
    OnnxModel.Attribute attribute = node.attributes().get("axes");
    if (attribute != null) {
      List<Object> elements = new ArrayList<>();
      for (long v : attribute.ints()) {
        elements.add(v);
      }
      return new Ints(false, elements);
    }
    Value value = input(node, inputIndex);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Ints ints) || !ints.allKnown()) {
      throw new Unsupported("axes must be constant, got " + describe(value));
    }
    return ints;
  }

  private Value unsqueeze(OnnxModel.Node node) {
    Value in = required(node, 0);
    Ints axesValue = axesOperand(node, 1);
    if (axesValue == null) {
      throw new Unsupported("Unsqueeze without axes");
    }
    long[] axes = axesValue.longs();
    if (in instanceof Zeros) {
      return in;
    }
    if (in instanceof Ints ints) {
      if (ints.scalar() && axes.length == 1) {
        return new Ints(false, ints.elements());
      }
      throw new Unsupported("Unsqueeze of " + describe(in) + " is not supported");
    }
    if (in instanceof Data d) {
      int rank = d.rank() + axes.length;
      long[] sorted = new long[axes.length];
      for (int k = 0; k < axes.length; k++) {
        sorted[k] = normalizeAxis(axes[k], rank);
      }
      Arrays.sort(sorted);
      List<List<Factor>> out = new ArrayList<>(d.axes());
      for (long a : sorted) {
        out.add((int) a, List.of());
      }
      return d.withAxes(out);
    }
    throw new Unsupported("Unsqueeze of " + describe(in) + " is not supported");
  }

  private Value squeeze(OnnxModel.Node node) {
    Value in = required(node, 0);
    Ints axesValue = axesOperand(node, 1);
    if (in instanceof Zeros) {
      return in;
    }
    if (in instanceof Ints ints) {
      if (!ints.scalar() && ints.elements().size() == 1) {
        return new Ints(true, ints.elements());
      }
      throw new Unsupported("Squeeze of " + describe(in) + " is not supported");
    }
    if (!(in instanceof Data d)) {
      throw new Unsupported("Squeeze of " + describe(in) + " is not supported");
    }
    List<Integer> remove = new ArrayList<>();
    if (axesValue == null) {
      for (int a = 0; a < d.rank(); a++) {
        if (isUnit(d.axes().get(a))) {
          remove.add(a);
        }
      }
    } else {
      for (long a : axesValue.longs()) {
        remove.add((int) normalizeAxis(a, d.rank()));
      }
    }
    remove.sort(java.util.Comparator.reverseOrder());
    List<List<Factor>> axes = new ArrayList<>(d.axes());
    for (int a : remove) {
      axes = removeAxis(axes, a);
    }
    return d.withAxes(axes);
  }

  private static boolean isUnit(List<Factor> axis) {
    return axis.stream().allMatch(f -> f.size() == 1);
  }

  /**
   * Removes a size-1 axis. A one-slot stack on it (which layer and direction a state belongs to) is not lost:
   * it moves next to the hidden width, where it describes the same elements.
   */
  private List<List<Factor>> removeAxis(List<List<Factor>> axes, int index) {
    List<Factor> removed = axes.get(index);
    if (!isUnit(removed)) {
      throw new Unsupported("axis " + index + " (" + removed + ") does not have size 1");
    }
    List<List<Factor>> out = new ArrayList<>(axes);
    out.remove(index);
    List<Factor> keep = removed.stream().filter(f -> f instanceof Factor.Stack).toList();
    if (keep.isEmpty()) {
      return out;
    }
    for (int a = 0; a < out.size(); a++) {
      List<Factor> axis = out.get(a);
      for (int k = 0; k < axis.size(); k++) {
        if (axis.get(k) instanceof Factor.Width width && width.role().equals("hidden")) {
          List<Factor> merged = new ArrayList<>(axis.subList(0, k));
          merged.addAll(keep);
          merged.addAll(axis.subList(k, axis.size()));
          out.set(a, merged);
          return out;
        }
      }
    }
    throw new Unsupported("removing the states axis " + removed + " loses which layer and direction they are");
  }

  private Value concat(OnnxModel.Node node) {
    List<Value> parts = new ArrayList<>();
    for (int k = 0; k < node.inputs().size(); k++) {
      parts.add(required(node, k));
    }
    if (parts.stream().allMatch(p -> p instanceof Zeros)) {
      return new Zeros();
    }
    if (parts.stream().allMatch(p -> p instanceof Ints)) {
      List<Object> elements = new ArrayList<>();
      parts.forEach(p -> elements.addAll(((Ints) p).elements()));
      return new Ints(false, elements);
    }
    if (!parts.stream().allMatch(p -> p instanceof Data)) {
      throw new Unsupported("Concat of " + parts.stream().map(GraphAnalyzer::describe).toList() + " is not supported");
    }
    Data first = (Data) parts.get(0);
    int axis = (int) normalizeAxis(intAttribute(node, "axis", 0), first.rank());
    List<Factor.Slot> slots = new ArrayList<>();
    List<Factor> rest = null;
    for (Value part : parts) {
      Data d = (Data) part;
      if (d.kind() != first.kind() || d.rank() != first.rank()) {
        throw new Unsupported("Concat of different kinds of data: " + describe(first) + " and " + describe(d));
      }
      for (int a = 0; a < d.rank(); a++) {
        if (a != axis && !d.axes().get(a).equals(first.axes().get(a))) {
          throw new Unsupported("Concat of data whose other axes differ: " + describe(first) + " and " + describe(d));
        }
      }
      List<Factor> factors = d.axes().get(axis);
      if (factors.isEmpty() || !(factors.get(0) instanceof Factor.Stack stack)) {
        throw new Unsupported("Concat along axis " + axis + " of " + describe(d)
            + " is not supported (only of layers' states or directions)");
      }
      List<Factor> tail = factors.subList(1, factors.size());
      if (rest != null && !rest.equals(tail)) {
        throw new Unsupported("Concat of states of different shapes");
      }
      rest = tail;
      slots.addAll(stack.slots());
    }
    List<Factor> joined = new ArrayList<>();
    joined.add(new Factor.Stack(slots));
    joined.addAll(rest);
    List<List<Factor>> axes = new ArrayList<>(first.axes());
    axes.set(axis, joined);
    return first.withAxes(axes);
  }

  private Value slice(OnnxModel.Node node) {
    Value in = required(node, 0);
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps;
    if (opset < 10) {
      starts = longsAttribute(node, "starts");
      ends = longsAttribute(node, "ends");
      axes = node.attributes().containsKey("axes") ? longsAttribute(node, "axes") : null;
      steps = null;
    } else {
      starts = knownLongs(required(node, 1), "starts");
      ends = knownLongs(required(node, 2), "ends");
      axes = input(node, 3) == null ? null : knownLongs(input(node, 3), "axes");
      steps = input(node, 4) == null ? null : knownLongs(input(node, 4), "steps");
    }
    if (in instanceof Zeros) {
      return in;
    }
    if (in instanceof Ints ints && !ints.scalar()) {
      if (starts.length != 1) {
        throw new Unsupported("Slice of a 1-D tensor with " + starts.length + " ranges");
      }
      List<Integer> picked = sliceIndices(ints.elements().size(), starts[0], ends[0], steps == null ? 1 : steps[0]);
      List<Object> elements = new ArrayList<>();
      picked.forEach(i -> elements.add(ints.elements().get(i)));
      return new Ints(false, elements);
    }
    if (!(in instanceof Data d)) {
      throw new Unsupported("Slice of " + describe(in) + " is not supported");
    }
    List<List<Factor>> out = new ArrayList<>(d.axes());
    for (int k = 0; k < starts.length; k++) {
      int axis = (int) normalizeAxis(axes == null ? k : axes[k], d.rank());
      long step = steps == null ? 1 : steps[k];
      List<Factor> factors = out.get(axis);
      if (factors.size() == 1 && factors.get(0) instanceof Factor.Stack stack) {
        List<Factor.Slot> picked = new ArrayList<>();
        sliceIndices(stack.slots().size(), starts[k], ends[k], step).forEach(i -> picked.add(stack.slots().get(i)));
        if (picked.isEmpty()) {
          throw new Unsupported("Slice selects nothing");
        }
        out.set(axis, List.of(new Factor.Stack(picked)));
        continue;
      }
      if (d.kind() == Kind.GRAPH_INPUT && factors.size() == 1 && factors.get(0) instanceof Factor.Free free
          && step == 1 && starts[k] >= 0 && ends[k] > starts[k]
          && (ends[k] < Integer.MAX_VALUE || free.size() >= 0)) {
        long end = free.size() >= 0 ? Math.min(ends[k], free.size()) : ends[k];
        out.set(axis, List.of(new Factor.Rows(free, (int) starts[k], (int) end)));
        continue;
      }
      if (isTimeAxis(d, factors) && starts[k] == -1 && step == 1 && ends[k] >= Integer.MAX_VALUE) {
        d = (Data) lastStep(d.withAxes(out), axis, false);
        out = new ArrayList<>(d.axes());
        continue;
      }
      boolean whole = step == 1 && starts[k] == 0 && ends[k] >= Integer.MAX_VALUE;
      Object size = axisSize(factors);
      if (!whole && !(size instanceof Long n && step == 1 && starts[k] == 0 && ends[k] >= n)) {
        throw new Unsupported("Slice of axis " + axis + " (" + factors + ") of " + describe(d)
            + " is not supported (rnnc keeps whole sequences, batches and features)");
      }
    }
    return d.withAxes(out);
  }

  private boolean isTimeAxis(Data d, List<Factor> factors) {
    return d.kind() == Kind.Y && timeFactor != null && factors.equals(List.of(timeFactor));
  }

  /**
   * The last step of a layer's per-step output ({@code y[:, -1]}): for a forward layer without sequence_lens it is
   * exactly the layer's final hidden state, which is what rnnc's many-to-one features are made of. For a backward
   * direction it is the state after one step, and with lengths the padded steps are zeros: both refused.
   */
  private Value lastStep(Data d, int axis, boolean dropAxis) {
    for (List<Factor> factors : d.axes()) {
      for (Factor factor : factors) {
        if (factor instanceof Factor.Stack stack) {
          for (Factor.Slot slot : stack.slots()) {
            Layer layer = layers.get(slot.layer());
            if (slot.direction() != 0 || layer.directions() != 1) {
              throw new Unsupported("the last step of a bidirectional layer's output is not its final state"
                  + " (the backward direction has run one step there); use h_n instead");
            }
            if (layer.lengthsInput() != null) {
              throw new Unsupported("the last step of the per-step output is not the final state when sequence_lens"
                  + " pads shorter sequences; use Y_h instead");
            }
          }
        }
      }
    }
    List<List<Factor>> axes = new ArrayList<>(d.axes());
    if (dropAxis) {
      axes.remove(axis);
    } else {
      axes.set(axis, List.of());
    }
    return new Data(Kind.H, null, axes);
  }

  /** Indices a Slice picks from an axis of {@code size}, with ONNX's clamping rules. */
  private static List<Integer> sliceIndices(int size, long start, long end, long step) {
    if (step == 0) {
      throw new Unsupported("Slice step 0");
    }
    long s = start < 0 ? start + size : start;
    long e = end < 0 ? end + size : end;
    List<Integer> out = new ArrayList<>();
    if (step > 0) {
      s = Math.max(0, Math.min(size, s));
      e = Math.max(0, Math.min(size, e));
      for (long i = s; i < e; i += step) {
        out.add((int) i);
      }
    } else {
      s = Math.max(-1, Math.min(size - 1, s));
      e = Math.max(-1, Math.min(size - 1, e));
      for (long i = s; i > e; i += step) {
        out.add((int) i);
      }
    }
    return out;
  }

  private Value transpose(OnnxModel.Node node) {
    Value in = required(node, 0);
    if (in instanceof Zeros) {
      return in;
    }
    if (in instanceof Constant constant && constant.tensor().rank() == 2 && constant.tensor().isFloatingPoint()) {
      int[] perm = permutation(node, 2);
      if (perm[0] == 0) {
        return in;
      }
      long[] dims = constant.tensor().dims();
      float[] values = constant.tensor().floats();
      int rows = (int) dims[0];
      int cols = (int) dims[1];
      float[] out = new float[values.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          out[c * rows + r] = values[r * cols + c];
        }
      }
      return new Constant(OnnxTensor.ofFloats(node.output(0), new long[] {cols, rows}, out));
    }
    if (!(in instanceof Data d)) {
      throw new Unsupported("Transpose of " + describe(in) + " is not supported");
    }
    int[] perm = permutation(node, d.rank());
    List<List<Factor>> out = new ArrayList<>();
    for (int a = 0; a < d.rank(); a++) {
      out.add(d.axes().get(perm[a]));
    }
    return d.withAxes(out);
  }

  /** A Transpose's {@code perm} (default: the axes reversed), checked to be a permutation of {@code rank} axes. */
  private static int[] permutation(OnnxModel.Node node, int rank) {
    int[] perm = new int[rank];
    if (!node.attributes().containsKey("perm")) {
      for (int a = 0; a < rank; a++) {
        perm[a] = rank - 1 - a;
      }
      return perm;
    }
    long[] given = longsAttribute(node, "perm");
    if (given.length != rank) {
      throw new Unsupported("Transpose perm " + Arrays.toString(given) + " names " + given.length
          + " axes, but its input has " + rank);
    }
    boolean[] seen = new boolean[rank];
    for (int a = 0; a < rank; a++) {
      perm[a] = (int) normalizeAxis(given[a], rank);
      if (seen[perm[a]]) {
        throw new Unsupported("Transpose perm " + Arrays.toString(given) + " names axis " + perm[a] + " twice");
      }
      seen[perm[a]] = true;
    }
    return perm;
  }

  private Value reshape(OnnxModel.Node node) {
    Value in = required(node, 0);
    Value shapeValue = required(node, 1);
    if (in instanceof Zeros) {
      return in;
    }
    if (!(shapeValue instanceof Ints target)) {
      throw new Unsupported("Reshape to " + describe(shapeValue) + " is not supported");
    }
    if (!(in instanceof Data d)) {
      throw new Unsupported("Reshape of " + describe(in) + " is not supported");
    }
    boolean allowZero = intAttribute(node, "allowzero", 0) != 0;
    List<Object> dims = target.elements();
    List<Factor> flat = new ArrayList<>();
    int[] axisStart = new int[d.rank() + 1];
    for (int a = 0; a < d.rank(); a++) {
      axisStart[a] = flat.size();
      flat.addAll(d.axes().get(a));
    }
    axisStart[d.rank()] = flat.size();
    int inferred = -1;
    for (int j = 0; j < dims.size(); j++) {
      if (dims.get(j) instanceof Long n && n == -1) {
        inferred = j;
      }
    }
    List<List<Factor>> out = new ArrayList<>();
    for (int j = 0; j < dims.size(); j++) {
      out.add(null);
    }
    int lo = 0;
    int hi = flat.size();
    int leftEnd = inferred < 0 ? dims.size() : inferred;
    for (int j = 0; j < leftEnd; j++) {
      Object dim = dims.get(j);
      List<Factor> taken = new ArrayList<>();
      if (dim instanceof Long n && n == 0 && !allowZero) {
        if (j >= d.rank() || lo != axisStart[j]) {
          throw new Unsupported("Reshape copies dimension " + j + " from an input that was already regrouped");
        }
        taken.addAll(d.axes().get(j));
        lo = axisStart[j + 1];
      } else if (dim instanceof Factor factor) {
        if (lo >= hi || !flat.get(lo).equals(factor)) {
          throw new Unsupported("Reshape dimension " + j + " (" + factor + ") does not line up with " + describe(d));
        }
        taken.add(flat.get(lo++));
      } else {
        long n = (Long) dim;
        long product = 1;
        while (product < n && lo < hi) {
          Factor factor = flat.get(lo);
          if (factor.size() < 0) {
            throw new Unsupported("Reshape to " + dims + " splits or merges a symbolic dimension of " + describe(d));
          }
          product *= factor.size();
          taken.add(factor);
          lo++;
        }
        if (product != n) {
          throw new Unsupported("Reshape to " + dims + " does not regroup whole axes of " + describe(d));
        }
      }
      out.set(j, taken);
    }
    if (inferred >= 0) {
      for (int j = dims.size() - 1; j > inferred; j--) {
        Object dim = dims.get(j);
        List<Factor> taken = new ArrayList<>();
        if (dim instanceof Long n && n == 0 && !allowZero) {
          if (j >= d.rank() || hi != axisStart[j + 1] || axisStart[j] < lo) {
            throw new Unsupported("Reshape copies dimension " + j + " from an input that was already regrouped");
          }
          taken.addAll(d.axes().get(j));
          hi = axisStart[j];
        } else if (dim instanceof Factor factor) {
          if (hi <= lo || !flat.get(hi - 1).equals(factor)) {
            throw new Unsupported("Reshape dimension " + j + " (" + factor + ") does not line up with " + describe(d));
          }
          taken.add(flat.get(--hi));
        } else {
          long n = (Long) dim;
          long product = 1;
          while (product < n && hi > lo) {
            Factor factor = flat.get(hi - 1);
            if (factor.size() < 0) {
              throw new Unsupported("Reshape to " + dims + " splits or merges a symbolic dimension of " + describe(d));
            }
            product *= factor.size();
            taken.add(0, factor);
            hi--;
          }
          if (product != n) {
            throw new Unsupported("Reshape to " + dims + " does not regroup whole axes of " + describe(d));
          }
        }
        out.set(j, taken);
      }
      out.set(inferred, new ArrayList<>(flat.subList(lo, hi)));
      lo = hi;
    }
    if (lo < hi) {
      List<Factor> leftover = flat.subList(lo, hi);
      if (!isUnit(leftover) || out.isEmpty()) {
        throw new Unsupported("Reshape to " + dims + " drops part of " + describe(d));
      }
      out.get(out.size() - 1).addAll(leftover);
    }
    return d.withAxes(out);
  }

  private Value constantOfShape(OnnxModel.Node node) {
    required(node, 0);
    OnnxModel.Attribute value = node.attributes().get("value");
    if (value != null && value.t() != null) {
      OnnxTensor t = value.t();
      boolean zero = t.isFloatingPoint() ? allZero(t.floats()) : Arrays.stream(t.longs()).allMatch(v -> v == 0);
      if (!zero) {
        throw new Unsupported("ConstantOfShape with a non-zero value is not supported");
      }
    }
    return new Zeros();
  }

  private static boolean allZero(float[] values) {
    for (float v : values) {
      if (v != 0) {
        return false;
      }
    }
    return true;
  }

  private Value expand(OnnxModel.Node node) {
    Value in = required(node, 0);
    if (in instanceof Zeros) {
      return in;
    }
    if (in instanceof Constant constant && allZero(constant.tensor().isFloatingPoint() ? constant.tensor().floats()
        : new float[] {1})) {
      return new Zeros();
    }
    throw new Unsupported("Expand of " + describe(in) + " is not supported");
  }

  private Value arithmetic(OnnxModel.Node node) {
    Value a = required(node, 0);
    Value b = required(node, 1);
    if (a instanceof Ints x && b instanceof Ints y && x.allKnown() && y.allKnown()) {
      long[] xs = x.longs();
      long[] ys = y.longs();
      int n = Math.max(xs.length, ys.length);
      if (xs.length != n && xs.length != 1 || ys.length != n && ys.length != 1) {
        throw new Unsupported(node.opType() + " of integer vectors of lengths " + xs.length + " and " + ys.length);
      }
      List<Object> out = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        long p = xs[xs.length == 1 ? 0 : k];
        long q = ys[ys.length == 1 ? 0 : k];
        out.add(switch (node.opType()) {
          case "Add" -> p + q;
          case "Sub" -> p - q;
          case "Mul" -> p * q;
          default -> {
            if (q == 0) {
              throw new Unsupported("integer division by zero");
            }
            yield Math.floorDiv(p, q);
          }
        });
      }
      return new Ints(x.scalar() && y.scalar(), out);
    }
    if (node.opType().equals("Add")) {
      Data logits = a instanceof Data d && d.kind() == Kind.LOGITS_NO_BIAS ? d
          : b instanceof Data d2 && d2.kind() == Kind.LOGITS_NO_BIAS ? d2 : null;
      Value other = logits == a ? b : a;
      if (logits != null && other instanceof Constant bias && bias.tensor().isFloatingPoint()
          && bias.tensor().elementCount() == headSize && lastDim(bias.tensor()) == headSize) {
        headBias = bias.tensor().floats();
        notes.put(node, "head bias [" + headSize + "] -> head.bias");
        return logits.withKind(Kind.LOGITS);
      }
    }
    throw new Unsupported(node.opType() + " of " + describe(a) + " and " + describe(b)
        + " is not supported (only Add of the head's bias after its MatMul, and integer shape arithmetic)");
  }

  private static long lastDim(OnnxTensor tensor) {
    long[] dims = tensor.dims();
    return dims.length == 0 ? 1 : dims[dims.length - 1];
  }

  private Value matMul(OnnxModel.Node node) {
    Value a = required(node, 0);
    Value b = required(node, 1);
    if (!(a instanceof Data features) || !(b instanceof Constant weight) || weight.tensor().rank() != 2) {
      throw new Unsupported("MatMul of " + describe(a) + " and " + describe(b)
          + " is not supported (only the head: model features times a constant [features, outputs] matrix)");
    }
    long[] dims = weight.tensor().dims();
    headWeight = transposed(weight.tensor().floats(), (int) dims[0], (int) dims[1]);
    return startHead(node, features, (int) dims[0], (int) dims[1], Kind.LOGITS_NO_BIAS);
  }

  private Value gemm(OnnxModel.Node node) {
    Value a = required(node, 0);
    Value b = required(node, 1);
    Value c = input(node, 2);
    if (intAttribute(node, "transA", 0) != 0 || floatAttribute(node, "alpha", 1f) != 1f
        || floatAttribute(node, "beta", 1f) != 1f) {
      throw new Unsupported("Gemm with transA, alpha or beta other than 0, 1, 1 is not supported");
    }
    if (!(a instanceof Data features) || !(b instanceof Constant weight) || weight.tensor().rank() != 2
        || c != null && !(c instanceof Constant)) {
      throw new Unsupported("Gemm of " + describe(a) + " and " + describe(b)
          + " is not supported (only the head: model features times a constant matrix plus a constant bias)");
    }
    long[] dims = weight.tensor().dims();
    boolean transB = intAttribute(node, "transB", 0) != 0;
    int in = (int) (transB ? dims[1] : dims[0]);
    int out = (int) (transB ? dims[0] : dims[1]);
    float[] w = weight.tensor().floats();
    headWeight = transB ? w : transposed(w, in, out);
    Data logits = (Data) startHead(node, features, in, out, Kind.LOGITS);
    if (c != null) {
      OnnxTensor bias = ((Constant) c).tensor();
      if (bias.elementCount() != out && bias.elementCount() != 1) {
        throw new Unsupported("Gemm bias " + bias + " does not broadcast as a per-output bias");
      }
      float[] values = bias.floats();
      headBias = values.length == out ? values : filled(out, values[0]);
    } else {
      headBias = new float[out];
    }
    return logits;
  }

  private static float[] filled(int n, float value) {
    float[] out = new float[n];
    Arrays.fill(out, value);
    return out;
  }

  private static float[] transposed(float[] values, int rows, int cols) {
    float[] out = new float[values.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = values[r * cols + c];
      }
    }
    return out;
  }

  /** Checks that {@code features} is what rnnc's head reads and records the head's input and size. */
  private Value startHead(OnnxModel.Node node, Data features, int in, int out, Kind kind) {
    if (headNode != null) {
      throw new Unsupported("a second head (after " + headNode.describe() + ") is not supported");
    }
    if (features.kind() != Kind.Y && features.kind() != Kind.H) {
      throw new Unsupported("the head reads " + describe(features)
          + "; rnnc's head reads the last layer's per-step output or its final hidden states");
    }
    features = foldSingleSlot(features);
    List<Factor> last = features.axes().get(features.rank() - 1);
    if (last.size() != 2 || !(last.get(0) instanceof Factor.Stack stack)
        || !(last.get(1) instanceof Factor.Width width) || !width.role().equals("hidden")) {
      throw new Unsupported("the head reads " + describe(features)
          + ", whose last axis is not [directions·hidden] of one layer");
    }
    for (int a = 0; a < features.rank() - 1; a++) {
      if (features.axes().get(a).stream().anyMatch(f -> f instanceof Factor.Stack)) {
        throw new Unsupported("the head reads " + describe(features) + ", several layers' or directions' states at once");
      }
    }
    if (stack.size() * width.width() != in) {
      throw new Unsupported("the head's weight expects " + in + " features but reads " + stack.size() * width.width());
    }
    headNode = node;
    headSlots = stack.slots();
    headOnFinalState = features.kind() == Kind.H;
    headSize = out;
    List<List<Factor>> axes = new ArrayList<>(features.axes());
    axes.set(axes.size() - 1, List.of(new Factor.Width("head", out)));
    notes.put(node, "head " + in + " -> " + out + " over " + (headOnFinalState ? "the final hidden states "
        + headSlots + " (many_to_one)" : "the per-step output (many_to_many)") + " -> head.weight"
        + (kind == Kind.LOGITS ? ", head.bias" : ""));
    return new Data(kind, null, axes);
  }

  /**
   * A head applied straight to a unidirectional layer's {@code Y_h} ({@code [1, batch, hidden]}) keeps the
   * one-slot states axis in front; it describes the same elements as that slot folded into the feature axis.
   */
  private static Data foldSingleSlot(Data d) {
    List<Factor> last = d.axes().get(d.rank() - 1);
    if (last.size() != 1 || !(last.get(0) instanceof Factor.Width)) {
      return d;
    }
    for (int a = 0; a < d.rank() - 1; a++) {
      List<Factor> axis = d.axes().get(a);
      if (axis.size() == 1 && axis.get(0) instanceof Factor.Stack stack && stack.size() == 1) {
        List<List<Factor>> axes = new ArrayList<>(d.axes());
        axes.set(a, List.of());
        axes.set(d.rank() - 1, List.of(stack, last.get(0)));
        return d.withAxes(axes);
      }
    }
    return d;
  }

  private Value activation(OnnxModel.Node node) {
    Value in = required(node, 0);
    if (!(in instanceof Data logits) || logits.kind() != Kind.LOGITS && logits.kind() != Kind.LOGITS_NO_BIAS) {
      throw new Unsupported(node.opType() + " of " + describe(in) + " is not supported (only on the head's logits)");
    }
    if (logits.kind() == Kind.LOGITS_NO_BIAS) {
      headBias = new float[headSize];
    }
    if (node.opType().equals("Softmax")) {
      long axis = normalizeAxis(intAttribute(node, "axis", opset >= 13 ? -1 : 1), logits.rank());
      if (axis != logits.rank() - 1) {
        throw new Unsupported("Softmax over axis " + axis + " is not supported (only over the outputs, the last axis)");
      }
      headActivation = ModelConfig.HeadActivation.SOFTMAX;
    } else {
      headActivation = ModelConfig.HeadActivation.SIGMOID;
    }
    notes.put(node, "head activation " + headActivation.name().toLowerCase(Locale.ROOT));
    return logits.withKind(Kind.PREDICTION);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Recurrent nodes

  private Value[] recurrent(OnnxModel.Node node) {
    ModelConfig.Cell cell = ModelConfig.Cell.valueOf(node.opType());
    int gates = cell.gates();
    String direction = stringAttribute(node, "direction", "forward").toLowerCase(Locale.ROOT);
    int dirs = switch (direction) {
      case "forward" -> 1;
      case "bidirectional" -> 2;
      case "reverse" -> throw new Unsupported("direction 'reverse' alone is not supported; rnnc runs backward"
          + " directions only inside bidirectional layers (direction forward or bidirectional)");
      default -> throw new Unsupported("unknown direction '" + direction + "'");
    };
    if (node.attributes().containsKey("clip")) {
      throw new Unsupported("clip is not supported (rnnc's cells do not clip); supported: default activations,"
          + " no clip, no input_forget");
    }
    if (intAttribute(node, "input_forget", 0) != 0) {
      throw new Unsupported("input_forget=1 (coupled input and forget gates) is not supported");
    }
    if (node.attributes().containsKey("activation_alpha") || node.attributes().containsKey("activation_beta")) {
      throw new Unsupported("activation_alpha/activation_beta are not supported (only default activations)");
    }
    ModelConfig.Nonlinearity nonlinearity = checkActivations(node, cell, dirs);
    long layout = intAttribute(node, "layout", 0);
    if (layout != 0 && layout != 1) {
      throw new Unsupported("layout " + layout + " is not 0 or 1");
    }
    ModelConfig.GruReset gruReset = ModelConfig.GruReset.AFTER;
    if (cell == ModelConfig.Cell.GRU) {
      gruReset = intAttribute(node, "linear_before_reset", 0) != 0 ? ModelConfig.GruReset.AFTER
          : ModelConfig.GruReset.BEFORE;
    }

    float[] w = weight(node, 1, "W");
    float[] r = weight(node, 2, "R");
    long[] wDims = ((Constant) input(node, 1)).tensor().dims();
    long[] rDims = ((Constant) input(node, 2)).tensor().dims();
    if (wDims.length != 3 || rDims.length != 3 || wDims[0] != dirs || rDims[0] != dirs) {
      throw new Unsupported("W " + Arrays.toString(wDims) + " and R " + Arrays.toString(rDims)
          + " must be [directions, gates*hidden, input] and [directions, gates*hidden, hidden]");
    }
    int hidden = (int) rDims[2];
    long hiddenAttr = intAttribute(node, "hidden_size", hidden);
    if (hiddenAttr != hidden || rDims[1] != (long) gates * hidden || wDims[1] != (long) gates * hidden) {
      throw new Unsupported("hidden_size " + hiddenAttr + " does not match W " + Arrays.toString(wDims) + " and R "
          + Arrays.toString(rDims));
    }
    int inputSize = (int) wDims[2];
    float[] b = optionalWeight(node, 3, "B", (long) dirs * 2 * gates * hidden);
    float[] p = cell == ModelConfig.Cell.LSTM ? optionalWeight(node, 7, "P", (long) dirs * 3 * hidden) : null;

    Value xValue = required(node, 0);
    if (!(xValue instanceof Data x) || x.rank() != 3) {
      throw new Unsupported("input X is " + describe(xValue) + ", not a 3-D data tensor");
    }
    List<List<Factor>> xAxes = x.axes();
    List<Factor> timeAxis = xAxes.get(layout == 0 ? 0 : 1);
    List<Factor> batchAxis = xAxes.get(layout == 0 ? 1 : 0);
    List<Factor> featureAxis = xAxes.get(2);
    if (timeAxis.size() != 1 || batchAxis.size() != 1) {
      throw new Unsupported("input X " + describe(x) + " does not have plain time and batch axes");
    }
    int layer = layers.size();
    if (layer == 0) {
      if (x.kind() == Kind.GRAPH_INPUT) {
        if (featureAxis.size() != 1 || !(featureAxis.get(0) instanceof Factor.Free feature)) {
          throw new Unsupported("input X " + describe(x) + " does not have a plain feature axis");
        }
        if (feature.size() >= 0 && feature.size() != inputSize) {
          throw new Unsupported("input '" + x.input() + "' has " + feature.size() + " features, W expects " + inputSize);
        }
        assignRole(x.input(), Binding.Role.INPUT);
        meaning.put(feature, new Factor.Width("input", inputSize));
      } else if (x.kind() == Kind.EMBEDDED) {
        if (!featureAxis.equals(List.of(new Factor.Width("embedding", embeddingDim))) || embeddingDim != inputSize) {
          throw new Unsupported("the embedding's output does not feed X as [time, batch, embedding]");
        }
      } else {
        throw new Unsupported("input X is " + describe(x) + "; the first recurrent layer must read a graph input"
            + " or an embedding of one");
      }
      timeFactor = timeAxis.get(0);
      batchFactor = batchAxis.get(0);
      bindMeaning(timeFactor, Factor.Named.TIME);
      bindMeaning(batchFactor, Factor.Named.BATCH);
    } else {
      Layer previous = layers.get(layer - 1);
      List<Factor> expected = List.of(new Factor.Stack(slots(layer - 1, previous.directions())),
          new Factor.Width("hidden", previous.hidden()));
      if (x.kind() != Kind.Y || !featureAxis.equals(expected) || !timeAxis.get(0).equals(timeFactor)
          || !batchAxis.get(0).equals(batchFactor)) {
        throw new Unsupported("input X is " + describe(x) + "; layer " + layer + " must read layer " + (layer - 1)
            + "'s whole per-step output [" + (layout == 0 ? "time, batch" : "batch, time") + ", directions·hidden]");
      }
      if (previous.cell() != cell || previous.directions() != dirs || previous.hidden() != hidden
          || previous.nonlinearity() != nonlinearity || previous.gruReset() != gruReset
          || (previous.p() != null) != (p != null)) {
        throw new Unsupported("layer " + layer + " differs from layer 0 in cell, direction, hidden size or options;"
            + " rnnc stacks identical layers");
      }
    }

    String lengths = null;
    Value lengthsValue = input(node, 4);
    if (lengthsValue instanceof Data lens && lens.kind() == Kind.GRAPH_INPUT && lens.rank() == 1) {
      lengths = lens.input();
      assignRole(lengths, Binding.Role.LENGTHS);
      bindMeaning(lens.axes().get(0).get(0), Factor.Named.BATCH);
    } else if (lengthsValue != null) {
      throw new Unsupported("sequence_lens is " + describe(lengthsValue) + "; rnnc takes it from a graph input [batch]");
    }
    if (layer > 0 && !java.util.Objects.equals(lengths, layers.get(0).lengthsInput())) {
      throw new Unsupported("layer " + layer + " uses different sequence_lens than layer 0");
    }
    List<Factor.Slot> slots = slots(layer, dirs);
    initialState(node, 5, "initial_h", Binding.Role.H0, slots, hidden, layout);
    if (cell == ModelConfig.Cell.LSTM) {
      initialState(node, 6, "initial_c", Binding.Role.C0, slots, hidden, layout);
    }

    layers.add(new Layer(node, cell, dirs, hidden, inputSize, nonlinearity, gruReset, p != null, lengths, w, r, b, p));
    Factor.Stack stack = new Factor.Stack(slots);
    Factor.Width width = new Factor.Width("hidden", hidden);
    Factor time = timeFactor;
    Factor batch = batchFactor;
    Data y = new Data(Kind.Y, null, layout == 0
        ? List.of(List.of(time), List.of(stack), List.of(batch), List.of(width))
        : List.of(List.of(batch), List.of(time), List.of(stack), List.of(width)));
    Data yh = new Data(Kind.H, null, layout == 0
        ? List.of(List.of(stack), List.of(batch), List.of(width))
        : List.of(List.of(batch), List.of(stack), List.of(width)));
    Data yc = yh.withKind(Kind.C);
    String names = ModelConfig.weightIh(layer, 0) + ", weight_hh, bias_ih, bias_hh" + (p != null ? ", weight_ph" : "")
        + (dirs == 2 ? " (+ _reverse)" : "");
    notes.put(node, "layer " + layer + ": " + cell.name().toLowerCase(Locale.ROOT) + " "
        + (dirs == 2 ? "bidirectional" : "forward") + ", input " + inputSize + ", hidden " + hidden
        + (cell == ModelConfig.Cell.GRU ? ", gru_reset " + gruReset.name().toLowerCase(Locale.ROOT) : "")
        + (cell == ModelConfig.Cell.RNN ? ", " + nonlinearity.name().toLowerCase(Locale.ROOT) : "")
        + (p != null ? ", peepholes" : "") + ", layout " + layout + (lengths != null ? ", lengths from '" + lengths + "'" : "")
        + " -> " + names + "; gates " + onnxGates(cell) + " -> " + rnncGates(cell));
    return new Value[] {y, yh, yc};
  }

  static String onnxGates(ModelConfig.Cell cell) {
    return switch (cell) {
      case LSTM -> "i,o,f,c";
      case GRU -> "z,r,h";
      case RNN -> "(one)";
    };
  }

  static String rnncGates(ModelConfig.Cell cell) {
    return switch (cell) {
      case LSTM -> "i,f,g,o";
      case GRU -> "r,z,n";
      case RNN -> "(one)";
    };
  }

  private void initialState(OnnxModel.Node node, int index, String what, Binding.Role role, List<Factor.Slot> slots,
      int hidden, long layout) {
    Value value = input(node, index);
    if (value == null || value instanceof Zeros) {
      return;
    }
    if (value instanceof Data state && state.kind() == Kind.GRAPH_INPUT && state.rank() == 3
        && state.axes().stream().allMatch(axis -> axis.size() == 1
            && (axis.get(0) instanceof Factor.Free || axis.get(0) instanceof Factor.Rows))) {
      List<List<Factor>> axes = state.axes();
      assignRole(state.input(), role);
      Factor stackAxis = axes.get(layout == 0 ? 0 : 1).get(0);
      if (stackAxis instanceof Factor.Rows rows) {
        // One layer's rows of a stacked [layers*dirs, batch, hidden] input, as torch exports h0 of a stack.
        if (rows.size() != slots.size()) {
          throw new Unsupported(what + " takes " + rows.size() + " rows of '" + state.input() + "', the layer has "
              + slots.size() + " directions");
        }
        Map<Integer, Factor.Slot> assigned = rowSlots.computeIfAbsent(rows.whole(), k -> new java.util.TreeMap<>());
        for (int k = 0; k < slots.size(); k++) {
          if (assigned.put(rows.start() + k, slots.get(k)) != null) {
            throw new Unsupported(what + " reuses row " + (rows.start() + k) + " of '" + state.input() + "'");
          }
        }
      } else {
        bindMeaning(stackAxis, new Factor.Stack(slots));
      }
      bindMeaning(axes.get(layout == 0 ? 1 : 0).get(0), Factor.Named.BATCH);
      bindMeaning(axes.get(2).get(0), new Factor.Width("hidden", hidden));
      return;
    }
    throw new Unsupported(what + " is " + describe(value) + "; rnnc takes initial states from a graph input"
        + " [directions, batch, hidden] per layer, or zeros");
  }

  private static List<Factor.Slot> slots(int layer, int dirs) {
    List<Factor.Slot> slots = new ArrayList<>();
    for (int d = 0; d < dirs; d++) {
      slots.add(new Factor.Slot(layer, d));
    }
    return slots;
  }

  private void bindMeaning(Factor free, Factor meant) {
    if (!(free instanceof Factor.Free)) {
      return;
    }
    Factor known = meaning.putIfAbsent(free, meant);
    if (known != null && !known.equals(meant)) {
      throw new Unsupported("axis " + free + " is used both as " + known + " and as " + meant);
    }
  }

  private void assignRole(String input, Binding.Role role) {
    Binding.Role known = inputRoles.putIfAbsent(input, role);
    if (known != null && known != role) {
      throw new Unsupported("graph input '" + input + "' is used both as " + known.tensorName() + " and as "
          + role.tensorName());
    }
  }

  private ModelConfig.Nonlinearity checkActivations(OnnxModel.Node node, ModelConfig.Cell cell, int dirs) {
    OnnxModel.Attribute attribute = node.attributes().get("activations");
    List<String> defaults = switch (cell) {
      case LSTM -> List.of("sigmoid", "tanh", "tanh");
      case GRU -> List.of("sigmoid", "tanh");
      case RNN -> List.of("tanh");
    };
    if (attribute == null || attribute.strings().isEmpty()) {
      return ModelConfig.Nonlinearity.TANH;
    }
    List<String> given = attribute.strings().stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    if (cell == ModelConfig.Cell.RNN && given.stream().allMatch(s -> s.equals("relu"))) {
      return ModelConfig.Nonlinearity.RELU;
    }
    for (int k = 0; k < given.size(); k++) {
      if (!given.get(k).equals(defaults.get(k % defaults.size()))) {
        throw new Unsupported("activations " + attribute.strings() + " are not supported; rnnc supports "
            + node.opType() + "'s defaults " + defaults + (cell == ModelConfig.Cell.RNN ? " or Relu" : ""));
      }
    }
    return ModelConfig.Nonlinearity.TANH;
  }

  private float[] weight(OnnxModel.Node node, int index, String what) {
    Value value = input(node, index);
    if (!(value instanceof Constant constant) || !constant.tensor().isFloatingPoint()) {
      throw new Unsupported(what + " must be a constant float tensor (an initializer), got "
          + (value == null ? "nothing" : describe(value)));
    }
    return constant.tensor().floats();
  }

  private float[] optionalWeight(OnnxModel.Node node, int index, String what, long count) {
    if (input(node, index) == null) {
      return null;
    }
    float[] values = weight(node, index, what);
    if (values.length != count) {
      throw new Unsupported(what + " has " + values.length + " values, expected " + count);
    }
    return values;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Results

  /** Bindings of the graph inputs that feed the model, in graph order. */
  List<Binding> inputBindings() {
    List<Binding> out = new ArrayList<>();
    for (OnnxModel.ValueInfo input : model.graph().inputs()) {
      Binding.Role role = inputRoles.get(input.name());
      if (role == null) {
        continue;
      }
      List<List<Factor>> axes = resolve(input.name(), inputAxes.get(input.name()));
      if (axes != null) {
        out.add(new Binding(input.name(), role, axes));
      }
    }
    return out;
  }

  /** Bindings of the graph outputs; problems for outputs rnnc does not compute. */
  List<Binding> outputBindings() {
    List<Binding> out = new ArrayList<>();
    int lastLayer = layers.size() - 1;
    for (OnnxModel.ValueInfo output : model.graph().outputs()) {
      Value value = values.get(output.name());
      if (value instanceof Unknown) {
        continue;
      }
      if (!(value instanceof Data data)) {
        problems.add("graph output '" + output.name() + "' is " + describe(value) + ", not something rnnc computes");
        continue;
      }
      Binding.Role role = switch (data.kind()) {
        case Y -> Binding.Role.OUTPUT;
        case H -> Binding.Role.H_N;
        case C -> Binding.Role.C_N;
        case LOGITS, LOGITS_NO_BIAS -> Binding.Role.LOGITS;
        case PREDICTION -> Binding.Role.PREDICTION;
        default -> null;
      };
      if (role == null) {
        problems.add("graph output '" + output.name() + "' is " + describe(value) + ", not something rnnc computes");
        continue;
      }
      if (role == Binding.Role.OUTPUT) {
        boolean lastOnly = data.axes().stream().flatMap(List::stream)
            .allMatch(f -> !(f instanceof Factor.Stack s) || s.slots().stream().allMatch(x -> x.layer() == lastLayer));
        if (!lastOnly) {
          problems.add("graph output '" + output.name() + "' is an inner layer's per-step output; rnnc exposes the"
              + " last layer's only");
          continue;
        }
      }
      List<List<Factor>> axes = resolve(output.name(), data.axes());
      if (axes != null) {
        out.add(new Binding(output.name(), role, axes));
      }
    }
    return out;
  }

  private List<List<Factor>> resolve(String name, List<List<Factor>> axes) {
    List<List<Factor>> out = new ArrayList<>();
    for (List<Factor> axis : axes) {
      List<Factor> resolved = new ArrayList<>();
      for (Factor factor : axis) {
        Factor meant = factor instanceof Factor.Free ? meaning.get(factor) : factor;
        if (meant == null && rowSlots.containsKey(factor)) {
          Map<Integer, Factor.Slot> rows = rowSlots.get(factor);
          List<Factor.Slot> slots = new ArrayList<>();
          for (int row = 0; rows.containsKey(row); row++) {
            slots.add(rows.get(row));
          }
          if (slots.size() != rows.size() || factor.size() >= 0 && factor.size() != slots.size()) {
            problems.add("'" + name + "' rows " + rows.keySet() + " feed layers, but not as one run of rows from 0"
                + (factor.size() >= 0 ? " covering its " + factor.size() + " rows" : ""));
            return null;
          }
          meant = new Factor.Stack(slots);
        }
        if (meant == null) {
          problems.add("'" + name + "' has an axis " + factor + " whose role (batch, time, feature) rnnc cannot tell");
          return null;
        }
        resolved.add(meant);
      }
      out.add(resolved);
    }
    return out;
  }

  /** Checks made once the whole graph is seen: the head reads the last layer. */
  void finish() {
    if (headNode != null && !layers.isEmpty()) {
      Layer last = layers.get(layers.size() - 1);
      if (!headSlots.equals(slots(layers.size() - 1, last.directions()))) {
        problems.add(headNode.describe() + ": the head reads " + headSlots + ", not the last layer's "
            + slots(layers.size() - 1, last.directions()) + " (forward then backward)");
      }
    }
  }

  /** One line per node in evaluation order, for {@code rnnc inspect}. */
  List<String> nodeReport() {
    List<String> lines = new ArrayList<>();
    int index = 0;
    int constants = 0;
    for (OnnxModel.Node node : order) {
      String note = notes.getOrDefault(node, "");
      index++;
      // Constant nodes feeding shape arithmetic are numerous and say nothing: counted, not listed.
      if (node.opType().equals("Constant") && note.startsWith("glue")) {
        constants++;
        continue;
      }
      lines.add(String.format(Locale.ROOT, "%3d %-16s %-28s %s", index - 1, node.opType(),
          node.name().isEmpty() ? "<" + node.output(0) + ">" : node.name(), substitute(note)));
    }
    if (constants > 0) {
      lines.add("    (" + constants + " Constant node" + (constants > 1 ? "s" : "") + " not listed)");
    }
    return lines;
  }

  /** Replaces graph-input axis names by their meaning (batch, time, ...) where known, for readable reports. */
  private String substitute(String text) {
    String out = text;
    for (Map.Entry<Factor, Factor> entry : meaning.entrySet()) {
      out = out.replace(entry.getKey().toString(), entry.getValue().toString());
    }
    return out;
  }

  static String describe(Value value) {
    if (value == null) {
      return "nothing";
    }
    if (value instanceof Data data) {
      String what = switch (data.kind()) {
        case GRAPH_INPUT -> "graph input '" + data.input() + "'";
        case EMBEDDED -> "embedded input";
        case Y -> "per-step output";
        case H -> "final hidden states";
        case C -> "final cell states";
        case LOGITS_NO_BIAS, LOGITS -> "head logits";
        case PREDICTION -> "head prediction";
      };
      return what + " " + new Binding("", Binding.Role.OUTPUT, data.axes()).describeAxes();
    }
    if (value instanceof Ints ints) {
      return (ints.scalar() ? "integer " : "integers ") + ints.elements();
    }
    if (value instanceof Constant constant) {
      return "constant " + constant.tensor();
    }
    if (value instanceof Zeros) {
      return "zeros";
    }
    return "unknown";
  }

  // ---------------------------------------------------------------------------------------------------------
  // Attributes

  private static long intAttribute(OnnxModel.Node node, String name, long fallback) {
    OnnxModel.Attribute attribute = node.attributes().get(name);
    return attribute == null ? fallback : attribute.i();
  }

  private static float floatAttribute(OnnxModel.Node node, String name, float fallback) {
    OnnxModel.Attribute attribute = node.attributes().get(name);
    return attribute == null ? fallback : attribute.f();
  }

  private static String stringAttribute(OnnxModel.Node node, String name, String fallback) {
    OnnxModel.Attribute attribute = node.attributes().get(name);
    return attribute == null || attribute.s() == null ? fallback : attribute.s();
  }

  private static long[] longsAttribute(OnnxModel.Node node, String name) {
    OnnxModel.Attribute attribute = node.attributes().get(name);
    if (attribute == null) {
      throw new Unsupported("attribute '" + name + "' is missing");
    }
    return attribute.ints();
  }

  private static long[] knownLongs(Value value, String what) {
    if (value instanceof Ints ints && ints.allKnown()) {
      return ints.longs();
    }
    throw new Unsupported(what + " must be constant, got " + describe(value));
  }

  private static long normalizeAxis(long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= Math.max(rank, 1)) {
      throw new Unsupported("axis " + axis + " is out of range for rank " + rank);
    }
    return a;
  }

  private static long normalizeIndex(long index, int size) {
    long i = index < 0 ? index + size : index;
    if (i < 0 || i >= size) {
      throw new Unsupported("index " + index + " is out of range for size " + size);
    }
    return i;
  }
}
