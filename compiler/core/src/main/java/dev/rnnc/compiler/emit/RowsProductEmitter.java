package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOAT_VECTOR;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterSpec;
import dev.rnnc.compiler.plan.Blocking.ProductTile;
import dev.rnnc.compiler.plan.ModelPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import javax.lang.model.element.Modifier;

/**
 * The blocked matrix product over a list of rows, {@code rowsProduct}: y_k = init_k + W·x_k for every listed row
 * k, W packed in panels ({@link dev.rnnc.runtime.Packing}). It is what runs whenever many rows meet the same
 * weights: the input projections of every valid step, the recurrent product of every sequence still running at
 * a step, and the fused step of a stream bank's streams.
 *
 * <p>The vector form is register-blocked by the plan's {@link ProductTile}: for a tile of input rows, the output
 * panels are taken {@code panels} at a time inside their packing group, one accumulator per (panel, row); per
 * column the kernel loads the panels' weights once and broadcasts each row's x, so every weight load feeds the
 * whole tile. Rows are the outer loop, so a tile's x rows stay in the L1 cache while the weights stream from L2
 * once per tile. Every output element is still one chain of fused multiply-adds over the columns in ascending
 * order, started from init, exactly as the matrix–vector kernels sum it: results equal theirs bit for bit, which
 * is what lets a stream bank equal stepping each stream alone and the batched recurrence equal the per-sequence
 * one.
 */
final class RowsProductEmitter {
  private static final Modifier[] KERNEL = {Modifier.STATIC};

  private final ModelPlan plan;
  private final ProductTile tile;

  RowsProductEmitter(ModelPlan plan) {
    this.plan = plan;
    this.tile = plan.blocking().productTile();
  }

  static List<ParameterSpec> parameters() {
    return Params.of("%w", "rows", "cols", "[]x", "#xRows", "xStride", "xBase", "[]init", "initStride", "initBase",
        "[]y", "#yRows", "yStride", "yBase", "count", "[]panel");
  }

  /**
   * The vector form's parameters: the weights' group mirror, which the rows and panels past the tiles read, then the
   * copy the tiles read ({@code PackedWeights.tiles()}: whole groups regrouped by the tile's panels), then the rest.
   */
  private static List<ParameterSpec> vectorParameters() {
    List<ParameterSpec> list = new ArrayList<>(Params.vectorForm(parameters()));
    list.add(1, ParameterSpec.builder(Types.MEMORY_SEGMENT, "tiles").build());
    return list;
  }

  /**
   * {@code rowsProduct(PackedWeights w, ...)}: the vector kernel with the weights' mirror and the tiles' copy (the
   * mirror itself where the plan keeps no copies), or the scalar one.
   */
  static MethodSpec dispatcher(ModelPlan plan) {
    List<ParameterSpec> parameters = parameters();
    String rest = parameters.stream().skip(1).map(ParameterSpec::name).collect(Collectors.joining(", "));
    return MethodSpec.methodBuilder("rowsProduct").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .addParameters(parameters)
        .beginControlFlow("if (VECTOR)")
        .addStatement("Vec.rowsProduct(w.segment(), $L, $L)", plan.tileCopies() ? "w.tiles()" : "w.segment()", rest)
        .nextControlFlow("else")
        .addStatement("Scalar.rowsProduct(w.array(), $L)", rest)
        .endControlFlow()
        .build();
  }

  private static List<ParameterSpec> tileParameters() {
    return Params.of("%w", "cols", "from", "to", "[]panel", "at", "[]init", "initStride", "initBase", "[]y", "#yRows",
        "yStride", "yBase", "t");
  }

  private static final String DOC =
      "y[yRows[k] * yStride + yBase, + rows) = init[yRows[k] * initStride + initBase, + rows)\n"
      + "    + W·x[xRows[k] * xStride + xBase, + cols) for k < count:\n"
      + "one product over many rows (initStride 0: the same init, a bias, for all; y may be init, in place).\n"
      + "Every row is summed in the order of {@code matvec}, so results equal one matvec per row bit for bit.\n"
      + "{@code panel} is scratch for a tile's x rows, interleaved ({@code cols × tile height} floats).\n";

