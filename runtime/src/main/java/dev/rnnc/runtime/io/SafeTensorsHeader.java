package dev.rnnc.runtime.io;

import dev.rnnc.runtime.RnncException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON header of a safetensors file: validation when reading (every check that guards an allocation or a
 * read happens here, before any tensor data is touched) and encoding when writing.
 */
final class SafeTensorsHeader {
  static final String METADATA_KEY = "__metadata__";
  private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");

  /** One tensor's header entry; offsets are relative to the start of the data buffer. */
  record Entry(String name, DType dtype, int[] shape, long begin, long end) {
    long byteLength() {
      return end - begin;
    }

    int elementCount() {
      return (int) (byteLength() / dtype.byteSize());
    }

    String offsets() {
      return "[" + begin + ", " + end + "]";
    }
  }

  private final Map<String, String> metadata;
  private final List<Entry> entries;

  private SafeTensorsHeader(Map<String, String> metadata, List<Entry> entries) {
    this.metadata = metadata;
    this.entries = entries;
  }

  Map<String, String> metadata() {
    return metadata;
  }

  /** Entries in data-buffer order (by begin offset; empty tensors sharing an offset keep header order). */
  List<Entry> entries() {
    return entries;
  }

  /**
   * Decodes and checks a header. Afterwards every entry has a supported dtype, a shape whose byte size equals its
   * offset span, lies inside a data buffer of {@code dataSize} bytes, and the entries tile that buffer exactly.
   */
  static SafeTensorsHeader parse(String source, ByteBuffer bytes, long dataSize) {
    Object root;
    String text = decodeUtf8(source, bytes);
    try {
      root = Json.parse(text);
    } catch (Json.ParseException e) {
      throw new RnncException(source + ": invalid safetensors header: " + e.getMessage()
          + " (at character " + e.offset() + " of the JSON header)");
    }
    if (!(root instanceof Map)) {
      throw new RnncException(source + ": invalid safetensors header: the JSON header must be an object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, Object> member : asObject(root).entrySet()) {
      if (member.getKey().equals(METADATA_KEY)) {
        metadata = parseMetadata(source, member.getValue());
      } else {
        entries.add(parseEntry(source, member.getKey(), member.getValue(), dataSize));
      }
    }
    entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    checkTiling(source, entries, dataSize);
    return new SafeTensorsHeader(Collections.unmodifiableMap(metadata), Collections.unmodifiableList(entries));
  }

  private static String decodeUtf8(String source, ByteBuffer bytes) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return decoder.decode(bytes).toString();
    } catch (CharacterCodingException e) {
      throw new RnncException(source + ": invalid safetensors header: the JSON header is not valid UTF-8");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asObject(Object value) {
    return (Map<String, Object>) value;
  }

  private static Map<String, String> parseMetadata(String source, Object value) {
    if (!(value instanceof Map)) {
      throw new RnncException(source + ": invalid safetensors header: " + METADATA_KEY
          + " must be an object of strings, not " + kind(value));
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, Object> item : asObject(value).entrySet()) {
      if (!(item.getValue() instanceof String)) {
        throw new RnncException(source + ": invalid safetensors header: " + METADATA_KEY + " value of \""
            + item.getKey() + "\" must be a string, not " + kind(item.getValue()));
      }
      metadata.put(item.getKey(), (String) item.getValue());
    }
    return metadata;
  }

  private static Entry parseEntry(String source, String name, Object value, long dataSize) {
    String where = source + ": tensor '" + name + "': ";
    if (!(value instanceof Map)) {
      throw new RnncException(where + "header entry must be an object with dtype, shape and data_offsets, not "
          + kind(value));
    }
    Map<String, Object> fields = asObject(value);
    for (String key : fields.keySet()) {
      if (!ENTRY_KEYS.contains(key)) {
        throw new RnncException(where + "unknown header field \"" + key + "\" (expected dtype, shape, data_offsets)");
      }
    }
    for (String key : List.of("dtype", "shape", "data_offsets")) {
      if (!fields.containsKey(key)) {
        throw new RnncException(where + "header entry lacks \"" + key + "\"");
      }
    }

    Object dtypeName = fields.get("dtype");
    if (!(dtypeName instanceof String)) {
      throw new RnncException(where + "dtype must be a string, not " + kind(dtypeName));
    }
    DType dtype = DType.fromSafetensorsName((String) dtypeName).orElseThrow(() -> new RnncException(
        where + "unsupported dtype \"" + dtypeName + "\" (supported: " + DType.supportedNames() + ")"));

    long[] dims = integers(where, "shape", fields.get("shape"));
    int[] shape = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new RnncException(where + "shape " + Arrays.toString(dims) + " has a negative dimension");
      }
      if (dims[i] > Integer.MAX_VALUE) {
        throw new RnncException(where + "shape " + Arrays.toString(dims) + " has a dimension over " + Integer.MAX_VALUE);
      }
      shape[i] = (int) dims[i];
    }
    long elements = countElements(shape);
    if (elements < 0) {
      throw new RnncException(where + "shape " + Arrays.toString(dims)
          + " has too many elements (a Java array holds at most " + Integer.MAX_VALUE + ")");
    }

