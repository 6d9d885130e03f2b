/**
 * ONNX import: {@link dev.rnnc.onnx.OnnxImporter} turns an ONNX model whose graph is an LSTM/GRU/RNN stack (plus
 * exporter glue, an optional embedding and an optional linear head) into an rnnc spec and PyTorch-named
 * parameters ({@link dev.rnnc.onnx.ImportedModel}).
 *
 * <p>Pipeline, like a small compiler front end: {@link dev.rnnc.onnx.OnnxReader} (bytes → {@link
 * dev.rnnc.onnx.OnnxModel}, every size checked) → {@code GraphOrder} (producers, cycles, missing names) →
 * {@code GraphAnalyzer} (abstract interpretation: each tensor's {@code Value}, axes as {@link dev.rnnc.onnx.Factor}s)
 * → {@code ModelConfig} + parameters + {@link dev.rnnc.onnx.Binding}s (how graph inputs and outputs map onto
 * rnnc's arrays) → spec text ({@code SpecText}).
 */
package dev.rnnc.onnx;
