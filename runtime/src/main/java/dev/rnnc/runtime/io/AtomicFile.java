package dev.rnnc.runtime.io;

import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file all at once: readers (and a crash) see either the old content or the complete new content,
 * never a half-written file. The content goes to a temporary file in the same directory (so the final rename
 * stays on one file system), is forced to disk, and is then renamed over the target. On any failure the
 * target is left untouched and the temporary file is removed.
 */
public final class AtomicFile {
  private AtomicFile() {}

  /** Writes the content of a file to an open channel. */
  @FunctionalInterface
  public interface Content {
    void writeTo(FileChannel channel) throws IOException;
  }

  /**
   * Atomically replaces (or creates) {@code target} with what {@code content} writes.
   *
   * @throws RnncException naming the file when an I/O step fails; exceptions thrown by {@code content} itself
   *     other than {@link IOException} propagate unchanged (after the clean-up)
   */
  public static void write(Path target, Content content) {
    Path absolute = target.toAbsolutePath();
    Path directory = absolute.getParent();
    Path temporary = null;
    boolean moved = false;
    try {
      // Not Files.createTempFile: it makes the file owner-only (0600), and that mode would survive the rename.
      // CREATE_NEW applies the usual umask, so the result has the permissions any new file would get.
      Path candidate = directory.resolve(
          "." + absolute.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
      FileChannel channel = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      temporary = candidate; // only now is it ours to delete
      try (channel) {
        content.writeTo(channel);
        channel.force(true);
      }
      Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
      syncDirectory(directory);
    } catch (IOException e) {
      throw new RnncException("cannot write " + target + ": " + describe(e), e);
    } finally {
      if (!moved && temporary != null) {
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException ignored) {
          // Best effort: the original failure is what the user needs to see.
        }
      }
    }
  }

  /**
   * Deletes temporary files an earlier {@link #write} of {@code target} left behind when its process was killed
   * mid-write ({@code .NAME.<hex>.tmp} beside it), e.g. before a training run resumes writing the same checkpoint.
   * Only call this when no other process is writing {@code target}. Failures are ignored: the files are litter,
   * not data.
   *
   * @return how many were removed
   */
  public static int removeStaleTemporaries(Path target) {
    Path absolute = target.toAbsolutePath();
    String prefix = "." + absolute.getFileName() + ".";
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(absolute.getParent(),
        entry -> isTemporaryName(entry.getFileName().toString(), prefix))) {
      for (Path entry : entries) {
        if (Files.deleteIfExists(entry)) {
          removed++;
        }
      }
    } catch (IOException | DirectoryIteratorException ignored) {
      // Litter stays; the write itself does not depend on it.
    }
    return removed;
  }

  /** {@code prefix} + hexadecimal digits + {@code .tmp}, the names {@link #write} gives its temporary files. */
  private static boolean isTemporaryName(String name, String prefix) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) {
      return false;
    }
    String middle = name.substring(prefix.length(), name.length() - ".tmp".length());
    return !middle.isEmpty() && middle.chars().allMatch(c -> Character.digit(c, 16) >= 0);
  }

  /**
   * Makes the rename itself durable. Opening a directory for reading works on Linux and macOS; elsewhere
   * (Windows) it fails and the rename is as durable as the platform makes it.
   */
  private static void syncDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // Not supported on this platform; the data itself is already on disk.
    }
  }

  /** A short reason for an I/O failure, without the Java class names users should not need to read. */
  static String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory: " + ((NoSuchFileException) e).getFile();
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + ((AccessDeniedException) e).getFile();
    }
    if (e instanceof FileSystemException) {
      FileSystemException fse = (FileSystemException) e;
      String reason = fse.getReason();
      return (reason != null ? reason : e.getClass().getSimpleName()) + ": " + fse.getFile();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
