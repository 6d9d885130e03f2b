package dev.rnnc.cli;

import dev.rnnc.onnx.OnnxImporter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rnnc inspect}: what rnnc sees in an ONNX graph, node by node, and why an import would fail. */
@Command(name = "inspect", description = "Shows an ONNX model's recurrent structure as rnnc sees it: inputs, outputs, "
    + "each node and what it maps to, the rnnc model and the input/output mapping, or every unsupported part. "
    + "Exit 0 when the model can be imported, 1 when not.",
    footerHeading = "%nExamples:%n",
    footer = {"  rnnc inspect tagger.onnx", ExitCodes.FOOTER})
final class InspectCommand extends RnncCommand {
  @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX model.")
  Path onnxFile;

  @Override
  int execute() {
    OnnxImporter.Inspection inspection = OnnxImporter.inspect(onnxFile);
    inspection.lines().forEach(out()::println);
    return inspection.importable() ? ExitCodes.OK : ExitCodes.USER_ERROR;
  }
}
