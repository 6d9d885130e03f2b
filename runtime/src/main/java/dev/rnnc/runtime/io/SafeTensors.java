package dev.rnnc.runtime.io;

import dev.rnnc.runtime.MemoryBudget;
import dev.rnnc.runtime.RnncException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format: an 8-byte
 * little-endian header length N, N bytes of UTF-8 JSON describing each tensor's dtype, shape and
 * {@code data_offsets} (relative to the data buffer), then the data buffer of little-endian row-major elements.
 *
 * <p>Reading is strict because the header is untrusted input that decides allocations: every field is checked
 * (supported dtype, sane shape, byte size matching the offsets, offsets inside the file, tensors tiling the data
 * buffer with no overlap and no hole) before any tensor array is allocated, and failures are
 * {@link RnncException}s naming the file and the tensor. Writing is atomic (see {@link AtomicFile}).
 */
public final class SafeTensors {
  /** Largest header accepted, as in the reference implementation. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /** Tensor data moves through a buffer of this size, so no second full-size copy is ever made. */
  private static final int CHUNK_BYTES = 1 << 20;

  private SafeTensors() {}

  /**
   * Reads a whole file. Tensors come back in file order (ascending data offset), which for files written by
   * rnnc is the order they were written in.
   */
  public static SafeTensorsFile read(Path file) {
    String source = file.toString();
    try (FileSource in = new FileSource(FileChannel.open(file, StandardOpenOption.READ))) {
      return read(source, in);
    } catch (IOException e) {
      throw new RnncException("cannot read " + source + ": " + AtomicFile.describe(e), e);
    }
  }

  /** Reads safetensors bytes held in memory; {@code sourceName} stands for the file in messages. */
  public static SafeTensorsFile read(String sourceName, byte[] bytes) {
    try {
      return read(sourceName, new ArraySource(bytes));
    } catch (IOException e) {
      throw new RnncException("cannot read " + sourceName + ": " + AtomicFile.describe(e), e);
    }
  }

