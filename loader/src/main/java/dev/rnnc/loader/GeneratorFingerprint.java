package dev.rnnc.loader;

import dev.rnnc.compiler.RnnCompiler;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A hash of the code generator's own bytes — the {@code rnnc-compiler} jar, or its class files when it runs from
 * a build folder — so that the class cache tells generators apart even when their version string is the same (a
 * snapshot rebuilt with other emitters). Computed once per JVM; where the generator's code cannot be read (an
 * unusual class loader), the version alone stands in, as before.
 */
final class GeneratorFingerprint {
  private static final String VALUE = compute();

  private GeneratorFingerprint() {}

  /** The fingerprint, lowercase hex, or {@code "unknown"} when the generator's code could not be read. */
  static String get() {
    return VALUE;
  }

  private static String compute() {
    try {
      CodeSource source = RnnCompiler.class.getProtectionDomain().getCodeSource();
      URL location = source == null ? null : source.getLocation();
      if (location == null) {
        return "unknown";
      }
      Path path = Path.of(location.toURI());
      MessageDigest digest = ClassCache.sha256();
      if (Files.isRegularFile(path)) {
        digestFile(digest, path);
      } else {
        List<Path> classes;
        try (Stream<Path> files = Files.walk(path)) {
          classes = files.filter(f -> f.toString().endsWith(".class")).sorted().toList();
        }
        for (Path file : classes) {
          digest.update(path.relativize(file).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          digestFile(digest, file);
        }
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException | URISyntaxException | SecurityException | IllegalArgumentException e) {
      return "unknown";
    }
  }

  private static void digestFile(MessageDigest digest, Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
  }
}
