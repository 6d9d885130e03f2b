/**
 * Many independent streams through one model: a {@link dev.rnnc.runtime.stream.StreamBank} holds the state of up
 * to {@code capacity} streams (audio channels, sessions, sensors, symbols) beside one set of shared weights, and
 * advances any subset of them by a step per call; {@link dev.rnnc.runtime.stream.StreamSnapshots} owns the
 * versioned, checksummed byte layout of one stream's state, so state survives restarts and moves between
 * machines (Flink keyed state, Kafka Streams stores, files).
 *
 * <p>{@link dev.rnnc.runtime.stream.GenericStreamBank} works over any {@link dev.rnnc.runtime.StreamingModel}
 * (generated unidirectional classes, the reference model) by swapping each stream's state in and out around the
 * model's single-stream step: the portable implementation, and the oracle a batched bank is tested against.
 * {@link dev.rnnc.runtime.stream.AbstractStreamBank} holds what every bank shares (ids, validation, the flat state
 * array, snapshots), so a batched bank only supplies the arithmetic.
 */
package dev.rnnc.runtime.stream;
