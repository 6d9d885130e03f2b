package dev.rnnc.maven;

import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What the last successful generation produced: per spec (by path relative to the source directory) the
 * spec's hash, the class and file it generated and that file's hash, plus the generator fingerprint and the
 * output directory they were made with. Stored as a properties file; an unreadable or foreign file counts as
 * no state (everything is regenerated, which is always safe).
 */
final class GenerationState {
  private static final String FORMAT_KEY = "format";
  private static final String FORMAT = "rnnc-state-1";
  private static final String GENERATOR_KEY = "generator";
  private static final String OUTPUT_KEY = "outputDirectory";
  private static final String SPEC_PREFIX = "spec.";

  /**
   * One spec's generation record.
   *
   * @param specSha256    hash of the spec's bytes
   * @param qualifiedName the class it generates
   * @param outputPath    the generated file, {@code /}-separated, relative to the output directory
   * @param outputSha256  hash of the generated file's bytes
   */
  record Entry(String specSha256, String qualifiedName, String outputPath, String outputSha256) {
    String encode() {
      return String.join(";", specSha256, qualifiedName, outputPath, outputSha256);
    }

    static Entry decode(String value) {
      String[] parts = value.split(";", -1);
      return parts.length == 4 ? new Entry(parts[0], parts[1], parts[2], parts[3]) : null;
    }
  }

  private final String generator;
  private final String outputDirectory;
  private final Map<String, Entry> entries;

  GenerationState(String generator, String outputDirectory, Map<String, Entry> entries) {
    this.generator = generator;
    this.outputDirectory = outputDirectory;
    this.entries = Collections.unmodifiableMap(new TreeMap<>(entries));
  }

  static GenerationState empty() {
    return new GenerationState("", "", Map.of());
  }

  String generator() {
    return generator;
  }

  String outputDirectory() {
    return outputDirectory;
  }

  /** Records by spec path relative to the source directory, sorted. */
  Map<String, Entry> entries() {
    return entries;
  }

  static GenerationState load(Path file) {
    if (!Files.isRegularFile(file)) {
      return empty();
    }
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException | IllegalArgumentException e) {
      return empty();
    }
    if (!FORMAT.equals(properties.getProperty(FORMAT_KEY))) {
      return empty();
    }
    Map<String, Entry> entries = new TreeMap<>();
    for (String key : properties.stringPropertyNames()) {
      if (key.startsWith(SPEC_PREFIX)) {
        Entry entry = Entry.decode(properties.getProperty(key));
        if (entry == null) {
          return empty();
        }
        entries.put(key.substring(SPEC_PREFIX.length()), entry);
      }
    }
    return new GenerationState(properties.getProperty(GENERATOR_KEY, ""), properties.getProperty(OUTPUT_KEY, ""),
        entries);
  }

  /** Writes the state, only if it differs from what the file holds, through a temporary file. */
  void save(Path file) {
    String text = render();
    try {
      Files.createDirectories(file.getParent());
      OutputFiles.writeIfChanged(file, text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new RnncException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Sorted and without the date comment {@link Properties#store} adds, so identical states are identical files. */
  String render() {
    StringWriter out = new StringWriter();
    try (Writer writer = out) {
      writer.write("# rnnc-maven-plugin incremental state: delete to regenerate everything.\n");
      line(writer, FORMAT_KEY, FORMAT);
      line(writer, GENERATOR_KEY, generator);
      line(writer, OUTPUT_KEY, outputDirectory);
      for (Map.Entry<String, Entry> e : entries.entrySet()) {
        line(writer, SPEC_PREFIX + e.getKey(), e.getValue().encode());
      }
    } catch (IOException e) {
      throw new IllegalStateException("a StringWriter does not fail", e);
    }
    return out.toString();
  }

  private static void line(Writer writer, String key, String value) throws IOException {
    // Properties.store escapes exactly as Properties.load expects; reuse it for one pair.
    Properties one = new Properties();
    one.setProperty(key, value);
    StringWriter pair = new StringWriter();
    one.store(pair, null);
    String[] lines = pair.toString().split("\\R");
    writer.write(lines[lines.length - 1]);
    writer.write('\n');
  }
}
