/**
 * The {@code rnnc} command-line tool: {@link dev.rnnc.cli.Main} and one class per subcommand
 * ({@code compile}, {@code check}, {@code info}, {@code run}, {@code grad}, {@code train}, {@code bench},
 * {@code demo}, {@code data}, {@code import}, {@code inspect}), plus what they share: compiling a spec into a loaded model class
 * ({@link dev.rnnc.cli.ModelLoader}), reading and validating input tensors ({@link dev.rnnc.cli.ModelInput}),
 * checking output paths before any work ({@link dev.rnnc.cli.OutputFiles}) and the exit-code policy (0 ok,
 * 1 user error, 2 internal error). The file converters of {@code rnnc data} are in {@link dev.rnnc.cli.data}.
 */
package dev.rnnc.cli;
