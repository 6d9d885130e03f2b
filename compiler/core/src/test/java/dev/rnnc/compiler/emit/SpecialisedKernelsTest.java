package dev.rnnc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.javaparser.StaticJavaParser;
import com.github.javaparser.ast.CompilationUnit;
import com.github.javaparser.ast.body.MethodDeclaration;
import com.github.javaparser.ast.body.TypeDeclaration;
import com.github.javaparser.ast.expr.MethodCallExpr;
import com.github.javaparser.ast.stmt.ForStmt;
import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.plan.KernelShape;
import dev.rnnc.compiler.plan.MatrixProduct;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.Batch;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.Packing;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.VectorSupport;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The matrix–vector products of the plan run kernels specialised to their shape (issue 12, item 2): the column
 * count is a literal in every such kernel, none takes rows or cols as arguments, only the blocked
 * {@code rowsProduct} (sizes as arguments by design) calls the general kernels, products of one shape share their
 * kernels, the group sequence follows {@link Packing}, and the quad, pair and single kernels give the same bits at
 * every vector width.
 */
class SpecialisedKernelsTest {
  /** {@code product512x320}, {@code pair...}, {@code quad...}: a shape's kernel. */
  private static final Pattern SHAPE_KERNEL = Pattern.compile("(product|pair|quad)(\\d+)x(\\d+)");
  /** {@code mv8Cols320}, {@code mv8x2Cols320}, {@code mv4x4Of8Cols320}: a group kernel of a column count. */
  private static final Pattern GROUP_KERNEL = Pattern.compile("mv\\d+(x[24])?(Of\\d+)?Cols(\\d+)");
  /** The general kernels, sizes as arguments, which only the blocked product over many rows calls. */
  private static final Set<String> GENERAL = Set.of("matvec", "matvec2", "matvec4");

  private static final List<String> SPECS = List.of("""
      model: StreamLstm
      package: t.special
      cell: lstm
      input: 1
      hidden: 32
      head: {size: 3, activation: softmax}
      """, """
      model: StreamGru
      package: t.special
      cell: gru
      input: 16
      hidden: 64
      head: {size: 5}
      """, """
      model: DeepBiLstm
      package: t.special
      cell: lstm
      input: 11
      hidden: 24
      proj_size: 13
      layers: 4
      bidirectional: true
      head: {size: 7, activation: softmax}
      limits: {max_batch: 9, max_length: 5}
      training: {loss: cross_entropy}
      """, """
      model: TrainGruBefore
      package: t.special
      cell: gru
      gru_reset: before
      embedding: {vocab: 10, dim: 6}
      hidden: 19
      layers: 2
      head: {size: 4, activation: sigmoid}
      limits: {max_batch: 9, max_length: 5}
      training: {loss: bce}
      """);

  @Test
  void everyMatrixVectorKernelHasConstantSizes() {
    for (String text : SPECS) {
      String source = new RnnCompiler().compile(SpecParser.parse("spec.yaml", text)).source();
      CompilationUnit unit = StaticJavaParser.parse(source);
      int shapeKernels = 0;
      for (MethodDeclaration method : unit.findAll(MethodDeclaration.class)) {
        String name = method.getNameAsString();
        Matcher shape = SHAPE_KERNEL.matcher(name);
        Matcher group = GROUP_KERNEL.matcher(name);
        String where = owner(method) + "." + name;
        if (shape.matches() || group.matches()) {
          shapeKernels++;
          method.getParameters().forEach(p -> assertFalse(Set.of("rows", "cols", "stride").contains(p.getNameAsString()),
              where + " takes " + p.getNameAsString() + " as an argument"));
          String cols = shape.matches() ? shape.group(3) : group.group(3);
          for (ForStmt loop : method.findAll(ForStmt.class)) {
            String compare = loop.getCompare().map(Object::toString).orElse("");
            if (compare.startsWith("c < ")) {
              assertEquals("c < " + cols, compare, where + ": the column loop runs a literal count");
            }
          }
        }
        for (MethodCallExpr call : method.findAll(MethodCallExpr.class)) {
          if (GENERAL.contains(call.getNameAsString())) {
            assertTrue(name.equals("rowsProduct") || GENERAL.contains(name),
                where + " calls the general " + call.getNameAsString() + ": " + call);
          }
        }
      }
      assertTrue(shapeKernels > 0, "no specialised kernels in\n" + text);
      assertFalse(source.contains("matvec4"), "no general quad kernel is left");
    }
  }

