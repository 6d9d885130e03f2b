package dev.rnnc.cli;

import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.spec.SpecError;
import dev.rnnc.compiler.spec.SpecException;
import dev.rnnc.runtime.RnncException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Entry point of the {@code rnnc} tool. {@link #execute} runs one command line in-process and returns its exit
 * status (see {@link ExitCodes}); {@link #main} exits the JVM with it.
 *
 * <p>Error policy: a {@link RnncException} (which includes {@link SpecException}) or an
 * {@link IllegalArgumentException} is the user's problem and prints its message alone, one line per spec
 * error, exit 1; anything else is an rnnc bug, exit 2: one line plus "run with -v for details" (the stack
 * trace with {@code -v}), or for generated code that failed rnnc's own checks ({@link GeneratedCodeException})
 * one line naming it, its list of problems and trace with {@code -v}.
 */
@Command(name = "rnnc", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Compiles recurrent neural network specs (YAML) to specialised Java classes, and runs, "
        + "differentiates, trains and benchmarks them.",
    subcommands = {CompileCommand.class, CheckCommand.class, InfoCommand.class, RunCommand.class,
        GradCommand.class, TrainCommand.class, BenchCommand.class, SampleCommand.class, TranslateCommand.class,
        DemoCommand.class, DataCommand.class, ImportCommand.class, InspectCommand.class, TuneCommand.class,
        CommandLine.HelpCommand.class},
    footer = ExitCodes.FOOTER + "%nRun 'rnnc help COMMAND' or 'rnnc COMMAND --help' for a command's options and examples.")
public final class Main implements Callable<Integer> {
  @picocli.CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** {@code rnnc} alone: the usage, on stderr, as a usage error (exit 1). */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USER_ERROR;
  }

  /** Prints the rnnc version and the Java runtime it runs on. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
          "rnnc " + RnnCompiler.VERSION,
          "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ", "
              + System.getProperty("java.home") + ")"};
    }
  }

  public static void main(String[] args) {
    System.exit(execute(System.out, System.err, args));
  }

  /** Runs one command line, writing to the given streams; returns the exit status. */
  public static int execute(PrintStream out, PrintStream err, String... args) {
    PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
    PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
    try {
      return commandLine(outWriter, errWriter).execute(args);
    } catch (Error e) {
      // picocli hands only Exceptions to the handler; an Error (out of memory, stack overflow) lands here.
      List<String> words = Arrays.asList(args);
      boolean verbose = words.contains("-v") || words.contains("--verbose");
      return report(e, errWriter, verbose);
    } finally {
      outWriter.flush();
      errWriter.flush();
    }
  }

  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setUsageHelpWidth(110);
    cli.setUsageHelpAutoWidth(true);
    cli.setParameterExceptionHandler(Main::badUsage);
    cli.setExecutionExceptionHandler(Main::failure);
    for (CommandLine sub : cli.getSubcommands().values()) {
      sub.getCommandSpec().usageMessage().footer(sub.getCommandSpec().usageMessage().footer().length == 0
          ? new String[] {ExitCodes.FOOTER} : sub.getCommandSpec().usageMessage().footer());
    }
    return cli;
  }

  /** A command line picocli could not parse: the message and a pointer to the help, exit 1. */
  private static int badUsage(ParameterException e, String[] args) {
    CommandLine cli = e.getCommandLine();
    PrintWriter err = cli.getErr();
    err.println("rnnc: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Run '" + cli.getCommandSpec().qualifiedName() + " --help' for usage.");
    return ExitCodes.USER_ERROR;
  }

  private static int failure(Exception e, CommandLine cli, ParseResult parsed) {
    PrintWriter err = cli.getErr();
    boolean verbose = cli.getCommand() instanceof RnncCommand command && command.verbose;
    int code = report(e, err, verbose);
    err.flush();
    return code;
  }

  /** Prints an exception the way the error policy says and returns the exit code. */
  static int report(Throwable e, PrintWriter err, boolean verbose) {
    if (e instanceof SpecException spec) {
      for (SpecError error : spec.errors()) {
        err.println(error);
      }
      return ExitCodes.USER_ERROR;
    }
    if (e instanceof RnncException || e instanceof IllegalArgumentException) {
      err.println("rnnc: " + e.getMessage());
      if (verbose) {
        e.printStackTrace(err);
      }
      return ExitCodes.USER_ERROR;
    }
    if (e instanceof GeneratedCodeException bug) {
      // An rnnc bug with a long, developer-facing message: one line for the user, the details with -v.
      err.println("rnnc: internal error: " + bug.summary() + " (a bug in rnnc, not in your spec; please report it)"
          + (verbose ? "" : "; run with -v for the details"));
      if (verbose) {
        err.println(bug.getMessage());
        e.printStackTrace(err);
      }
      return ExitCodes.INTERNAL_ERROR;
    }
    if (e instanceof OutOfMemoryError) {
      err.println("rnnc: out of memory (" + e.getMessage() + "); give the JVM more with JAVA_OPTS=-Xmx..., or use"
          + " smaller inputs");
      return ExitCodes.USER_ERROR;
    }
    err.println("rnnc: internal error: " + e);
    if (verbose) {
      e.printStackTrace(err);
    } else {
      err.println("run with -v for details");
    }
    return ExitCodes.INTERNAL_ERROR;
  }
}
