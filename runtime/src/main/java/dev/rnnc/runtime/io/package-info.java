/**
 * Tensor files, as a public API for Java programs: typed tensors ({@link dev.rnnc.runtime.io.Tensor}), a strict
 * reader and atomic writer of the <a href="https://github.com/huggingface/safetensors">safetensors</a> format
 * ({@link dev.rnnc.runtime.io.SafeTensors}), and crash-safe file replacement
 * ({@link dev.rnnc.runtime.io.AtomicFile}). No dependencies beyond the JDK; Java 17.
 *
 * <pre>{@code
 * Map<String, Tensor> x = new LinkedHashMap<>();
 * x.put("input", Tensor.ofFloats(new int[] {2, 5, 64}, features));     // F32 [B, T, I], row-major, not copied
 * x.put("lengths", Tensor.ofLongs(new int[] {2}, new long[] {5, 3}));  // I64 [B]
 * SafeTensors.write(Path.of("x.safetensors"), x, Map.of());            // atomic: temp file, fsync, rename
 *
 * SafeTensorsFile file = SafeTensors.read(Path.of("x.safetensors"));  // tensors in file order, and metadata
 * float[] input = file.tensors().get("input").toFloatArray();          // a fresh copy (F64 rounded)
 * }</pre>
 *
 * <p>Reading checks every header field (dtype, shape, offsets tiling the data exactly, header size) before it
 * allocates or reads tensor data, and fails with a {@link dev.rnnc.runtime.RnncException} naming the file and
 * the tensor; the data is read in 1 MiB chunks straight into the tensor's array, so a file is never held twice.
 * Supported dtypes are F32, F64, I64 and I32 ({@link dev.rnnc.runtime.io.DType}). Model-level checks (names,
 * shapes, finiteness) live in {@link dev.rnnc.runtime.ModelParameters}. The tensor names {@code rnnc run},
 * {@code grad} and {@code bench} read are listed in the README ("Tensor names").
 */
package dev.rnnc.runtime.io;
