package dev.rnnc.maven;

import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** File writes that keep timestamps of unchanged files and never leave a half-written file behind. */
final class OutputFiles {
  private OutputFiles() {}

  /**
   * Writes {@code content} unless the file already holds exactly these bytes (so incremental compilers and
   * IDEs see no change), through a temporary file moved into place.
   *
   * @return whether the file was written
   */
  static boolean writeIfChanged(Path file, byte[] content) throws IOException {
    if (Files.isRegularFile(file) && Files.size(file) == content.length
        && Arrays.equals(Files.readAllBytes(file), content)) {
      return false;
    }
    Files.createDirectories(file.getParent());
    try {
      // the runtime's atomic write: temp file beside the target, fsync, rename; normal (umask) permissions
      AtomicFile.write(file, channel -> {
        ByteBuffer bytes = ByteBuffer.wrap(content);
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
      });
    } catch (RnncException e) {
      throw new IOException(e.getMessage(), e.getCause());
    }
    return true;
  }

  /** Deletes {@code file}, then its parent directories up to (not including) {@code root} while they are empty. */
  static void deleteWithEmptyParents(Path file, Path root) throws IOException {
    Files.deleteIfExists(file);
    Path dir = file.getParent();
    while (dir != null && !dir.equals(root) && dir.startsWith(root)) {
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException e) {
        return;
      }
      dir = dir.getParent();
    }
  }
}
