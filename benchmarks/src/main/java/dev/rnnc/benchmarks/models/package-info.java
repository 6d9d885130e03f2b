/**
 * The benchmarked models. Their classes are generated into this package at build time by rnnc-maven-plugin
 * from the specs in {@code benchmarks/src/main/rnnc/} (one spec per configuration; see
 * {@link dev.rnnc.benchmarks.BenchConfig}); only this file is written by hand.
 */
package dev.rnnc.benchmarks.models;
