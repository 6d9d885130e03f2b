package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.compiler.GeneratedCodeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Generated code failing rnnc's own checks is an rnnc bug: exit 2, one clear line, the details with -v. */
class GeneratedCodeErrorTest {
  private static final GeneratedCodeException BUG = new GeneratedCodeException(
      "rnnc bug: generated code for m.yaml breaks its own rules (2 violations):\n"
          + "  M.step: new float[] array (line 9)\n  M.step: newarray (line 9)");

  @Test
  void oneLineAndExitTwo() {
    StringWriter text = new StringWriter();
    assertEquals(ExitCodes.INTERNAL_ERROR, Main.report(BUG, new PrintWriter(text, true), false));
    assertEquals("rnnc: internal error: rnnc bug: generated code for m.yaml breaks its own rules (2 violations)"
        + " (a bug in rnnc, not in your spec; please report it); run with -v for the details\n",
        text.toString().replace(System.lineSeparator(), "\n"));
  }

  @Test
  void verboseListsEveryProblemAndTheTrace() {
    StringWriter text = new StringWriter();
    assertEquals(ExitCodes.INTERNAL_ERROR, Main.report(BUG, new PrintWriter(text, true), true));
    String out = text.toString();
    assertTrue(out.startsWith("rnnc: internal error: rnnc bug: generated code for m.yaml breaks its own rules"
        + " (2 violations) (a bug in rnnc, not in your spec; please report it)" + System.lineSeparator()), out);
    assertTrue(out.contains("  M.step: newarray (line 9)"), out);
    assertTrue(out.contains("\tat dev.rnnc.cli.GeneratedCodeErrorTest"), out);
  }

  @Test
  void javacFailuresGetTheSameTreatment() {
    StringWriter text = new StringWriter();
    GeneratedCodeException javac = new GeneratedCodeException(
        "javac rejected generated code:\n  p/M.java:3:5: cannot find symbol\n      | foo();");
    assertEquals(ExitCodes.INTERNAL_ERROR, Main.report(javac, new PrintWriter(text, true), false));
    assertEquals("rnnc: internal error: javac rejected generated code (a bug in rnnc, not in your spec; please"
        + " report it); run with -v for the details", text.toString().strip());
  }
}
