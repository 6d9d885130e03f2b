/**
 * Decoding for encoder–decoder models, generic over any {@link dev.rnnc.runtime.decode.DecoderStepper}: greedy,
 * sampled (temperature, top-k, seeded) and beam search. All state is preallocated on construction (beam search for
 * max batch × width rows); decoding allocates nothing.
 */
package dev.rnnc.runtime.decode;
