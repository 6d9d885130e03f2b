package dev.rnnc.runtime;

/**
 * Decides once per generated class whether its Vector API kernels may run. They need the incubator module
 * {@code jdk.incubator.vector} in the boot layer ({@code --add-modules jdk.incubator.vector}); without it,
 * generated classes fall back to their scalar kernels instead of failing to link. Setting the system
 * property {@code rnnc.vector=false} forces the scalar path (tests use it to check the fallback). It also picks
 * the kernels' vector width ({@link #vectorBits}).
 */
public final class VectorSupport {
  private VectorSupport() {}

  /** The module generated vector kernels need. */
  public static final String MODULE = "jdk.incubator.vector";

  /** System property fixing the vector width, in bits, of the generated kernels (e.g. 256 or 512). */
  public static final String BITS_PROPERTY = "rnnc.vector.bits";

  /** System property naming the tuning profile; default {@code ~/.config/rnnc/tune.properties}. */
  public static final String PROFILE_PROPERTY = "rnnc.tune.profile";

  /**
   * The vector width, in bits, generated kernels use, given the widest the JVM offers on this CPU. In order:
   * the {@link #BITS_PROPERTY} system property; the width {@code rnnc tune} measured fastest on this CPU model
   * and wrote to the tuning profile; the widest. A width that is not a power of two from 128 up to
   * {@code widest} is ignored (with the widest used), so a stale or foreign profile cannot break a class.
   * Results do not depend on the width: every kernel sums each output in the same order at any width.
   */
  public static int vectorBits(int widest) {
    Integer forced = parseBits(System.getProperty(BITS_PROPERTY), widest);
    if (forced != null) {
      return forced;
    }
    Integer tuned = parseBits(TuningProfile.load(profilePath()).get(cpuModel()), widest);
    return tuned != null ? tuned : widest;
  }

  private static Integer parseBits(String text, int widest) {
    if (text == null) {
      return null;
    }
    try {
      int bits = Integer.parseInt(text.strip());
      return bits >= 128 && bits <= widest && Integer.bitCount(bits) == 1 ? bits : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Where the tuning profile is read from and {@code rnnc tune} writes it. */
  public static java.nio.file.Path profilePath() {
    String configured = System.getProperty(PROFILE_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return java.nio.file.Path.of(configured);
    }
    return java.nio.file.Path.of(System.getProperty("user.home", "."), ".config", "rnnc", "tune.properties");
  }

  /**
   * This CPU's model name (Linux {@code /proc/cpuinfo}), the key of its tuning; {@code os.arch} where there is
   * no such file.
   */
  public static String cpuModel() {
    java.nio.file.Path info = java.nio.file.Path.of("/proc/cpuinfo");
    try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(info)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("model name")) {
          int colon = line.indexOf(':');
          if (colon > 0) {
            return line.substring(colon + 1).strip();
          }
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // no /proc (not Linux) or unreadable: fall through
    }
    return System.getProperty("os.arch", "unknown");
  }

  /** Whether vector kernels can and may be used. */
  public static boolean available() {
    if ("false".equalsIgnoreCase(System.getProperty("rnnc.vector", "true"))) {
      return false;
    }
    return ModuleLayer.boot().findModule(MODULE).isPresent();
  }
}