  private static String xOff(String k) {
    return "xRows[" + k + "] * xStride + xBase";
  }

  private static String initOff(String k) {
    return "yRows[" + k + "] * initStride + initBase";
  }

  private static String yOff(String k) {
    return "yRows[" + k + "] * yStride + yBase";
  }

  /** The scalar form: one {@code matvec} per row. */
  MethodSpec scalar() {
    return MethodSpec.methodBuilder("rowsProduct").addModifiers(KERNEL)
        .addJavadoc(DOC)
        .addParameters(Params.scalarForm(parameters()))
        .beginControlFlow("for (int k = 0; k < count; k++)")
        .addStatement("matvec(w, rows, cols, x, $L, init, $L, y, $L)", xOff("k"), initOff("k"), yOff("k"))
        .endControlFlow()
        .build();
  }

  /** The vector form: the dispatcher over chunks, weight blocks and tiles, then the kernels of each tile height. */
  List<MethodSpec> vector() {
    int group = plan.blocking().packingGroup();
    MethodSpec.Builder m = MethodSpec.methodBuilder("rowsProduct").addModifiers(KERNEL)
        .addJavadoc(DOC)
        .addJavadoc("Tiles of $L rows ($L on vectors narrower than $L lanes) × $L panels over the panels of whole packing\n"
            + "groups, fewer rows than a tile in tiles of $L, in chunks of at most PRODUCT_CHUNK_ROWS rows whose tiles all\n"
            + "pass over one block of weights (PRODUCT_BLOCK_BYTES) before the next: the block stays in the L2 cache\n"
            + "for the whole chunk, so weights beyond the caches are read from memory once per chunk, not once per tile.\n"
            + "Rows left over (fewer than the smallest tile) go through matvec2/matvec; the panels beyond the whole\n"
            + "groups of the tiled rows through the group kernels, one row at a time. Those read {@code w}, the tiles\n"
            + "{@code tiles}: $L.\n",
            tile.wideRows(), tile.narrowRows(), tile.wideLanes(), tile.panels(), tile.tails(), plan.tileCopies()
                ? "the same weights with the panels of whole groups regrouped " + tile.panels() + " at a time"
                : "the same weights (with bfloat16 weights the tiles read the group layout)")
        .addParameters(vectorParameters())
        .addStatement("int panels = (rows + L - 1) / L")
        .addStatement("int tiled = panels - panels % $L", group)
        .addStatement("int k = 0")
        .beginControlFlow("if (tiled > 0)")
        .addComment("whole groups of panels per weight block, at least one")
        .addStatement("int block = Math.max(1, PRODUCT_BLOCK_BYTES / (cols * $L)) * $L", Fold.times(group, "PANEL_BYTES"),
            group)
        .beginControlFlow("while (tileRows(count - k) > 0)")
        .addComment("a chunk of tiles: their x rows interleaved, one tile after the other")
        .addStatement("int end = k")
        .addStatement("int h = tileRows(count - end)")
        .beginControlFlow("while (h > 0 && end + h - k <= PRODUCT_CHUNK_ROWS)");
    List<Integer> heights = tile.heights();
    dispatch(m, heights, "interleave", "x, xRows, xStride, xBase, end, cols, panel, (end - k) * cols");
    m.addStatement("end += h")
        .addStatement("h = tileRows(count - end)")
        .endControlFlow()
        .beginControlFlow("for (int from = 0; from < tiled; from += block)")
        .addStatement("int to = Math.min(tiled, from + block)")
        .beginControlFlow("for (int t = k; t < end; t += h)")
        .addStatement("h = tileRows(count - t)")
        .addStatement("int at = (t - k) * cols");
    dispatch(m, heights, "rows", "tiles, cols, from, to, panel, at, init, initStride, initBase, y, yRows, yStride, yBase, t");
    m.endControlFlow()
        .endControlFlow()
        .addStatement("k = end")
        .endControlFlow()
        .endControlFlow()
        .addStatement("int tiledRows = k")
        .beginControlFlow("for (; k + 2 <= count; k += 2)")
        .addStatement("matvec2(w, rows, cols, x, $L, $L, init, $L, $L, y, $L, $L)", xOff("k"), xOff("k + 1"),
            initOff("k"), initOff("k + 1"), yOff("k"), yOff("k + 1"))
        .endControlFlow()
        .beginControlFlow("if (k < count)")
        .addStatement("matvec(w, rows, cols, x, $L, init, $L, y, $L)", xOff("k"), initOff("k"), yOff("k"))
        .endControlFlow()
        .beginControlFlow("if (tiled < panels)")
        .addComment("the panels past the whole groups, for the rows the tiles covered")
        .beginControlFlow("for (int i = 0; i < tiledRows; i++)")
        .addStatement("int xo = $L", xOff("i"))
        .addStatement("int io = $L", initOff("i"))
        .addStatement("int yo = $L", yOff("i"))
        .addStatement("int p = tiled")
        .addStatement("int o = tiled * L * cols");
    List<Integer> groups = plan.blocking().groups();
    for (int g : groups.subList(1, groups.size())) {
      m.beginControlFlow("if (p + $L <= panels)", g)
          .addStatement("mv$L(w, o, cols, x, xo, init, io + p * L, y, yo + p * L)", g)
          .addStatement("p += $L", g)
          .addStatement("o += $L * L * cols", g)
          .endControlFlow();
    }
    m.endControlFlow().endControlFlow();
    List<MethodSpec> methods = new ArrayList<>();
    methods.add(m.build());
    methods.add(tileRows());
    for (int height : heights) {
      methods.add(interleave(height));
      methods.add(tileKernel(height));
    }
    return methods;
  }

