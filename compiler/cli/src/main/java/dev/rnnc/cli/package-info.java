/**
 * The {@code rnnc} command-line tool: {@link dev.rnnc.cli.Main} and one class per subcommand
 * ({@code compile}, {@code check}, {@code info}, {@code run}, {@code grad}, {@code train}, {@code bench},
 * {@code demo}, {@code import}, {@code inspect}), plus what they share: compiling a spec into a loaded model class
 * ({@link dev.rnnc.cli.ModelLoader}), reading and validating input tensors ({@link dev.rnnc.cli.ModelInput})
 * and the exit-code policy (0 ok, 1 user error, 2 internal error).
 */
package dev.rnnc.cli;
