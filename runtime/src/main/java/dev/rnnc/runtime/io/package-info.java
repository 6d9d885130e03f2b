/**
 * Weight files: typed tensors ({@link dev.rnnc.runtime.io.Tensor}), a strict reader and atomic writer of the
 * safetensors format ({@link dev.rnnc.runtime.io.SafeTensors}) that checks every header field before it
 * allocates or reads tensor data, and crash-safe file replacement ({@link dev.rnnc.runtime.io.AtomicFile}).
 * Model-level checks (names, shapes, finiteness) live in {@link dev.rnnc.runtime.ModelParameters}.
 */
package dev.rnnc.runtime.io;
