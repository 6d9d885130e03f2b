package dev.rnnc.compiler.spec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Collects the problems of one spec. Validation keeps going after a problem so the user sees all of them
 * in one run; {@link #sorted()} puts them in file order.
 */
final class ErrorList {
  private final String file;
  private final List<SpecError> errors = new ArrayList<>();

  ErrorList(String file) {
    this.file = file;
  }

  /** A problem at the start of {@code node}. */
  void at(Node node, String message) {
    at(node.getStartMark(), message);
  }

  /** A problem at a SnakeYAML mark (0-based), or at the top of the file when there is none. */
  void at(Optional<Mark> mark, String message) {
    at(mark.map(m -> m.getLine() + 1).orElse(1), mark.map(m -> m.getColumn() + 1).orElse(1), message);
  }

  /** A problem at a 1-based line and column. */
  void at(int line, int column, String message) {
    errors.add(new SpecError(file, line, column, message));
  }

  boolean isEmpty() {
    return errors.isEmpty();
  }

  /** The problems by line, then column; problems at one place keep the order they were found in. */
  List<SpecError> sorted() {
    List<SpecError> copy = new ArrayList<>(errors);
    copy.sort(Comparator.comparingInt(SpecError::line).thenComparingInt(SpecError::column));
    return copy;
  }

  /** Throws the collected problems, if any. */
  void throwIfAny() {
    if (!errors.isEmpty()) {
      throw new SpecException(sorted());
    }
  }
}