    long[] offsets = integers(where, "data_offsets", fields.get("data_offsets"));
    if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < 0) {
      throw new RnncException(where + "data_offsets must be [begin, end] with non-negative integers, got "
          + Arrays.toString(offsets));
    }
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end) {
      throw new RnncException(where + "data_offsets [" + begin + ", " + end + "] begin after they end");
    }
    if (end > dataSize) {
      throw new RnncException(where + "data_offsets [" + begin + ", " + end + "] reach past the end of the data buffer ("
          + dataSize + " bytes; is the file truncated?)");
    }
    long needed = elements * dtype.byteSize();
    if (end - begin != needed) {
      throw new RnncException(where + "shape " + Arrays.toString(shape) + " of " + dtype + " needs " + needed
          + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  /** Product of the dimensions, or -1 when it exceeds a Java array (checked per step, so it never overflows). */
  private static long countElements(int[] shape) {
    for (int dim : shape) {
      if (dim == 0) {
        return 0;
      }
    }
    long count = 1;
    for (int dim : shape) {
      count *= dim;
      if (count > Integer.MAX_VALUE) {
        return -1;
      }
    }
    return count;
  }

  private static long[] integers(String where, String field, Object value) {
    if (!(value instanceof List)) {
      throw new RnncException(where + field + " must be an array of integers, not " + kind(value));
    }
    List<?> items = (List<?>) value;
    long[] out = new long[items.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(items.get(i) instanceof Long)) {
        throw new RnncException(where + field + " must be an array of integers, but element " + i + " is "
            + kind(items.get(i)));
      }
      out[i] = (Long) items.get(i);
    }
    return out;
  }

  /** The format forbids both overlaps and holes: sorted entries must each start where the previous ended. */
  private static void checkTiling(String source, List<Entry> sorted, long dataSize) {
    long cursor = 0;
    Entry previous = null;
    for (Entry entry : sorted) {
      if (entry.begin() < cursor) {
        throw new RnncException(source + ": tensors '" + previous.name() + "' " + previous.offsets() + " and '"
            + entry.name() + "' " + entry.offsets() + " overlap in the data buffer");
      }
      if (entry.begin() > cursor) {
        throw new RnncException(source + ": the data buffer has a hole of " + (entry.begin() - cursor) + " bytes at ["
            + cursor + ", " + entry.begin() + "] before tensor '" + entry.name() + "' (the format forbids holes)");
      }
      cursor = entry.end();
      previous = entry;
    }
    if (cursor != dataSize) {
      throw new RnncException(source + ": the data buffer has " + (dataSize - cursor) + " bytes at [" + cursor + ", "
          + dataSize + "] that belong to no tensor (the format forbids holes)");
    }
  }

  private static String kind(Object value) {
    if (value instanceof Map) {
      return "an object";
    }
    if (value instanceof List) {
      return "an array";
    }
    if (value instanceof String) {
      return "a string";
    }
    return "an integer";
  }

  /**
   * The header bytes for tensors laid out back to back in the given order, padded with spaces to a multiple of
   * 8 bytes so the data buffer starts aligned. {@code __metadata__} comes first and is left out when empty.
   */
  static byte[] encode(List<Entry> entries, Map<String, String> metadata) {
    StringBuilder json = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      json.append(Json.quote(METADATA_KEY)).append(":{");
      boolean first = true;
      for (Map.Entry<String, String> item : metadata.entrySet()) {
        json.append(first ? "" : ",").append(Json.quote(item.getKey())).append(':').append(Json.quote(item.getValue()));
        first = false;
      }
      json.append('}');
    }
    for (Entry entry : entries) {
      if (json.length() > 1) {
        json.append(',');
      }
      json.append(Json.quote(entry.name())).append(":{\"dtype\":\"").append(entry.dtype().safetensorsName())
          .append("\",\"shape\":[");
      for (int i = 0; i < entry.shape().length; i++) {
        json.append(i == 0 ? "" : ",").append(entry.shape()[i]);
      }
      json.append("],\"data_offsets\":[").append(entry.begin()).append(',').append(entry.end()).append("]}");
    }
    json.append('}');
    byte[] utf8 = encodeUtf8(json);
    int padded = (utf8.length + 7) / 8 * 8;
    byte[] out = Arrays.copyOf(utf8, padded);
    Arrays.fill(out, utf8.length, padded, (byte) ' ');
    return out;
  }

  private static byte[] encodeUtf8(CharSequence text) {
    CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      ByteBuffer buffer = encoder.encode(CharBuffer.wrap(text));
      byte[] out = new byte[buffer.remaining()];
      buffer.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("a tensor name or metadata string is not valid Unicode (unpaired surrogate)");
    }
  }
}
