package dev.rnnc.cli;

import dev.rnnc.compiler.plan.ModelPlan;
import dev.rnnc.compiler.plan.Workspace.Pass;
import dev.rnnc.compiler.spec.ParsedSpec;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.Seq2SeqConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rnnc info}: what a spec describes, without compiling it. */
@Command(name = "info", description = "Describes a spec: generated class, parameters (PyTorch names and shapes), "
    + "parameter count, FLOPs per step and workspace memory.",
    footerHeading = "%nExamples:%n",
    footer = {"  rnnc info specs/char_lstm.yaml",
        "",
        "FLOPs per step: multiply-adds of every layer's matrix products (×2), plus the head for many_to_many.",
        "Workspace: the arrays one instance allocates at the spec's limits, exactly as the generated constructor",
        "  does (the compiler's one workspace inventory), with 16-float vectors; inference (whole sequences and",
        "  streaming) and, for trainable specs, training. The weights are shared between instances.",
        ExitCodes.FOOTER})
final class InfoCommand extends RnncCommand {
  @Parameters(index = "0", paramLabel = "SPEC", description = "The model spec (YAML).")
  Path specFile;

  @Override
  int execute() {
    ParsedSpec parsed = SpecParser.parseAny(specFile);
    if (parsed instanceof Seq2SeqSpec seq2seq) {
      describeEncoderDecoder(seq2seq);
      return ExitCodes.OK;
    }
    Spec spec = (Spec) parsed;
    ModelConfig config = spec.config();
    PrintWriter out = out();
    out.println("spec:        " + specFile);
    out.println("class:       " + spec.qualifiedName());
    out.println("model:       " + describe(config));
    out.println("limits:      max_batch " + config.maxBatch() + ", max_length " + config.maxLength());
    out.println("training:    " + (config.training() == null ? "none (inference only)"
        : "loss " + config.training().loss().name().toLowerCase(Locale.ROOT) + ", dropout " + config.training().dropout()
            + ", truncate " + config.training().truncate()));
    out.println("parameters:");
    int width = config.parameterNames().stream().mapToInt(String::length).max().orElse(0);
    for (Map.Entry<String, int[]> entry : config.parameterShapes().entrySet()) {
      out.printf("  %-" + width + "s  %s%n", entry.getKey(), Arrays.toString(entry.getValue()));
    }
    out.println("parameter count:   " + String.format(Locale.ROOT, "%,d", config.parameterCount()));
    out.println("FLOPs per step:    " + String.format(Locale.ROOT, "%,d", config.flopsPerStep())
        + " (one timestep of one sequence)");
    ModelPlan plan = ModelPlan.of(config);
    int lanes = ModelPlan.CHECK_LANES;
    long workspace = plan.workspaceBytes(config.maxBatch(), config.maxLength(), lanes, EnumSet.of(Pass.FORWARD, Pass.STEP));
    out.println("workspace bytes:   " + String.format(Locale.ROOT, "%,d", workspace) + " (" + human(workspace)
        + ", one instance at max_batch " + config.maxBatch() + ", max_length " + config.maxLength() + ")");
    if (plan.training()) {
      long training = plan.workspaceBytes(config.maxBatch(), config.maxLength(), lanes, EnumSet.of(Pass.TRAINING));
      out.println("training bytes:    " + String.format(Locale.ROOT, "%,d", training) + " (" + human(training)
          + ", the same instance training: activations kept for backpropagation and their gradients; parameter "
          + "gradients add the weights' size)");
    }
    out.println("weights bytes:     " + String.format(Locale.ROOT, "%,d", 4 * config.parameterCount()) + " (float32)");
    if (spec.weights() == dev.rnnc.compiler.plan.WeightPrecision.BF16) {
      long matrices = 0;
      Map<String, int[]> shapes = config.parameterShapes();
      for (String name : plan.packedParameters()) {
        matrices += Arrays.stream(shapes.get(name)).asLongStream().reduce(1, (a, b) -> a * b);
      }
      out.println("weight storage:    bf16: the weight matrices (" + String.format(Locale.ROOT, "%,d", matrices)
          + " values) are read as " + String.format(Locale.ROOT, "%,d", 2 * matrices) + " bytes per step instead of "
          + String.format(Locale.ROOT, "%,d", 4 * matrices) + " (inference only)");
    }
    return ExitCodes.OK;
  }

