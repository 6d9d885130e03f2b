package dev.rnnc.examples;

import dev.rnnc.runtime.RnncException;

/** The examples' few command-line options: {@code --name value} pairs, each with a default. */
final class Args {
  private final String[] args;

  Args(String[] args) {
    this.args = args.clone();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new RnncException("expected --option value pairs, got: " + String.join(" ", args));
      }
    }
  }

  long getLong(String name, long defaultValue) {
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--" + name)) {
        try {
          return Long.parseLong(args[i + 1]);
        } catch (NumberFormatException e) {
          throw new RnncException("--" + name + " needs a whole number, got '" + args[i + 1] + "'");
        }
      }
    }
    return defaultValue;
  }

  int getInt(String name, int defaultValue) {
    long value = getLong(name, defaultValue);
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw new RnncException("--" + name + " must be between 0 and " + Integer.MAX_VALUE + ", got " + value);
    }
    return (int) value;
  }

  /** Runs {@code body}, printing a user error as one line and exiting with status 2 (no stack trace). */
  static void run(Runnable body) {
    try {
      body.run();
    } catch (RnncException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
    }
  }
}
