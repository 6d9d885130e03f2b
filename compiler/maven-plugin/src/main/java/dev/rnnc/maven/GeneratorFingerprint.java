package dev.rnnc.maven;

import dev.rnnc.compiler.RnnCompiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Identifies the code generator, so that a new one regenerates every spec. A release is identified by its
 * versions; a SNAPSHOT changes without changing its version, so there the compiler's own code (its jar, or
 * its classes directory in a reactor build) is hashed too.
 */
final class GeneratorFingerprint {
  private GeneratorFingerprint() {}

  static String of(String pluginVersion) {
    String id = "rnnc-maven-plugin " + pluginVersion + ", rnnc " + RnnCompiler.VERSION;
    return pluginVersion.endsWith("-SNAPSHOT") ? id + ", code " + compilerCodeHash() : id;
  }

  private static String compilerCodeHash() {
    CodeSource source = RnnCompiler.class.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      return "unknown";
    }
    try {
      Path location = Path.of(source.getLocation().toURI());
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      if (Files.isDirectory(location)) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(location)) {
          files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : files) {
          digest.update(location.relativize(file).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          digest.update(Files.readAllBytes(file));
        }
      } else {
        digest.update(Files.readAllBytes(location));
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (IOException | UncheckedIOException | URISyntaxException | IllegalArgumentException e) {
      // Without a fingerprint every build regenerates; unchanged files are still not rewritten.
      return "unreadable-" + System.nanoTime();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }
}
