package dev.rnnc.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelConfig.Cell;
import dev.rnnc.runtime.ModelConfig.HeadActivation;
import dev.rnnc.runtime.ModelConfig.Nonlinearity;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GenericStreamBankTest {

  static Stream<ModelConfig> configs() {
    return Stream.of(
        ModelConfig.builder(Cell.LSTM).input(3).hidden(5).layers(2).head(4, HeadActivation.SOFTMAX).build(),
        ModelConfig.builder(Cell.GRU).embedding(7, 4).hidden(6).build(),
        ModelConfig.builder(Cell.RNN).nonlinearity(Nonlinearity.RELU).input(2).hidden(3)
            .head(1, HeadActivation.LINEAR).build(),
        ModelConfig.builder(Cell.LSTM).embedding(5, 3).hidden(4).head(2, HeadActivation.SIGMOID).build());
  }

  /**
   * One stream stepped on its own model instance: the oracle. Before each bank call its state is rounded to
   * float, because the reference model keeps doubles between its own steps while a bank (like a snapshot) keeps
   * floats between calls. (Generated classes keep floats throughout; the Flink module's tests check the bank
   * over them against plain stepping with no rounding at all.)
   */
  private static final class Alone {
    final ReferenceModel model;
    final ModelConfig config;

    Alone(ModelParameters parameters) {
      model = new ReferenceModel(parameters, 1, 1);
      config = parameters.config();
      model.resetState();
    }

    /** A step that starts a bank call: the state is rounded to float first. */
    float[] step(float[] inputs, int offset, int[] tokens, int tokenAt) {
      return step(inputs, offset, tokens, tokenAt, true);
    }

    /** @param callStart whether this step starts a bank call (later steps of a block keep the model's doubles) */
    float[] step(float[] inputs, int offset, int[] tokens, int tokenAt, boolean callStart) {
      if (callStart) {
        float[] c = model.cellState();
        model.setState(model.hiddenState().clone(), c == null ? null : c.clone());
      }
      if (config.hasEmbedding()) {
        model.stepToken(tokens[tokenAt]);
      } else {
        model.step(inputs, offset);
      }
      return (config.hasHead() ? model.stepPrediction() : model.stepOutput()).clone();
    }

    /** The state in the bank's layout: h of every layer, then c. */
    float[] state() {
      float[] h = model.hiddenState();
      float[] c = model.cellState();
      float[] all = new float[h.length + (c == null ? 0 : c.length)];
      System.arraycopy(h, 0, all, 0, h.length);
      if (c != null) {
        System.arraycopy(c, 0, all, h.length, c.length);
      }
      return all;
    }
  }

  @ParameterizedTest
  @MethodSource("configs")
  void randomScheduleEqualsSteppingEachStreamAloneBitForBit(ModelConfig config) {
    ModelParameters parameters = ModelParameters.initialize(config, 11);
    int capacity = 6;
    GenericStreamBank bank = new GenericStreamBank(new ReferenceModel(parameters, 1, 1), capacity);
    assertEquals(config.hasHead() ? config.headSize() : config.hidden(), bank.outputSize());
    Map<Integer, Alone> alone = new HashMap<>();
    Random random = new Random(StreamSnapshots.fingerprint(config)); // deterministic (a record's hashCode is not)
    int in = bank.inputSize();
    int out = bank.outputSize();
    boolean tokens = bank.tokenInput();
    byte[] snapshot = new byte[bank.snapshotSize()];
    int steps = 0;
    for (int round = 0; round < 800; round++) {
      int action = random.nextInt(10);
      List<Integer> open = new ArrayList<>(alone.keySet());
      if (action == 0 || open.isEmpty()) {
        if (bank.openCount() < capacity) {
          int id = bank.open();
          assertFalse(alone.containsKey(id), "open() handed out an id in use");
          alone.put(id, new Alone(parameters));
        }
      } else if (action == 1 && open.size() > 1) {
        int id = open.get(random.nextInt(open.size()));
        bank.close(id);
        alone.remove(id);
      } else if (action == 2) {
        int id = open.get(random.nextInt(open.size()));
        bank.reset(id);
        alone.get(id).model.resetState();
      } else if (action == 3) {
        // A stream's state moves to a fresh stream through a snapshot; both then carry on alike.
        int from = open.get(random.nextInt(open.size()));
        if (bank.openCount() < capacity) {
          bank.snapshot(from, snapshot, 0);
          int to = bank.open();
          bank.restore(to, snapshot, 0);
          Alone copy = new Alone(parameters);
          float[] h = alone.get(from).model.hiddenState().clone();
          float[] c = alone.get(from).model.cellState();
          copy.model.setState(h, c == null ? null : c.clone());
          alone.put(to, copy);
        }
      } else if (action == 4) {
        int id = open.get(random.nextInt(open.size()));
        int block = random.nextInt(5);
        float[] input = new float[3 + block * in];
        int[] ids = new int[2 + block];
        fill(random, input, ids, config.vocab());
        float[] output = new float[1 + block * out];
        if (tokens) {
          bank.processTokens(id, block, ids, 2, output, 1);
        } else {
          bank.process(id, block, input, 3, output, 1);
        }
        for (int t = 0; t < block; t++) {
          float[] expected = alone.get(id).step(input, 3 + t * in, ids, 2 + t, t == 0);
          assertArrayEquals(expected, slice(output, 1 + t * out, out), "block step " + t + " of stream " + id);
        }
        steps += block;
      } else {
        Collections.shuffle(open, random);
        int count = random.nextInt(open.size() + 1);
        int[] ids = new int[count + random.nextInt(3)];
        for (int i = 0; i < count; i++) {
          ids[i] = open.get(i);
        }
        float[] inputs = new float[count * in];
        int[] tokenIds = new int[count];
        fill(random, inputs, tokenIds, config.vocab());
        float[] outputs = new float[count * out];
        if (tokens) {
          bank.stepTokens(ids, count, tokenIds, outputs);
        } else {
          bank.step(ids, count, inputs, outputs);
        }
        for (int i = 0; i < count; i++) {
          float[] expected = alone.get(ids[i]).step(inputs, i * in, tokenIds, i);
          assertArrayEquals(expected, slice(outputs, i * out, out), "round " + round + ", stream " + ids[i]);
        }
        steps += count;
      }
      assertEquals(alone.size(), bank.openCount());
    }
    assertTrue(steps > 600, "the schedule stepped only " + steps + " stream steps");
    StreamSnapshots layout = new StreamSnapshots(config);
    byte[] expected = new byte[layout.size()];
    for (Map.Entry<Integer, Alone> stream : alone.entrySet()) {
      layout.write(stream.getValue().state(), 0, expected, 0);
      bank.snapshot(stream.getKey(), snapshot, 0);
      assertArrayEquals(expected, snapshot, "final state of stream " + stream.getKey());
    }
  }

  @Test
  void idsAreTheLowestFreeAndAFullBankSaysSo() {
    ModelConfig config = ModelConfig.builder(Cell.GRU).input(2).hidden(3).build();
    GenericStreamBank bank = bank(config, 3);
    assertEquals(0, bank.open());
    assertEquals(1, bank.open());
    assertEquals(2, bank.open());
    IllegalStateException full = assertThrows(IllegalStateException.class, bank::open);
    assertEquals("all 3 streams of this bank are open: close one, or build the bank with a larger capacity",
        full.getMessage());
    bank.close(1);
    assertFalse(bank.isOpen(1));
    assertEquals(1, bank.open());
    assertEquals(3, bank.openCount());
    IllegalArgumentException capacity = assertThrows(IllegalArgumentException.class, () -> bank(config, 0));
    assertTrue(capacity.getMessage().startsWith("stream bank capacity must be in [1, "), capacity.getMessage());
  }

  @Test
  void aReopenedIdStartsFromZeros() {
    ModelConfig config = ModelConfig.builder(Cell.LSTM).input(2).hidden(3).build();
    GenericStreamBank bank = bank(config, 2);
    int id = bank.open();
    bank.process(id, 3, new float[] {1, 2, 3, 4, 5, 6}, 0, null, 0);
    bank.close(id);
    assertEquals(id, bank.open());
    GenericStreamBank fresh = bank(config, 2);
    int freshId = fresh.open();
    float[] a = new float[3];
    float[] b = new float[3];
    bank.step(new int[] {id}, 1, new float[] {0.5f, -1}, a);
    fresh.step(new int[] {freshId}, 1, new float[] {0.5f, -1}, b);
    assertArrayEquals(b, a);
  }

  @Test
  void badCallsAreRefusedBeforeAnyStreamChanges() {
    ModelConfig config = ModelConfig.builder(Cell.LSTM).input(2).hidden(3).head(2, HeadActivation.LINEAR).build();
    GenericStreamBank bank = bank(config, 4);
    int a = bank.open();
    int b = bank.open();
    int c = bank.open();
    bank.close(c);
    float[] inputs = {1, 2, 3, 4, 5, 6};
    bank.step(new int[] {a, b}, 2, inputs, null);
    byte[][] before = snapshots(bank, a, b);

    assertMessage("step (ids[2]): stream 2 is not open (2 of 4 streams are; ids come from open() and end with close())",
        () -> bank.step(new int[] {a, b, c}, 3, inputs, null));
    assertMessage("step (ids[1]): stream id 4 is outside [0, 4)", () -> bank.step(new int[] {b, 4}, 2, inputs, null));
    assertMessage("step (ids[0]): stream id -1 is outside [0, 4)", () -> bank.step(new int[] {-1}, 1, inputs, null));
    assertMessage("step: stream 0 appears twice in ids[0..2) (again at index 1); a call advances each stream by one "
        + "step", () -> bank.step(new int[] {a, a}, 2, inputs, null));
    assertMessage("inputs needs 4 values [count, inputSize] = [2, 2] from offset 0, it has 3",
        () -> bank.step(new int[] {a, b}, 2, new float[3], null));
    assertMessage("outputs needs 4 values [count, outputSize] = [2, 2] from offset 0, it has 2",
        () -> bank.step(new int[] {a, b}, 2, inputs, new float[2]));
    assertMessage("step: count 3 must be in [0, ids.length = 2]", () -> bank.step(new int[] {a, b}, 3, inputs, null));
    assertMessage("stepTokens: this model reads dense features (it has no embedding): call step",
        () -> bank.stepTokens(new int[] {a}, 1, new int[] {0}, null));
    assertMessage("input needs 6 values [steps, inputSize] = [3, 2] from offset 1, it has 6",
        () -> bank.process(a, 3, inputs, 1, null, 0));
    assertMessage("process: stream 2 is not open (2 of 4 streams are; ids come from open() and end with close())",
        () -> bank.process(c, 1, inputs, 0, null, 0));
    assertMessage("close: stream 2 is not open (2 of 4 streams are; ids come from open() and end with close())",
        () -> bank.close(c));
    assertMessage("reset: stream id 9 is outside [0, 4)", () -> bank.reset(9));
    assertMessage("steps must be ≥ 0, got -1", () -> bank.process(a, -1, inputs, 0, null, 0));
    assertArrayEquals(before[0], snapshots(bank, a)[0]);
    assertArrayEquals(before[1], snapshots(bank, b)[0]);

    ModelConfig tokens = ModelConfig.builder(Cell.GRU).embedding(5, 2).hidden(3).build();
    GenericStreamBank tokenBank = bank(tokens, 2);
    int x = tokenBank.open();
    int y = tokenBank.open();
    tokenBank.stepTokens(new int[] {x, y}, 2, new int[] {1, 2}, null);
    byte[][] tokenBefore = snapshots(tokenBank, x, y);
    assertMessage("token id 5 at tokens[1] is outside [0, 5)",
        () -> tokenBank.stepTokens(new int[] {x, y}, 2, new int[] {4, 5}, null));
    assertMessage("token id -2 at tokens[3] is outside [0, 5)",
        () -> tokenBank.processTokens(y, 2, new int[] {0, 0, 1, -2}, 2, null, 0));
    assertMessage("step: this model reads token ids (it has an embedding): call stepTokens",
        () -> tokenBank.step(new int[] {x}, 1, new float[2], null));
    assertArrayEquals(tokenBefore[0], snapshots(tokenBank, x)[0]);
    assertArrayEquals(tokenBefore[1], snapshots(tokenBank, y)[0]);

    ModelConfig gru = ModelConfig.builder(Cell.GRU).input(2).hidden(3).build();
    assertMessage("the model's state (h 3, c 0 floats) is not that of the configuration given with it (h 6, c 6)",
        () -> new GenericStreamBank(new ReferenceModel(ModelParameters.initialize(gru, 1), 1, 1),
            ModelConfig.builder(Cell.LSTM).input(2).hidden(3).layers(2).build(), 2));
    assertMessage("a stream bank needs a unidirectional model: a bidirectional layer reads the whole sequence before "
        + "its first output", () -> bank(ModelConfig.builder(Cell.GRU).input(2).hidden(3).bidirectional(true).build(), 2));
  }

  @Test
  void nothingIsAllocatedAfterWarmUp() {
    ModelConfig config = ModelConfig.builder(Cell.LSTM).input(4).hidden(8).layers(2).head(3, HeadActivation.SOFTMAX)
        .build();
    GenericStreamBank bank = bank(config, 8);
    int[] ids = new int[8];
    for (int i = 0; i < 8; i++) {
      ids[i] = bank.open();
    }
    int[] order = {5, 1, 7, 0, 2};
    float[] inputs = new float[8 * 4];
    float[] outputs = new float[8 * 3];
    float[] block = new float[16 * 4];
    float[] blockOut = new float[16 * 3];
    byte[] snapshot = new byte[bank.snapshotSize()];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = (float) Math.sin(i);
    }
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long deadline = System.nanoTime() + 20_000_000_000L;
    long allocated = -1;
    for (int round = 0; allocated != 0 && (round < 5 || System.nanoTime() < deadline); round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 2000; i++) {
        bank.step(ids, 8, inputs, outputs);
        bank.step(order, 5, inputs, null);
        bank.process(ids[3], 16, block, 0, blockOut, 0);
        bank.snapshot(ids[2], snapshot, 0);
        bank.restore(ids[6], snapshot, 0);
        bank.reset(ids[4]);
        bank.close(ids[1]);
        ids[1] = bank.open();
      }
      long after = threads.getCurrentThreadAllocatedBytes();
      allocated = round >= 4 ? after - before : -1;
    }
    assertEquals(0, allocated, "bytes allocated by 2000 rounds of step, process, snapshot, restore, reset, reopen");
  }

  private static GenericStreamBank bank(ModelConfig config, int capacity) {
    return new GenericStreamBank(new ReferenceModel(ModelParameters.initialize(config, 3), 1, 1), capacity);
  }

  private static byte[][] snapshots(StreamBank bank, int... ids) {
    byte[][] all = new byte[ids.length][bank.snapshotSize()];
    for (int i = 0; i < ids.length; i++) {
      bank.snapshot(ids[i], all[i], 0);
    }
    return all;
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }

  private static void fill(Random random, float[] values, int[] tokens, int vocab) {
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = vocab == 0 ? 0 : random.nextInt(vocab);
    }
  }

  private static float[] slice(float[] values, int offset, int length) {
    float[] part = new float[length];
    System.arraycopy(values, offset, part, 0, length);
    return part;
  }
}
