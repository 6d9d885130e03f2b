package dev.rnnc.cli;

import dev.rnnc.cli.data.ResultWriter;
import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import dev.rnnc.runtime.train.DataParallel;
import dev.rnnc.runtime.train.Seq2SeqDataset;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc run}: one forward pass of a spec's generated class over tensors from a file.
 *
 * <p>The instance is sized from the input (max batch = B, max length = T), so the spec's {@code limits} are
 * only the defaults of the generated class, not a ceiling here. The output file is written once, atomically,
 * after everything succeeded: a failing run leaves an existing file untouched.
 */
@Command(name = "run", sortOptions = false,
    description = "Runs a spec's model forward over input tensors and writes its outputs.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc run specs/sentiment_gru.yaml --weights w.safetensors --input x.safetensors --output y.safetensors",
        "  rnnc run model.yaml --seed 7 --input x.safetensors --output y.safetensors   (random weights)",
        "",
        "Input tensors: input F32 [B, T, I] (or I64/I32 token ids [B, T] for embedding models), optional",
        "lengths I64 [B] (each 1..T), h0 and c0 F32 [layers*dirs, B, H].",
        "Output tensors: output [B, T, dirs*H], h_n (and c_n for LSTM) [layers*dirs, B, H], features [B, dirs*H]",
        "(many_to_one), logits and prediction [B, T, K] or [B, K] (with a head).",
        "The model is sized from the input: the spec's max_batch/max_length do not limit B and T here.",
        "The output format follows the extension: .safetensors (every tensor), .jsonl (one JSON object per",
        "sequence with every tensor sliced to it, padded steps left out) or .csv (the main result - prediction,",
        "else features or output - one row per valid step: sequence,step,prediction_0,...).",
        "Make X from CSV, text, JSON lines or NumPy files with 'rnnc data'.",
        "",
        "Encoder-decoder specs (encoder: and decoder: sections): X holds source (I64 ids [B, S], or F32 [B, S, I]),",
        "optional source_lengths I64 [B]. With target I64 [B, T] (and optional target_lengths [B]) the decoder is",
        "teacher forced: logits and prediction [B, T, V], the decoder's h_n (and c_n) [layers, B, H], encoder_h_n",
        "(and encoder_c_n) [layers*dirs, B, H]. Without a target it decodes: tokens I64 [B, max_length] (0 after the",
        "end token) and lengths I64 [B] (counting the end token); greedy, or --beam K, or --temperature T",
        "[--top-k K] (seeded by --seed). Output: .safetensors.",
        ExitCodes.FOOTER})
final class RunCommand extends RnncCommand {
  @Parameters(index = "0", paramLabel = "SPEC", description = "The model spec (YAML).")
  Path spec;

