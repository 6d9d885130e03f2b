package dev.rnnc.cli.data;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.DType;
import dev.rnnc.runtime.io.Tensor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy arrays: {@code .npy} files (format versions 1.0, 2.0 and 3.0 of the
 * <a href="https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html">NPY format</a>) and
 * {@code .npz} archives (a zip of {@code .npy} files, stored or deflated, as {@code np.savez} and
 * {@code np.savez_compressed} write them).
 *
 * <p>Supported dtypes: {@code f4}, {@code f8}, {@code i4}, {@code i8}, little- ({@code <}) or big-endian
 * ({@code >}), kept as F32, F64, I32 and I64. Arrays must be in C order (NumPy's default); Fortran-ordered
 * arrays of rank 2 or more are refused with the fix ({@code np.ascontiguousarray}). The header is checked
 * (shape sane, data size matching it) before the array is allocated, and the data is read in chunks straight
 * into it.
 */
public final class NpyReader {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int MAX_HEADER_BYTES = 1 << 20;

  private NpyReader() {}

  /** One {@code .npy} file. */
  public static Tensor readNpy(Path file) {
    DataErrors.requireRegularFile(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      long size = Files.size(file);
      return read(file.toString(), in, size);
    } catch (IOException e) {
      throw DataErrors.reading(file, e);
    }
  }

  /** Every array of an {@code .npz} archive, named by its entry name without {@code .npy}, in archive order. */
  public static Map<String, Tensor> readNpz(Path file) {
    DataErrors.requireRegularFile(file);
    Map<String, Tensor> out = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      List<ZipEntry> entries = new ArrayList<>();
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        entries.add(e.nextElement());
      }
      for (ZipEntry entry : entries) {
        if (entry.isDirectory()) {
          continue;
        }
        String name = entry.getName();
        if (!name.endsWith(".npy")) {
          throw DataErrors.in(file, "entry '" + name + "' is not an .npy array");
        }
        String tensorName = name.substring(0, name.length() - 4);
        try (InputStream in = new BufferedInputStream(zip.getInputStream(entry), 1 << 16)) {
          out.put(tensorName, read(file + "[" + name + "]", in, entry.getSize()));
        }
      }
    } catch (ZipException e) {
      throw DataErrors.in(file, "not a valid .npz (zip) archive: " + e.getMessage());
    } catch (IOException e) {
      throw DataErrors.reading(file, e);
    }
    if (out.isEmpty()) {
      throw DataErrors.in(file, "holds no arrays");
    }
    return out;
  }

  /** Reads one array from {@code in}; {@code size} is the byte count of the whole .npy, or -1 if unknown. */
  static Tensor read(String source, InputStream in, long size) throws IOException {
    byte[] magic = in.readNBytes(8);
    if (magic.length < 8 || !java.util.Arrays.equals(java.util.Arrays.copyOf(magic, 6), MAGIC)) {
      throw new RnncException(source + ": not an .npy array (no \\x93NUMPY magic at the start)");
    }
    int major = magic[6] & 0xff;
    int headerLength;
    int prefix;
    if (major == 1) {
      byte[] len = readExactly(source, in, 2);
      headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
      prefix = 10;
    } else if (major == 2 || major == 3) {
      byte[] len = readExactly(source, in, 4);
      long value = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
      if (value > MAX_HEADER_BYTES) {
        throw new RnncException(source + ": .npy header of " + value + " bytes is over the " + MAX_HEADER_BYTES
            + "-byte limit");
      }
      headerLength = (int) value;
      prefix = 12;
    } else {
      throw new RnncException(source + ": .npy format version " + major + "." + (magic[7] & 0xff)
          + " is not supported (1.0, 2.0 and 3.0 are)");
    }
    if (size >= 0 && prefix + (long) headerLength > size) {
      throw new RnncException(source + ": .npy header length " + headerLength + " points past the end of the file");
    }
    String header = new String(readExactly(source, in, headerLength),
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Header parsed = Header.parse(source, header);
    long count = 1;
    for (int d : parsed.shape) {
      count *= d;
      if (count > Integer.MAX_VALUE - 8) {
        throw new RnncException(source + ": shape " + java.util.Arrays.toString(parsed.shape)
            + " has more elements than one Java array holds");
      }
    }
    long dataBytes = count * parsed.dtype.byteSize();
    if (size >= 0 && size - prefix - headerLength != dataBytes) {
      throw new RnncException(source + ": the header's shape " + java.util.Arrays.toString(parsed.shape) + " of "
          + parsed.descr + " needs " + dataBytes + " data bytes, but the file has " + (size - prefix - headerLength)
          + (size - prefix - headerLength < dataBytes ? " (is it truncated?)" : ""));
    }
    Tensor tensor = readData(source, in, parsed, (int) count);
    if (in.read() >= 0) {
      throw new RnncException(source + ": data continues after the " + dataBytes + " bytes the shape needs");
    }
    return tensor;
  }

  private static Tensor readData(String source, InputStream in, Header header, int count) throws IOException {
    int width = header.dtype.byteSize();
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.max(width, Math.min(1 << 16, (long) count * width)))
        .order(header.order);
    int perChunk = chunk.capacity() / width;
    Object data = switch (header.dtype) {
      case F32 -> new float[count];
      case F64 -> new double[count];
      case I32 -> new int[count];
      case I64 -> new long[count];
    };
    for (int done = 0; done < count; ) {
      int n = Math.min(perChunk, count - done);
      chunk.clear();
      int bytes = n * width;
      if (in.readNBytes(chunk.array(), 0, bytes) != bytes) {
        throw new RnncException(source + ": the data ends early (is the file truncated?)");
      }
      chunk.limit(bytes);
      switch (header.dtype) {
        case F32 -> chunk.asFloatBuffer().get((float[]) data, done, n);
        case F64 -> chunk.asDoubleBuffer().get((double[]) data, done, n);
        case I32 -> chunk.asIntBuffer().get((int[]) data, done, n);
        case I64 -> chunk.asLongBuffer().get((long[]) data, done, n);
      }
      done += n;
    }
    int[] shape = header.shape;
    return switch (header.dtype) {
      case F32 -> Tensor.ofFloats(shape, (float[]) data);
      case F64 -> Tensor.ofDoubles(shape, (double[]) data);
      case I32 -> Tensor.ofInts(shape, (int[]) data);
      case I64 -> Tensor.ofLongs(shape, (long[]) data);
    };
  }

  private static byte[] readExactly(String source, InputStream in, int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    if (bytes.length != n) {
      throw new RnncException(source + ": the .npy header ends early (is the file truncated?)");
    }
    return bytes;
  }

  /** The header dictionary: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }}. */
  private static final class Header {
    String descr;
    DType dtype;
    ByteOrder order;
    int[] shape;

    static Header parse(String source, String text) {
      Header header = new Header();
      Literal literal = new Literal(source, text);
      Map<String, Object> dict = literal.dictionary();
      if (!dict.keySet().equals(java.util.Set.of("descr", "fortran_order", "shape"))) {
        throw new RnncException(source + ": .npy header has keys " + dict.keySet()
            + "; expected descr, fortran_order and shape");
      }
      if (!(dict.get("descr") instanceof String descr)) {
        throw new RnncException(source + ": .npy header's descr is not a string (structured dtypes are not supported)");
      }
      header.descr = descr;
      if (descr.length() != 3 || "<>|=".indexOf(descr.charAt(0)) < 0) {
        throw unsupported(source, descr);
      }
      header.order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      header.dtype = switch (descr.substring(1)) {
        case "f4" -> DType.F32;
        case "f8" -> DType.F64;
        case "i4" -> DType.I32;
        case "i8" -> DType.I64;
        default -> throw unsupported(source, descr);
      };
      if (!(dict.get("shape") instanceof List<?> dims)) {
        throw new RnncException(source + ": .npy header's shape is not a tuple");
      }
      header.shape = new int[dims.size()];
      for (int i = 0; i < dims.size(); i++) {
        if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
          throw new RnncException(source + ": .npy header's shape " + dims + " has a bad dimension");
        }
        header.shape[i] = (int) (long) d;
      }
      if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
        throw new RnncException(source + ": .npy header's fortran_order is not True or False");
      }
      int nonTrivial = 0;
      for (int d : header.shape) {
        nonTrivial += d > 1 ? 1 : 0;
      }
      if (fortran && nonTrivial > 1) {
        throw new RnncException(source + ": array is in Fortran order; save it in C order"
            + " (np.save(f, np.ascontiguousarray(a)))");
      }
      return header;
    }

    private static RnncException unsupported(String source, String descr) {
      return new RnncException(source + ": dtype '" + descr + "' is not supported; convert with"
          + " a.astype('<f4') (or '<f8', '<i4', '<i8')");
    }
  }

  /** The Python literal subset of NPY headers: dict, tuple, str, int, True/False. */
  private static final class Literal {
    private final String source;
    private final String text;
    private int pos;

    Literal(String source, String text) {
      this.source = source;
      this.text = text;
    }

    Map<String, Object> dictionary() {
      Object value = value(0);
      skipSpace();
      if (pos != text.length() || !(value instanceof Map<?, ?>)) {
        throw bad("expected one dictionary");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) value;
      return map;
    }

    private Object value(int depth) {
      if (depth > 4) {
        throw bad("nested too deeply");
      }
      skipSpace();
      if (pos >= text.length()) {
        throw bad("ends early");
      }
      char c = text.charAt(pos);
      if (c == '{') {
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        while (true) {
          skipSpace();
          if (peek('}')) {
            pos++;
            return map;
          }
          if (!(value(depth + 1) instanceof String key)) {
            throw bad("dictionary key is not a string");
          }
          skipSpace();
          expect(':');
          if (map.put(key, value(depth + 1)) != null) {
            throw bad("duplicate key '" + key + "'");
          }
          skipSpace();
          if (peek(',')) {
            pos++;
          } else if (!peek('}')) {
            throw bad("expected ',' or '}'");
          }
        }
      }
      if (c == '(') {
        pos++;
        List<Object> items = new ArrayList<>();
        while (true) {
          skipSpace();
          if (peek(')')) {
            pos++;
            return items;
          }
          items.add(value(depth + 1));
          skipSpace();
          if (peek(',')) {
            pos++;
          } else if (!peek(')')) {
            throw bad("expected ',' or ')'");
          }
        }
      }
      if (c == '\'' || c == '"') {
        int end = text.indexOf(c, pos + 1);
        if (end < 0) {
          throw bad("unterminated string");
        }
        String s = text.substring(pos + 1, end);
        pos = end + 1;
        return s;
      }
      if (Character.isDigit(c)) {
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
          pos++;
        }
        if (pos < text.length() && text.charAt(pos) == 'L') {
          pos++; // Python 2 long suffix
          return parseLong(text.substring(start, pos - 1));
        }
        return parseLong(text.substring(start, pos));
      }
      if (text.startsWith("True", pos)) {
        pos += 4;
        return Boolean.TRUE;
      }
      if (text.startsWith("False", pos)) {
        pos += 5;
        return Boolean.FALSE;
      }
      throw bad("unexpected '" + c + "'");
    }

    private Long parseLong(String digits) {
      try {
        return Long.parseLong(digits);
      } catch (NumberFormatException e) {
        throw bad("number " + digits + " is too large");
      }
    }

    private boolean peek(char c) {
      return pos < text.length() && text.charAt(pos) == c;
    }

    private void expect(char c) {
      if (!peek(c)) {
        throw bad("expected '" + c + "'");
      }
      pos++;
    }

    private void skipSpace() {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
        pos++;
      }
    }

    private RnncException bad(String why) {
      return new RnncException(source + ": malformed .npy header (" + why + " at character " + pos + "): "
          + text.strip());
    }
  }
}
