package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.TuningProfile;
import dev.rnnc.runtime.VectorSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rnnc tune}: measures every width, records the fastest for this CPU, keeps other CPUs' entries. Tagged to
 * run in a JVM of its own (compiler/cli/pom.xml), as the command does.
 */
@Tag("vector-widths")
class TuneCommandTest {
  @TempDir
  Path dir;

  @Test
  void recordsTheFastestWidthForThisCpuAndKeepsOtherEntries() throws Exception {
    Path profile = dir.resolve("conf").resolve("tune.properties");
    TuningProfile.store(profile, "Some Other CPU", 256);
    Cli.Result r = Cli.run("tune", "--seconds", 0.05, "--max-warmup", 0.2, "--profile", profile);
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().contains("TuneLstm") && r.out().contains("TuneGru"), r::toString);
    Map<String, String> entries = TuningProfile.load(profile);
    assertEquals("256", entries.get("Some Other CPU"), entries.toString());
    String bits = entries.get(VectorSupport.cpuModel());
    assertTrue(List.of("128", "256", "512", "1024", "2048").contains(bits), entries.toString());
    assertTrue(r.out().contains("fastest: " + bits + " bits, recorded"), r::toString);
  }

  @Test
  void dryRunWritesNothingAndBidirectionalSpecsAreRefused() {
    Path profile = dir.resolve("tune.properties");
    Cli.Result r = Cli.run("tune", "--seconds", 0.05, "--max-warmup", 0.2, "--profile", profile, "--dry-run");
    assertEquals(0, r.code(), r::toString);
    assertFalse(Files.exists(profile));
    Path bi = Cli.write(dir, "bi.yaml", """
        model: Bi
        package: t.tune
        cell: gru
        input: 4
        hidden: 8
        bidirectional: true
        """);
    Cli.Result refused = Cli.run("tune", bi, "--profile", profile);
    assertTrue(refused.code() != 0 && refused.err().contains("bidirectional spec has no streaming step"),
        refused::toString);
    Cli.Result bad = Cli.run("tune", "--seconds", 0, "--profile", profile);
    assertTrue(bad.code() != 0 && bad.err().contains("--seconds must be a positive number"), bad::toString);
  }
}
