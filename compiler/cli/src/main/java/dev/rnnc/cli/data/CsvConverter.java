package dev.rnnc.cli.data;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.Tensor;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A CSV file with a header row → {@code input}, {@code lengths} and (optionally) {@code target} tensors.
 *
 * <p>Each row is one timestep. Rows with the same value in the {@link Options#sequence} column, one after
 * another, form one sequence (a value that comes back after other sequences is an error: sort the file
 * first); without a sequence column the whole file is one sequence. Sequences are padded with zeros to the
 * longest and {@code lengths} holds each one's real length.
 *
 * <ul>
 *   <li>{@code input}: F32 {@code [B, T, features]} from the feature columns, or, with {@link Options#ids},
 *       I64 token ids {@code [B, T]} from the one feature column;</li>
 *   <li>{@code target}: with {@link Options#classes}, I64 class ids from one column, {@code [B, T]} per step
 *       or {@code [B]} with {@link Options#targetPerSequence}; otherwise F32 {@code [B, T, K]} or
 *       {@code [B, K]} from K columns. A per-sequence target must be the same on every row of its sequence.</li>
 * </ul>
 */
public final class CsvConverter {
  /**
   * What to take from which column.
   *
   * @param features          feature columns by header name; empty: every column that is not a target or the
   *                          sequence column
   * @param target            target columns (empty: no target)
   * @param sequence          the sequence-id column, or null for one sequence
   * @param ids               the one feature column holds integer token ids
   * @param classes           the one target column holds integer class ids
   * @param targetPerSequence one target per sequence instead of one per step
   * @param delimiter         field separator
   */
  public record Options(List<String> features, List<String> target, String sequence, boolean ids, boolean classes,
      boolean targetPerSequence, char delimiter) {
    public Options {
      features = List.copyOf(features);
      target = List.copyOf(target);
    }
  }

  private final Path file;
  private final Options options;
  private int[] featureColumns;
  private int[] targetColumns;
  private int sequenceColumn = -1;
  private List<String> header;

  private CsvConverter(Path file, Options options) {
    this.file = file;
    this.options = options;
  }

  /** Converts {@code file}; errors are {@link RnncException}s naming {@code file:line}. */
  public static Map<String, Tensor> convert(Path file, Options options) {
    DataErrors.requireRegularFile(file);
    return new CsvConverter(file, options).convert();
  }

  /** Sequence lengths, found by the first pass. */
  private final List<Integer> lengths = new ArrayList<>();

  private Map<String, Tensor> convert() {
    scan(null); // pass 1: check every row, measure
    if (lengths.isEmpty()) {
      throw DataErrors.in(file, "has a header but no data rows");
    }
    int batch = lengths.size();
    int steps = lengths.stream().mapToInt(Integer::intValue).max().orElseThrow();
    int width = featureColumns.length;
    int k = targetColumns.length;
    Filled filled = new Filled();
    filled.lengths = lengths.stream().mapToLong(Integer::longValue).toArray();
    if (options.ids()) {
      filled.ids = new long[DataErrors.elements(file, "input", batch, steps)];
    } else {
      filled.input = new float[DataErrors.elements(file, "input", batch, steps, width)];
    }
    if (k > 0) {
      long positions = options.targetPerSequence() ? batch : (long) batch * steps;
      if (options.classes()) {
        filled.classTargets = new long[DataErrors.elements(file, "target", positions)];
      } else {
        filled.valueTargets = new float[DataErrors.elements(file, "target", positions, k)];
      }
    }
    filled.steps = steps;
    scan(filled); // pass 2: fill
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put("input", options.ids() ? Tensor.ofLongs(new int[] {batch, steps}, filled.ids)
        : Tensor.ofFloats(new int[] {batch, steps, width}, filled.input));
    out.put("lengths", Tensor.ofLongs(new int[] {batch}, filled.lengths));
    if (k > 0) {
      int[] shape = options.classes()
          ? (options.targetPerSequence() ? new int[] {batch} : new int[] {batch, steps})
          : (options.targetPerSequence() ? new int[] {batch, k} : new int[] {batch, steps, k});
      out.put("target", options.classes() ? Tensor.ofLongs(shape, filled.classTargets)
          : Tensor.ofFloats(shape, filled.valueTargets));
    }
    return out;
  }

  /** The arrays of the second pass. */
  private static final class Filled {
    int steps;
    long[] lengths;
    float[] input;
    long[] ids;
    long[] classTargets;
    float[] valueTargets;
  }

  /** One pass over the rows; measures into {@link #lengths} when {@code fill} is null, else fills it. */
  private void scan(Filled fill) {
    CSVFormat format = CSVFormat.DEFAULT.builder()
        .setDelimiter(options.delimiter())
        .setHeader()
        .setSkipHeaderRecord(true)
        .setTrim(true)
        .setIgnoreSurroundingSpaces(true)
        .get();
    try (Reader reader = DataErrors.utf8(file); CSVParser parser = parse(format, reader)) {
      if (fill == null) {
        resolveColumns(parser.getHeaderNames());
      }
      Set<String> finished = new HashSet<>();
      String current = null;
      int sequence = -1;
      int step = 0;
      long[] sequenceTarget = new long[1];
      float[] sequenceValues = new float[targetColumns.length];
      java.util.Iterator<CSVRecord> records = parser.iterator();
      while (true) {
        long line = parser.getCurrentLineNumber() + 1;
        CSVRecord record = nextRecord(records, line);
        if (record == null) {
          break;
        }
        if (record.size() != header.size()) {
          throw DataErrors.at(file, line, "has " + record.size() + (record.size() == 1 ? " field" : " fields")
              + ", the header has " + header.size());
        }
        String key = sequenceColumn < 0 ? "" : record.get(sequenceColumn);
        boolean first = sequence < 0 || !key.equals(current);
        if (first) {
          if (current != null) {
            finished.add(current);
          }
          if (finished.contains(key)) {
            throw DataErrors.at(file, line, "sequence " + Numbers.quote(key) + " (column '" + options.sequence()
                + "') appears again after other sequences; rows of one sequence must be consecutive (sort the file"
                + " by that column)");
          }
          current = key;
          sequence++;
          step = 0;
          if (fill == null) {
            lengths.add(0);
          }
        }
        if (fill == null) {
          lengths.set(sequence, step + 1);
          if (step + 1 == Integer.MAX_VALUE) {
            throw DataErrors.at(file, line, "sequence is too long");
          }
        } else if (sequence >= lengths.size() || step >= lengths.get(sequence)) {
          throw DataErrors.at(file, line, "the file changed while it was being converted");
        }
        readFeatures(record, line, fill, sequence, step);
        if (targetColumns.length > 0) {
          readTarget(record, line, fill, sequence, step, first, sequenceTarget, sequenceValues);
        }
        step++;
      }
      if (fill != null && sequence + 1 != lengths.size()) {
        throw DataErrors.in(file, "the file changed while it was being converted");
      }
    } catch (IOException e) {
      throw DataErrors.reading(file, e);
    }
  }

  private CSVParser parse(CSVFormat format, Reader reader) throws IOException {
    try {
      return CSVParser.builder().setFormat(format).setReader(reader).get();
    } catch (IllegalArgumentException e) {
      throw DataErrors.at(file, 1, "bad header row: " + e.getMessage());
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private CSVRecord nextRecord(java.util.Iterator<CSVRecord> records, long line) throws IOException {
    try {
      return records.hasNext() ? records.next() : null;
    } catch (UncheckedIOException unchecked) {
      IOException e = unchecked.getCause();
      if (e instanceof java.nio.charset.CharacterCodingException) {
        throw DataErrors.at(file, line, "not valid UTF-8 text");
      }
      // commons-csv reports quoting errors ("EOF reached before encapsulated token finished") as IOExceptions.
      throw DataErrors.at(file, line, "malformed CSV: " + e.getMessage());
    }
  }

  private void readFeatures(CSVRecord record, long line, Filled fill, int sequence, int step) {
    int width = featureColumns.length;
    for (int f = 0; f < width; f++) {
      String cell = record.get(featureColumns[f]);
      if (options.ids()) {
        Long id = Numbers.parseLong(cell);
        if (id == null || id < 0) {
          throw DataErrors.at(file, line, "column '" + header.get(featureColumns[f]) + "': " + Numbers.quote(cell)
              + " is not a token id (an integer >= 0)");
        }
        if (fill != null) {
          fill.ids[sequence * fill.steps + step] = id;
        }
      } else {
        Float value = Numbers.parseFloat(cell);
        if (value == null) {
          throw DataErrors.at(file, line, "column '" + header.get(featureColumns[f]) + "': " + Numbers.quote(cell)
              + " is not a finite number");
        }
        if (fill != null) {
          fill.input[((sequence * fill.steps) + step) * width + f] = value;
        }
      }
    }
  }

  private void readTarget(CSVRecord record, long line, Filled fill, int sequence, int step, boolean first,
      long[] sequenceClass, float[] sequenceValues) {
    int k = targetColumns.length;
    boolean perSequence = options.targetPerSequence();
    for (int j = 0; j < k; j++) {
      String name = header.get(targetColumns[j]);
      String cell = record.get(targetColumns[j]);
      if (options.classes()) {
        Long id = Numbers.parseLong(cell);
        if (id == null || id < 0) {
          throw DataErrors.at(file, line, "column '" + name + "': " + Numbers.quote(cell)
              + " is not a class id (an integer >= 0)");
        }
        if (perSequence) {
          if (!first && id != sequenceClass[0]) {
            throw DataErrors.at(file, line, "column '" + name + "': the target changes within a sequence ("
                + sequenceClass[0] + ", then " + id + "), but --target-per-sequence takes one per sequence");
          }
          sequenceClass[0] = id;
        }
        if (fill != null) {
          fill.classTargets[perSequence ? sequence : sequence * fill.steps + step] = id;
        }
      } else {
        Float value = Numbers.parseFloat(cell);
        if (value == null) {
          throw DataErrors.at(file, line, "column '" + name + "': " + Numbers.quote(cell) + " is not a finite number");
        }
        if (perSequence) {
          if (!first && Float.compare(value, sequenceValues[j]) != 0) {
            throw DataErrors.at(file, line, "column '" + name + "': the target changes within a sequence ("
                + sequenceValues[j] + ", then " + value + "), but --target-per-sequence takes one per sequence");
          }
          sequenceValues[j] = value;
        }
        if (fill != null) {
          int position = perSequence ? sequence : sequence * fill.steps + step;
          fill.valueTargets[position * k + j] = value;
        }
      }
    }
  }

  private void resolveColumns(List<String> names) {
    header = names;
    if (names.isEmpty()) {
      throw DataErrors.in(file, "is empty: expected a header row naming the columns");
    }
    if (options.sequence() != null) {
      sequenceColumn = column(options.sequence(), "--sequence");
    }
    targetColumns = new int[options.target().size()];
    for (int j = 0; j < targetColumns.length; j++) {
      targetColumns[j] = column(options.target().get(j), "--target");
    }
    if (options.classes() && targetColumns.length != 1) {
      throw new RnncException("--classes needs exactly one --target column, got " + targetColumns.length);
    }
    if (options.targetPerSequence() && targetColumns.length == 0) {
      throw new RnncException("--target-per-sequence needs a --target column");
    }
    List<Integer> features = new ArrayList<>();
    if (options.features().isEmpty()) {
      for (int c = 0; c < names.size(); c++) {
        if (c != sequenceColumn && !contains(targetColumns, c)) {
          features.add(c);
        }
      }
      if (features.isEmpty()) {
        throw DataErrors.in(file, "has no feature columns left after the target and sequence columns");
      }
    } else {
      for (String name : options.features()) {
        int c = column(name, "--features");
        if (c == sequenceColumn || contains(targetColumns, c)) {
          throw new RnncException("column '" + name + "' cannot be both a feature and the "
              + (c == sequenceColumn ? "sequence" : "target") + " column");
        }
        features.add(c);
      }
    }
    if (options.ids() && features.size() != 1) {
      throw new RnncException("--ids needs exactly one feature column (the token ids), got " + features.size()
          + ": choose it with --features");
    }
    featureColumns = features.stream().mapToInt(Integer::intValue).toArray();
  }

  private int column(String name, String option) {
    int c = header.indexOf(Objects.requireNonNull(name));
    if (c < 0) {
      throw new RnncException(option + ": " + file + " has no column '" + name + "'; its columns are "
          + String.join(", ", header));
    }
    return c;
  }

  private static boolean contains(int[] values, int value) {
    for (int v : values) {
      if (v == value) {
        return true;
      }
    }
    return false;
  }
}