  /** {@code if (h == 13) name13(args); else if ...}: the kernel of each tile height (h is a tile height). */
  private static void dispatch(MethodSpec.Builder m, List<Integer> heights, String name, String args) {
    for (int i = 0; i < heights.size(); i++) {
      int height = heights.get(i);
      if (i == 0) {
        m.beginControlFlow("if (h == $L)", height);
      } else if (i < heights.size() - 1) {
        m.nextControlFlow("else if (h == $L)", height);
      } else {
        m.nextControlFlow("else");
      }
      m.addStatement("$L$L($L)", name, height, args);
    }
    m.endControlFlow();
  }

  /** The height of the next tile for {@code remaining} rows: the largest that fits, 0 when none does. */
  private MethodSpec tileRows() {
    MethodSpec.Builder m = MethodSpec.methodBuilder("tileRows").addModifiers(KERNEL).returns(int.class)
        .addJavadoc("Rows of the next tile of rowsProduct for {@code remaining} rows: the largest tile that fits (full\n"
            + "tiles, then each smaller tail at most once), 0 when fewer rows remain than the smallest tile.\n")
        .addParameter(int.class, "remaining")
        .addStatement("int full = L >= $L ? $L : $L", tile.wideLanes(), tile.wideRows(), tile.narrowRows())
        .beginControlFlow("if (remaining >= full)")
        .addStatement("return full")
        .endControlFlow();
    for (int tail : tile.tails()) {
      m.beginControlFlow("if (remaining >= $L && $L < full)", tail, tail).addStatement("return $L", tail).endControlFlow();
    }
    return m.addStatement("return 0").build();
  }

  /** Interleaves a tile's x rows column by column into the panel scratch. */
  private static MethodSpec interleave(int rows) {
    MethodSpec.Builder m = MethodSpec.methodBuilder("interleave" + rows).addModifiers(KERNEL)
        .addJavadoc("panel[at + c * $L + s] = x[xRows[k + s] * xStride + xBase + c] for s < $L, c < cols: one pointer then\n"
            + "reaches every row's x[c] of a tile.\n", rows, rows)
        .addParameters(Params.of("[]x", "#xRows", "xStride", "xBase", "k", "cols", "[]panel", "at"));
    for (int s = 0; s < rows; s++) {
      m.addStatement("int x$L = $L", s, xOff(s == 0 ? "k" : "k + " + s));
    }
    m.beginControlFlow("for (int c = 0, pc = at; c < cols; c++, pc += $L)", rows);
    for (int s = 0; s < rows; s++) {
      m.addStatement("panel[pc$L] = x[x$L + c]", s == 0 ? "" : " + " + s, s);
    }
    return m.endControlFlow().build();
  }

