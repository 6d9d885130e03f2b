package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.FLOAT_VECTOR;
import static dev.rnnc.compiler.emit.Types.MEMORY_SEGMENT;

import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.KernelShape;
import dev.rnnc.compiler.plan.MatrixProduct;
import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.ModelPlan.ShapeUse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * The matrix–vector kernels specialised to the shapes of the plan's products ({@link ModelPlan#kernelShapes()}):
 * per shape and sweep (one, two or four inputs per pass over W) a kernel such as {@code product512x320}, whose
 * column count is a literal and whose sequence of panel groups is written out, and per column count the group
 * kernels ({@code mv8Cols320}, {@code mv8x2Cols320}, {@code mv4x4Of8Cols320}) whose column loop has that literal
 * trip count. Products of one shape share the kernels, so a deep or bidirectional model does not multiply them.
 *
 * <p>How rows become panel groups depends on the vector width, which is chosen when the class initialises
 * ({@code L}, static final). The kernels resolve it with one static final constant per row count,
 * {@code PANELS_512 = (512 + L - 1) / L}, and tests on it ({@code (PANELS_512 & 4) != 0}) that the JIT folds like
 * literals: one body serves every width a JVM may pick (128 to 2048 bits), where a copy of the call sequence per
 * width would multiply the code by the number of widths and still need a general path for the rest. A group is
 * written only when some width needs it (512 rows are groups of 8 panels at every width, so their kernel is the
 * loop over {@code mv8Cols320} alone).
 *
 * <p>Every output is the same chain of fused multiply-adds over the columns in ascending order as in the general
 * kernels and in {@code rowsProduct}, so results are bit for bit those of the general form.
 */
final class ShapeKernelEmitter {
  private static final Modifier[] KERNEL = {Modifier.STATIC};
  private static final List<String> QUAD = List.of("0", "1", "2", "3");

  private final ModelPlan plan;
  private final KernelEmitter kernels;
  private final List<ShapeUse> shapes;
  private final List<Integer> groups;

  ShapeKernelEmitter(ModelPlan plan, KernelEmitter kernels) {
    this.plan = plan;
    this.kernels = kernels;
    this.shapes = plan.kernelShapes();
    this.groups = plan.blocking().groups();
  }

  /** Parameters of the kernel of a shape for {@code sweep} inputs, as its dispatcher declares them. */
  static List<ParameterSpec> parameters(int sweep) {
    List<String> spec = new ArrayList<>(List.of("%w"));
    List<String> suffixes = switch (sweep) {
      case 1 -> List.of("Off");
      case 2 -> List.of("A", "B");
      default -> QUAD;
    };
    for (String array : List.of("x", "init", "y")) {
      spec.add("[]" + array);
      suffixes.forEach(suffix -> spec.add(array + suffix));
    }
    return Params.of(spec.toArray(String[]::new));
  }

  /** The dispatchers the model class needs, name → parameters: one per shape and sweep of the plan. */
  static Map<String, List<ParameterSpec>> dispatchers(ModelPlan plan) {
    Map<String, List<ParameterSpec>> dispatchers = new LinkedHashMap<>();
    for (ShapeUse use : plan.kernelShapes()) {
      for (int sweep : use.sweeps()) {
        dispatchers.put(use.shape().kernel(sweep), parameters(sweep));
      }
    }
    return dispatchers;
  }

  private static String users(ShapeUse use) {
    return use.products().stream().map(MatrixProduct::weights).collect(Collectors.joining(", "));
  }

  /** One line per product of the shape: its weights and what it computes. */
  private static String products(ShapeUse use) {
    return use.products().stream().map(p -> "{@code " + p.weights() + "}: " + p.what() + "\n")
        .collect(Collectors.joining());
  }

  // ------------------------------------------------------------------------------------------------ Scalar