  private static String owner(MethodDeclaration method) {
    return method.findAncestor(TypeDeclaration.class).map(t -> t.getNameAsString()).orElse("?");
  }

  @Test
  void theStepCallsItsShapeKernel() {
    String source = new RnnCompiler().compile(SpecParser.parse("spec.yaml", SPECS.get(0))).source();
    // LSTM 1 -> 32: 128 gate rows over [x; h], 33 columns; the head 3 x 32
    assertTrue(source.contains("product128x33(w.stepL0, stepInput, 0, w.ihBiasL0, 0, gates, 0);"), source);
    assertTrue(source.contains("for (int c = 0; c < 33; c++, o += 8 * PANEL_BYTES)"), "mv8Cols33's column loop");
    assertTrue(source.contains("product3x32(weights.headWeight, f, fOff, weights.headBias, 0, headScratch, 0);"));
  }

  @Test
  void productsOfOneShapeShareTheirKernels() {
    ModelPlan plan = plan(SPECS.get(2));
    // backwards per run: W_hh^T (13 x 96, sweeps 1, 2, 4) and W_hr^T (24 x 13); forwards W_hr (13 x 24), the head
    List<MatrixProduct> hhT = plan.products().stream().filter(p -> p.weights().startsWith("hhT")).toList();
    assertEquals(8, hhT.size(), "4 layers x 2 directions");
    hhT.forEach(p -> assertEquals(new KernelShape(13, 96), p.shape()));
    hhT.forEach(p -> assertEquals(List.of(1, 2, 4), p.sweeps()));
    assertEquals(List.of(new KernelShape(13, 24), new KernelShape(13, 96), new KernelShape(24, 13),
        new KernelShape(7, 26)), plan.kernelShapes().stream().map(ModelPlan.ShapeUse::shape).toList());
    assertEquals("quad13x96", hhT.get(5).kernel(4));
    // the input projections and recurrent products run blocked over many rows, with no matrix-vector kernel
    MatrixProduct ih = plan.product("ihL1Reverse");
    assertTrue(ih.blocked());
    assertEquals(List.of(), ih.sweeps());
    assertEquals(new KernelShape(96, 26), ih.shape());
  }

  private static ModelPlan plan(String text) {
    return ModelPlan.of(SpecParser.parse("spec.yaml", text).config());
  }

  @Test
  void theGroupSequenceIsThePackingOfEveryWidth() {
    int cols = 2;
    for (int rows = 1; rows <= 300; rows++) {
      float[] matrix = new float[rows * cols];
      for (int i = 0; i < matrix.length; i++) {
        matrix[i] = i;
      }
      for (int lanes : KernelShape.LANES) {
        float[] packed = Packing.pack(matrix, 0, rows, cols, lanes, 8);
        int panel = 0;
        int offset = 0;
        for (int group : KernelShape.groupsAt(rows, lanes, List.of(8, 4, 2, 1))) {
          // column-major inside the group: its rows of column 0, then of column 1
          for (int c = 0; c < cols; c++) {
            for (int k = 0; k < group * lanes; k++) {
              int row = panel * lanes + k;
              assertEquals(row < rows ? row * cols + c : 0f, packed[offset++],
                  rows + " rows, " + lanes + " lanes, group " + group + " at panel " + panel);
            }
          }
          panel += group;
        }
        assertEquals((rows + lanes - 1) / lanes, panel, rows + " rows at " + lanes + " lanes");
        assertEquals(packed.length, offset);
      }
    }
  }

