package dev.rnnc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encoder–decoder specs: check and info work; compile (code generation) refuses them with one clear message. */
class EncoderDecoderSpecCommandsTest {
  static final String SPEC = """
      model: Reverser
      package: t.cli
      encoder:
        cell: lstm
        input: 3
        hidden: 4
        bidirectional: true
      decoder:
        cell: lstm
        embedding: {vocab: 6, dim: 2}
        hidden: 8
        bridge: copy
        context: every_step
      head: {size: 6}
      decode: {start: 0, end: 1, max_length: 5}
      """;

  @TempDir
  Path dir;

  @Test
  void checkAcceptsAnEncoderDecoderSpec() {
    Path spec = Cli.write(dir, "s2s.yaml", SPEC);
    Cli.Result r = Cli.run("check", spec);
    assertEquals(0, r.code(), r::toString);
    assertEquals("ok " + spec + "\n", r.out());
  }

  @Test
  void checkReportsEncoderDecoderErrorsWithPositions() {
    Path spec = Cli.write(dir, "bad.yaml", SPEC.replace("hidden: 8", "hidden: 7").replace("end: 1", "end: 6"));
    Cli.Result r = Cli.run("check", spec);
    assertEquals(ExitCodes.USER_ERROR, r.code(), r::toString);
    assertTrue(r.err().contains(spec + ":12:11: bridge copy needs the decoder's state"), r.err());
    assertTrue(r.err().contains(spec + ":15:25: decode.end must be a target token id below"), r.err());
  }

  @Test
  void infoDescribesBothStacksAndTheParameters() {
    Path spec = Cli.write(dir, "s2s.yaml", SPEC);
    Cli.Result r = Cli.run("info", spec);
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().contains("bridge:      copy, context every_step (source summary 8 wide)"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches(" +decoder\\.rnn\\.weight_ih_l0 +\\[32, 10]")), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.matches(" +head\\.weight +\\[6, 8]")), r.out());
  }

  @Test
  void compileRefusesWithOneClearMessageAndWritesNothing() throws Exception {
    Path spec = Cli.write(dir, "s2s.yaml", SPEC);
    Path out = dir.resolve("out");
    Cli.Result r = Cli.run("compile", "-d", out, spec);
    assertEquals(ExitCodes.USER_ERROR, r.code(), r::toString);
    assertTrue(r.err().contains("encoder–decoder code generation is not available in this version; rnnc check/info "
        + "and the reference implementation support it"), r.err());
    assertFalse(Files.exists(out) && Files.list(out).findAny().isPresent());
  }
}
