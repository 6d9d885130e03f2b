package dev.rnnc.runtime;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

  @Test
  void whatFitsPassesAndWhatDoesNotIsRefusedWithTheSizes() {
    MemoryBudget.require("a small array", 1024);
    long tooMuch = Runtime.getRuntime().maxMemory() + (1L << 30);
    RnncException e = assertThrows(RnncException.class, () -> MemoryBudget.require("the big one", tooMuch));
    String message = e.getMessage();
    assertTrue(message.startsWith("the big one needs "), message);
    assertTrue(message.contains("MiB free of its") && message.contains("raise -Xmx"), message);
  }

  @Test
  void parametersOfAModelTooLargeForTheHeapAreRefusedBeforeAllocating() {
    // 16 layers of LSTM 65536 → 65536: about 2.7e11 parameters, a terabyte of floats
    ModelConfig huge = ModelConfig.builder(ModelConfig.Cell.LSTM).input(65536).hidden(65536).layers(16).build();
    RnncException e = assertThrows(RnncException.class, () -> ModelParameters.zeros(huge));
    assertTrue(e.getMessage().contains("parameters needs") && e.getMessage().contains("MiB"), e.getMessage());
  }
}
