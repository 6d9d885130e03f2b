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

  private PackedWeights(float[] array, MemorySegment segment, boolean bf16) {
    this.array = array;
    this.arrayView = MemorySegment.ofArray(array);
    this.segment = segment;
    this.bf16 = bf16;
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
    float[] array = new float[floats];
    long bytes = (long) floats * (bf16 ? Short.BYTES : Float.BYTES);
    MemorySegment segment = mirrored ? Arena.ofAuto().allocate(Math.max(1, bytes), ALIGNMENT) : null;
    return new PackedWeights(array, segment, bf16);
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
  }
}
