package dev.rnnc.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Base of every subcommand: the {@code -v/--verbose} option and the command's output streams (those of the
 * {@link picocli.CommandLine} running it, so tests can capture them).
 */
abstract class RnncCommand implements Callable<Integer> {
  @Spec
  CommandSpec commandSpec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;

  @Option(names = {"-v", "--verbose"}, description = "Say more; on an internal error, print the stack trace.")
  boolean verbose;

  /** Normal output (results). */
  PrintWriter out() {
    return commandSpec.commandLine().getOut();
  }

  /** Diagnostics and notes. */
  PrintWriter err() {
    return commandSpec.commandLine().getErr();
  }

  /** Runs the command; exceptions are turned into messages and exit codes by {@link Main}. */
  abstract int execute() throws Exception;

  @Override
  public final Integer call() throws Exception {
    try {
      return execute();
    } finally {
      out().flush();
      err().flush();
    }
  }
}
