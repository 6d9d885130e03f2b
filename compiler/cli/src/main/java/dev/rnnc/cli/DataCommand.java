package dev.rnnc.cli;

import dev.rnnc.cli.data.CsvConverter;
import dev.rnnc.cli.data.JsonLinesConverter;
import dev.rnnc.cli.data.NpyReader;
import dev.rnnc.cli.data.TextConverter;
import dev.rnnc.cli.data.Vocabulary;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc data}: makes the safetensors files {@code run}, {@code grad} and {@code train} read, from CSV,
 * plain text, JSON lines and NumPy files (see {@link dev.rnnc.cli.data}). Each subcommand writes one file
 * atomically, after the whole input has been checked.
 */
@Command(name = "data", sortOptions = false,
    description = "Converts CSV, text, JSON lines and NumPy files to the safetensors files rnnc reads.",
    subcommands = {DataCommand.Csv.class, DataCommand.Text.class, DataCommand.JsonLines.class,
        DataCommand.Npy.class},
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc data csv sensors.csv --sequence run_id --target label --classes --target-per-sequence --output x.safetensors",
        "  rnnc data text corpus.txt --window 64 --output train.safetensors          (writes train.vocab.txt too)",
        "  rnnc data jsonl sequences.jsonl --output x.safetensors",
        "  rnnc data npy input.npy lengths.npy target.npy --output x.safetensors",
        "",
        "Tensors written: input (F32 [B, T, I], or I64 token ids [B, T]), lengths (I64 [B]) and target.",
        ExitCodes.FOOTER})
final class DataCommand extends RnncCommand {
  @Override
  int execute() {
    commandSpec.commandLine().usage(err());
    return ExitCodes.USER_ERROR;
  }

  /** Writes the tensors and says what was written. */
  static void write(RnncCommand command, Path output, Map<String, Tensor> tensors, String producer) {
    SafeTensors.write(output, tensors, Map.of("producer", "rnnc data " + producer));
    StringBuilder summary = new StringBuilder("wrote " + output + ":");
    tensors.forEach((name, tensor) -> summary.append(' ').append(name).append(' ').append(tensor.dtype()).append(' ')
        .append(Arrays.toString(tensor.shape())));
    command.out().println(summary);
  }

  private static List<String> names(String commaSeparated) {
    List<String> out = new ArrayList<>();
    if (commaSeparated != null) {
      for (String name : commaSeparated.split(",", -1)) {
        if (name.isBlank()) {
          throw new RnncException("empty column name in '" + commaSeparated + "'");
        }
        out.add(name.strip());
      }
    }
    return out;
  }

  @Command(name = "csv", sortOptions = false,
      description = "CSV with a header row: one row per timestep; rows with the same --sequence value, one after"
          + " another, form one sequence (padded, with lengths).",
      footerHeading = "%nExamples:%n",
      footer = {
          "  rnnc data csv prices.csv --features open,close,volume --target next_close --output x.safetensors",
          "  rnnc data csv runs.csv --sequence run --target label --classes --target-per-sequence --output x.safetensors",
          "  rnnc data csv text.csv --features char_id --ids --sequence doc --output x.safetensors",
          "",
          "Writes input F32 [B, T, features] (I64 [B, T] with --ids), lengths I64 [B], and with --target:",
          "I64 class ids [B, T] ([B] per sequence) with --classes, else F32 [B, T, K] ([B, K] per sequence).",
          "Without --sequence the whole file is one sequence. Cells are decimal numbers; empty cells, NaN and",
          "infinities are errors (file:line: message). Nothing is written unless every row is valid.",
          ExitCodes.FOOTER})
  static final class Csv extends RnncCommand {
    @Parameters(index = "0", paramLabel = "FILE.csv", description = "The CSV file (UTF-8, header row first).")
    Path file;

    @Option(names = "--features", paramLabel = "COL,...",
        description = "Feature columns, in this order (default: every column but the target and sequence ones).")
    String features;

    @Option(names = "--target", paramLabel = "COL,...", description = "Target column(s).")
    String target;

    @Option(names = "--sequence", paramLabel = "COL", description = "Sequence-id column grouping consecutive rows.")
    String sequence;

    @Option(names = "--ids", description = "The one feature column holds integer token ids (for embedding models).")
    boolean ids;

    @Option(names = "--classes", description = "The target column holds integer class ids (cross_entropy).")
    boolean classes;

