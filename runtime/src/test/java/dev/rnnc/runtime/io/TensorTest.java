package dev.rnnc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rnnc.runtime.RnncException;
import org.junit.jupiter.api.Test;

class TensorTest {

  @Test
  void dtypesHaveSafetensorsNamesAndSizes() {
    assertEquals(4, DType.F32.byteSize());
    assertEquals(8, DType.F64.byteSize());
    assertEquals(8, DType.I64.byteSize());
    assertEquals(4, DType.I32.byteSize());
    assertEquals(DType.I64, DType.fromSafetensorsName("I64").orElseThrow());
    assertEquals(false, DType.fromSafetensorsName("f32").isPresent());
    assertEquals("F32, F64, I64, I32", DType.supportedNames());
  }

  @Test
  void factoriesCheckShapeAgainstData() {
    Tensor t = Tensor.ofFloats(new int[] {2, 3}, new float[6]);
    assertEquals(DType.F32, t.dtype());
    assertArrayEquals(new int[] {2, 3}, t.shape());
    assertEquals(6, t.elementCount());
    assertEquals(24, t.byteSize());
    assertEquals(1, Tensor.ofInts(new int[0], new int[] {7}).elementCount());
    assertEquals(0, Tensor.ofLongs(new int[] {0, 5}, new long[0]).elementCount());
    assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new int[] {2, 3}, new float[5]));
    assertThrows(IllegalArgumentException.class, () -> Tensor.ofDoubles(new int[] {-1}, new double[0]));
    assertThrows(IllegalArgumentException.class, () -> Tensor.ofInts(new int[] {65536, 65536}, new int[0]));
  }

  @Test
  void shapeIsCopiedButDataIsShared() {
    int[] shape = {2};
    float[] data = {1, 2};
    Tensor t = Tensor.ofFloats(shape, data);
    shape[0] = 5;
    t.shape()[0] = 9;
    assertArrayEquals(new int[] {2}, t.shape());
    assertSame(data, t.floats());
    assertNotSame(data, t.toFloatArray());
  }

  @Test
  void typedAccessorMustMatchDtype() {
    Tensor t = Tensor.ofDoubles(new int[] {1}, new double[] {1});
    assertThrows(IllegalStateException.class, t::floats);
    assertThrows(IllegalStateException.class, t::ints);
    assertThrows(IllegalStateException.class, t::longs);
    assertEquals(1.0, t.doubles()[0]);
  }

  @Test
  void convertsBetweenCompatibleTypes() {
    assertArrayEquals(new float[] {1.5f, -2f}, Tensor.ofDoubles(new int[] {2}, new double[] {1.5, -2}).toFloatArray());
    assertArrayEquals(new int[] {3, -4}, Tensor.ofLongs(new int[] {2}, new long[] {3, -4}).toIntArray());
    assertArrayEquals(new long[] {3, -4}, Tensor.ofInts(new int[] {2}, new int[] {3, -4}).toLongArray());
    assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE},
        Tensor.ofLongs(new int[] {2}, new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE}).toIntArray());
  }

  @Test
  void rejectsLossyOrMeaninglessConversions() {
    RnncException range = assertThrows(RnncException.class,
        () -> Tensor.ofLongs(new int[] {3}, new long[] {1, 2, 1L << 31}).toIntArray());
    assertEquals("I64 value 2147483648 at flat index 2 does not fit in a 32-bit int", range.getMessage());
    RnncException toFloat = assertThrows(RnncException.class,
        () -> Tensor.ofInts(new int[] {1}, new int[] {1}).toFloatArray());
    assertEquals("expected a floating-point tensor (F32 or F64) but it has dtype I32", toFloat.getMessage());
    assertThrows(RnncException.class, () -> Tensor.ofFloats(new int[] {1}, new float[] {1}).toIntArray());
    assertThrows(RnncException.class, () -> Tensor.ofDoubles(new int[] {1}, new double[] {1}).toLongArray());
  }

  @Test
  void equalityComparesTypeShapeAndData() {
    Tensor a = Tensor.ofFloats(new int[] {2}, new float[] {1, Float.NaN});
    assertEquals(a, Tensor.ofFloats(new int[] {2}, new float[] {1, Float.NaN}));
    assertEquals(a.hashCode(), Tensor.ofFloats(new int[] {2}, new float[] {1, Float.NaN}).hashCode());
    assertNotEquals(a, Tensor.ofFloats(new int[] {1, 2}, new float[] {1, Float.NaN}));
    assertNotEquals(Tensor.ofInts(new int[] {1}, new int[] {1}), Tensor.ofLongs(new int[] {1}, new long[] {1}));
    assertEquals("Tensor[F32 [2]]", a.toString());
  }
}
