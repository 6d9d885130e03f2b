package dev.rnnc.onnx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Structural checks of a graph and its evaluation order: every name a node reads is produced exactly once (by a
 * node, an initializer or a graph input), and the nodes form no cycle. ONNX requires nodes to be listed in
 * topological order, but files from hand-written tools do not always comply, so the order is computed.
 */
final class GraphOrder {
  private GraphOrder() {}

  /** The nodes in an order where each comes after the producers of its inputs. */
  static List<OnnxModel.Node> sort(OnnxModel model) {
    OnnxModel.Graph graph = model.graph();
    String source = model.source();
    Map<String, OnnxModel.Node> producer = new HashMap<>();
    Set<String> available = new HashSet<>(graph.initializers().keySet());
    graph.inputs().forEach(input -> available.add(input.name()));
    for (OnnxModel.Node node : graph.nodes()) {
      for (String output : node.outputs()) {
        if (output.isEmpty()) {
          continue;
        }
        if (producer.put(output, node) != null || available.contains(output)) {
          throw new OnnxException(source + ": " + node.describe() + " writes '" + output
              + "', which another node, an initializer or a graph input already provides");
        }
      }
    }
    for (OnnxModel.Node node : graph.nodes()) {
      for (String input : node.inputs()) {
        if (!input.isEmpty() && !available.contains(input) && !producer.containsKey(input)) {
          throw new OnnxException(source + ": " + node.describe() + " reads '" + input
              + "', which no node, initializer or graph input provides (a missing initializer?)");
        }
      }
    }
    for (OnnxModel.ValueInfo output : graph.outputs()) {
      if (!available.contains(output.name()) && !producer.containsKey(output.name())) {
        throw new OnnxException(source + ": graph output '" + output.name() + "' is produced by no node");
      }
    }
    // Kahn's algorithm over node dependencies; nodes left over sit on a cycle.
    Map<OnnxModel.Node, Integer> waiting = new java.util.IdentityHashMap<>();
    Map<OnnxModel.Node, List<OnnxModel.Node>> consumers = new java.util.IdentityHashMap<>();
    for (OnnxModel.Node node : graph.nodes()) {
      int count = 0;
      for (String input : node.inputs()) {
        OnnxModel.Node from = producer.get(input);
        if (from != null) {
          count++;
          consumers.computeIfAbsent(from, k -> new ArrayList<>()).add(node);
        }
      }
      waiting.put(node, count);
    }
    Deque<OnnxModel.Node> ready = new ArrayDeque<>();
    for (OnnxModel.Node node : graph.nodes()) {
      if (waiting.get(node) == 0) {
        ready.add(node);
      }
    }
    List<OnnxModel.Node> order = new ArrayList<>();
    while (!ready.isEmpty()) {
      OnnxModel.Node node = ready.poll();
      order.add(node);
      for (OnnxModel.Node next : consumers.getOrDefault(node, List.of())) {
        if (waiting.merge(next, -1, Integer::sum) == 0) {
          ready.add(next);
        }
      }
    }
    if (order.size() < graph.nodes().size()) {
      OnnxModel.Node stuck = graph.nodes().stream().filter(n -> waiting.get(n) > 0).findFirst().orElseThrow();
      throw new OnnxException(source + ": the graph has a cycle through " + stuck.describe());
    }
    return order;
  }
}
