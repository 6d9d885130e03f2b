package dev.rnnc.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A packed weight matrix as the generated kernels read it: the Java array the packing code writes (and the scalar
 * kernels read), mirrored for the vector kernels into off-heap memory aligned to 64 bytes.
 *
 * <p>Why the mirror: a matrix–vector product at batch 1 streams every weight through the core once, so it runs at
 * the speed of vector loads. A Java {@code float[]}'s elements start 16 bytes after the object, and the garbage
 * collector places (and moves) objects on 8-byte boundaries, so a 64-byte vector load from an array crosses a
 * cache line 3 times in 4 and costs two: measured on an Intel Xeon (AVX-512) the same generated kernel took 2.6 µs
 * with 64-byte aligned weights and 4.2–4.6 µs with an array at any other alignment (LSTM 64→128 step product),
 * and which one a run got depended on where the heap put the array. Off-heap memory does not move, so the
 * alignment and the speed hold for the life of the weights. The memory is freed when the weights become
 * unreachable ({@link Arena#ofAuto()}).
 *
 * <p>Optionally the weights are stored as bfloat16 ({@code weights: bf16} in the spec): half the bytes per step,
 * for models whose weights do not fit the caches, widened to float in registers.
 *
 * <p>The array stays the single source of truth: writers fill {@link #array()} and then call {@link #publish()},
 * which copies it into the mirror without allocating (a training step repacks its weights this way). Not
 * thread-safe while being written; read-only sharing across threads is safe after {@code publish} happens-before
 * the readers start (as with any shared weights).
 */
public final class PackedWeights {
  /** Alignment of the mirror: one cache line, one AVX-512 vector. */
  public static final long ALIGNMENT = 64;

  private final float[] array;
  /**
   * The array as a segment, made once: {@code MemorySegment.copy(float[], ...)} wraps the array anew on every call,
   * which the JIT does not always optimise away, and {@link #publish()} runs after every optimiser step and, for
   * an encoder–decoder, on every call.
   */
  private final MemorySegment arrayView;
  private final MemorySegment segment;
  private final boolean bf16;
  /** The whole packing groups regrouped for the blocked product's tiles ({@link #tiles()}), or null. */
  private final MemorySegment tiles;
  private final TileLayout tileLayout;
  /** What {@link #tiles()} returns. */
  private final MemorySegment tilesView;

  private PackedWeights(float[] array, MemorySegment segment, boolean bf16, MemorySegment tiles, TileLayout tileLayout,
      MemorySegment tilesView) {
    this.array = array;
    this.arrayView = MemorySegment.ofArray(array);
    this.segment = segment;
    this.bf16 = bf16;
    this.tiles = tiles;
    this.tileLayout = tileLayout;
    this.tilesView = tilesView;
  }

  /**
   * Where the blocked product over many rows ({@code rowsProduct}) reads a matrix packed in groups of {@code group}
   * panels of {@code lanes} rows: its tiles take {@code tilePanels} panels at a time, and read them from a second
   * mirror in which the panels of the whole groups are regrouped {@code tilePanels} at a time, each such run
   * contiguous over the columns. In the group layout a tile reads {@code tilePanels} of every {@code group} panels of
   * each column, a stream with gaps: past ~128 columns the hardware prefetchers keep up with it worse, and the tiles
   * of an LSTM 512→1024 at batch 64 ran at 75–85 GFLOP/s from the group layout against 110–120 from runs of two
   * panels (Intel Xeon model 167). The matrix–vector kernels keep the group layout: one contiguous stream of
   * {@code group} panels per column suits a single row best.
   *
   * @param rows       rows of the packed matrix (before padding to whole panels)
   * @param cols       its columns
   * @param lanes      rows per panel (the vector length)
   * @param group      panels per packing group
   * @param tilePanels panels per tile (a divisor of {@code group})
   */
  public record TileLayout(int rows, int cols, int lanes, int group, int tilePanels) {
    public TileLayout {
      if (rows < 0 || cols < 0 || lanes < 1 || group < 1 || tilePanels < 1 || group % tilePanels != 0) {
        throw new IllegalArgumentException("tile layout rows " + rows + ", cols " + cols + ", lanes " + lanes
            + ", group " + group + ", tile panels " + tilePanels);
      }
    }

    /** Panels in whole groups: the only ones the tiles read. */
    public int wholeGroupPanels() {
      int panels = (rows + lanes - 1) / lanes;
      return panels - panels % group;
    }

    /** Elements of the regrouped copy. */
    public long elements() {
      return (long) wholeGroupPanels() * lanes * cols;
    }
  }

  /**
   * Zeros of {@code floats} elements; with {@code mirrored} (the vector kernels will read it) also the aligned
   * off-heap mirror.
   */
  public static PackedWeights allocate(int floats, boolean mirrored) {
    return allocate(floats, mirrored, false);
  }

  /**
   * Like {@link #allocate(int, boolean)}; with {@code bf16} the weights are stored as bfloat16 (the upper half of
   * a float's bits, rounded to nearest even): {@link #publish()} rounds the array in place, so the scalar kernels
   * compute with exactly the values the vector kernels widen from the 2-byte mirror, which streams half the bytes.
   */
  public static PackedWeights allocate(int floats, boolean mirrored, boolean bf16) {
    if (floats < 0) {
      throw new IllegalArgumentException("size must be >= 0, got " + floats);
    }
    return allocate(floats, mirrored, bf16, null);
  }

  /**
   * Like {@link #allocate(int, boolean, boolean)}; with a {@code tileLayout} and a mirror, also the mirror the
   * blocked product's tiles read ({@link #tiles()}), the whole groups regrouped as {@link TileLayout} says.
   */
  public static PackedWeights allocate(int floats, boolean mirrored, boolean bf16, TileLayout tileLayout) {
    if (floats < 0) {
      throw new IllegalArgumentException("size must be >= 0, got " + floats);
    }
    float[] array = new float[floats];
    long weightBytes = bf16 ? Short.BYTES : Float.BYTES;
    long bytes = (long) floats * weightBytes;
    MemorySegment segment = mirrored ? Arena.ofAuto().allocate(Math.max(1, bytes), ALIGNMENT) : null;
    MemorySegment tiles = null;
    if (mirrored && tileLayout != null && tileLayout.elements() > 0) {
      if (tileLayout.elements() > floats) {
        throw new IllegalArgumentException("tile layout " + tileLayout + " needs more than " + floats + " floats");
      }
      tiles = Arena.ofAuto().allocate(tileLayout.elements() * weightBytes, ALIGNMENT);
    }
    return new PackedWeights(array, segment, bf16, tiles, tiles == null ? null : tileLayout,
        tileLayout != null && tiles == null ? segment : tiles);
  }

  /** Whether the weights are stored as bfloat16. */
  public boolean bf16() {
    return bf16;
  }

  /** {@code value} rounded to the nearest bfloat16 (ties to even), as its 16 bits; NaN stays a (quiet) NaN. */
  public static short toBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** The float a bfloat16 stands for (exact). */
  public static float fromBf16(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** The packed values; after writing them, call {@link #publish()}. */
  public float[] array() {
    return array;
  }

  /** The 64-byte aligned mirror the vector kernels read (null when not mirrored). */
  public MemorySegment segment() {
    return segment;
  }

  /**
   * The 64-byte aligned copy the blocked product's tiles read, the whole groups regrouped as the {@link TileLayout}
   * given to {@link #allocate(int, boolean, boolean, TileLayout)} says; the group mirror when the matrix has no whole
   * group (no tile runs); null without a mirror or without a tile layout.
   */
  public MemorySegment tiles() {
    return tilesView;
  }

  /** Elements of the tiles' own copy: 0 when {@link #tiles()} is the group mirror or null. */
  public long tileElements() {
    return tiles == null ? 0 : tileLayout.elements();
  }

  /** Weight {@code index} of the tiles' own copy, as a float (bfloat16 widened); for tests and tools. */
  public float tileWeight(long index) {
    if (index < 0 || index >= tileElements()) {
      throw new IndexOutOfBoundsException("tile weight " + index + " of " + tileElements());
    }
    return bf16
        ? fromBf16(tiles.get(ValueLayout.JAVA_SHORT, index * Short.BYTES))
        : tiles.get(ValueLayout.JAVA_FLOAT, index * Float.BYTES);
  }

  /** Elements. */
  public int length() {
    return array.length;
  }

  /**
   * Copies the array into the mirror (no-op without one); with bfloat16 storage first rounds the array's values
   * to bfloat16 in place. Allocates nothing.
   */
  public void publish() {
    if (bf16) {
      for (int i = 0; i < array.length; i++) {
        short bits = toBf16(array[i]);
        array[i] = fromBf16(bits);
        if (segment != null) {
          segment.set(ValueLayout.JAVA_SHORT, (long) i * Short.BYTES, bits);
        }
      }
    } else if (segment != null && array.length > 0) {
      MemorySegment.copy(arrayView, 0, segment, 0, (long) array.length * Float.BYTES);
    }
    if (tiles != null) {
      regroupTiles();
    }
  }

  /**
   * Copies the whole groups from the group mirror into the tiles' mirror. A tile's panels sit side by side in every
   * column of their group, so each column of a tile is one run of {@code tilePanels × lanes} weights in both layouts.
   */
  private void regroupTiles() {
    TileLayout t = tileLayout;
    long weightBytes = bf16 ? Short.BYTES : Float.BYTES;
    long run = (long) t.tilePanels() * t.lanes() * weightBytes;
    long fromStep = (long) t.group() * t.lanes() * weightBytes;
    int whole = t.wholeGroupPanels();
    for (int p = 0; p < whole; p += t.tilePanels()) {
      long from = ((long) (p / t.group()) * t.group() * t.cols() * t.lanes() + (long) (p % t.group()) * t.lanes())
          * weightBytes;
      long to = (long) p * t.cols() * t.lanes() * weightBytes;
      for (int c = 0; c < t.cols(); c++, from += fromStep, to += run) {
        MemorySegment.copy(segment, from, tiles, to, run);
      }
    }
  }
}
