package dev.rnnc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.RnncException;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsTest {
  @TempDir Path dir;

  // ---- helpers building files by hand, independent of the writer under test ----

  private static byte[] le64(long value) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** A file with the given header text (length taken from it) and {@code dataBytes} zero bytes of data. */
  private static byte[] file(String header, int dataBytes) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    return concat(le64(json.length), json, new byte[dataBytes]);
  }

  private static String entry(String name, String dtype, String shape, long begin, long end) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
        + end + "]}";
  }

  private static RnncException rejected(byte[] bytes) {
    return assertThrows(RnncException.class, () -> SafeTensors.read("bad.safetensors", bytes));
  }

  // ---- round trips ----

  private static Map<String, Tensor> everyDtype() {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("f32", Tensor.ofFloats(new int[] {2, 3}, new float[] {1.5f, -0f, Float.MIN_VALUE, Float.MAX_VALUE,
        Float.NaN, Float.NEGATIVE_INFINITY}));
    tensors.put("f64", Tensor.ofDoubles(new int[] {3}, new double[] {Math.PI, -1e300, Double.MIN_VALUE}));
    tensors.put("i64", Tensor.ofLongs(new int[] {2, 1}, new long[] {Long.MIN_VALUE, Long.MAX_VALUE}));
    tensors.put("i32", Tensor.ofInts(new int[] {1, 1, 2}, new int[] {Integer.MIN_VALUE, 42}));
    tensors.put("scalar", Tensor.ofFloats(new int[0], new float[] {7}));
    tensors.put("empty", Tensor.ofFloats(new int[] {0, 4}, new float[0]));
    tensors.put("odd \"name\"\n é𝄞", Tensor.ofInts(new int[] {1}, new int[] {-1}));
    return tensors;
  }

  @Test
  void roundTripsEveryDtypeAndMetadataThroughAFile() {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "pt");
    metadata.put("note", "quotes \" backslash \\ newline \n unicode ✓");
    Path file = dir.resolve("all.safetensors");
    SafeTensors.write(file, everyDtype(), metadata);

    SafeTensorsFile read = SafeTensors.read(file);
    assertEquals(everyDtype(), read.tensors());
    assertEquals(List.copyOf(everyDtype().keySet()), List.copyOf(read.tensors().keySet()));
    assertEquals(metadata, read.metadata());
    assertEquals(List.copyOf(metadata.keySet()), List.copyOf(read.metadata().keySet()));
  }

  @Test
  void roundTripsInMemoryWithoutMetadata() {
    byte[] bytes = SafeTensors.toBytes(everyDtype(), Map.of());
    SafeTensorsFile read = SafeTensors.read("mem", bytes);
    assertEquals(everyDtype(), read.tensors());
    assertEquals(Map.of(), read.metadata());
    assertEquals(0, (bytes.length - 8 - everyDtype().values().stream().mapToLong(Tensor::byteSize).sum()) % 8,
        "header padded to a multiple of 8");
  }

  @Test
  void roundTripsTensorsLargerThanTheCopyBuffer() {
    float[] big = new float[700_000]; // 2.8 MB: several 1 MiB chunks, the last one partial
    for (int i = 0; i < big.length; i++) {
      big[i] = i * 0.5f;
    }
    long[] longs = new long[200_001];
    for (int i = 0; i < longs.length; i++) {
      longs[i] = (long) i << 33;
    }
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("big", Tensor.ofFloats(new int[] {700, 1000}, big));
    tensors.put("longs", Tensor.ofLongs(new int[] {200_001}, longs));
    Path file = dir.resolve("big.safetensors");
    SafeTensors.write(file, tensors, Map.of());
    assertEquals(tensors, SafeTensors.read(file).tensors());
  }

  @Test
  void writesExactlyTheSpecifiedBytes() {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("a", Tensor.ofFloats(new int[] {2}, new float[] {1.0f, -2.0f}));
    tensors.put("b", Tensor.ofInts(new int[] {1}, new int[] {7}));
    String header = "{\"__metadata__\":{\"format\":\"pt\"},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    assertEquals(139, header.length());
    byte[] expected = concat(
        new byte[] {(byte) 144, 0, 0, 0, 0, 0, 0, 0}, // 139 header bytes padded to 144
        header.getBytes(StandardCharsets.US_ASCII),
        "     ".getBytes(StandardCharsets.US_ASCII),
        new byte[] {0, 0, (byte) 0x80, 0x3f}, // 1.0f little-endian
        new byte[] {0, 0, 0, (byte) 0xc0}, // -2.0f
        new byte[] {7, 0, 0, 0});

    assertArrayEquals(expected, SafeTensors.toBytes(tensors, Map.of("format", "pt")));
    Path file = dir.resolve("tiny.safetensors");
    SafeTensors.write(file, tensors, Map.of("format", "pt"));
    assertArrayEquals(expected, readAll(file));
  }

  private static byte[] readAll(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Made by the official library: {@code safetensors.torch.save({'w': [[1., -2.]], 'n': [3] (int64)}, {'format': 'pt'})}. */
  private static final String OFFICIAL_FILE_HEX = "9000000000000000"
      + "7b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c226e223a7b226474797065223a22493634222c2273"
      + "68617065223a5b315d2c22646174615f6f666673657473223a5b302c385d7d2c2277223a7b226474797065223a22463332222c2273"
      + "68617065223a5b312c325d2c22646174615f6f666673657473223a5b382c31365d7d7d202020"
      + "0300000000000000" + "0000803f000000c0";

  @Test
  void readsAndReproducesAFileFromTheOfficialLibrary() {
    byte[] official = java.util.HexFormat.of().parseHex(OFFICIAL_FILE_HEX);
    SafeTensorsFile read = SafeTensors.read("official", official);
    Map<String, Tensor> expected = new LinkedHashMap<>();
    expected.put("n", Tensor.ofLongs(new int[] {1}, new long[] {3}));
    expected.put("w", Tensor.ofFloats(new int[] {1, 2}, new float[] {1, -2}));
    assertEquals(expected, read.tensors());
    assertEquals(Map.of("format", "pt"), read.metadata());
    assertArrayEquals(official, SafeTensors.toBytes(read.tensors(), read.metadata()));
  }

  @Test
  void readsTensorsInDataOrderWhateverTheHeaderOrder() {
    String header = "{" + entry("second", "I32", "[1]", 4, 8) + "," + entry("first", "I32", "[1]", 0, 4) + ","
        + "\"__metadata__\":{\"k\":\"v\"}}";
    byte[] bytes = concat(le64(header.length()), header.getBytes(StandardCharsets.UTF_8),
        new byte[] {1, 0, 0, 0, 2, 0, 0, 0});
    SafeTensorsFile read = SafeTensors.read("x", bytes);
    assertEquals(List.of("first", "second"), List.copyOf(read.tensors().keySet()));
    assertArrayEquals(new int[] {1}, read.tensor("first").ints());
    assertArrayEquals(new int[] {2}, read.tensor("second").ints());
    assertEquals(Map.of("k", "v"), read.metadata());
    RnncException e = assertThrows(RnncException.class, () -> read.tensor("third"));
    assertEquals("no tensor named 'third'; the file holds [first, second]", e.getMessage());
  }

  @Test
  void acceptsHeaderPaddingAndAnEmptyFile() {
    SafeTensorsFile read = SafeTensors.read("x", file("{}      ", 0));
    assertEquals(Map.of(), read.tensors());
    assertEquals(Map.of(), read.metadata());
  }

  // ---- malformed files ----

  static Stream<Arguments> malformed() {
    String ok = entry("w", "F32", "[2]", 0, 8);
    return Stream.of(
        Arguments.of("empty file", new byte[0], "bad.safetensors: not a safetensors file: 0 bytes, shorter than the 8-byte header length"),
        Arguments.of("truncated length", new byte[] {8, 0, 0, 0, 0}, "5 bytes, shorter than the 8-byte header length"),
        Arguments.of("huge header length", concat(le64(1L << 62), new byte[100]),
            "header length 4611686018427387904 is over the 100000000-byte limit"),
        Arguments.of("header length with the top bit set", concat(le64(-1), new byte[100]),
            "header length 18446744073709551615 is over the 100000000-byte limit"),
        Arguments.of("zip archive", concat("PK\3\4\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1), new byte[100]),
            "probably a torch.save checkpoint"),
        Arguments.of("header past the end", concat(le64(500), "{}".getBytes(StandardCharsets.UTF_8)),
            "bad.safetensors: header length 500 points past the end of the file (10 bytes; is it truncated?)"),
        Arguments.of("invalid UTF-8", concat(le64(4), new byte[] {'{', (byte) 0xff, '}', ' '}), "not valid UTF-8"),
        Arguments.of("bad JSON", file("{\"w\":{\"dtype\":\"F32\",", 0),
            "bad.safetensors: invalid safetensors header: expected a string key but found end of input"),
        Arguments.of("trailing garbage", file("{} {}", 0), "after the end of the JSON value"),
        Arguments.of("duplicate key", file("{" + ok + "," + ok + "}", 16), "duplicate key \"w\""),
        Arguments.of("not an object", file("[]", 0), "the JSON header must be an object"),
        Arguments.of("deep nesting", file("{\"__metadata__\":" + "[".repeat(20) + "]".repeat(20) + "}", 0),
            "nesting deeper than 8 levels"),
        Arguments.of("overflowing number", file("{" + entry("w", "F32", "[2]", 0, 0).replace("[0,0]",
            "[0,18446744073709551616]") + "}", 8), "integer out of range"),
        Arguments.of("unknown dtype", file("{" + entry("w", "F16", "[2]", 0, 4) + "}", 4),
            "bad.safetensors: tensor 'w': unsupported dtype \"F16\" (supported: F32, F64, I64, I32)"),
        Arguments.of("negative shape", file("{" + entry("w", "F32", "[-2,2]", 0, 8) + "}", 8),
            "tensor 'w': shape [-2, 2] has a negative dimension"),
        Arguments.of("fractional shape", file("{" + entry("w", "F32", "[2.0]", 0, 8) + "}", 8), "only integers"),
        Arguments.of("shape and byte size disagree", file("{" + entry("w", "F32", "[2,3]", 0, 20) + "}", 20),
            "tensor 'w': shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] span 20"),
        Arguments.of("offset past the end", file("{" + entry("w", "F32", "[1000]", 0, 4000) + "}", 100),
            "tensor 'w': data_offsets [0, 4000] reach past the end of the data buffer (100 bytes; is the file truncated?)"),
        Arguments.of("begin after end", file("{" + entry("w", "F32", "[1]", 8, 4) + "}", 8),
            "tensor 'w': data_offsets [8, 4] begin after they end"),
        Arguments.of("offsets not a pair", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
            "data_offsets must be [begin, end] with non-negative integers, got [0]"),
        Arguments.of("overlap", file("{" + entry("a", "F32", "[4]", 0, 16) + "," + entry("b", "F32", "[4]", 8, 24) + "}", 24),
            "bad.safetensors: tensors 'a' [0, 16] and 'b' [8, 24] overlap in the data buffer"),
        Arguments.of("hole", file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 16, 24) + "}", 24),
            "the data buffer has a hole of 8 bytes at [8, 16] before tensor 'b' (the format forbids holes)"),
        Arguments.of("unused tail", file("{" + entry("a", "F32", "[2]", 0, 8) + "}", 16),
            "the data buffer has 8 bytes at [8, 16] that belong to no tensor"),
        Arguments.of("shape product overflows long",
            file("{" + entry("w", "F32", "[2147483647,2147483647,2147483647]", 0, 8) + "}", 8),
            "tensor 'w': shape [2147483647, 2147483647, 2147483647] has too many elements (a Java array holds at most 2147483647)"),
        Arguments.of("shape past a Java array", file("{" + entry("w", "F32", "[65536,32768]", 0, 8) + "}", 8),
            "has too many elements"),
        Arguments.of("dimension past int", file("{" + entry("w", "F32", "[0,4294967296]", 0, 0) + "}", 0),
            "has a dimension over 2147483647"),
        Arguments.of("missing field", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
            "tensor 'w': header entry lacks \"data_offsets\""),
        Arguments.of("unknown field", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4),
            "tensor 'w': unknown header field \"x\""),
        Arguments.of("entry not an object", file("{\"w\":[1]}", 0), "tensor 'w': header entry must be an object"),
        Arguments.of("dtype not a string", file("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
            "dtype must be a string, not an integer"),
        Arguments.of("metadata value not a string", file("{\"__metadata__\":{\"epoch\":3}}", 0),
            "__metadata__ value of \"epoch\" must be a string, not an integer"),
        Arguments.of("metadata not an object", file("{\"__metadata__\":\"x\"}", 0),
            "__metadata__ must be an object of strings, not a string"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void rejectsMalformedFiles(String what, byte[] bytes, String expected) {
    RnncException e = rejected(bytes);
    assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage());
    assertTrue(e.getMessage().startsWith("bad.safetensors: "), () -> "names the file: " + e.getMessage());
  }

  @Test
  void rejectsMalformedFilesOnDiskNamingThePath() throws Exception {
    Path file = dir.resolve("cut.safetensors");
    byte[] good = SafeTensors.toBytes(Map.of("w", Tensor.ofFloats(new int[] {4}, new float[4])), Map.of());
    Files.write(file, java.util.Arrays.copyOf(good, good.length - 1));
    RnncException e = assertThrows(RnncException.class, () -> SafeTensors.read(file));
    assertEquals(file + ": tensor 'w': data_offsets [0, 16] reach past the end of the data buffer (15 bytes; is the "
        + "file truncated?)", e.getMessage());

    RnncException missing = assertThrows(RnncException.class, () -> SafeTensors.read(dir.resolve("none")));
    assertTrue(missing.getMessage().startsWith("cannot read " + dir.resolve("none") + ": no such file"),
        missing.getMessage());
  }

  @Test
  void aFileClaimingFourGigabytesFailsBeforeAllocatingIt() {
    String header = "{" + entry("huge", "F32", "[1073741824]", 0, 4L << 30) + "}";
    byte[] bytes = file(header, 100 - 8 - header.length());
    assertEquals(100, bytes.length);

    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    long start = System.nanoTime();
    RnncException e = rejected(bytes);
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    assertEquals("bad.safetensors: tensor 'huge': data_offsets [0, 4294967296] reach past the end of the data buffer"
        + " (" + (100 - 8 - header.length()) + " bytes; is the file truncated?)", e.getMessage());
    assertTrue(allocated < (1 << 20), "allocated " + allocated + " bytes");
    assertTrue(elapsedMillis < 1000, "took " + elapsedMillis + " ms");
  }

  @Test
  void rejectsTensorsTheWriterCannotName() {
    Map<String, Tensor> reserved = Map.of("__metadata__", Tensor.ofInts(new int[] {1}, new int[1]));
    assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(reserved, Map.of()));
    Map<String, Tensor> surrogate = Map.of("bad\ud800", Tensor.ofInts(new int[] {1}, new int[1]));
    assertThrows(IllegalArgumentException.class, () -> SafeTensors.toBytes(surrogate, Map.of()));
  }
}
