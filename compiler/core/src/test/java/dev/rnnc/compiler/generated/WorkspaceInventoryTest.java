package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.emit.GeneratedModels;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.Workspace;
import dev.rnnc.compiler.spec.SpecException;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelParameters;
import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The plan's workspace inventory is what the generated constructor allocates, array for array and element for
 * element; so {@code rnnc info}'s figures and the spec's size check, which read the same inventory, describe the
 * class that is generated, and a spec that {@code check} accepts can be constructed at its limits.
 */
class WorkspaceInventoryTest {

  @Test
  void constructorAllocatesExactlyTheInventory() throws Exception {
    List<String> specs = new ArrayList<>();
    for (Path spec : snapshotSpecs()) {
      specs.add(Files.readString(spec));
    }
    specs.addAll(new SpecGenerator(RandomSpecsTest.seed() + 40, "t.inventory", SpecGenerator.Options.ANY).next(8));
    specs.addAll(new SpecGenerator(RandomSpecsTest.seed() + 41, "t.inventory.training", SpecGenerator.Options.TRAINING).next(8));
    List<GeneratedModels.Compiled> compiled = GeneratedModels.compile(specs);
    int[][] limits = {{1, 1}, {3, 5}, {4, 2}};
    for (GeneratedModels.Compiled model : compiled) {
      ModelPlan plan = ModelPlan.of(model.spec().config());
      Object weights = model.weights(ModelParameters.initialize(model.spec().config(), 7));
      int lanes = staticInt(model.type(), "LANES");
      for (int[] limit : limits) {
        Object instance = model.instantiate(weights, limit[0], limit[1]);
        for (Workspace workspace : plan.workspaces()) {
          Field field = model.type().getDeclaredField(workspace.name());
          field.setAccessible(true);
          Object array = field.get(instance);
          assertNotNull(array, workspace.name());
          long expected = workspace.elements(plan.runs().size(), limit[0], limit[1], lanes);
          assertEquals(expected, Array.getLength(array), workspace.name() + " of " + model.type().getSimpleName()
              + " at limits " + limit[0] + " × " + limit[1]);
        }
      }
    }
  }

  /**
   * Limits whose workspaces the heap cannot hold are refused before anything is allocated, with the size in the
   * message; the generated {@code workspaceBytes} is the inventory's sum, so the check and the allocation agree.
   */
  @Test
  void limitsBeyondTheHeapAreRefusedWithTheSize() throws Exception {
    String spec = Files.readString(snapshotSpecs().get(0));
    GeneratedModels.Compiled model = GeneratedModels.compile(List.of(spec)).get(0);
    ModelPlan plan = ModelPlan.of(model.spec().config());
    int lanes = staticInt(model.type(), "LANES");
    long expected = 0;
    for (Workspace workspace : plan.workspaces()) {
      expected += 4 * workspace.elements(plan.runs().size(), 3, 5, lanes);
    }
    assertEquals(expected, model.type().getMethod("workspaceBytes", int.class, int.class).invoke(null, 3, 5));

    Object weights = model.weights(ModelParameters.initialize(model.spec().config(), 7));
    int huge = 1 << 15; // 2^30 rows: many GiB of workspaces, far beyond any test heap
    Throwable cause = assertThrows(dev.rnnc.runtime.RnncException.class, () -> model.instantiate(weights, huge, huge));
    assertTrue(cause.getMessage().contains("workspaces at maxBatch " + huge + ", maxLength " + huge)
        && cause.getMessage().contains("MiB") && cause.getMessage().contains("-Xmx"), cause.getMessage());
  }

  /** No array field of a generated class escapes the inventory (apart from the weights and gradient views). */
  @Test
  void everyInstanceArrayIsInTheInventory() throws IOException {
    for (Path spec : snapshotSpecs()) {
      GeneratedModels.Compiled model = GeneratedModels.compile(Files.readString(spec));
      ModelPlan plan = ModelPlan.of(model.spec().config());
      for (Field field : model.type().getDeclaredFields()) {
        boolean array = field.getType().isArray();
        boolean instance = !java.lang.reflect.Modifier.isStatic(field.getModifiers());
        if (array && instance && !field.getName().startsWith("grad")) {
          assertTrue(plan.hasWorkspace(field.getName()), field.getName() + " of " + spec + " is not in the inventory");
        }
      }
    }
  }

  /** At the bound the check accepts the spec; one more step of max_length and it names the workspace that is too big. */
  @Test
  void theCheckStopsExactlyAtTheLargestWorkspace() {
    // LSTM 4 → 8, training, 2 layers, bidirectional: the gate store (L·D·B·T rows of GATE_STRIDE) is the largest
    String spec = "model: M\npackage: p\ncell: lstm\ninput: 4\nhidden: 8\nlayers: 2\nbidirectional: true\n"
        + "training: {loss: mse}\nlimits: {max_batch: 64, max_length: %d}\n";
    ModelPlan plan = ModelPlan.of(SpecParser.parse("m.yaml", spec.formatted(1)).config());
    Workspace largest = plan.workspaces().stream()
        .max((a, b) -> Long.compare(a.elements(4, 64, 1000, ModelPlan.CHECK_LANES),
            b.elements(4, 64, 1000, ModelPlan.CHECK_LANES)))
        .orElseThrow();
    assertEquals("gateStore", largest.name());
    long perStep = largest.elements(4, 64, 1, ModelPlan.CHECK_LANES);
    int atBound = (int) ((1L << 28) / perStep);
    SpecParser.parse("m.yaml", spec.formatted(atBound));
    SpecException tooBig = assertThrows(SpecException.class, () -> SpecParser.parse("m.yaml", spec.formatted(atBound + 1)));
    assertTrue(tooBig.getMessage().contains("the gate store would hold layers × directions × max_batch × max_length"),
        tooBig.getMessage());
  }

  /** The specs of the snapshot tests: each cell kind, bidirectional, training, embedding. */
  /** The single-stack snapshot specs (an encoder–decoder's stacks are nested classes with their own inventories). */
  private static List<Path> snapshotSpecs() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("src", "test", "resources", "snapshots"))) {
      return files.filter(f -> f.toString().endsWith(".yaml"))
          .filter(f -> SpecParser.parseAny(f) instanceof dev.rnnc.compiler.spec.Spec).sorted().toList();
    }
  }

  private static int staticInt(Class<?> type, String name) throws ReflectiveOperationException {
    Field field = type.getDeclaredField(name);
    field.setAccessible(true);
    return field.getInt(null);
  }
}
