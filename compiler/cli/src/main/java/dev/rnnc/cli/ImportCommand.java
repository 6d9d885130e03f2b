package dev.rnnc.cli;

import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.onnx.Binding;
import dev.rnnc.onnx.ImportedModel;
import dev.rnnc.onnx.OnnxImporter;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rnnc import}: an ONNX model's recurrent stack as an ordinary spec plus safetensors weights.
 *
 * <p>Everything is checked before anything is written (the ONNX file, the graph, the spec the import produces),
 * existing files are never overwritten without {@code --force}, and each file is written atomically; if the
 * second write fails, the first file is removed again, so a failed import leaves the folder as it was.
 */
@Command(name = "import", description = "Imports an ONNX model (LSTM/GRU/RNN stack, optional embedding and head) as "
    + "DIR/NAME.yaml (a spec) and DIR/NAME.safetensors (its weights under PyTorch names).",
    footerHeading = "%nExamples:%n",
    footer = {"  rnnc import tagger.onnx --output-dir models",
        "  rnnc import tagger.onnx --output-dir models --model Tagger --package com.acme.nlp",
        "  rnnc run models/Tagger.yaml --weights models/Tagger.safetensors --input x.safetensors --output y.safetensors",
        "",
        "Run 'rnnc inspect MODEL.onnx' first to see what rnnc makes of a graph and what it does not support.",
        ExitCodes.FOOTER})
final class ImportCommand extends RnncCommand {
  @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX model (external data files beside it).")
  Path onnxFile;

  @Option(names = "--output-dir", required = true, paramLabel = "DIR", description = "Where to write (created if needed).")
  Path outputDir;

  @Option(names = "--model", paramLabel = "NAME", description = "Class name of the model (default: from the file name).")
  String modelName;

  @Option(names = "--package", paramLabel = "PKG", description = "Package of the generated class (default: "
      + OnnxImporter.DEFAULT_PACKAGE + ").")
  String packageName;

  @Option(names = "--force", description = "Replace NAME.yaml and NAME.safetensors if they exist.")
  boolean force;

  @Override
  int execute() throws IOException {
    ImportedModel imported = OnnxImporter.read(onnxFile, modelName, packageName);
    Path specFile = outputDir.resolve(imported.modelName() + ".yaml");
    Path weightsFile = outputDir.resolve(imported.modelName() + ".safetensors");
    // The spec the import wrote must be one rnnc accepts (a model name from --model may not be a Java name).
    Spec spec = SpecParser.parse(specFile.toString(), imported.specYaml());
    if (!spec.config().equals(imported.config().withLimits(spec.config().maxBatch(), spec.config().maxLength()))) {
      throw new IllegalStateException("the written spec does not describe the imported model: " + spec.config()
          + " vs " + imported.config());
    }
    for (Path file : new Path[] {specFile, weightsFile}) {
      if (Files.exists(file) && !force) {
        throw new RnncException(file + " already exists; choose another --output-dir or --model, or pass --force");
      }
    }
    Files.createDirectories(outputDir);
    boolean weightsExisted = Files.exists(weightsFile);
    imported.parameters().save(weightsFile);
    try {
      byte[] text = imported.specYaml().getBytes(StandardCharsets.UTF_8);
      AtomicFile.write(specFile, channel -> channel.write(ByteBuffer.wrap(text)));
    } catch (RuntimeException e) {
      if (!weightsExisted) {
        Files.deleteIfExists(weightsFile);
      }
      throw e;
    }
    out().println("wrote " + specFile + " and " + weightsFile);
    out().println("model: " + spec.qualifiedName() + " (" + describe(imported) + ")");
    for (Binding binding : imported.inputs()) {
      out().println("  ONNX input  " + binding.onnxName() + " " + binding.describeAxes() + " -> rnnc "
          + binding.role().tensorName());
    }
    for (Binding binding : imported.outputs()) {
      out().println("  ONNX output " + binding.onnxName() + " " + binding.describeAxes() + " <- rnnc "
          + binding.role().tensorName());
    }
    out().println("next: rnnc run " + specFile + " --weights " + weightsFile + " --input X.safetensors --output Y.safetensors");
    return ExitCodes.OK;
  }

  private static String describe(ImportedModel imported) {
    var config = imported.config();
    return config.cell().name().toLowerCase(java.util.Locale.ROOT) + ", " + config.layers() + " layer"
        + (config.layers() > 1 ? "s" : "") + (config.bidirectional() ? ", bidirectional" : "") + ", hidden "
        + config.hidden() + ", " + config.parameterCount() + " parameters";
  }
}
