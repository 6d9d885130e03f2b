/**
 * Emitters: turn a {@link dev.rnnc.compiler.plan.ModelPlan} into Java source with JavaPoet. Everything that
 * depends on the cell is in one {@link dev.rnnc.compiler.emit.CellEmitter} per cell kind (its kernels, its
 * recurrent step for one, two or four sequences, its backward step and weight gradients); the rest is one emitter
 * per concern — {@link dev.rnnc.compiler.emit.WeightsEmitter} (the plan's weight inventory: packing PyTorch
 * parameters into kernel layouts), {@link dev.rnnc.compiler.emit.KernelEmitter} (the vector and scalar kernels:
 * matrix–vector products, activations, gradient products), {@link dev.rnnc.compiler.emit.ForwardEmitter}
 * (whole-sequence and streaming inference), {@link dev.rnnc.compiler.emit.BackwardEmitter} (BPTT and the loss),
 * assembled by {@link dev.rnnc.compiler.emit.ClassEmitter}, which also writes one field and one allocation per
 * workspace of the plan's inventory. {@link dev.rnnc.compiler.emit.VectorCode} writes vector arithmetic inline,
 * because a helper that passes a {@code FloatVector} across a call boxes it whenever the JIT declines to inline.
 * Emitters make no decisions of their own: sizes, names and fusion choices come from the plan. Output is
 * deterministic.
 */
package dev.rnnc.compiler.emit;
