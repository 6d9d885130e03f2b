package dev.rnnc.cli.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON lines, one sequence per line → {@code input}, {@code lengths} and (optionally) {@code target}.
 *
 * <pre>
 *   {"input": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "target": 1}      dense steps [T][I], class per sequence
 *   {"input": [4, 17, 9], "target": [17, 9, 2]}                      token ids [T], class per step
 *   {"input": [[1.0], [2.0]], "target": [[0.5], [0.7]]}              values per step [T][K]
 *   {"input": [[1.0], [2.0]], "target": [0.5, 0.1]}                  values per sequence [K]
 * </pre>
 *
 * {@code tokens} is accepted as another name of {@code input}. Every line must have the same kind of input
 * (and width) and the same kind of target. Targets are class ids when {@link TargetType#CLASS}, or, with
 * {@link TargetType#AUTO}, when every target number in the file is written without a fraction or exponent:
 * a scalar per sequence ({@code [B]}) or one per step ({@code [B, T]}). Value targets are a vector per
 * sequence ({@code [B, K]}), or one per step ({@code [B, T, K]}). Sequences are padded with zeros to the
 * longest; blank lines are skipped.
 */
public final class JsonLinesConverter {
  /** How target numbers are read. */
  public enum TargetType { AUTO, CLASS, VALUE }

  private static final JsonFactory JSON = JsonFactory.builder().build();

  private final Path file;
  private final TargetType targetType;

  // Found by pass 1.
  private int batch;
  private int steps;
  private int width = -1;          // input width; 0 for token ids
  private int targetRank = -1;     // rank of each line's target value; -1: no targets
  private int targetWidth = -1;    // K for value targets
  private boolean targetsAllIntegers = true;
  private long firstLine;
  private long lengthMismatchLine;
  private long negativeClassLine;
  private long widthMismatchLine;

  private JsonLinesConverter(Path file, TargetType targetType) {
    this.file = file;
    this.targetType = targetType;
  }

  public static Map<String, Tensor> convert(Path file, TargetType targetType) {
    DataErrors.requireRegularFile(file);
    return new JsonLinesConverter(file, targetType).convert();
  }

  /** One line's values: shape and row-major elements. */
  private record Values(int[] shape, double[] elements, boolean integers) {}

  private Map<String, Tensor> convert() {
    scan(null);
    if (batch == 0) {
      throw DataErrors.in(file, "has no sequences (no non-blank lines)");
    }
    boolean classes = targetRank >= 0 && (targetType == TargetType.CLASS
        || targetType == TargetType.AUTO && targetsAllIntegers && targetRank <= 1);
    if (classes) {
      if (targetRank == 2) {
        throw DataErrors.in(file, "class targets are one id per sequence or a list of ids per step, not lists of"
            + " lists; use --target-type value for value targets");
      }
      if (targetRank == 1 && lengthMismatchLine > 0) {
        throw DataErrors.at(file, lengthMismatchLine, "\"target\" has a different number of class ids than"
            + " \"input\" has steps (class targets per step need one per step; --target-type value reads a list as"
            + " one value vector per sequence)");
      }
      if (negativeClassLine > 0) {
        throw DataErrors.at(file, negativeClassLine, "a class id in \"target\" is negative");
      }
    } else if (targetRank >= 0 && widthMismatchLine > 0) {
      throw DataErrors.at(file, widthMismatchLine, "\"target\" has a different width than on the first line ("
          + firstLine + ")");
    }
    Fill fill = new Fill();
    fill.classes = classes;
    fill.lengths = new long[batch];
    if (width == 0) {
      fill.ids = new long[DataErrors.elements(file, "input", batch, steps)];
    } else {
      fill.input = new float[DataErrors.elements(file, "input", batch, steps, width)];
    }
    int[] targetShape = null;
    if (targetRank >= 0) {
      int k = Math.max(targetWidth, 1);
      if (classes) {
        targetShape = targetRank == 0 ? new int[] {batch} : new int[] {batch, steps};
        fill.classTargets = new long[DataErrors.elements(file, "target", targetRank == 0 ? batch : (long) batch * steps)];
      } else {
        targetShape = targetRank == 2 ? new int[] {batch, steps, k} : new int[] {batch, k};
        fill.valueTargets = new float[DataErrors.elements(file, "target", targetRank == 2 ? (long) batch * steps : batch, k)];
      }
      fill.valueWidth = k;
    }
    scan(fill);
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put("input", width == 0 ? Tensor.ofLongs(new int[] {batch, steps}, fill.ids)
        : Tensor.ofFloats(new int[] {batch, steps, width}, fill.input));
    out.put("lengths", Tensor.ofLongs(new int[] {batch}, fill.lengths));
    if (targetShape != null) {
      out.put("target", classes ? Tensor.ofLongs(targetShape, fill.classTargets)
          : Tensor.ofFloats(targetShape, fill.valueTargets));
    }
    return out;
  }

  /** Arrays of the second pass. */
  private static final class Fill {
    boolean classes;
    long[] lengths;
    float[] input;
    long[] ids;
    long[] classTargets;
    float[] valueTargets;
    int valueWidth;
  }

  private void scan(Fill fill) {
    try (BufferedReader reader = DataErrors.utf8(file)) {
      String text;
      long line = 0;
      int row = 0;
      while ((text = readLine(reader, line + 1)) != null) {
        line++;
        if (text.isBlank()) {
          continue;
        }
        if (fill != null && row >= batch) {
          throw DataErrors.at(file, line, "the file changed while it was being converted");
        }
        readLine(text, line, row, fill);
        row++;
        if (fill == null) {
          batch = row;
        }
      }
      if (fill != null && row != batch) {
        throw DataErrors.in(file, "the file changed while it was being converted");
      }
    } catch (IOException e) {
      throw DataErrors.reading(file, e);
    }
  }

  private String readLine(BufferedReader reader, long line) throws IOException {
    try {
      return reader.readLine();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw DataErrors.at(file, line, "not valid UTF-8 text");
    }
  }

  private void readLine(String text, long line, int row, Fill fill) {
    Values input = null;
    Values target = null;
    String inputName = null;
    try (JsonParser parser = JSON.createParser(text)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw DataErrors.at(file, line, "expected a JSON object {\"input\": ..., \"target\": ...}");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        parser.nextToken();
        switch (key) {
          case "input", "tokens" -> {
            if (input != null) {
              throw DataErrors.at(file, line, "has both '" + inputName + "' and '" + key + "'; keep one");
            }
            inputName = key;
            input = values(parser, line, key);
          }
          case "target" -> {
            if (target != null) {
              throw DataErrors.at(file, line, "has 'target' twice");
            }
            target = values(parser, line, key);
          }
          default -> throw DataErrors.at(file, line, "unknown key '" + key + "' (a line holds \"input\" (or"
              + " \"tokens\") and optionally \"target\")");
        }
      }
      if (parser.nextToken() != null) {
        throw DataErrors.at(file, line, "more than one JSON value on the line");
      }
    } catch (JsonProcessingException e) {
      throw DataErrors.at(file, line, "malformed JSON: " + e.getOriginalMessage() + " (column "
          + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw DataErrors.reading(file, e);
    }
    if (input == null) {
      throw DataErrors.at(file, line, "missing \"input\" (a list of steps: [[features...], ...] or token ids [...])");
    }
    int length = checkInput(input, line);
    checkTarget(target, length, line, fill);
    if (fill == null) {
      steps = Math.max(steps, length);
      if (firstLine == 0) {
        firstLine = line;
      }
      return;
    }
    fill.lengths[row] = length;
    if (width == 0) {
      for (int t = 0; t < length; t++) {
        fill.ids[row * steps + t] = (long) input.elements()[t];
      }
    } else {
      for (int i = 0; i < length * width; i++) {
        fill.input[row * steps * width + i] = (float) input.elements()[i];
      }
    }
    if (target != null) {
      double[] values = target.elements();
      if (fill.classes) {
        int base = targetRank == 0 ? row : row * steps;
        for (int i = 0; i < values.length; i++) {
          fill.classTargets[base + i] = (long) values[i];
        }
      } else {
        int k = fill.valueWidth;
        int base = targetRank == 2 ? row * steps * k : row * k;
        for (int i = 0; i < values.length; i++) {
          fill.valueTargets[base + i] = (float) values[i];
        }
      }
    }
  }

  private int checkInput(Values input, long line) {
    int[] shape = input.shape();
    int lineWidth;
    if (shape.length == 1 && input.integers()) {
      lineWidth = 0;
      for (double id : input.elements()) {
        if (id < 0 || id > Integer.MAX_VALUE) {
          throw DataErrors.at(file, line, "token id " + (long) id + " is negative or too large");
        }
      }
    } else if (shape.length == 2) {
      lineWidth = shape[1];
      if (lineWidth == 0) {
        throw DataErrors.at(file, line, "\"input\" steps have no features");
      }
    } else {
      throw DataErrors.at(file, line, "\"input\" must be a list of steps, each a list of numbers ([[0.1, 0.2], ...])"
          + " or an integer token id ([4, 17, ...]); got a value of shape " + Arrays.toString(shape)
          + (shape.length == 1 ? " with fractions" : ""));
    }
    if (shape[0] == 0) {
      throw DataErrors.at(file, line, "\"input\" is empty; a sequence needs at least one step");
    }
    if (width < 0) {
      width = lineWidth;
    } else if (width != lineWidth) {
      throw DataErrors.at(file, line, "\"input\" has " + describeWidth(lineWidth) + ", but the first line ("
          + firstLine + ") has " + describeWidth(width));
    }
    return shape[0];
  }

  private static String describeWidth(int width) {
    return width == 0 ? "token ids" : width + (width == 1 ? " feature per step" : " features per step");
  }

  /** Pass 1 only: records what the targets look like; the verdict waits until the whole file is seen. */
  private void checkTarget(Values target, int length, long line, Fill fill) {
    if (fill != null) {
      return;
    }
    int rank = target == null ? -1 : target.shape().length;
    if (batch == 0) {
      targetRank = rank;
    } else if (rank != targetRank) {
      throw DataErrors.at(file, line, (rank < 0 ? "has no \"target\"" : "\"target\" has rank " + rank)
          + ", but the first line (" + firstLine + ") " + (targetRank < 0 ? "has none" : "has rank " + targetRank)
          + "; every line needs the same kind of target");
    }
    if (target == null) {
      return;
    }
    int[] shape = target.shape();
    if (!target.integers()) {
      if (targetType == TargetType.CLASS) {
        throw DataErrors.at(file, line, "\"target\" has a fraction, but --target-type class wants integer class ids");
      }
      targetsAllIntegers = false;
    }
    if (rank == 2 && shape[0] != length) {
      throw DataErrors.at(file, line, "\"target\" has " + shape[0] + " steps but \"input\" has " + length);
    }
    if (rank == 1 && shape[0] != length && lengthMismatchLine == 0) {
      lengthMismatchLine = line;
    }
    for (double value : target.elements()) {
      if (value < 0 && negativeClassLine == 0) {
        negativeClassLine = line;
      }
    }
    if (rank >= 1) {
      int k = shape[rank - 1];
      if (targetWidth < 0) {
        targetWidth = k;
      } else if (k != targetWidth && widthMismatchLine == 0) {
        widthMismatchLine = line;
      }
      if (k == 0) {
        throw DataErrors.at(file, line, "\"target\" is an empty list");
      }
    }
  }

  /** Reads a number or a (nested, rectangular) list of numbers at the parser's current token. */
  private Values values(JsonParser parser, long line, String key) throws IOException {
    DoubleList out = new DoubleList();
    boolean[] integers = {true};
    int[] shape = shape(parser, line, key, out, integers, 0);
    return new Values(shape, out.toArray(), integers[0]);
  }

  private int[] shape(JsonParser parser, long line, String key, DoubleList out, boolean[] integers, int depth)
      throws IOException {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
      double value = parser.getDoubleValue();
      if (token == JsonToken.VALUE_NUMBER_FLOAT) {
        integers[0] = false;
      }
      if (!Float.isFinite((float) value)) {
        throw DataErrors.at(file, line, "\"" + key + "\": " + parser.getText() + " is outside the float range");
      }
      if (token == JsonToken.VALUE_NUMBER_INT && Math.abs(value) > (1L << 53)) {
        throw DataErrors.at(file, line, "\"" + key + "\": integer " + parser.getText() + " is too large");
      }
      out.add(value);
      return new int[0];
    }
    if (token != JsonToken.START_ARRAY) {
      throw DataErrors.at(file, line, "\"" + key + "\" holds " + describe(token) + "; expected numbers or lists of"
          + " numbers");
    }
    if (depth >= 2) {
      throw DataErrors.at(file, line, "\"" + key + "\" is nested too deeply (at most a list of lists)");
    }
    int[] inner = null;
    int count = 0;
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      int[] element = shape(parser, line, key, out, integers, depth + 1);
      if (inner == null) {
        inner = element;
      } else if (!Arrays.equals(inner, element)) {
        throw DataErrors.at(file, line, "\"" + key + "\" is ragged: element " + count + " has shape "
            + Arrays.toString(element) + ", element 0 has " + Arrays.toString(inner));
      }
      count++;
    }
    int[] shape = new int[1 + (inner == null ? 0 : inner.length)];
    shape[0] = count;
    if (inner != null) {
      System.arraycopy(inner, 0, shape, 1, inner.length);
    }
    return shape;
  }

  private static String describe(JsonToken token) {
    return switch (token) {
      case VALUE_STRING -> "a string";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      case START_OBJECT -> "an object";
      default -> String.valueOf(token);
    };
  }

  /** A growable double array (one line's numbers). */
  private static final class DoubleList {
    private double[] values = new double[64];
    private int size;

    void add(double value) {
      if (size == values.length) {
        if (size >= Integer.MAX_VALUE / 2) {
          throw new RnncException("a line holds more numbers than rnnc can read at once");
        }
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    double[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
