package dev.rnnc.cli;

/** The process exit status of every rnnc command, documented in each help page's footer. */
public final class ExitCodes {
  /** Success. */
  public static final int OK = 0;
  /** A problem with what the user gave: the command line, a spec, a file, a shape or a value. */
  public static final int USER_ERROR = 1;
  /** A bug in rnnc (or the JVM ran out of something): the message says to run with -v for details. */
  public static final int INTERNAL_ERROR = 2;

  /** Help footer listing the codes. */
  static final String FOOTER = "%nExit codes:%n"
      + "  0  success%n"
      + "  1  user error (bad option, spec, file, shape or value); the message says what to fix%n"
      + "  2  internal error (a bug in rnnc); run with -v for the stack trace%n";

  private ExitCodes() {}
}