  /** An encoder–decoder spec: both stacks, bridge, decoding and the parameters in state_dict order. */
  private void describeEncoderDecoder(Seq2SeqSpec spec) {
    Seq2SeqConfig config = spec.config();
    PrintWriter out = out();
    out.println("spec:        " + specFile);
    out.println("class:       " + spec.qualifiedName() + " (encoder–decoder, implements dev.rnnc.runtime.Seq2SeqModel)");
    out.println("encoder:     " + describe(config.encoder()).replace(", many_to_many", ""));
    ModelConfig decoder = config.decoder();
    out.println("decoder:     " + decoder.cell().name().toLowerCase(Locale.ROOT) + ", embedding " + config.targetVocab()
        + "×" + config.embeddingDim() + ", hidden " + decoder.hidden() + ", " + decoder.layers()
        + (decoder.layers() == 1 ? " layer" : " layers") + ", input " + config.decoderInputSize());
    out.println("bridge:      " + config.bridge().name().toLowerCase(Locale.ROOT) + ", context "
        + config.context().name().toLowerCase(Locale.ROOT) + " (source summary " + config.contextSize() + " wide)");
    out.println("head:        " + config.targetVocab() + " (" + config.headActivation().name().toLowerCase(Locale.ROOT)
        + ")");
    out.println("decode:      start " + config.start() + ", end " + config.end() + ", max_length " + config.maxDecode());
    out.println("limits:      max_batch " + config.maxBatch() + ", max_length " + config.maxLength());
    out.println("training:    " + (config.training() == null ? "none (inference only)" : "loss cross_entropy"));
    out.println("parameters:");
    int width = config.parameterNames().stream().mapToInt(String::length).max().orElse(0);
    for (Map.Entry<String, int[]> entry : config.parameterShapes().entrySet()) {
      out.printf("  %-" + width + "s  %s%n", entry.getKey(), Arrays.toString(entry.getValue()));
    }
    out.println("parameter count:   " + String.format(Locale.ROOT, "%,d", config.parameterCount()));
    out.println("weights bytes:     " + String.format(Locale.ROOT, "%,d", 4 * config.parameterCount()) + " (float32)");
  }

  /** One line: cell, input, sizes, layers, direction, mode and head. */
  static String describe(ModelConfig c) {
    StringBuilder s = new StringBuilder(c.cell().name().toLowerCase(Locale.ROOT));
    if (c.cell() == ModelConfig.Cell.RNN) {
      s.append(" (").append(c.nonlinearity().name().toLowerCase(Locale.ROOT)).append(")");
    } else if (c.cell() == ModelConfig.Cell.GRU) {
      s.append(" (reset ").append(c.gruReset().name().toLowerCase(Locale.ROOT)).append(")");
    }
    s.append(", ").append(c.hasEmbedding() ? "embedding " + c.vocab() + "×" + c.inputSize() : "input " + c.inputSize());
    s.append(", hidden ").append(c.hidden());
    if (c.hasProjection()) {
      s.append(", proj_size ").append(c.projSize());
    }
    if (c.peepholes()) {
      s.append(", peepholes");
    }
    s.append(", ").append(c.layers()).append(c.layers() == 1 ? " layer" : " layers");
    s.append(c.bidirectional() ? ", bidirectional" : "").append(", ").append(c.mode().name().toLowerCase(Locale.ROOT));
    if (c.hasHead()) {
      s.append(", head ").append(c.headSize()).append(" (").append(c.headActivation().name().toLowerCase(Locale.ROOT))
          .append(")");
    }
    return s.toString();
  }

  private static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
