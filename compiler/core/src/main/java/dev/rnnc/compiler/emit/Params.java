package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.INTS;

import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import java.util.ArrayList;
import java.util.List;

/**
 * Kernel parameter lists written compactly: {@code "[]w"} is a {@code float[]}, {@code "%w"} a packed weight matrix
 * ({@link Types#PACKED_WEIGHTS}: the dispatcher hands its aligned mirror to the vector kernels and its array to the
 * scalar ones), {@code "#rows"} an {@code int[]}, a bare name an {@code int}.
 */
final class Params {
  private Params() {}

  static List<ParameterSpec> of(String... spec) {
    List<ParameterSpec> list = new ArrayList<>();
    for (String s : spec) {
      if (s.startsWith("%")) {
        list.add(ParameterSpec.builder(Types.PACKED_WEIGHTS, s.substring(1)).build());
      } else if (s.startsWith("[]")) {
        list.add(ParameterSpec.builder(FLOATS, s.substring(2)).build());
      } else if (s.startsWith("#")) {
        list.add(ParameterSpec.builder(INTS, s.substring(1)).build());
      } else {
        list.add(ParameterSpec.builder(TypeName.INT, s).build());
      }
    }
    return list;
  }

  /** The list as the vector kernels declare it: packed weights become their aligned {@code MemorySegment}. */
  static List<ParameterSpec> vectorForm(List<ParameterSpec> dispatch) {
    return dispatch.stream().map(p -> p.type().equals(Types.PACKED_WEIGHTS)
        ? ParameterSpec.builder(Types.MEMORY_SEGMENT, p.name()).build() : p).toList();
  }

  /** The list as the scalar kernels declare it: packed weights become their {@code float[]}. */
  static List<ParameterSpec> scalarForm(List<ParameterSpec> dispatch) {
    return dispatch.stream().map(p -> p.type().equals(Types.PACKED_WEIGHTS)
        ? ParameterSpec.builder(FLOATS, p.name()).build() : p).toList();
  }

  /** The argument a dispatcher passes on for parameter {@code p}: {@code w.segment()} / {@code w.array()} for weights. */
  static String argument(ParameterSpec p, boolean vector) {
    if (p.type().equals(Types.PACKED_WEIGHTS)) {
      return p.name() + (vector ? ".segment()" : ".array()");
    }
    return p.name();
  }
}