  /** Scalar kernels: per shape the product with literal loop bounds; pairs and quads run it per input. */
  List<MethodSpec> scalar() {
    List<MethodSpec> methods = new ArrayList<>();
    for (ShapeUse use : shapes) {
      KernelShape shape = use.shape();
      methods.add(MethodSpec.methodBuilder(shape.kernel(1)).addModifiers(KERNEL)
          .addJavadoc("y[yOff, + $L) = init[initOff, + $L) + W·x[xOff, + $L), W row-major $L × $L ($L).\n",
              shape.rows(), shape.rows(), shape.cols(), shape.rows(), shape.cols(), users(use))
          .addParameters(Params.scalarForm(parameters(1)))
          .beginControlFlow("for (int r = 0; r < $L; r++)", shape.rows())
          .addStatement("float s = init[initOff + r]")
          .addStatement("int row = r * $L", shape.cols())
          .beginControlFlow("for (int c = 0; c < $L; c++)", shape.cols())
          .addStatement("s = Math.fma(w[row + c], x[xOff + c], s)")
          .endControlFlow()
          .addStatement("y[yOff + r] = s")
          .endControlFlow()
          .build());
      for (int sweep : use.sweeps()) {
        if (sweep == 1) {
          continue;
        }
        List<String> suffixes = sweep == 2 ? List.of("A", "B") : QUAD;
        MethodSpec.Builder m = MethodSpec.methodBuilder(shape.kernel(sweep)).addModifiers(KERNEL)
            .addJavadoc("$L independent products with the same $L × $L matrix.\n", sweep, shape.rows(), shape.cols())
            .addParameters(Params.scalarForm(parameters(sweep)));
        for (String s : suffixes) {
          m.addStatement("$L(w, x, x$L, init, init$L, y, y$L)", shape.kernel(1), s, s, s);
        }
        methods.add(m.build());
      }
    }
    return methods;
  }

  // --------------------------------------------------------------------------------------------------- Vec

