/**
 * Proof that generated code is right: random specs across every cell, size and option, compiled in batches
 * and compared call by call with the double-precision {@link dev.rnnc.runtime.reference.ReferenceModel}
 * (forward, streaming, scalar fallback, gradients), plus the properties a product needs beyond the numbers:
 * deterministic output, isolated instances over shared weights, validated arguments, and calls that allocate
 * nothing. {@link dev.rnnc.compiler.generated.SpecGenerator} makes the specs,
 * {@link dev.rnnc.compiler.generated.Call} the inputs, {@link dev.rnnc.compiler.generated.Agreement} compares.
 */
package dev.rnnc.compiler.generated;
