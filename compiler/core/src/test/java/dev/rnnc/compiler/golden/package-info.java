/**
 * Parity with PyTorch: golden tensors written by {@code src/test/python/make_goldens.py} (one safetensors file
 * per case under {@code src/test/resources/golden}), their loading ({@link dev.rnnc.compiler.golden.GoldenCase},
 * {@link dev.rnnc.compiler.golden.GoldenCases}) and the comparison of any {@link dev.rnnc.runtime.RnnModel} or
 * {@link dev.rnnc.runtime.TrainableModel} against them ({@link dev.rnnc.compiler.golden.GoldenCheck}), shared by
 * the reference-model test and the generated-code tests.
 */
package dev.rnnc.compiler.golden;
