/**
 * The "written by hand" baseline: straightforward scalar LSTM, GRU and RNN cells in float, with PyTorch's
 * row-major weights used as they are and plain nested loops, as a user without a compiler would write them.
 * They show what specialisation and the Vector API buy over ordinary Java, not over a strawman: the loops
 * are the natural ones (row-major dot products, which the JIT can unroll), not deliberately slow.
 */
package dev.rnnc.benchmarks.baseline;
