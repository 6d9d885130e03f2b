package dev.rnnc.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GeneratorFingerprintTest {

  @Test
  void theGeneratorsOwnBytesAreHashedIntoTheCacheKey() {
    // In the build the generator runs from compiler/core's class folder (or its jar): either is readable, so the
    // fingerprint is a real SHA-256, not the version-only fallback.
    String fingerprint = GeneratorFingerprint.get();
    assertTrue(fingerprint.matches("[0-9a-f]{64}"), fingerprint);
    assertEquals(fingerprint, GeneratorFingerprint.get());
  }
}
