package dev.rnnc.compiler.spec;

import org.snakeyaml.engine.v2.nodes.Node;

/**
 * One key's value as read from a spec: absent, present and valid, or present and invalid (already
 * reported). Rules that combine keys only look at keys that are {@link #usable()}, so one mistake is
 * reported once rather than again by every rule that depends on it.
 *
 * @param value the parsed value, or null when absent or invalid
 * @param key   the key node, or null when absent
 * @param node  the value node, or null when absent
 */
record Field<T>(T value, Node key, Node node) {

  static <T> Field<T> absent() {
    return new Field<>(null, null, null);
  }

  boolean present() {
    return key != null;
  }

  boolean valid() {
    return value != null;
  }

  /** Absent (so its default applies) or valid. */
  boolean usable() {
    return !present() || valid();
  }

  T or(T fallback) {
    return value != null ? value : fallback;
  }
}
