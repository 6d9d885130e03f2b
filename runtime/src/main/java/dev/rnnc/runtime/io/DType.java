package dev.rnnc.runtime.io;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** Element types rnnc reads and writes, named as in the safetensors header. */
public enum DType {
  F32(4), F64(8), I64(8), I32(4);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The name used in a safetensors header's {@code "dtype"} field. */
  public String safetensorsName() {
    return name();
  }

  /** Whether the elements are floating point. */
  public boolean isFloatingPoint() {
    return this == F32 || this == F64;
  }

  /** The type whose safetensors name is exactly {@code name}, if rnnc supports it. */
  public static Optional<DType> fromSafetensorsName(String name) {
    for (DType type : values()) {
      if (type.safetensorsName().equals(name)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /** The supported names, for error messages: "F32, F64, I64, I32". */
  public static String supportedNames() {
    return Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
  }
}
