package dev.rnnc.cli.data;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.AtomicFile;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a model's results in the format the output file's extension names, atomically (nothing is left
 * behind on failure; an existing file is replaced only by a complete new one).
 *
 * <ul>
 *   <li>{@code .safetensors} (or any other extension not listed here): every tensor as it is.</li>
 *   <li>{@code .jsonl} / {@code .ndjson}: one JSON object per sequence, in batch order:
 *       {@code {"sequence": b, "length": L, "<name>": ...}} with every tensor sliced to that sequence —
 *       per-step tensors ({@code [B, T, X]}) as L rows of X numbers (padded steps left out), per-sequence
 *       ones ({@code [B, X]}) as X numbers, states ({@code h_n}, {@code c_n}, {@code [S, B, H]}) as S rows of H
 *       numbers.</li>
 *   <li>{@code .csv}: the main result only, one row per valid step ({@code sequence,step,<name>_0,...}) or, for
 *       a per-sequence result, one row per sequence ({@code sequence,<name>_0,...}), with a header row. The main
 *       result is the named tensor passed in.</li>
 * </ul>
 * Numbers are written in Java's shortest round-trip form ({@code 0.1}, {@code 1.0E-5}).
 */
public final class ResultWriter {
  /** The output formats. */
  public enum Format { SAFETENSORS, JSON_LINES, CSV }

  private ResultWriter() {}

  /** The format of {@code file} by its extension; extensions that name another format are refused. */
  public static Format formatOf(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".csv")) {
      return Format.CSV;
    }
    if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
      return Format.JSON_LINES;
    }
    for (String other : new String[] {".json", ".npy", ".npz", ".txt", ".tsv", ".pt", ".pth"}) {
      if (name.endsWith(other)) {
        throw new RnncException("--output " + file + ": " + other + " is not an output format rnnc writes; use"
            + " .safetensors, .jsonl or .csv");
      }
    }
    return Format.SAFETENSORS;
  }

  /**
   * Writes {@code tensors} (batch first) for sequences of the given {@code lengths}.
   *
   * @param main the tensor a CSV file holds
   */
  public static void write(Path file, Map<String, Tensor> tensors, int[] lengths, String main) {
    switch (formatOf(file)) {
      case SAFETENSORS -> SafeTensors.write(file, tensors, Map.of("producer", "rnnc", "format", "pt"));
      case JSON_LINES -> AtomicFile.write(file, channel -> {
        Writer writer = new BufferedWriter(Channels.newWriter(channel, StandardCharsets.UTF_8), 1 << 16);
        writeJsonLines(writer, tensors, lengths);
        writer.flush();
      });
      case CSV -> AtomicFile.write(file, channel -> {
        Writer writer = new BufferedWriter(Channels.newWriter(channel, StandardCharsets.UTF_8), 1 << 16);
        writeCsv(writer, main, tensors.get(main), lengths);
        writer.flush();
      });
    }
  }

  private static boolean isState(String name) {
    return name.equals("h_n") || name.equals("c_n") || name.equals("h0") || name.equals("c0");
  }

  static void writeJsonLines(Writer out, Map<String, Tensor> tensors, int[] lengths) throws IOException {
    for (int b = 0; b < lengths.length; b++) {
      out.write("{\"sequence\": " + b + ", \"length\": " + lengths[b]);
      for (Map.Entry<String, Tensor> item : tensors.entrySet()) {
        Tensor tensor = item.getValue();
        float[] values = tensor.toFloatArray();
        int[] shape = tensor.shape();
        out.write(", \"" + item.getKey() + "\": ");
        if (isState(item.getKey()) && shape.length == 3) {
          int s = shape[0];
          int h = shape[2];
          out.write('[');
          for (int i = 0; i < s; i++) {
            if (i > 0) {
              out.write(", ");
            }
            row(out, values, (i * shape[1] + b) * h, h);
          }
          out.write(']');
        } else if (shape.length == 3) {
          int steps = shape[1];
          int x = shape[2];
          out.write('[');
          for (int t = 0; t < lengths[b]; t++) {
            if (t > 0) {
              out.write(", ");
            }
            row(out, values, (b * steps + t) * x, x);
          }
          out.write(']');
        } else if (shape.length == 2) {
          row(out, values, b * shape[1], shape[1]);
        } else if (shape.length == 1 && shape[0] == lengths.length) {
          out.write(number(values[b]));
        } else {
          row(out, values, 0, values.length);
        }
      }
      out.write("}\n");
    }
  }

  static void writeCsv(Writer out, String name, Tensor tensor, int[] lengths) throws IOException {
    int[] shape = tensor.shape();
    float[] values = tensor.toFloatArray();
    boolean perStep = shape.length == 3;
    int x = shape[shape.length - 1];
    out.write(perStep ? "sequence,step" : "sequence");
    for (int k = 0; k < x; k++) {
      out.write("," + name + "_" + k);
    }
    out.write('\n');
    for (int b = 0; b < lengths.length; b++) {
      int rows = perStep ? lengths[b] : 1;
      for (int t = 0; t < rows; t++) {
        out.write(perStep ? b + "," + t : String.valueOf(b));
        int base = perStep ? (b * shape[1] + t) * x : b * x;
        for (int k = 0; k < x; k++) {
          out.write(',');
          out.write(number(values[base + k]));
        }
        out.write('\n');
      }
    }
  }

  private static void row(Writer out, float[] values, int offset, int n) throws IOException {
    out.write('[');
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        out.write(", ");
      }
      out.write(number(values[offset + i]));
    }
    out.write(']');
  }

  /** JSON has no NaN or infinity; the model never produces them from finite input, but say so if it does. */
  private static String number(float value) {
    if (!Float.isFinite(value)) {
      throw new RnncException("the result holds " + value + ", which JSON and CSV cannot carry; write .safetensors");
    }
    return Float.toString(value);
  }
}