  @Option(names = "--weights", paramLabel = "W.safetensors",
      description = "Parameters with PyTorch state_dict names; default: initialised from --seed.")
  Path weights;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial weights without --weights, and of"
      + " sampling (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--input", required = true, paramLabel = "X.safetensors", description = "Input tensors.")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "Y.safetensors|Y.jsonl|Y.csv",
      description = "Where the outputs go; the format follows the extension.")
  Path output;

  @Option(names = "--scalar", description = "Use the generated scalar kernels instead of the Vector API ones.")
  boolean scalar;

  @Option(names = "--reference", description = "Use the double-precision reference implementation instead of generated code.")
  boolean reference;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
      description = "Threads computing the batch, its sequences split between them; results are the same (default: ${DEFAULT-VALUE}).")
  int threads;
  @Mixin
  DecodeOptions decoding;

  @Override
  int execute() {
    if (threads < 1) {
      throw new RnncException("--threads must be >= 1, got " + threads);
    }
    ResultWriter.formatOf(output);
    OutputFiles.check("--output", output, "SPEC", spec, "--weights", weights, "--input", input);
    ParsedSpec parsed = SpecParser.parseAny(spec);
    if (parsed instanceof Seq2SeqSpec seq2seq) {
      if (threads != 1) {
        throw new RnncException("--threads splits a single-stack model's batch; an encoder–decoder runs on one thread"
            + " (remove --threads)");
      }
      return runEncoderDecoder(Seq2SeqLoader.of(seq2seq, reference, scalar));
    }
    if (decoding.given()) {
      throw new RnncException("--beam, --length-penalty, --temperature and --top-k decode encoder–decoder models; "
          + spec + " is a single-stack model (use 'rnnc sample' to generate from a language model)");
    }
    ModelLoader loader = ModelLoader.of((Spec) parsed, reference, scalar);
    ModelConfig config = loader.config();
    ModelInput x = ModelInput.read(input, config, false);
    ModelParameters parameters = Weights.loadOrInitialize(weights, config, seed, err());
    Map<String, Tensor> results;
    if (threads == 1) {
      RnnModel model = loader.newInstance(parameters, x.batch, x.steps);
      forward(model, x);
      results = outputs(model, config, x.batch, x.steps);
    } else {
      try (DataParallel model = new DataParallel(threads, () -> loader.newInstance(parameters, x.batch, x.steps))) {
        forward(model, x);
        results = outputs(model, config, x.batch, x.steps);
      }
    }
    ResultWriter.write(output, results, x.validLengths(), mainResult(config));
    if (verbose) {
      results.forEach((name, tensor) -> err().println("wrote " + name + " " + Arrays.toString(tensor.shape())));
    }
    return ExitCodes.OK;
  }

  /** Teacher forcing with a target, else decoding; see the help footer. */
  private int runEncoderDecoder(Seq2SeqLoader loader) {
    if (ResultWriter.formatOf(output) != ResultWriter.Format.SAFETENSORS) {
      throw new RnncException("--output " + output + ": encoder–decoder results are written as safetensors; use a"
          + " .safetensors file");
    }
    Seq2SeqConfig config = loader.config();
    Seq2SeqDataset x = Seq2SeqDataset.load(input, config, false);
    if (x.hasTarget() && decoding.given()) {
      throw new RnncException("--beam, --length-penalty, --temperature and --top-k choose how to decode, but "
          + input + " has a target, which runs teacher forcing; leave out the target to decode");
    }
    int rowsPerItem = decoding.rowsPerItem();
    Seq2SeqParameters parameters = loader.weights(weights, seed, err());
    int b = x.size();
    Seq2SeqModel model = loader.newInstance(parameters, b, Math.max(x.sourceSteps(), x.targetSteps()), b * rowsPerItem);
    Map<String, Tensor> results = new LinkedHashMap<>();
    try {
      if (x.hasTarget()) {
        model.teacherForce(x.sourceTokens(), x.sourceFeatures(), b, x.sourceSteps(), x.sourceLengths(), x.target(),
            x.targetSteps(), x.targetLengths());
        teacherForcedOutputs(model, config, b, x.targetSteps(), results);
      } else {
        decoding.prepare(config, b, seed);
        int[] tokens = new int[b * config.maxDecode()];
        int[] lengths = new int[b];
        model.encode(x.sourceTokens(), x.sourceFeatures(), b, x.sourceSteps(), x.sourceLengths());
        decoding.decode(model, b, tokens, lengths);
        results.put("tokens", longs(tokens, b, config.maxDecode()));
        results.put("lengths", longs(lengths, b));
      }
    } catch (IllegalArgumentException e) {
      throw new RnncException("the model rejected the input: " + e.getMessage(), e);
    }
    SafeTensors.write(output, results, Map.of("producer", "rnnc", "format", "pt"));
    if (verbose) {
      err().println("ran " + loader.implementation() + (x.hasTarget() ? " teacher forced" : ", "
          + decoding.describe(seed)));
      results.forEach((name, tensor) -> err().println("wrote " + name + " " + Arrays.toString(tensor.shape())));
    }
    return ExitCodes.OK;
  }

  /** logits, prediction, the decoder's and the encoder's final states of a teacher-forced call. */
  static void teacherForcedOutputs(Seq2SeqModel model, Seq2SeqConfig config, int batch, int targetSteps,
      Map<String, Tensor> out) {
    int v = config.targetVocab();
    int layers = config.layers();
    out.put("logits", tensor(model.logits(), batch, targetSteps, v));
    out.put("prediction", tensor(model.prediction(), batch, targetSteps, v));
    out.put("h_n", tensor(model.decoderHN(), layers, batch, config.decoder().stateSize()));
    if (config.decoder().hasCellState()) {
      out.put("c_n", tensor(model.decoderCN(), layers, batch, config.decoder().hidden()));
    }
    int encoderRows = layers * config.encoder().directions();
    out.put("encoder_h_n", tensor(model.encoderHN(), encoderRows, batch, config.encoder().stateSize()));
    if (config.encoder().hasCellState()) {
      out.put("encoder_c_n", tensor(model.encoderCN(), encoderRows, batch, config.encoder().hidden()));
    }
  }

  static Tensor longs(int[] values, int... shape) {
    long[] wide = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      wide[i] = values[i];
    }
    return Tensor.ofLongs(shape, wide);
  }

  /** The tensor a CSV output holds: the head's prediction, else the features (many_to_one) or the output. */
  static String mainResult(ModelConfig config) {
    if (config.hasHead()) {
      return "prediction";
    }
    return config.mode() == ModelConfig.Mode.MANY_TO_MANY ? "output" : "features";
  }

  /** Runs the model, turning its argument checks into user errors. */
  static void forward(RnnModel model, ModelInput x) {
    try {
      if (x.tokens != null) {
        model.forwardTokens(x.tokens, x.batch, x.steps, x.lengths, x.h0, x.c0);
      } else {
        model.forward(x.input, x.batch, x.steps, x.lengths, x.h0, x.c0);
      }
    } catch (IllegalArgumentException e) {
      throw new RnncException("the model rejected the input: " + e.getMessage(), e);
    }
  }

  /** The model's results for a call of {@code batch × steps}, copied out of its reused arrays. */
  static Map<String, Tensor> outputs(RnnModel model, ModelConfig config, int batch, int steps) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    int features = config.featureSize();
    int stateRows = config.layers() * config.directions();
    out.put("output", tensor(model.output(), batch, steps, features));
    out.put("h_n", tensor(model.hN(), stateRows, batch, config.stateSize()));
    if (config.hasCellState()) {
      out.put("c_n", tensor(model.cN(), stateRows, batch, config.hidden()));
    }
    boolean perStep = config.mode() == ModelConfig.Mode.MANY_TO_MANY;
    if (!perStep) {
      out.put("features", tensor(model.features(), batch, features));
    }
    if (config.hasHead()) {
      int k = config.headSize();
      int[] shape = perStep ? new int[] {batch, steps, k} : new int[] {batch, k};
      out.put("logits", tensor(model.logits(), shape));
      out.put("prediction", tensor(model.prediction(), shape));
    }
    return out;
  }

  static Tensor tensor(float[] values, int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return Tensor.ofFloats(shape, Arrays.copyOf(values, n));
  }
}