  /** One tile kernel: {@code rows} listed rows × {@code panels} panels per pass, over panels [from, to). */
  private MethodSpec tileKernel(int rows) {
    int panels = tile.panels();
    MethodSpec.Builder m = MethodSpec.methodBuilder("rows" + rows).addModifiers(KERNEL)
        .addJavadoc("Rows t .. t + $L of {@code rowsProduct} over panels [from, to) (whole groups), their x interleaved at\n"
            + "{@code panel[at]}: $L panels at a time, $L accumulators; per column $L weight loads and $L broadcasts feed\n"
            + "$L fused multiply-adds. $L\n",
            rows - 1, panels, panels * rows, panels, rows, panels * rows, plan.tileCopies()
                ? "{@code w} is the weights' copy for the tiles, their panels in runs of " + panels + ", each run\n"
                    + "contiguous over the columns: the tile streams its weights without gaps."
                : "{@code w} is the group layout: the tile reads " + panels + " of each group's panels per column.")
        .addParameters(Params.vectorForm(tileParameters()));
    for (int s = 0; s < rows; s++) {
      String k = s == 0 ? "t" : "t + " + s;
      m.addStatement("int i$L = $L", s, initOff(k));
      m.addStatement("int y$L = $L", s, yOff(k));
    }
    m.beginControlFlow("for (int p = from; p < to; p += $L)", panels)
        .addStatement("int r = p * L");
    int stride = plan.tileCopies() ? panels : plan.blocking().packingGroup();
    if (plan.tileCopies()) {
      m.addComment("the run of panels p .. p + $L starts after the p panels before it, all columns of each", panels - 1)
          .addStatement("long wBase = (long) r * cols * WEIGHT_BYTES");
    } else {
      int group = plan.blocking().packingGroup();
      m.addStatement("long wBase = (long) ((p / $L) * $L * L * cols + (p % $L) * L) * WEIGHT_BYTES", group, group, group);
    }
    for (int s = 0; s < rows; s++) {
      for (int q = 0; q < panels; q++) {
        m.addStatement("$T a$L_$L = $T.fromArray(S, init, i$L + r$L)", FLOAT_VECTOR, s, q, FLOAT_VECTOR, s, lanes(q));
      }
    }
    m.beginControlFlow("for (int c = 0; c < cols; c++)")
        .addComment("a long offset linear in c: the JIT then checks the weights' bounds once, before the loop")
        .addStatement("long o = wBase + (long) c * $L", Fold.times(stride, "PANEL_BYTES"))
        .addStatement("int pc = at + c * $L", rows);
    for (int q = 0; q < panels; q++) {
      m.addStatement("$T w$L = $L", FLOAT_VECTOR, q,
          KernelEmitter.weightLoad(plan, q == 0 ? "o" : "o + " + Fold.times(q, "PANEL_BYTES")));
    }
    for (int s = 0; s < rows; s++) {
      m.addStatement("$T v$L = $T.broadcast(S, panel[pc$L])", FLOAT_VECTOR, s, FLOAT_VECTOR, s == 0 ? "" : " + " + s);
      for (int q = 0; q < panels; q++) {
        m.addStatement("a$L_$L = w$L.fma(v$L, a$L_$L)", s, q, q, s, s, q);
      }
    }
    m.endControlFlow();
    for (int s = 0; s < rows; s++) {
      for (int q = 0; q < panels; q++) {
        m.addStatement("a$L_$L.intoArray(y, y$L + r$L)", s, q, s, lanes(q));
      }
    }
    m.endControlFlow();
    return m.build();
  }

  private static String lanes(int q) {
    return q == 0 ? "" : q == 1 ? " + L" : " + " + q + " * L";
  }
}
