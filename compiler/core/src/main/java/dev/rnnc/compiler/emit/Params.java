package dev.rnnc.compiler.emit;

import static dev.rnnc.compiler.emit.Types.FLOATS;
import static dev.rnnc.compiler.emit.Types.INTS;

import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import java.util.ArrayList;
import java.util.List;

/** Kernel parameter lists written compactly: {@code "[]w"} is a {@code float[]}, {@code "#rows"} an {@code int[]}, a bare name an {@code int}. */
final class Params {
  private Params() {}

  static List<ParameterSpec> of(String... spec) {
    List<ParameterSpec> list = new ArrayList<>();
    for (String s : spec) {
      if (s.startsWith("[]")) {
        list.add(ParameterSpec.builder(FLOATS, s.substring(2)).build());
      } else if (s.startsWith("#")) {
        list.add(ParameterSpec.builder(INTS, s.substring(1)).build());
      } else {
        list.add(ParameterSpec.builder(TypeName.INT, s).build());
      }
    }
    return list;
  }
}