  private static SafeTensorsFile read(String source, Source in) throws IOException {
    long size = in.size();
    if (size < Long.BYTES) {
      throw new RnncException(source + ": not a safetensors file: " + size
          + " bytes, shorter than the 8-byte header length");
    }
    ByteBuffer prefix = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    in.readFully(0, prefix);
    long headerLength = prefix.getLong(0);
    // Compared unsigned: the field is a u64, and a "negative" long is just a huge length.
    if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
      throw new RnncException(source + ": not a safetensors file: header length " + Long.toUnsignedString(headerLength)
          + " is over the " + MAX_HEADER_BYTES + "-byte limit" + zipHint(prefix));
    }
    if (headerLength > size - Long.BYTES) {
      throw new RnncException(source + ": header length " + headerLength + " points past the end of the file ("
          + size + " bytes; is it truncated?)" + zipHint(prefix));
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
    in.readFully(Long.BYTES, headerBytes);
    headerBytes.flip();
    long dataStart = Long.BYTES + headerLength;
    SafeTensorsHeader header = SafeTensorsHeader.parse(source, headerBytes, size - dataStart);

    // Only now, with every entry checked against the file size, are tensor arrays allocated — if they fit.
    MemoryBudget.require(source + "'s tensors", size - dataStart);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, size - dataStart)).order(ByteOrder.LITTLE_ENDIAN);
    for (SafeTensorsHeader.Entry entry : header.entries()) {
      tensors.put(entry.name(), readTensor(in, dataStart, entry, chunk));
    }
    return new SafeTensorsFile(tensors, header.metadata());
  }

  /** PyTorch's own {@code torch.save} format is a zip archive; say so, since it is the likeliest mix-up. */
  private static String zipHint(ByteBuffer prefix) {
    boolean zip = prefix.get(0) == 'P' && prefix.get(1) == 'K' && prefix.get(2) == 3 && prefix.get(3) == 4;
    return zip ? " (this is a zip archive, probably a torch.save checkpoint; save a safetensors file with "
        + "safetensors.torch.save_file instead)" : "";
  }

  private static Tensor readTensor(Source in, long dataStart, SafeTensorsHeader.Entry entry, ByteBuffer chunk)
      throws IOException {
    int count = entry.elementCount();
    int width = entry.dtype().byteSize();
    long position = dataStart + entry.begin();
    return switch (entry.dtype()) {
      case F32 -> {
        float[] data = new float[count];
        readChunks(in, position, count, width, chunk, (buffer, offset, n) -> buffer.asFloatBuffer().get(data, offset, n));
        yield Tensor.ofFloats(entry.shape(), data);
      }
      case F64 -> {
        double[] data = new double[count];
        readChunks(in, position, count, width, chunk, (buffer, offset, n) -> buffer.asDoubleBuffer().get(data, offset, n));
        yield Tensor.ofDoubles(entry.shape(), data);
      }
      case I64 -> {
        long[] data = new long[count];
        readChunks(in, position, count, width, chunk, (buffer, offset, n) -> buffer.asLongBuffer().get(data, offset, n));
        yield Tensor.ofLongs(entry.shape(), data);
      }
      case I32 -> {
        int[] data = new int[count];
        readChunks(in, position, count, width, chunk, (buffer, offset, n) -> buffer.asIntBuffer().get(data, offset, n));
        yield Tensor.ofInts(entry.shape(), data);
      }
    };
  }

  /** Moves {@code n} elements between a little-endian byte buffer and an array starting at {@code offset}. */
  @FunctionalInterface
  private interface ElementCopy {
    void copy(ByteBuffer buffer, int offset, int n);
  }

  private static void readChunks(Source in, long position, int count, int width, ByteBuffer chunk, ElementCopy copy)
      throws IOException {
    int perChunk = chunk.capacity() / width;
    for (int done = 0; done < count; ) {
      int n = Math.min(perChunk, count - done);
      chunk.clear().limit(n * width);
      in.readFully(position + (long) done * width, chunk);
      chunk.flip();
      copy.copy(chunk, done, n);
      done += n;
    }
  }

  /**
   * Atomically writes {@code tensors} (in iteration order, back to back) and {@code metadata} to {@code file}:
   * either the complete new file replaces the old one, or, on any failure, the old file is untouched.
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    List<Map.Entry<String, Tensor>> items = snapshot(tensors);
    byte[] header = header(items, metadata);
    AtomicFile.write(file, channel -> writeTo(channel, header, items));
  }

  /** The bytes {@link #write} would put in a file. */
  public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
    List<Map.Entry<String, Tensor>> items = snapshot(tensors);
    byte[] header = header(items, metadata);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeTo(Channels.newChannel(out), header, items);
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write failed", e);
    }
    return out.toByteArray();
  }

  private static List<Map.Entry<String, Tensor>> snapshot(Map<String, Tensor> tensors) {
    List<Map.Entry<String, Tensor>> items = new ArrayList<>();
    for (Map.Entry<String, Tensor> item : tensors.entrySet()) {
      String name = Objects.requireNonNull(item.getKey(), "tensor name");
      if (name.equals(SafeTensorsHeader.METADATA_KEY)) {
        throw new IllegalArgumentException("'" + name + "' is reserved and cannot name a tensor");
      }
      items.add(Map.entry(name, Objects.requireNonNull(item.getValue(), () -> "tensor '" + name + "'")));
    }
    return items;
  }

  private static byte[] header(List<Map.Entry<String, Tensor>> items, Map<String, String> metadata) {
    for (Map.Entry<String, String> item : metadata.entrySet()) {
      Objects.requireNonNull(item.getKey(), "metadata key");
      Objects.requireNonNull(item.getValue(), () -> "metadata value of '" + item.getKey() + "'");
    }
    List<SafeTensorsHeader.Entry> entries = new ArrayList<>();
    long offset = 0;
    for (Map.Entry<String, Tensor> item : items) {
      Tensor tensor = item.getValue();
      entries.add(new SafeTensorsHeader.Entry(item.getKey(), tensor.dtype(), tensor.shape(), offset,
          offset + tensor.byteSize()));
      offset += tensor.byteSize();
    }
    byte[] header = SafeTensorsHeader.encode(entries, metadata);
    if (header.length > MAX_HEADER_BYTES) {
      throw new IllegalArgumentException("header of " + header.length + " bytes is over the " + MAX_HEADER_BYTES
          + "-byte limit readers enforce");
    }
    return header;
  }

  private static void writeTo(WritableByteChannel channel, byte[] header, List<Map.Entry<String, Tensor>> items)
      throws IOException {
    ByteBuffer prefix = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
    writeFully(channel, prefix);
    writeFully(channel, ByteBuffer.wrap(header));
    long largest = items.stream().mapToLong(item -> item.getValue().byteSize()).max().orElse(0);
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, Math.max(largest, 8)))
        .order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<String, Tensor> item : items) {
      writeTensor(channel, item.getValue(), chunk);
    }
  }

  private static void writeTensor(WritableByteChannel channel, Tensor tensor, ByteBuffer chunk) throws IOException {
    int count = (int) tensor.elementCount();
    int width = tensor.dtype().byteSize();
    ElementCopy copy = switch (tensor.dtype()) {
      case F32 -> (buffer, offset, n) -> buffer.asFloatBuffer().put(tensor.floats(), offset, n);
      case F64 -> (buffer, offset, n) -> buffer.asDoubleBuffer().put(tensor.doubles(), offset, n);
      case I64 -> (buffer, offset, n) -> buffer.asLongBuffer().put(tensor.longs(), offset, n);
      case I32 -> (buffer, offset, n) -> buffer.asIntBuffer().put(tensor.ints(), offset, n);
    };
    int perChunk = chunk.capacity() / width;
    for (int done = 0; done < count; ) {
      int n = Math.min(perChunk, count - done);
      chunk.clear().limit(n * width);
      copy.copy(chunk, done, n); // views write through without moving the chunk's own position
      writeFully(channel, chunk);
      done += n;
    }
  }

  private static void writeFully(WritableByteChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Random-access bytes: a file, or an array in tests and in-memory use. */
  private interface Source extends Closeable {
    long size() throws IOException;

    /** Fills {@code dst} from {@code position}; the file ending first is an error. */
    void readFully(long position, ByteBuffer dst) throws IOException;
  }

  private static final class FileSource implements Source {
    private final FileChannel channel;

    FileSource(FileChannel channel) {
      this.channel = channel;
    }

    @Override
    public long size() throws IOException {
      return channel.size();
    }

    @Override
    public void readFully(long position, ByteBuffer dst) throws IOException {
      long at = position;
      while (dst.hasRemaining()) {
        int read = channel.read(dst, at);
        if (read < 0) {
          throw new EOFException("the file ended early; was it changed while being read?");
        }
        at += read;
      }
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  private static final class ArraySource implements Source {
    private final byte[] bytes;

    ArraySource(byte[] bytes) {
      this.bytes = Objects.requireNonNull(bytes, "bytes");
    }

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public void readFully(long position, ByteBuffer dst) throws IOException {
      if (position + dst.remaining() > bytes.length) {
        throw new EOFException("the data ended early");
      }
      dst.put(bytes, (int) position, dst.remaining());
    }

    @Override
    public void close() {}
  }
}
