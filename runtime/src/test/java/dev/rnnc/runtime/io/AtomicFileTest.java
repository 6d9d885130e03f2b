package dev.rnnc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.AbstractMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The old file survives every failure, and no temporary file is left behind. */
class AtomicFileTest {
  @TempDir Path dir;
  private Path target;
  private byte[] original;

  @BeforeEach
  void writeOriginal() {
    target = dir.resolve("model.safetensors");
    SafeTensors.write(target, Map.of("w", Tensor.ofFloats(new int[] {3}, new float[] {1, 2, 3})), Map.of("v", "1"));
    original = bytes(target);
  }

  private static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private List<String> directoryListing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private void assertOriginalIntactAndNoTemporaryFiles() throws IOException {
    assertArrayEquals(original, bytes(target));
    assertEquals(List.of("model.safetensors"), directoryListing());
  }

  @Test
  void replacesTheFileWhole() throws IOException {
    Map<String, Tensor> next = Map.of("w", Tensor.ofFloats(new int[] {1}, new float[] {9}));
    SafeTensors.write(target, next, Map.of());
    assertEquals(next, SafeTensors.read(target).tensors());
    assertEquals(List.of("model.safetensors"), directoryListing());
  }

  @Test
  void contentFailingMidwayLeavesTheOldFile() throws IOException {
    IllegalStateException boom = new IllegalStateException("boom");
    IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> AtomicFile.write(target, channel -> {
      channel.write(ByteBuffer.wrap(new byte[4096]));
      throw boom;
    }));
    assertSame(boom, thrown);
    assertOriginalIntactAndNoTemporaryFiles();
  }

  @Test
  void ioFailureMidwayBecomesAUserErrorAndLeavesTheOldFile() throws IOException {
    RnncException e = assertThrows(RnncException.class, () -> AtomicFile.write(target, channel -> {
      channel.write(ByteBuffer.wrap(new byte[100]));
      throw new IOException("No space left on device");
    }));
    assertEquals("cannot write " + target + ": No space left on device", e.getMessage());
    assertOriginalIntactAndNoTemporaryFiles();
  }

  @Test
  void tensorMapFailingMidwayLeavesTheOldFile() throws IOException {
    Map<String, Tensor> failing = new AbstractMap<>() {
      @Override
      public Set<Entry<String, Tensor>> entrySet() {
        return new java.util.AbstractSet<>() {
          @Override
          public Iterator<Entry<String, Tensor>> iterator() {
            Iterator<Entry<String, Tensor>> first =
                List.<Entry<String, Tensor>>of(Map.entry("a", Tensor.ofFloats(new int[] {1}, new float[1]))).iterator();
            return new Iterator<>() {
              @Override
              public boolean hasNext() {
                return true;
              }

              @Override
              public Entry<String, Tensor> next() {
                if (first.hasNext()) {
                  return first.next();
                }
                throw new IllegalStateException("tensor source failed");
              }
            };
          }

          @Override
          public int size() {
            return 2;
          }
        };
      }
    };
    assertThrows(IllegalStateException.class, () -> SafeTensors.write(target, failing, Map.of()));
    assertOriginalIntactAndNoTemporaryFiles();
  }

  @Test
  void failedRenameRemovesTheTemporaryFile() throws IOException {
    Path occupied = dir.resolve("occupied");
    Files.createDirectory(occupied);
    Files.writeString(occupied.resolve("inside"), "x");
    RnncException e = assertThrows(RnncException.class,
        () -> SafeTensors.write(occupied, Map.of("w", Tensor.ofInts(new int[] {1}, new int[1])), Map.of()));
    assertTrue(e.getMessage().startsWith("cannot write " + occupied + ": "), e.getMessage());
    assertEquals("x", Files.readString(occupied.resolve("inside")));
    assertEquals(List.of("model.safetensors", "occupied"), directoryListing());
  }

  @Test
  void readOnlyDirectoryLeavesTheOldFile() throws IOException {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeFalse(Files.isWritable(dir), "permissions are not enforced for this user (root)");
      RnncException e = assertThrows(RnncException.class,
          () -> SafeTensors.write(target, Map.of("w", Tensor.ofInts(new int[] {1}, new int[1])), Map.of()));
      assertTrue(e.getMessage().startsWith("cannot write " + target + ": "), e.getMessage());
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    assertOriginalIntactAndNoTemporaryFiles();
  }

  @Test
  void newFilesGetOrdinaryPermissionsNotTemporaryFileOnes() throws IOException {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path plain = Files.createFile(dir.resolve("plain"));
    Path written = dir.resolve("written");
    AtomicFile.write(written, channel -> channel.write(ByteBuffer.wrap(new byte[] {1})));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(written));
  }

  @Test
  void staleTemporariesOfAKilledWriteAreRemovedAndNothingElse() throws IOException {
    Path target = dir.resolve("run.safetensors");
    Files.write(target, new byte[] {1});
    Path stale = Files.write(dir.resolve(".run.safetensors.3f9a0c.tmp"), new byte[] {2});
    List<Path> kept = List.of(Files.write(dir.resolve(".run.safetensors.notes.tmp"), new byte[] {3}),
        Files.write(dir.resolve(".other.safetensors.3f9a0c.tmp"), new byte[] {4}),
        Files.write(dir.resolve("run.safetensors.3f9a0c.tmp"), new byte[] {5}));
    assertEquals(1, AtomicFile.removeStaleTemporaries(target));
    assertTrue(Files.notExists(stale));
    assertTrue(Files.exists(target));
    for (Path path : kept) {
      assertTrue(Files.exists(path), path + " is not a temporary file of the target");
    }
  }
}
