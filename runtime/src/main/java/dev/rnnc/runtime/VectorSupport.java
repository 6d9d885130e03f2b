package dev.rnnc.runtime;

/**
 * Decides once per generated class whether its Vector API kernels may run. They need the incubator module
 * {@code jdk.incubator.vector} in the boot layer ({@code --add-modules jdk.incubator.vector}); without it,
 * generated classes fall back to their scalar kernels instead of failing to link. Setting the system
 * property {@code rnnc.vector=false} forces the scalar path (tests use it to check the fallback).
 */
public final class VectorSupport {
  private VectorSupport() {}

  /** The module generated vector kernels need. */
  public static final String MODULE = "jdk.incubator.vector";

  /** Whether vector kernels can and may be used. */
  public static boolean available() {
    if ("false".equalsIgnoreCase(System.getProperty("rnnc.vector", "true"))) {
      return false;
    }
    return ModuleLayer.boot().findModule(MODULE).isPresent();
  }
}
