package dev.rnnc.compiler.spec;

import dev.rnnc.runtime.Seq2SeqConfig;

/**
 * A parsed, validated encoder–decoder spec (one with {@code encoder:} and {@code decoder:} sections).
 *
 * @param sourceName  where the spec came from
 * @param modelName   simple name of the class to generate
 * @param packageName its package
 * @param config      the model the spec describes
 * @param sha256      lowercase hex SHA-256 of the spec's bytes
 */
public record Seq2SeqSpec(String sourceName, String modelName, String packageName, Seq2SeqConfig config,
    String sha256) implements ParsedSpec {}
