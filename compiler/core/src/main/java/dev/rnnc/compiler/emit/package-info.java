/**
 * Emitters: turn a {@link dev.rnnc.compiler.plan.ModelPlan} into Java source with JavaPoet, one emitter per
 * concern — {@link dev.rnnc.compiler.emit.WeightsEmitter} (packing PyTorch parameters into kernel layouts),
 * {@link dev.rnnc.compiler.emit.KernelEmitter} (the vector and scalar kernels: matrix–vector products,
 * activations, cell updates, gradient products), {@link dev.rnnc.compiler.emit.ForwardEmitter} (whole-sequence
 * and streaming inference), {@link dev.rnnc.compiler.emit.BackwardEmitter} with
 * {@link dev.rnnc.compiler.emit.BackwardKernels} (BPTT and the loss), assembled by
 * {@link dev.rnnc.compiler.emit.ClassEmitter}. {@link dev.rnnc.compiler.emit.VectorCode} writes vector
 * arithmetic inline, because a helper that passes a {@code FloatVector} across a call boxes it whenever the JIT
 * declines to inline. Emitters make no decisions of their own: sizes, names and fusion choices come from the
 * plan. Output is deterministic.
 */
package dev.rnnc.compiler.emit;
