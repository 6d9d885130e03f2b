package dev.rnnc.loader;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A directory of compiled model classes, one file per cache key ({@code KEY.classes}).
 *
 * <p>Several JVMs may share the directory: an entry is written to a temporary file in the same directory, forced
 * to disk and atomically renamed over the final name, so a reader sees a whole entry or none (two writers of one
 * key write equivalent entries; the last rename wins). Each entry ends with the SHA-256 of everything before it
 * and repeats its key and class name, so a truncated, damaged or misplaced file is detected and reported as
 * {@link Corrupt}, never loaded.
 *
 * <p>Layout: magic {@code RNNCCLS1}, key (modified UTF-8), main class name, class count, then per class its
 * binary name, length and bytes; then the 32-byte digest.
 */
final class ClassCache {
  private static final byte[] MAGIC = {'R', 'N', 'N', 'C', 'C', 'L', 'S', '1'};
  private static final int DIGEST_BYTES = 32;
  /** Far above any generated model's classes (tens of KB); a larger file is not ours. */
  private static final long MAX_ENTRY_BYTES = 64L << 20;
  private static final int MAX_CLASSES = 1024;
  /** A temporary file this old was left by a JVM that died mid-write (a write takes milliseconds). */
  private static final Duration ABANDONED = Duration.ofHours(1);

  private final Path directory;

  ClassCache(Path directory) {
    this.directory = directory;
  }

  Path directory() {
    return directory;
  }

  Path entry(String key) {
    return directory.resolve(key + ".classes");
  }

  /** A cache entry that exists but cannot be trusted; the message says why. */
  static final class Corrupt extends Exception {
    private static final long serialVersionUID = 1L;

    Corrupt(String message) {
      super(message);
    }
  }

  /** What an entry holds. */
  record Entry(String mainClass, Map<String, byte[]> classBytes) {}

  /**
   * Reads the entry of {@code key}.
   *
   * @return the entry, or {@code null} if there is none
   * @throws Corrupt if there is one but it fails a check
   * @throws IOException if it cannot be read
   */
  Entry read(String key) throws Corrupt, IOException {
    Path file = entry(key);
    if (!Files.isDirectory(directory)) {
      return null; // not created yet, or not a directory at all (then writing fails and says so)
    }
    byte[] bytes;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size > MAX_ENTRY_BYTES || size < MAGIC.length + DIGEST_BYTES) {
        throw new Corrupt("size " + size + " bytes is impossible for an entry");
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) size);
      while (buffer.hasRemaining()) {
        if (channel.read(buffer) < 0) {
          throw new Corrupt("file shrank while being read");
        }
      }
      bytes = buffer.array();
    } catch (NoSuchFileException e) {
      return null;
    }
    int bodyLength = bytes.length - DIGEST_BYTES;
    byte[] expected = Arrays.copyOfRange(bytes, bodyLength, bytes.length);
    MessageDigest digest = sha256();
    digest.update(bytes, 0, bodyLength);
    if (!MessageDigest.isEqual(expected, digest.digest())) {
      throw new Corrupt("checksum mismatch");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bodyLength))) {
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new Corrupt("not an rnnc class cache entry (bad magic)");
      }
      String storedKey = in.readUTF();
      if (!storedKey.equals(key)) {
        throw new Corrupt("entry is for key " + storedKey);
      }
      String mainClass = in.readUTF();
      int count = in.readInt();
      if (count < 1 || count > MAX_CLASSES) {
        throw new Corrupt("class count " + count);
      }
      Map<String, byte[]> classes = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        String name = in.readUTF();
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
          throw new Corrupt("class " + name + " claims " + length + " bytes");
        }
        classes.put(name, in.readNBytes(length));
      }
      if (in.available() != 0 || !classes.containsKey(mainClass)) {
        throw new Corrupt("trailing bytes or missing main class " + mainClass);
      }
      return new Entry(mainClass, classes);
    } catch (EOFException e) {
      throw new Corrupt("entry ends early");
    }
  }

  /** Writes the entry of {@code key} atomically (temporary file, force, rename), replacing any other. */
  void write(String key, Entry entry) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      out.write(MAGIC);
      out.writeUTF(key);
      out.writeUTF(entry.mainClass());
      out.writeInt(entry.classBytes().size());
      for (Map.Entry<String, byte[]> e : entry.classBytes().entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue().length);
        out.write(e.getValue());
      }
      out.write(sha256().digest(buffer.toByteArray()));
    }
    Files.createDirectories(directory);
    Path temporary = Files.createTempFile(directory, key + ".", ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
        ByteBuffer data = ByteBuffer.wrap(buffer.toByteArray());
        while (data.hasRemaining()) {
          channel.write(data);
        }
        channel.force(true);
      }
      try {
        Files.move(temporary, entry(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        // Only on file systems without atomic rename; the reader's checksum still catches a torn entry.
        Files.move(temporary, entry(key), StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temporary);
    }
    deleteAbandonedTemporaryFiles();
  }

  /** Removes temporary files of writers killed between creating and renaming them; best effort. */
  private void deleteAbandonedTemporaryFiles() {
    Instant cutoff = Instant.now().minus(ABANDONED);
    try (DirectoryStream<Path> temporaries = Files.newDirectoryStream(directory, "*.tmp")) {
      for (Path temporary : temporaries) {
        try {
          if (Files.getLastModifiedTime(temporary).toInstant().isBefore(cutoff)) {
            Files.deleteIfExists(temporary);
          }
        } catch (IOException e) {
          // Another JVM removed it, or it is not ours to remove: either way nothing to do.
        }
      }
    } catch (IOException e) {
      // Listing failed: the files stay until a later write.
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }
}
