package dev.rnnc.cli;

import dev.rnnc.compiler.spec.SpecError;
import dev.rnnc.compiler.spec.SpecException;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.RnncException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rnnc check}: validates specs without generating anything; every spec is checked even after a failure. */
@Command(name = "check", description = "Validates specs: prints 'ok SPEC', or one 'file:line:col: message' line per error on stderr.",
    footerHeading = "%nExamples:%n",
    footer = {"  rnnc check specs/*.yaml", ExitCodes.FOOTER})
final class CheckCommand extends RnncCommand {
  @Parameters(arity = "1..*", paramLabel = "SPEC", description = "Spec files (YAML).")
  List<Path> specs;

  @Override
  int execute() {
    int status = ExitCodes.OK;
    for (Path spec : specs) {
      try {
        // Either kind of spec: an encoder–decoder spec is valid even though code generation refuses it.
        SpecParser.parseAny(spec);
        out().println("ok " + spec);
      } catch (SpecException e) {
        for (SpecError error : e.errors()) {
          err().println(error);
        }
        status = ExitCodes.USER_ERROR;
      } catch (RnncException e) {
        err().println(spec + ": " + e.getMessage());
        status = ExitCodes.USER_ERROR;
      }
    }
    return status;
  }
}
