package dev.rnnc.cli;

import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.train.Sampler;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc sample}: generates from a single-stack language model (a unidirectional model whose head scores the
 * next token: an embedding, or one-hot input of the head's size) through its streaming step, feeding each drawn
 * token back ({@link Sampler}). Prints the prime, then each token as it is produced (flushed per token).
 */
@Command(name = "sample", sortOptions = false,
    description = "Generates tokens from a language model spec: feeds a prime, then samples token by token.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc sample specs/char_lstm.yaml --weights run.safetensors --vocab text.vocab.txt --prime 'The ' \\",
        "      --length 200 --temperature 0.8 --top-k 10 --seed 3",
        "  rnnc sample model.yaml --weights w.safetensors --prime-ids 4,17,9 --length 50 --temperature 0",
        "",
        "The vocabulary file is the one 'rnnc data text' writes (one token per line, line k is token id k, with",
        "\\n \\r \\t \\\\ and \\uXXXX escapes); tokens are characters, or words with --words. Without --vocab, the",
        "prime is --prime-ids and the output is token ids separated by spaces. --temperature 0 is greedy (argmax);",
        "--top-k K draws among the K most likely tokens (0 = all). A seed fixes the output.",
        ExitCodes.FOOTER})
final class SampleCommand extends RnncCommand {
  @Parameters(index = "0", paramLabel = "SPEC", description = "A single-stack language model spec (YAML).")
  Path spec;

  @Option(names = "--weights", paramLabel = "W.safetensors",
      description = "Parameters with PyTorch state_dict names; default: initialised from --seed.")
  Path weights;

  static final class Prime {
    @Option(names = "--prime", paramLabel = "TEXT", description = "Text to start from (needs --vocab).")
    String text;

    @Option(names = "--prime-ids", paramLabel = "ID,ID,...", split = ",", description = "Token ids to start from.")
    int[] ids;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Prime prime;

  @Option(names = "--vocab", paramLabel = "V.txt", description = "Vocabulary file: read --prime and print text.")
  Path vocab;

  @Option(names = "--words", description = "Tokens are words separated by white space, not characters.")
  boolean words;

  @Option(names = "--length", defaultValue = "100", paramLabel = "N", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(names = "--temperature", defaultValue = "1.0", paramLabel = "T",
      description = "Softmax temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--top-k", defaultValue = "0", paramLabel = "K",
      description = "Draw among the K most likely tokens; 0 = all (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of sampling, and of the initial weights without"
      + " --weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--scalar", description = "Use the generated scalar kernels instead of the Vector API ones.")
  boolean scalar;

  @Option(names = "--reference", description = "Use the double-precision reference implementation instead of generated code.")
  boolean reference;

  @Override
  int execute() {
    if (length < 0) {
      throw new RnncException("--length must be >= 0, got " + length);
    }
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new RnncException("--temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
    }
    if (topK < 0) {
      throw new RnncException("--top-k must be >= 0 (0 = all tokens), got " + topK);
    }
    if (prime.text != null && vocab == null) {
      throw new RnncException("--prime TEXT needs --vocab V.txt to turn text into token ids; or give --prime-ids");
    }
    if (words && vocab == null) {
      throw new RnncException("--words needs --vocab");
    }
    ParsedSpec parsed = SpecParser.parseAny(spec);
    if (!(parsed instanceof Spec single)) {
      throw new RnncException(spec + " is an encoder-decoder; sample generates from single-stack language models:"
          + " use 'rnnc translate' (or 'rnnc run' with --temperature)");
    }
    ModelConfig config = single.config();
    if (!config.hasHead() || config.mode() != ModelConfig.Mode.MANY_TO_MANY || config.bidirectional()) {
      throw new RnncException(spec + ": sampling needs a unidirectional many_to_many model with a head scoring the"
          + " next token (a language model)");
    }
    int classes = config.headSize();
    TokenText text = vocab == null ? TokenText.ids() : TokenText.read(vocab, words);
    if (text.hasVocabulary() && text.size() < classes) {
      throw new RnncException("vocabulary " + vocab + " has " + text.size() + " tokens, but the head scores " + classes
          + "; every token the model can produce needs a line");
    }
    int[] ids;
    if (prime.text != null) {
      ids = text.encode(prime.text, "--prime", classes, "head's classes");
    } else {
      ids = prime.ids;
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] < 0 || ids[i] >= classes) {
          throw new RnncException("--prime-ids: id " + ids[i] + " (token " + (i + 1) + ") is outside the head's classes"
              + " 0.." + (classes - 1));
        }
      }
    }
    if (ids.length == 0) {
      throw new RnncException("the prime is empty: give at least one token to start from");
    }
    ModelLoader loader = ModelLoader.of(single, reference, scalar);
    ModelParameters parameters = Weights.loadOrInitialize(weights, config, seed, err());
    StreamingModel model = (StreamingModel) loader.newInstance(parameters, 1, 1);
    Sampler sampler = new Sampler(model, config, seed);
    PrintWriter out = out();
    model.resetState();
    for (int i = 0; i < ids.length; i++) {
      sampler.feed(ids[i]);
      out.print(text.token(ids[i], i == 0));
    }
    out.flush();
    for (int i = 0; i < length; i++) {
      int next = sampler.sample(model.stepLogits(), temperature, topK);
      out.print(text.token(next, false));
      out.flush();
      if (i + 1 < length) {
        sampler.feed(next);
      }
    }
    out.println();
    return ExitCodes.OK;
  }
}
