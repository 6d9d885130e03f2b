package dev.rnnc.cli;

import dev.rnnc.cli.data.ResultWriter;
import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.Seq2SeqConfig;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.TrainableModel;
import dev.rnnc.runtime.train.Seq2SeqDataset;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc grad}: the loss and its gradients for one batch, to compare with PyTorch's autograd. Like
 * {@code run}, the instance is sized from the input and the output file is only written on success.
 */
@Command(name = "grad", sortOptions = false,
    description = "Computes the loss and the gradient of every parameter (and of the input and initial states) for one batch.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  rnnc grad specs/sentiment_gru.yaml --weights w.safetensors --input xy.safetensors --output g.safetensors",
        "",
        "Input tensors: as for 'rnnc run', plus target: I64 class ids [B, T] or [B] for cross_entropy, F32 shaped",
        "like the logits (or the features/output without a head) for bce and mse.",
        "Output tensors: loss F32 [1], grad.<parameter> for every parameter, grad.input (dense input),",
        "grad.h0 and grad.c0 (when h0 / c0 were given).",
        "Needs a spec with a training section.",
        "Encoder-decoder specs: the input holds source, optional source_lengths, target and optional target_lengths",
        "(as for 'rnnc run'); the output holds loss, grad.<parameter> and grad.source (float sources).",
        ExitCodes.FOOTER})
final class GradCommand extends RnncCommand {
  @Parameters(index = "0", paramLabel = "SPEC", description = "The model spec (YAML), with a training section.")
  Path spec;

  @Option(names = "--weights", paramLabel = "W.safetensors",
      description = "Parameters with PyTorch state_dict names; default: initialised from --seed.")
  Path weights;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial weights without --weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--input", required = true, paramLabel = "X.safetensors", description = "Input and target tensors.")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "G.safetensors", description = "Where the loss and gradients go.")
  Path output;

  @Option(names = "--dropout-seed", defaultValue = "0", description = "Seed of the dropout masks (default: ${DEFAULT-VALUE}).")
  long dropoutSeed;

  @Option(names = "--scalar", description = "Use the generated scalar kernels instead of the Vector API ones.")
  boolean scalar;

  @Option(names = "--reference", description = "Use the double-precision reference implementation instead of generated code.")
  boolean reference;

  @Override
  int execute() {
    if (ResultWriter.formatOf(output) != ResultWriter.Format.SAFETENSORS) {
      throw new RnncException("--output " + output + ": grad writes safetensors only (gradients keep their"
          + " parameter shapes); use a .safetensors file");
    }
    OutputFiles.check("--output", output, "SPEC", spec, "--weights", weights, "--input", input);
    ParsedSpec parsed = SpecParser.parseAny(spec);
    if (parsed instanceof Seq2SeqSpec seq2seq) {
      return gradEncoderDecoder(Seq2SeqLoader.of(seq2seq, reference, scalar));
    }
    ModelLoader loader = ModelLoader.of((Spec) parsed, reference, scalar);
    ModelConfig config = loader.config();
    if (config.training() == null) {
      throw new RnncException(spec + ": spec has no training section (add one with at least 'loss:' to compute"
          + " gradients)");
    }
    ModelInput x = ModelInput.read(input, config, true);
    ModelParameters parameters = Weights.loadOrInitialize(weights, config, seed, err());
    TrainableModel model = loader.newTrainable(parameters, x.batch, x.steps);
    model.setDropoutSeed(dropoutSeed);
    float loss;
    try {
      loss = model.computeGradients(x.toBatch());
    } catch (IllegalArgumentException e) {
      throw new RnncException("the model rejected the input: " + e.getMessage(), e);
    }
    Map<String, Tensor> results = new LinkedHashMap<>();
    results.put("loss", Tensor.ofFloats(new int[] {1}, new float[] {loss}));
    ModelParameters grads = model.gradients();
    for (String name : config.parameterNames()) {
      results.put("grad." + name, Tensor.ofFloats(grads.shape(name), grads.get(name).clone()));
    }
    if (x.input != null) {
      results.put("grad.input", copy(model.inputGradient(), x.batch, x.steps, config.inputSize()));
    }
    int stateRows = config.layers() * config.directions();
    if (x.h0 != null) {
      results.put("grad.h0", copy(model.h0Gradient(), new int[] {stateRows, x.batch, config.stateSize()}));
    }
    if (x.c0 != null) {
      results.put("grad.c0", copy(model.c0Gradient(), new int[] {stateRows, x.batch, config.hidden()}));
    }
    SafeTensors.write(output, results, Map.of("producer", "rnnc", "format", "pt"));
    if (verbose) {
      err().println("loss " + loss);
    }
    return ExitCodes.OK;
  }

  private int gradEncoderDecoder(Seq2SeqLoader loader) {
    Seq2SeqConfig config = loader.config();
    if (config.training() == null) {
      throw new RnncException(spec + ": spec has no training section (add 'training: {loss: cross_entropy}' to compute"
          + " gradients)");
    }
    Seq2SeqDataset x = Seq2SeqDataset.load(input, config, true);
    Seq2SeqParameters parameters = loader.weights(weights, seed, err());
    int b = x.size();
    Seq2SeqModel model = loader.newInstance(parameters, b, Math.max(x.sourceSteps(), x.targetSteps()), b);
    float loss;
    try {
      loss = model.computeGradients(x.sourceTokens(), x.sourceFeatures(), b, x.sourceSteps(), x.sourceLengths(),
          x.target(), x.targetSteps(), x.targetLengths());
    } catch (IllegalArgumentException e) {
      throw new RnncException("the model rejected the input: " + e.getMessage(), e);
    }
    Map<String, Tensor> results = new LinkedHashMap<>();
    results.put("loss", Tensor.ofFloats(new int[] {1}, new float[] {loss}));
    Seq2SeqParameters grads = model.gradients();
    for (String name : config.parameterNames()) {
      results.put("grad." + name, Tensor.ofFloats(grads.shape(name), grads.get(name).clone()));
    }
    if (!config.sourceTokens()) {
      results.put("grad.source", copy(model.sourceGradient(), b, x.sourceSteps(), config.encoder().inputSize()));
    }
    SafeTensors.write(output, results, Map.of("producer", "rnnc", "format", "pt"));
    if (verbose) {
      err().println("loss " + loss + " (" + loader.implementation() + ")");
    }
    return ExitCodes.OK;
  }

  private static Tensor copy(float[] values, int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return Tensor.ofFloats(shape, Arrays.copyOf(values, n));
  }
}