  /** Adds the panel-count constants, the group kernels per column count and the kernels per shape to {@code Vec}. */
  void addVector(TypeSpec.Builder type) {
    Set<Integer> rowCounts = new LinkedHashSet<>();
    shapes.forEach(use -> rowCounts.add(use.shape().rows()));
    for (int rows : rowCounts) {
      type.addField(FieldSpec.builder(int.class, panels(rows), Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("Vector panels of $L rows at this width (the last zero-padded): a constant to the JIT, which folds\n"
              + "the kernels' tests on it, so the group sequence of every width is resolved without a copy per width.\n",
              rows)
          .initializer("($L + L - 1) / L", rows).build());
    }
    // per column count, the groups each sweep needs over every shape with those columns
    Map<Integer, Map<Integer, TreeSet<Integer>>> byCols = new LinkedHashMap<>();
    for (ShapeUse use : shapes) {
      Map<Integer, TreeSet<Integer>> bySweep = byCols.computeIfAbsent(use.shape().cols(), c -> new LinkedHashMap<>());
      for (int sweep : use.sweeps()) {
        bySweep.computeIfAbsent(sweep, s -> new TreeSet<>(java.util.Comparator.reverseOrder()))
            .addAll(use.shape().groups(groups));
      }
    }
    byCols.forEach((cols, bySweep) -> bySweep.forEach((sweep, used) -> {
      for (int group : used) {
        switch (sweep) {
          case 1 -> type.addMethod(kernels.matvecGroup(group, cols));
          case 2 -> type.addMethod(kernels.pairGroup(group, cols));
          default -> type.addMethod(quadGroup(Math.min(group, 4), group, cols));
        }
      }
    }));
    for (ShapeUse use : shapes) {
      for (int sweep : use.sweeps()) {
        type.addMethod(shapeKernel(use, sweep));
      }
    }
  }

  private static String panels(int rows) {
    return "PANELS_" + rows;
  }

  /** The kernel of one shape and sweep: the full groups of the largest size in a loop, then each smaller one once. */
  private MethodSpec shapeKernel(ShapeUse use, int sweep) {
    KernelShape shape = use.shape();
    List<Integer> used = shape.groups(groups);
    String panels = panels(shape.rows());
    MethodSpec.Builder m = MethodSpec.methodBuilder(shape.kernel(sweep)).addModifiers(KERNEL)
        .addJavadoc("y = init + W·x for $L, W $L × $L packed by {@link $T#pack}.\n",
            sweep == 1 ? "one input" : sweep + " inputs in one sweep over W", shape.rows(), shape.cols(), Types.PACKING)
        .addJavadoc("Groups of $L panels, then $L once each when {@code $L} has them (tests the JIT folds).\n",
            groups.get(0), groups.subList(1, groups.size()), panels)
        .addJavadoc("The products of this shape:\n")
        .addJavadoc(products(use))
        .addParameters(Params.vectorForm(parameters(sweep)));
    int largest = groups.get(0);
    if (used.contains(largest)) {
      m.beginControlFlow("for (int p = 0; p + $L <= $L; p += $L)", largest, panels, largest)
          .addStatement("int r = p * L");
      call(m, sweep, largest, shape.cols());
      m.endControlFlow();
    }
    for (int group : groups.subList(1, groups.size())) {
      if (!used.contains(group)) {
        continue;
      }
      m.beginControlFlow("if (($L & $L) != 0)", panels, group)
          .addComment("the $L-panel group after the larger ones", group)
          .addStatement("int r = ($L & -$L) * L", panels, 2 * group);
      call(m, sweep, group, shape.cols());
      m.endControlFlow();
    }
    return m.build();
  }

  /** The call of a group kernel for the group whose first row is {@code r}. */
  private static void call(MethodSpec.Builder m, int sweep, int group, int cols) {
    switch (sweep) {
      case 1 -> m.addStatement("$L(w, r * $L, x, xOff, init, initOff + r, y, yOff + r)",
          KernelEmitter.groupName(group, cols), cols);
      case 2 -> m.addStatement("$L(w, r * $L, x, xA, xB, init, initA + r, initB + r, y, yA + r, yB + r)",
          KernelEmitter.pairGroupName(group, cols), cols);
      default -> {
        int panels = Math.min(group, 4);
        for (int part = 0; part < group / panels; part++) {
          String shift = part == 0 ? "" : " + " + Fold.times(part * panels, "L");
          String rows = "r" + shift;
          m.addStatement("$L(w, r * $L$L, x, x0, x1, x2, x3, init, $L, y, $L)", quadName(panels, group, cols), cols,
              shift, offsets("init", rows), offsets("y", rows));
        }
      }
    }
  }

  private static String offsets(String array, String rows) {
    return QUAD.stream().map(q -> array + q + " + " + rows).collect(Collectors.joining(", "));
  }

  /** {@code mv4x4Of8Cols320}: {@code panels} panels of a group of {@code group} for four inputs. */
  private static String quadName(int panels, int group, int cols) {
    return "mv" + panels + "x4" + (panels < group ? "Of" + group : "") + "Cols" + cols;
  }

  /**
   * Four inputs over {@code panels} panels of a packing group of {@code group} (column stride {@code group} panels):
   * every weight vector loaded feeds four accumulators.
   */
  private MethodSpec quadGroup(int panels, int group, int cols) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(quadName(panels, group, cols)).addModifiers(KERNEL)
        .addJavadoc("$L panels of a group of $L (column stride $L) for four inputs: $L accumulators; $L columns.\n",
            panels, group, Fold.times(group, "PANEL_BYTES"), 4 * panels, cols)
        .addParameter(MEMORY_SEGMENT, "w").addParameter(int.class, "wOff");
    for (String array : new String[] {"x", "init", "y"}) {
      m.addParameter(FLOATS, array);
      for (String q : QUAD) {
        m.addParameter(int.class, array + q);
      }
    }
    for (String q : QUAD) {
      for (int k = 0; k < panels; k++) {
        m.addStatement("$T a$L$L = $T.fromArray(S, init, init$L$L)", FLOAT_VECTOR, q, k, FLOAT_VECTOR, q,
            k == 0 ? "" : " + " + k + " * L");
      }
    }
    m.addStatement("long o = (long) wOff * WEIGHT_BYTES");
    m.beginControlFlow("for (int c = 0; c < $L; c++, o += $L)", cols, Fold.times(group, "PANEL_BYTES"));
    for (int k = 0; k < panels; k++) {
      m.addStatement("$T w$L = $L", FLOAT_VECTOR, k, kernels.load(k));
    }
    for (String q : QUAD) {
      m.addStatement("$T xv$L = $T.broadcast(S, x[x$L + c])", FLOAT_VECTOR, q, FLOAT_VECTOR, q);
      for (int k = 0; k < panels; k++) {
        m.addStatement("a$L$L = w$L.fma(xv$L, a$L$L)", q, k, k, q, q, k);
      }
    }
    m.endControlFlow();
    for (String q : QUAD) {
      for (int k = 0; k < panels; k++) {
        m.addStatement("a$L$L.intoArray(y, y$L$L)", q, k, q, k == 0 ? "" : " + " + k + " * L");
      }
    }
    return m.build();
  }
}
