package dev.rnnc.cli;

import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc translate}: an encoder–decoder over lines of input, one output line per input line, written (and
 * flushed) as soon as it is decoded, so it works in a pipe. Lines are token ids, or text through vocabulary files
 * ({@link TokenText}). The output leaves out the end token.
 */
@Command(name = "translate", sortOptions = false,
    description = "Decodes each input line with an encoder-decoder spec's model and prints one result line per line.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc translate dates.yaml --weights w.safetensors --vocab chars.vocab.txt < dates.txt",
        "  echo '3 4 5' | rnnc translate reverse.yaml --weights w.safetensors --beam 4",
        "  rnnc translate dates.yaml --weights w.safetensors --source-vocab in.txt --target-vocab out.txt \\",
        "      --input dates.txt --temperature 0.8 --top-k 5 --seed 3",
        "",
        "Input: one source sequence per line (UTF-8; --input FILE, default stdin). Without a vocabulary, token ids",
        "separated by spaces; output likewise. With --vocab (both sides) or --source-vocab / --target-vocab, text:",
        "a vocabulary file has one token per line, line k (from 0) is token id k, with \\n \\r \\t \\\\ and \\uXXXX",
        "escapes ('rnnc data text' writes them). Tokens are characters, or with --words words separated by white",
        "space. The target vocabulary needs a line for every target id, the start and end tokens included (e.g.",
        "<s> and </s>); those are never printed. An unknown character or word stops with its line and column.",
        "Decoding: greedy, --beam K [--length-penalty A], or --temperature T [--top-k K] seeded by --seed.",
        ExitCodes.FOOTER})
final class TranslateCommand extends RnncCommand {
  @Parameters(index = "0", paramLabel = "SPEC", description = "An encoder-decoder spec (YAML).")
  Path spec;

  @Option(names = "--weights", paramLabel = "W.safetensors",
      description = "Parameters with PyTorch state_dict names; default: initialised from --seed.")
  Path weights;

  @Option(names = "--input", paramLabel = "FILE", description = "Source lines (default: stdin).")
  Path input;

  @Option(names = "--vocab", paramLabel = "V.txt", description = "Vocabulary of both source and target text.")
  Path vocab;

  @Option(names = "--source-vocab", paramLabel = "V.txt", description = "Vocabulary of the source text.")
  Path sourceVocab;

  @Option(names = "--target-vocab", paramLabel = "V.txt", description = "Vocabulary of the output text.")
  Path targetVocab;

  @Option(names = "--words", description = "Tokens are words separated by white space, not characters.")
  boolean words;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of sampling, and of the initial weights without"
      + " --weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--reference", description = "Use the double-precision reference implementation instead of generated code.")
  boolean reference;

  @Mixin
  DecodeOptions decoding;

  @Override
  int execute() throws IOException {
    if (vocab != null && (sourceVocab != null || targetVocab != null)) {
      throw new RnncException("give --vocab (both sides) or --source-vocab / --target-vocab, not both");
    }
    if (input != null && !Files.isRegularFile(input)) {
      throw new RnncException("cannot read --input " + input + ": " + (Files.exists(input) ? "not a regular file"
          : "no such file"));
    }
    ParsedSpec parsed = SpecParser.parseAny(spec);
    if (!(parsed instanceof Seq2SeqSpec seq2seq)) {
      throw new RnncException(spec + " is a single-stack model; translate decodes encoder-decoder specs (encoder: and"
          + " decoder: sections); to generate from a language model use 'rnnc sample'");
    }
    Seq2SeqLoader loader = Seq2SeqLoader.of(seq2seq, reference, false);
    Seq2SeqConfig config = loader.config();
    if (!config.sourceTokens()) {
      throw new RnncException(spec + ": the encoder reads feature vectors (input: " + config.encoder().inputSize()
          + "), not tokens; translate reads token ids or text: use 'rnnc run' with a source tensor");
    }
    Path in = vocab != null ? vocab : sourceVocab;
    Path outVocab = vocab != null ? vocab : targetVocab;
    if (words && in == null && outVocab == null) {
      throw new RnncException("--words needs a vocabulary (--vocab, --source-vocab or --target-vocab)");
    }
    TokenText source = in == null ? TokenText.ids() : TokenText.read(in, words);
    TokenText target = outVocab == null ? TokenText.ids() : TokenText.read(outVocab, words);
    if (target.hasVocabulary() && target.size() != config.targetVocab()) {
      throw new RnncException("target vocabulary " + outVocab + " has " + target.size() + " tokens, the decoder's"
          + " vocabulary " + config.targetVocab() + " (line k = id k; the start (id " + config.start() + ") and end (id "
          + config.end() + ") tokens need lines too, e.g. <s> and </s>)");
    }
    if (source.hasVocabulary() && source.size() > config.encoder().vocab()) {
      err().println("rnnc: note: source vocabulary " + in + " has " + source.size() + " tokens, the encoder's only "
          + config.encoder().vocab() + "; text using the extra ones is refused");
    }
    int width = decoding.rowsPerItem();
    int maxLength = config.maxLength();
    Seq2SeqModel model = loader.newInstance(loader.weights(weights, seed, err()), 1, maxLength, width);
    decoding.prepare(config, 1, seed);
    int[] tokens = new int[config.maxDecode()];
    int[] lengths = new int[1];
    int[] steps = new int[1];
    PrintWriter out = out();
    String name = input == null ? "stdin" : input.toString();
    try (BufferedReader reader = open(input)) {
      String line;
      int number = 0;
      while ((line = readLine(reader, name, number + 1)) != null) {
        number++;
        String where = name + " line " + number;
        int[] ids = source.encode(line, where, config.encoder().vocab(), "source vocabulary");
        if (ids.length == 0) {
          throw new RnncException(where + " is empty: a source needs at least one token");
        }
        if (ids.length > maxLength) {
          throw new RnncException(where + " has " + ids.length + " tokens; the spec's limits.max_length is "
              + maxLength);
        }
        steps[0] = ids.length;
        model.encode(ids, null, 1, ids.length, steps);
        decoding.decode(model, 1, tokens, lengths);
        int count = lengths[0];
        if (count > 0 && tokens[count - 1] == config.end()) {
          count--;
        }
        StringBuilder result = new StringBuilder();
        for (int i = 0; i < count; i++) {
          result.append(target.token(tokens[i], i == 0));
        }
        out.println(result);
        out.flush();
      }
    }
    return ExitCodes.OK;
  }

  /** The input lines, strictly UTF-8 (a file that cannot be opened is a user error naming it). */
  private static BufferedReader open(Path input) {
    if (input == null) {
      return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)));
    }
    try {
      return Files.newBufferedReader(input, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new RnncException("cannot read --input " + input + ": " + (e instanceof java.nio.file.AccessDeniedException
          ? "permission denied" : e.getMessage()));
    }
  }

  private static String readLine(BufferedReader reader, String name, int number) {
    try {
      return reader.readLine();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new RnncException(name + " line " + number + " is not UTF-8 text");
    } catch (IOException e) {
      throw new RnncException("cannot read " + name + ": " + e.getMessage());
    }
  }
}
