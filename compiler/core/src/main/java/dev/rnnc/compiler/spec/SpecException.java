package dev.rnnc.compiler.spec;

import dev.rnnc.runtime.RnncException;
import java.util.List;
import java.util.stream.Collectors;

/** A spec that could not be accepted, with every problem found in it (in file order). */
public class SpecException extends RnncException {
  private static final long serialVersionUID = 1L;

  private final transient List<SpecError> errors;

  /**
   * @param errors the problems, at least one, already in file order
   */
  public SpecException(List<SpecError> errors) {
    super(format(errors));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a SpecException needs at least one error");
    }
    this.errors = List.copyOf(errors);
  }

  /** The problems, in file order. */
  public List<SpecError> errors() {
    return errors;
  }

  private static String format(List<SpecError> errors) {
    return errors.stream().map(SpecError::toString).collect(Collectors.joining("\n"));
  }
}
