package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.io.SafeTensors;
import dev.rnnc.runtime.io.SafeTensorsFile;
import dev.rnnc.runtime.io.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir
  Path dir;

  /** Golden params after {@code steps} Adam steps over the golden gradients. */
  private static ModelParameters trained(Optimizer optimizer, int steps) {
    ModelParameters params = Goldens.parameters("init.");
    for (int k = 1; k <= steps; k++) {
      optimizer.step(params, Goldens.parameters("grad." + k + "."));
    }
    return params;
  }

  @Test
  void roundTripResumesExactly() {
    Optimizer optimizer = new Adam(0.01, 0.9, 0.999, 1e-8, 0.1, true);
    ModelParameters params = trained(optimizer, 3);
    Path file = dir.resolve("run.ckpt.safetensors");
    Checkpoint.save(file, params, optimizer, Map.of("trainer.batches", "3"));

    ModelParameters restored = Goldens.parameters("init.");
    Optimizer fresh = new Adam(0.01, 0.9, 0.999, 1e-8, 0.1, true);
    Checkpoint.Info info = Checkpoint.load(file, restored, fresh);
    assertEquals(3, info.step());
    assertEquals("adamw", info.optimizer());
    assertEquals("0.1", info.hyperParameters().get("weight_decay"));
    assertEquals("3", info.metadata().get("trainer.batches"));
    for (String name : params.names()) {
      assertArrayEquals(params.get(name), restored.get(name), name);
    }
    for (int k = 4; k <= 5; k++) {
      optimizer.step(params, Goldens.parameters("grad." + k + "."));
      fresh.step(restored, Goldens.parameters("grad." + k + "."));
    }
    for (String name : params.names()) {
      assertArrayEquals(params.get(name), restored.get(name), name + " after resuming");
    }
  }

  @Test
  void fileIsPlainWeightsForPyTorchAndRnnc() {
    Optimizer optimizer = new Sgd(0.1, 0.9, 0, true, 0);
    ModelParameters params = trained(optimizer, 2);
    Path file = dir.resolve("ckpt.safetensors");
    Checkpoint.save(file, params, optimizer);
    SafeTensorsFile content = SafeTensors.read(file);
    assertEquals("pt", content.metadata().get("format"));
    assertEquals("sgd", content.metadata().get("optimizer"));
    assertEquals("true", content.metadata().get("optimizer.nesterov"));
    assertEquals("2", content.metadata().get("step"));
    assertTrue(content.tensors().containsKey("optimizer.momentum_buffer.rnn.weight_hh_l0"));
    assertArrayEquals(new int[] {6, 2}, content.tensor("optimizer.momentum_buffer.rnn.weight_hh_l0").shape());
    ModelParameters weights = ModelParameters.load(file, Goldens.CONFIG);
    assertArrayEquals(params.get("head.weight"), weights.get("head.weight"));
  }

  @Test
  void interruptedSaveKeepsThePreviousCheckpoint() throws IOException {
    Optimizer optimizer = Adam.adam(0.01);
    ModelParameters params = trained(optimizer, 2);
    Path file = dir.resolve("ckpt.safetensors");
    Checkpoint.save(file, params, optimizer);
    byte[] before = Files.readAllBytes(file);

    optimizer.step(params, Goldens.parameters("grad.3."));
    // An interrupt closes the file channel under the writer (ClosedByInterruptException): the save dies
    // mid-way, like a killed process would.
    Thread.currentThread().interrupt();
    try {
      assertThrows(RnncException.class, () -> Checkpoint.save(file, params, optimizer));
    } finally {
      Thread.interrupted();
    }
    assertArrayEquals(before, Files.readAllBytes(file), "the old checkpoint must be intact");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList(), "no temporary file left behind");
    }
    ModelParameters restored = Goldens.parameters("init.");
    Checkpoint.Info info = Checkpoint.load(file, restored, Adam.adam(0.01));
    assertEquals(2, info.step());
  }

  @Test
  void mismatchesAreClearAndChangeNothing() {
    Optimizer optimizer = Adam.adam(0.01);
    ModelParameters params = trained(optimizer, 2);
    Path file = dir.resolve("ckpt.safetensors");
    Checkpoint.save(file, params, optimizer);

    ModelParameters target = Goldens.parameters("init.");
    ModelParameters untouched = target.copy();
    RnncException kind = assertThrows(RnncException.class, () -> Checkpoint.load(file, target, new Sgd(0.1)));
    assertTrue(kind.getMessage().contains("adam optimiser and cannot resume sgd"), kind.getMessage());

    ModelConfig other = new ModelConfig(ModelConfig.Cell.LSTM, null, null, 3, 0, 2, 1, false,
        ModelConfig.Mode.MANY_TO_MANY, 2, ModelConfig.HeadActivation.LINEAR, 4, 2, null);
    RnncException shape = assertThrows(RnncException.class,
        () -> Checkpoint.load(file, ModelParameters.zeros(other), Adam.adam(0.01)));
    assertTrue(shape.getMessage().contains("ckpt.safetensors"), shape.getMessage());

    Path weightsOnly = dir.resolve("weights.safetensors");
    params.save(weightsOnly);
    RnncException notCheckpoint = assertThrows(RnncException.class,
        () -> Checkpoint.load(weightsOnly, target, Adam.adam(0.01)));
    assertTrue(notCheckpoint.getMessage().contains("not an rnnc checkpoint"), notCheckpoint.getMessage());

    // State for a parameter the model lacks: rejected before the weights are touched.
    Map<String, Tensor> tensors = new java.util.LinkedHashMap<>(SafeTensors.read(file).tensors());
    tensors.put("optimizer.exp_avg.rnn.weight_ih_l1", Tensor.ofFloats(new int[] {1}, new float[] {0}));
    Path corrupt = dir.resolve("corrupt.safetensors");
    SafeTensors.write(corrupt, tensors, SafeTensors.read(file).metadata());
    Optimizer victim = Adam.adam(0.01);
    RnncException extra = assertThrows(RnncException.class, () -> Checkpoint.load(corrupt, target, victim));
    assertTrue(extra.getMessage().contains("rnn.weight_ih_l1"), extra.getMessage());
    assertEquals(0, victim.steps());
    for (String name : target.names()) {
      assertArrayEquals(untouched.get(name), target.get(name), name);
    }
  }
}
