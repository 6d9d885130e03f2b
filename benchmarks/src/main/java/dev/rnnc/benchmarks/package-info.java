/**
 * JMH benchmarks of rnnc-generated models: one streaming step ({@link dev.rnnc.benchmarks.StepBenchmark}), a
 * 100-step forward pass ({@link dev.rnnc.benchmarks.SequenceBenchmark}) and one training iteration
 * ({@link dev.rnnc.benchmarks.TrainBenchmark}), each against the runtime's double-precision
 * {@link dev.rnnc.runtime.reference.ReferenceModel} and, for inference, the hand-written scalar cells of
 * {@link dev.rnnc.benchmarks.baseline}; and the same LSTMs in ONNX Runtime Java
 * ({@link dev.rnnc.benchmarks.OrtBenchmark}, a model written in memory by {@link dev.rnnc.benchmarks.OnnxLstm}).
 *
 * <p>Every implementation is reached through the runtime interfaces, and JMH forks one JVM per benchmark
 * method and configuration, so each fork loads one implementation and its call sites stay monomorphic.
 * Each setup first checks that the implementation it times agrees with the reference model
 * ({@link dev.rnnc.benchmarks.Agreement}), so a fast wrong kernel cannot produce a result.
 */
package dev.rnnc.benchmarks;
