package dev.rnnc.cli;

import dev.rnnc.cli.data.ResultWriter;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.Tensor;
import dev.rnnc.runtime.train.DataParallel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
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
        ExitCodes.FOOTER})
final class RunCommand extends RnncCommand {
  @Parameters(index = "0", paramLabel = "SPEC", description = "The model spec (YAML).")
  Path spec;

  @Option(names = "--weights", paramLabel = "W.safetensors",
      description = "Parameters with PyTorch state_dict names; default: initialised from --seed.")
  Path weights;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial weights without --weights (default: ${DEFAULT-VALUE}).")
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

  @Override
  int execute() {
    if (threads < 1) {
      throw new RnncException("--threads must be >= 1, got " + threads);
    }
    ResultWriter.formatOf(output);
    OutputFiles.check("--output", output, "SPEC", spec, "--weights", weights, "--input", input);
    ModelLoader loader = ModelLoader.load(spec, reference, scalar);
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

  private static Tensor tensor(float[] values, int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return Tensor.ofFloats(shape, Arrays.copyOf(values, n));
  }
}