  @Test
  void groupsNoWidthNeedsAreNotEmitted() {
    // 512 rows are groups of 8 panels at every width from 2 to 64 lanes; 40 rows need every size
    assertEquals(List.of(8), new KernelShape(512, 7).groups(List.of(8, 4, 2, 1)));
    assertEquals(List.of(8, 4, 2, 1), new KernelShape(40, 7).groups(List.of(8, 4, 2, 1)));
  }

  /**
   * Training runs the single, pair and quad kernels forwards and backwards; gradients are bit for bit the same at
   * every vector width the platform offers (each width takes another group sequence through the kernels).
   */
  @Test
  void gradientsAreTheSameAtEveryWidth() throws Exception {
    // a class initialised without the property (and with no tuning profile) takes the platform's widest
    int widest = lanes(GeneratedModels.compile(List.of(SPECS.get(3)),
        Map.of(VectorSupport.PROFILE_PROPERTY, "/nonexistent/tune.properties")).get(0).type()) * Float.SIZE;
    List<Integer> widths = new ArrayList<>();
    for (int bits = 128; bits <= widest; bits *= 2) {
      widths.add(bits);
    }
    for (String text : List.of(SPECS.get(2), SPECS.get(3))) {
      List<List<float[]>> results = new ArrayList<>();
      for (int bits : widths) {
        GeneratedModels.Compiled compiled = GeneratedModels.compile(List.of(text),
            Map.of(VectorSupport.BITS_PROPERTY, Integer.toString(bits))).get(0);
        assertEquals(bits / Float.SIZE, lanes(compiled.type()), "lanes of the class initialised at " + bits + " bits");
        results.add(gradients(compiled));
      }
      assertTrue(widths.size() >= 2, "this machine offers only " + widest + "-bit vectors: nothing to compare");
      for (int w = 1; w < widths.size(); w++) {
        for (int k = 0; k < results.get(0).size(); k++) {
          assertArrayEquals(results.get(0).get(k), results.get(w).get(k),
              "gradient " + k + " at " + widths.get(w) + " bits differs from " + widths.get(0));
        }
      }
    }
  }

  private static List<float[]> gradients(GeneratedModels.Compiled compiled) {
    ModelParameters parameters = ModelParameters.initialize(compiled.spec().config(), 7);
    TrainableModel model = (TrainableModel) compiled.instantiate(parameters);
    SplittableRandom random = new SplittableRandom(3);
    Batch batch = new Batch();
    batch.batch = 9;
    batch.steps = 5;
    batch.lengths = new int[] {5, 1, 3, 5, 2, 4, 5, 5, 3};
    int rows = batch.batch * batch.steps;
    if (compiled.spec().config().hasEmbedding()) {
      batch.tokens = random.ints(rows, 0, compiled.spec().config().vocab()).toArray();
    } else {
      batch.input = new float[rows * compiled.spec().config().inputSize()];
      for (int i = 0; i < batch.input.length; i++) {
        batch.input[i] = (float) random.nextDouble(-1, 1);
      }
    }
    int heads = compiled.spec().config().headSize();
    if (compiled.spec().config().training().loss() == dev.rnnc.runtime.ModelConfig.Loss.CROSS_ENTROPY) {
      batch.classTargets = random.ints(rows, 0, heads).toArray();
    } else {
      batch.valueTargets = new float[rows * heads];
      for (int i = 0; i < batch.valueTargets.length; i++) {
        batch.valueTargets[i] = random.nextBoolean() ? 1f : 0f;
      }
    }
    List<float[]> out = new ArrayList<>();
    out.add(new float[] {model.computeGradients(batch)});
    model.gradients().toTensors().values().forEach(t -> out.add(t.toFloatArray()));
    out.add(model.h0Gradient().clone());
    return out;
  }

  private static int lanes(Class<?> type) throws ReflectiveOperationException {
    Class<?> vec = Class.forName(type.getName() + "$Vec", true, type.getClassLoader());
    Field lanes = vec.getDeclaredField("L");
    lanes.setAccessible(true);
    return lanes.getInt(null);
  }
}
