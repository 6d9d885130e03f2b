/**
 * Training runtime: optimisers with {@code torch.optim} semantics ({@link dev.rnnc.runtime.train.Sgd},
 * {@link dev.rnnc.runtime.train.Adam}), gradient clipping, the non-finite guard, the {@link
 * dev.rnnc.runtime.train.Trainer} loop (full-batch, shuffled mini-batches, truncated BPTT) over a {@link
 * dev.rnnc.runtime.train.Dataset}, {@link dev.rnnc.runtime.train.DataParallel} (a batch's gradients split over
 * threads), {@link dev.rnnc.runtime.train.Metric}s per task measured on training and validation sets,
 * {@link dev.rnnc.runtime.train.LearningRateSchedule}s, early stopping, resumable checkpoints (weights, optimiser
 * and trainer state in one safetensors file: a resumed run ends bit for bit where an uninterrupted one does) and
 * sampling from a {@link dev.rnnc.runtime.StreamingModel}.
 *
 * <p>Everything here allocates on construction (or on the first step) and never again per step, so a
 * training loop's cost is the model's own.
 */
package dev.rnnc.runtime.train;
