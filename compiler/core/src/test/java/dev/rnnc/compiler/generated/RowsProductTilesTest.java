package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.spec.SpecParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The tiles of {@code rowsProduct} read their weights from {@code PackedWeights.tiles()}, a copy only matrices
 * allocated with a {@code TileLayout} have: every matrix a generated class passes to {@code rowsProduct} must be one
 * of them (the plan marks them, {@code WeightArray.readByRowsProduct}), and no other matrix pays for the copy.
 * Checked on the generated source of the batched-forward and stream-bank specs (every cell kind and variant, a
 * bank for each), of random specs (any, streaming and trainable), the cases where the plan's choice differs, and of
 * a spec with bfloat16 weights, which keeps no copies.
 */
class RowsProductTilesTest {
  private static final Pattern PRODUCT = Pattern.compile("rowsProduct\\(w\\.(\\w+),");
  private static final Pattern TILED = Pattern.compile("(\\w+) = PackedWeights\\.allocate\\([^;]*TileLayout\\(");

  @TestFactory
  Stream<DynamicTest> everyMatrixOfTheBlockedProductHasItsTileCopyAndNoOtherHasOne() {
    List<String> specs = new ArrayList<>();
    specs.addAll(BatchedForwardTest.SPECS);
    specs.addAll(StreamBankTest.SPECS);
    long seed = RandomSpecsTest.seed() + 90;
    specs.addAll(new SpecGenerator(seed, "t.tiles.any", SpecGenerator.Options.ANY).next(8));
    specs.addAll(new SpecGenerator(seed + 1, "t.tiles.stream", SpecGenerator.Options.STREAMING).next(8));
    specs.addAll(new SpecGenerator(seed + 2, "t.tiles.train", SpecGenerator.Options.TRAINING).next(8));
    specs.add("""
        model: LstmBf16
        package: t.tiles
        cell: lstm
        input: 24
        hidden: 64
        weights: bf16
        """);
    RnnCompiler rnnc = new RnnCompiler();
    return IntStream.range(0, specs.size()).mapToObj(i -> DynamicTest.dynamicTest("spec " + i, () -> {
      String source = rnnc.compile(SpecParser.parse("tiles-" + i + ".yaml", specs.get(i))).source();
      Set<String> read = names(PRODUCT.matcher(source));
      Set<String> tiled = names(TILED.matcher(source));
      assertTrue(!read.isEmpty(), "no rowsProduct call in\n" + specs.get(i));
      // with bfloat16 weights the tiles read the group layout (ModelPlan.tileCopies)
      Set<String> expected = source.contains("WEIGHT_BYTES = Short.BYTES") ? Set.of() : read;
      assertTrue(tiled.equals(expected), "rowsProduct reads " + read + ", tile copies exist for " + tiled + " in\n"
          + specs.get(i));
    }));
  }

  private static Set<String> names(Matcher m) {
    Set<String> names = new TreeSet<>();
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }
}