    @Option(names = "--target-per-sequence",
        description = "One target per sequence (many_to_one models); it must be the same on all its rows.")
    boolean perSequence;

    @Option(names = "--delimiter", defaultValue = ",", paramLabel = "C",
        description = "Field separator, one character; 'tab' for tabs (default: ${DEFAULT-VALUE}).")
    String delimiter;

    @Option(names = "--output", required = true, paramLabel = "X.safetensors", description = "Where the tensors go.")
    Path output;

    @Override
    int execute() {
      OutputFiles.check("--output", output, "input", file);
      String d = delimiter.equals("tab") ? "\t" : delimiter;
      if (d.length() != 1) {
        throw new RnncException("--delimiter must be one character (or 'tab'), got '" + delimiter + "'");
      }
      Map<String, Tensor> tensors = CsvConverter.convert(file, new CsvConverter.Options(names(features),
          names(target), sequence, ids, classes, perSequence, d.charAt(0)));
      write(this, output, tensors, "csv");
      return ExitCodes.OK;
    }
  }

  @Command(name = "text", sortOptions = false,
      description = "Plain UTF-8 text to language-model windows: input and target (the next token) ids, with lengths.",
      footerHeading = "%nExamples:%n",
      footer = {
          "  rnnc data text corpus.txt --window 64 --output train.safetensors",
          "  rnnc data text held_out.txt --window 64 --use-vocab train.vocab.txt --output valid.safetensors",
          "  rnnc data text corpus.txt --words --window 32 --stride 16 --output words.safetensors",
          "",
          "Writes input and target I64 [W, T] and lengths I64 [W]. Tokens are characters (code points, newlines",
          "included) or, with --words, runs of non-whitespace. The vocabulary (one token per line; line k is id k;",
          "\\n \\r \\t \\\\ escaped) is built from the text and written beside the output as NAME.vocab.txt, or read",
          "with --use-vocab. Window w covers positions w*stride .. w*stride+T-1; the last window may be shorter",
          "(padded, its length in lengths). The spec's embedding vocab must be at least the vocabulary's size.",
          ExitCodes.FOOTER})
  static final class Text extends RnncCommand {
    @Parameters(index = "0", paramLabel = "FILE.txt", description = "The text (UTF-8).")
    Path file;

    @Option(names = "--window", required = true, paramLabel = "T", description = "Steps per window.")
    int window;

    @Option(names = "--stride", paramLabel = "S", description = "Steps between window starts (default: T, no overlap).")
    Integer stride;

    @Option(names = "--words", description = "Whitespace-separated words as tokens instead of characters.")
    boolean words;

    @Option(names = "--vocab", paramLabel = "V.txt",
        description = "Where to write the vocabulary built from the text (default: beside --output, NAME.vocab.txt).")
    Path vocab;

    @Option(names = "--use-vocab", paramLabel = "V.txt",
        description = "Use this vocabulary (e.g. the training text's) instead of building one.")
    Path useVocab;

    @Option(names = "--output", required = true, paramLabel = "X.safetensors", description = "Where the tensors go.")
    Path output;

    @Override
    int execute() {
      if (vocab != null && useVocab != null) {
        throw new RnncException("give --vocab (write a new vocabulary) or --use-vocab (read one), not both");
      }
      Path vocabOut = useVocab != null ? null : vocab != null ? vocab : defaultVocabPath(output);
      OutputFiles.check("--output", output, "input", file, "--use-vocab", useVocab);
      if (vocabOut != null) {
        OutputFiles.check("--vocab", vocabOut, "input", file);
        if (vocabOut.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
          throw new RnncException("--vocab and --output are the same file: " + output);
        }
      }
      Vocabulary given = useVocab != null ? Vocabulary.read(useVocab) : null;
      TextConverter.Result result = TextConverter.convert(file, new TextConverter.Options(
          words ? TextConverter.Tokens.WORDS : TextConverter.Tokens.CHARACTERS, window,
          stride != null ? stride : window, given, useVocab));
      if (vocabOut != null) {
        result.vocabulary().write(vocabOut);
      }
      write(this, output, result.tensors(), "text");
      out().println((vocabOut != null ? "wrote " + vocabOut + ": " : "used " + useVocab + ": ")
          + result.vocabulary().size() + " tokens (the spec's embedding vocab must be at least this)");
      return ExitCodes.OK;
    }

    static Path defaultVocabPath(Path output) {
      String name = output.getFileName().toString();
      int dot = name.lastIndexOf('.');
      String stem = dot > 0 ? name.substring(0, dot) : name;
      return output.resolveSibling(stem + ".vocab.txt");
    }
  }

