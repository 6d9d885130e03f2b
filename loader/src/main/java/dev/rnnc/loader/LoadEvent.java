package dev.rnnc.loader;

import java.nio.file.Path;

/**
 * What a {@link RnnModels} did to provide a model class, reported to the listener given to its builder
 * (monitoring, logs, tests).
 *
 * @param kind      what happened
 * @param className the generated class's fully qualified name
 * @param key       the cache key (hex SHA-256 of spec hash, rnnc version and JDK version)
 * @param cacheFile the cache entry concerned, or {@code null} without a disk cache
 * @param nanos     how long it took
 * @param detail    why, for {@link Kind#CORRUPT_CACHE_ENTRY} and {@link Kind#CACHE_WRITE_FAILED}; otherwise empty
 */
public record LoadEvent(Kind kind, String className, String key, Path cacheFile, long nanos, String detail) {

  /** The ways a model class is provided, and the cache's troubles (never fatal: the class is compiled instead). */
  public enum Kind {
    /** Already loaded by this {@code RnnModels}: nothing read or compiled. */
    MEMORY_HIT,
    /** Read from the disk cache and defined, without generating or compiling anything. */
    DISK_CACHE_HIT,
    /** Source generated and compiled with javac (and written to the disk cache, if any). */
    COMPILED,
    /** A cache entry failed its checks (checksum, format, key) and is being rebuilt. */
    CORRUPT_CACHE_ENTRY,
    /** The compiled classes could not be written to the cache (read-only directory, full disk). */
    CACHE_WRITE_FAILED
  }
}
