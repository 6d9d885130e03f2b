package dev.rnnc.compiler.plan;

/**
 * A public size constant of the generated class ({@code HIDDEN}, {@code GATE_ROWS}); the generated code names
 * sizes by these instead of spelling numbers.
 *
 * @param name  the constant
 * @param value its value
 * @param doc   its javadoc
 */
public record Constant(String name, int value, String doc) {}
