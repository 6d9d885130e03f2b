/**
 * Emitters: turn a {@link dev.rnnc.compiler.plan.ModelPlan} into Java source with JavaPoet, one emitter per
 * concern — {@link dev.rnnc.compiler.emit.KernelEmitter} (vector and scalar kernels),
 * {@link dev.rnnc.compiler.emit.WeightsEmitter} (packing PyTorch parameters into kernel layouts),
 * {@link dev.rnnc.compiler.emit.ForwardEmitter} (whole-sequence and streaming inference),
 * {@link dev.rnnc.compiler.emit.BackwardEmitter} (BPTT), assembled by
 * {@link dev.rnnc.compiler.emit.ClassEmitter}. Emitters make no decisions of their own: sizes, names and
 * fusion choices come from the plan. Output is deterministic.
 */
package dev.rnnc.compiler.emit;
