package dev.rnnc.runtime;

import dev.rnnc.runtime.io.AtomicFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The tuning profile {@code rnnc tune} writes (as FFTW's wisdom or ATLAS's tuned parameters): per CPU model, the
 * vector width the generated kernels ran fastest with on that machine. A Java properties file, one line per CPU
 * model, e.g. {@code Intel(R)\ Xeon(R)\ Processor=512}. Read once per generated class when it initialises
 * ({@link VectorSupport#vectorBits}); a missing, unreadable or malformed file counts as empty.
 */
public final class TuningProfile {
  private TuningProfile() {}

  /** Larger files are not profiles (a wrong path): ignored rather than read. */
  private static final long MAX_BYTES = 1 << 16;

  /** CPU model → width in bits, as text; empty when the file is missing or unusable. */
  public static Map<String, String> load(Path file) {
    Map<String, String> entries = new LinkedHashMap<>();
    try {
      if (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES) {
        return entries;
      }
      Properties properties = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        properties.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
      }
      for (String key : properties.stringPropertyNames()) {
        entries.put(key, properties.getProperty(key));
      }
    } catch (IOException | RuntimeException e) {
      entries.clear();
    }
    return entries;
  }

  /**
   * Records {@code bits} for {@code cpuModel}, keeping the other models' entries, written atomically (a reader
   * sees the old file or the new one, never a partial one).
   */
  public static void store(Path file, String cpuModel, int bits) throws IOException {
    Map<String, String> entries = new TreeMap<>(load(file));
    entries.put(cpuModel, Integer.toString(bits));
    Properties properties = new Properties();
    properties.putAll(entries);
    StringWriter text = new StringWriter();
    properties.store(text, "rnnc tune: fastest vector width (bits) of generated kernels per CPU model");
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    AtomicFile.write(file, channel -> {
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    });
  }
}
