package dev.rnnc.compiler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rnnc.runtime.PackedWeights;
import dev.rnnc.runtime.PackedWeights.TileLayout;
import dev.rnnc.runtime.Packing;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The copy of a packed matrix that the blocked product's tiles read ({@link PackedWeights#tiles()}): every weight of
 * the whole packing groups where a tile of {@code tilePanels} panels expects it — panel p's lane l of column c at
 * {@code (p / tilePanels) * tilePanels * lanes * cols + c * tilePanels * lanes + (p % tilePanels) * lanes + l} —
 * for float32 and bfloat16 storage, refreshed by every {@code publish()} (training repacks every step). The
 * generated kernels' side of the layout is covered bit for bit by {@code BatchedForwardTest} and
 * {@code StreamBankTest} (tiles against the matrix–vector kernels, which read the group layout).
 */
class PackedWeightsTilesTest {
  private static final int LANES = 4;
  private static final int GROUP = 8;
  private static final int TILE_PANELS = 2;

  @ParameterizedTest(name = "bf16 {0}")
  @ValueSource(booleans = {false, true})
  void tilesHoldEveryWeightOfTheWholeGroupsInTileOrder(boolean bf16) {
    // 19 panels of 4 rows (the last padded): two whole groups of 8, then groups of 2 and 1 the tiles never read
    int rows = 75;
    int cols = 5;
    float[] matrix = random(rows * cols, 1);
    PackedWeights w = packed(matrix, rows, cols, bf16);
    check(w, matrix, rows, cols, bf16);

    float[] retrained = random(rows * cols, 2);
    Packing.packInto(w.array(), retrained, 0, rows, cols, LANES, GROUP, false);
    w.publish();
    check(w, retrained, rows, cols, bf16);
  }

  @Test
  void withoutAWholeGroupTheTilesAreTheGroupMirror() {
    PackedWeights w = packed(random(7 * 3, 3), 7, 3, false);
    assertEquals(0, w.tileElements(), "no tile runs, so nothing is copied (the tiles read the group mirror)");
  }

  @Test
  void withoutATileLayoutThereAreNoTiles() {
    PackedWeights w = PackedWeights.allocate(Packing.packedSize(64, 3, LANES), true);
    assertEquals(0, w.tileElements());
    PackedWeights scalar = PackedWeights.allocate(Packing.packedSize(64, 3, LANES), false, false,
        new TileLayout(64, 3, LANES, GROUP, TILE_PANELS));
    assertEquals(0, scalar.tileElements(), "no mirror, no tiles: the scalar kernels read the array");
  }

  @Test
  void aTileMustDivideTheGroup() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new TileLayout(64, 3, LANES, GROUP, 3));
    assertEquals("tile layout rows 64, cols 3, lanes 4, group 8, tile panels 3", e.getMessage());
  }

  private static PackedWeights packed(float[] matrix, int rows, int cols, boolean bf16) {
    PackedWeights w = PackedWeights.allocate(Packing.packedSize(rows, cols, LANES), true, bf16,
        new TileLayout(rows, cols, LANES, GROUP, TILE_PANELS));
    Packing.packInto(w.array(), matrix, 0, rows, cols, LANES, GROUP, false);
    w.publish();
    return w;
  }

  private static void check(PackedWeights w, float[] matrix, int rows, int cols, boolean bf16) {
    int panels = (rows + LANES - 1) / LANES;
    int whole = panels - panels % GROUP;
    assertEquals((long) whole * LANES * cols, w.tileElements());
    for (int p = 0; p < whole; p++) {
      for (int c = 0; c < cols; c++) {
        for (int l = 0; l < LANES; l++) {
          int row = p * LANES + l;
          float expected = row < rows ? matrix[row * cols + c] : 0f;
          long at = (long) (p / TILE_PANELS) * TILE_PANELS * LANES * cols + (long) c * TILE_PANELS * LANES
              + (long) (p % TILE_PANELS) * LANES + l;
          float actual = w.tileWeight(at);
          float want = bf16 ? PackedWeights.fromBf16(PackedWeights.toBf16(expected)) : expected;
          assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(actual),
              "panel " + p + ", column " + c + ", lane " + l);
        }
      }
    }
  }

  private static float[] random(int n, long seed) {
    Random random = new Random(seed);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
