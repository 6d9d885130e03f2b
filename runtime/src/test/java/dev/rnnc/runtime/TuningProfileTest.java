package dev.rnnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tuning profile and how {@link VectorSupport#vectorBits} reads it. */
class TuningProfileTest {
  @TempDir
  Path dir;

  @AfterEach
  void clearProperties() {
    System.clearProperty(VectorSupport.BITS_PROPERTY);
    System.clearProperty(VectorSupport.PROFILE_PROPERTY);
  }

  @Test
  void storeKeepsOtherModelsAndReplacesThisOne() throws Exception {
    Path file = dir.resolve("a").resolve("tune.properties");
    TuningProfile.store(file, "CPU A", 256);
    TuningProfile.store(file, "CPU B: with = and spaces", 512);
    TuningProfile.store(file, "CPU A", 128);
    Map<String, String> entries = TuningProfile.load(file);
    assertEquals(Map.of("CPU A", "128", "CPU B: with = and spaces", "512"), entries);
    try (var listing = Files.list(file.getParent())) {
      assertEquals(1, listing.count(), "no temporary files left beside the profile");
    }
  }

  @Test
  void missingOrMalformedProfilesCountAsEmpty() throws Exception {
    assertTrue(TuningProfile.load(dir.resolve("missing")).isEmpty());
    Path binary = dir.resolve("binary");
    Files.write(binary, new byte[] {(byte) 0xff, '\\', 'u', 'z', 'z'});
    assertTrue(TuningProfile.load(binary).isEmpty());
    assertTrue(TuningProfile.load(dir).isEmpty(), "a directory is not a profile");
  }

  @Test
  void propertyThenProfileThenWidest() throws Exception {
    Path file = dir.resolve("tune.properties");
    System.setProperty(VectorSupport.PROFILE_PROPERTY, file.toString());
    assertEquals(512, VectorSupport.vectorBits(512), "no profile: the widest");
    TuningProfile.store(file, VectorSupport.cpuModel(), 256);
    assertEquals(256, VectorSupport.vectorBits(512), "the profile's choice for this CPU");
    assertEquals(256, VectorSupport.vectorBits(256));
    assertEquals(128, VectorSupport.vectorBits(128), "a profile wider than the platform is ignored");
    System.setProperty(VectorSupport.BITS_PROPERTY, "128");
    assertEquals(128, VectorSupport.vectorBits(512), "the property overrides the profile");
    for (String bad : new String[] {"384", "64", "1024", "wide", ""}) {
      System.setProperty(VectorSupport.BITS_PROPERTY, bad);
      assertEquals(256, VectorSupport.vectorBits(512), "an unusable property '" + bad + "' falls back to the profile");
    }
    TuningProfile.store(file, VectorSupport.cpuModel(), 300);
    System.clearProperty(VectorSupport.BITS_PROPERTY);
    assertEquals(512, VectorSupport.vectorBits(512), "an unusable profile entry falls back to the widest");
  }
}