  @Command(name = "jsonl", sortOptions = false,
      description = "JSON lines, one sequence per line: {\"input\": [[...], ...] or [ids...], \"target\": ...}.",
      footerHeading = "%nExamples:%n",
      footer = {
          "  rnnc data jsonl sequences.jsonl --output x.safetensors",
          "",
          "Line layouts:",
          "  {\"input\": [[0.1, 0.2], [0.3, 0.4]], \"target\": 1}       dense steps, a class per sequence -> target I64 [B]",
          "  {\"input\": [4, 17, 9], \"target\": [17, 9, 2]}            token ids, a class per step -> I64 [B, T]",
          "  {\"input\": [[1.0], [2.0]], \"target\": [[0.5], [0.7]]}    values per step -> F32 [B, T, K]",
          "  {\"input\": [[1.0], [2.0]], \"target\": [0.5, 0.1]}        values per sequence -> F32 [B, K]",
          "Targets are class ids when every target number is an integer (or with --target-type class).",
          "'tokens' is accepted for 'input'. Blank lines are skipped; a malformed line fails with file:line.",
          ExitCodes.FOOTER})
  static final class JsonLines extends RnncCommand {
    @Parameters(index = "0", paramLabel = "FILE.jsonl", description = "The JSON lines file (UTF-8).")
    Path file;

    @Option(names = "--target-type", defaultValue = "auto", paramLabel = "auto|class|value",
        description = "How target numbers are read (default: ${DEFAULT-VALUE}).")
    JsonLinesConverter.TargetType targetType;

    @Option(names = "--output", required = true, paramLabel = "X.safetensors", description = "Where the tensors go.")
    Path output;

    @Override
    int execute() {
      OutputFiles.check("--output", output, "input", file);
      write(this, output, JsonLinesConverter.convert(file, targetType), "jsonl");
      return ExitCodes.OK;
    }
  }

  @Command(name = "npy", sortOptions = false,
      description = "NumPy .npy arrays and .npz archives into one safetensors file.",
      footerHeading = "%nExamples:%n",
      footer = {
          "  rnnc data npy input.npy lengths.npy target.npy --output x.safetensors     (names from the file names)",
          "  rnnc data npy input=features.npy target=labels.npy --output x.safetensors",
          "  rnnc data npy batch.npz --output x.safetensors                            (names from the archive)",
          "",
          "dtypes <f4 <f8 <i4 <i8 (and big-endian >), C order; kept as F32, F64, I32, I64.",
          ExitCodes.FOOTER})
  static final class Npy extends RnncCommand {
    @Parameters(index = "0..*", arity = "1..*", paramLabel = "[NAME=]FILE",
        description = ".npy files (tensor named by NAME or the file name) or .npz archives.")
    List<String> files;

    @Option(names = "--output", required = true, paramLabel = "X.safetensors", description = "Where the tensors go.")
    Path output;

    @Override
    int execute() {
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      List<Object> inputs = new ArrayList<>();
      List<Runnable> reads = new ArrayList<>();
      for (String argument : files) {
        int eq = argument.indexOf('=');
        String name = eq > 0 ? argument.substring(0, eq) : null;
        Path path = Path.of(eq > 0 ? argument.substring(eq + 1) : argument);
        inputs.add("input");
        inputs.add(path);
        String lower = path.toString().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".npz")) {
          if (name != null) {
            throw new RnncException(argument + ": an .npz archive's arrays keep their own names; drop '" + name + "='");
          }
          reads.add(() -> NpyReader.readNpz(path).forEach((key, tensor) -> put(tensors, key, tensor, path)));
        } else {
          String tensorName = name != null ? name : stem(path);
          reads.add(() -> put(tensors, tensorName, NpyReader.readNpy(path), path));
        }
      }
      OutputFiles.check("--output", output, inputs.toArray());
      reads.forEach(Runnable::run);
      write(this, output, tensors, "npy");
      return ExitCodes.OK;
    }

    private static String stem(Path path) {
      String name = path.getFileName().toString();
      return name.toLowerCase(Locale.ROOT).endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
    }

    private static void put(Map<String, Tensor> tensors, String name, Tensor tensor, Path from) {
      if (tensors.putIfAbsent(name, tensor) != null) {
        throw new RnncException(from + ": a second array named '" + name + "'; rename one with NAME=FILE");
      }
    }
  }
}
