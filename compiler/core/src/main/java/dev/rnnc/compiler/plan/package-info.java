/**
 * The model plan: the compiler's intermediate representation between a validated spec and the emitters. A
 * {@link dev.rnnc.compiler.plan.ModelPlan} holds the typed node graph (embedding, layer runs, dropout, head, loss),
 * the one inventory of {@link dev.rnnc.compiler.plan.Workspace workspaces} an instance allocates (which the
 * generated constructor, {@code rnnc info} and the spec's size check all read), the one inventory of packed
 * {@link dev.rnnc.compiler.plan.WeightArray weight arrays}, the generated name of every per-run
 * {@link dev.rnnc.compiler.plan.Member member}, and the {@link dev.rnnc.compiler.plan.Blocking fusion and blocking
 * choices} — so the emitters only print what the plan says.
 */
package dev.rnnc.compiler.plan;
