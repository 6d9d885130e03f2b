/**
 * {@code rnnc data}: converters from the files people have (CSV, plain text, JSON lines, NumPy {@code .npy} /
 * {@code .npz}) to the tensors rnnc reads, and writers of a model's results as CSV or JSON lines.
 *
 * <p>Every converter reads its file twice, streaming: the first pass checks every row and measures the batch
 * (sequences, their lengths, widths), the second fills arrays allocated once at their final padded size. So
 * nothing but the result is held in memory, and a malformed row is reported as {@code file:line: message}
 * before anything is allocated or written. Results are written with
 * {@link dev.rnnc.runtime.io.SafeTensors#write}, which is atomic: a failure leaves no file and never a
 * half-written one.
 *
 * <p>These classes live in the CLI, not in the runtime, because the runtime has no dependencies and CSV and
 * JSON are read with commons-csv and jackson-core. Java programs that already hold their data in arrays build
 * {@link dev.rnnc.runtime.io.Tensor}s directly and write them with {@link dev.rnnc.runtime.io.SafeTensors}.
 */
package dev.rnnc.cli.data;
