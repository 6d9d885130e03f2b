package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.StreamingModel;
import dev.rnnc.runtime.stream.AbstractStreamBank;
import dev.rnnc.runtime.stream.GenericStreamBank;
import dev.rnnc.runtime.stream.StreamBank;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The generated {@code Model.Bank} against the portable {@link GenericStreamBank} over the same generated class:
 * on random schedules of open, close, reset, steps of random subsets of the open streams in random order, blocks
 * of one stream's steps and snapshots moved between the two banks, every output and every stream's state agree
 * bit for bit (the bank's kernels sum each row in the order of the single-stream step, they only share weight
 * loads between streams). Both kernel paths, every cell kind, projection and peepholes, embeddings, heads.
 */
class StreamBankTest {
  /**
   * Enough streams that a step's call reaches every tile of the blocked product (14, 8, 4 rows, then a pair and a
   * single row) in one call, not only the remainders.
   */
  private static final int CAPACITY = 32;

  static final List<String> SPECS = List.of("""
      model: LstmUnitBlocks
      package: t.bank
      cell: lstm
      input: 4
      hidden: 82
      layers: 2
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: LstmPeepUnitBlocks
      package: t.bank
      cell: lstm
      input: 3
      hidden: 50
      peepholes: true
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: GruUnitBlocks
      package: t.bank
      cell: gru
      input: 1
      hidden: 50
      layers: 2
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: LstmWide
      package: t.bank
      cell: lstm
      input: 7
      hidden: 40
      layers: 2
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: RnnWide
      package: t.bank
      cell: rnn
      input: 9
      hidden: 130
      mode: many_to_many
      head: {size: 4, activation: linear}
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: LstmProjPeepWide
      package: t.bank
      cell: lstm
      input: 6
      hidden: 36
      proj_size: 20
      peepholes: true
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: Lstm
      package: t.bank
      cell: lstm
      input: 5
      hidden: 17
      layers: 2
      mode: many_to_many
      head: {size: 3, activation: softmax}
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: LstmProjPeep
      package: t.bank
      cell: lstm
      input: 6
      hidden: 19
      proj_size: 7
      peepholes: true
      layers: 2
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: LstmTokensTrain
      package: t.bank
      cell: lstm
      embedding: {vocab: 23, dim: 9}
      hidden: 12
      mode: many_to_many
      head: {size: 23, activation: softmax}
      training: {loss: cross_entropy}
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: GruAfterWide
      package: t.bank
      cell: gru
      input: 16
      hidden: 64
      layers: 2
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: GruAfterWideTail
      package: t.bank
      cell: gru
      input: 5
      hidden: 60
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: GruAfterTiny
      package: t.bank
      cell: gru
      input: 3
      hidden: 5
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: GruAfterTokens
      package: t.bank
      cell: gru
      embedding: {vocab: 33, dim: 5}
      hidden: 17
      mode: many_to_one
      head: {size: 2, activation: sigmoid}
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: GruBefore
      package: t.bank
      cell: gru
      gru_reset: before
      input: 3
      hidden: 33
      layers: 2
      mode: many_to_many
      head: {size: 5, activation: linear}
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: RnnRelu
      package: t.bank
      cell: rnn
      nonlinearity: relu
      input: 17
      hidden: 5
      limits: {max_length: 5, max_batch: 2}
      """, """
      model: RnnTanhTokens
      package: t.bank
      cell: rnn
      embedding: {vocab: 7, dim: 4}
      hidden: 33
      layers: 3
      mode: many_to_many
      head: {size: 5, activation: softmax}
      limits: {max_length: 5, max_batch: 2}
      """);

  @TestFactory
  Stream<DynamicTest> generatedBankEqualsGenericBankBitForBit() {
    List<DynamicTest> tests = new ArrayList<>();
    for (boolean vector : new boolean[] {true, false}) {
      for (GeneratedCase c : GeneratedCase.compile(SPECS, vector, 41)) {
        tests.add(DynamicTest.dynamicTest(c.name() + (vector ? " vector" : " scalar"), () -> {
          for (long seed = 0; seed < 4; seed++) {
            agree(c, seed);
          }
        }));
      }
    }
    return tests.stream();
  }

  static StreamBank generatedBank(GeneratedCase c, int capacity) {
    Object model = c.generated();
    try {
      return (StreamBank) model.getClass().getMethod("newStreamBank", int.class).invoke(model, capacity);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("no newStreamBank on " + c.compiled().type().getName(), e);
    }
  }

  static GenericStreamBank genericBank(GeneratedCase c, int capacity) {
    StreamingModel model = (StreamingModel) c.generated();
    return new GenericStreamBank(model, c.config(), capacity);
  }

  private static void agree(GeneratedCase c, long seed) {
    ModelConfig config = c.config();
    StreamBank bank = generatedBank(c, CAPACITY);
    GenericStreamBank oracle = genericBank(c, CAPACITY);
    assertTrue(bank instanceof AbstractStreamBank);
    assertEquals(oracle.stateFloats(), bank.stateFloats());
    assertEquals(oracle.snapshotSize(), bank.snapshotSize());
    SplittableRandom random = new SplittableRandom(seed);
    boolean tokens = config.hasEmbedding();
    int in = bank.inputSize();
    int out = bank.outputSize();
    List<Integer> open = new ArrayList<>();
    int[] ids = new int[CAPACITY];
    byte[] snapshot = new byte[bank.snapshotSize()];
    byte[] expected = new byte[bank.snapshotSize()];
    // start with enough streams that steps reach every tile of the blocked product, not only the remainders (the
    // first three specs have gate rows in whole packing groups of 16-lane panels plus a tail, so tiles run)
    for (int i = 0; i < 30; i++) {
      int id = bank.open();
      assertEquals(oracle.open(), id);
      open.add(id);
    }
    for (int op = 0; op < 160; op++) {
      String where = c.context() + "\nseed " + seed + ", operation " + op;
      int kind = random.nextInt(10);
      if (open.isEmpty() || (kind == 0 && open.size() < CAPACITY)) {
        int id = bank.open();
        assertEquals(oracle.open(), id, where);
        open.add(id);
      } else if (kind == 1 && open.size() > 1) {
        int id = open.remove(random.nextInt(open.size()));
        bank.close(id);
        oracle.close(id);
      } else if (kind == 2) {
        int id = open.get(random.nextInt(open.size()));
        bank.reset(id);
        oracle.reset(id);
      } else if (kind == 3) {
        // a snapshot of one bank restored into another stream of both: the layouts are one
        int from = open.get(random.nextInt(open.size()));
        int to = open.get(random.nextInt(open.size()));
        (random.nextBoolean() ? bank : oracle).snapshot(from, snapshot, 0);
        bank.restore(to, snapshot, 0);
        oracle.restore(to, snapshot, 0);
      } else if (kind == 4) {
        int id = open.get(random.nextInt(open.size()));
        int steps = 1 + random.nextInt(7);
        float[] output = new float[steps * out];
        float[] expectedOutput = new float[steps * out];
        if (tokens) {
          int[] t = tokens(steps + 2, config.vocab(), random);
          bank.processTokens(id, steps, t, 2, output, 0);
          oracle.processTokens(id, steps, t, 2, expectedOutput, 0);
        } else {
          float[] x = values((steps + 1) * in, random);
          bank.process(id, steps, x, in, output, 0);
          oracle.process(id, steps, x, in, expectedOutput, 0);
        }
        assertArrayEquals(expectedOutput, output, where + ": process of stream " + id);
      } else {
        // a random subset of the open streams, in random order
        List<Integer> shuffled = new ArrayList<>(open);
        for (int i = shuffled.size() - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          shuffled.set(i, shuffled.set(j, shuffled.get(i)));
        }
        int count = 1 + random.nextInt(shuffled.size());
        for (int i = 0; i < count; i++) {
          ids[i] = shuffled.get(i);
        }
        boolean withOutputs = random.nextInt(5) != 0;
        float[] outputs = withOutputs ? new float[count * out] : null;
        float[] expectedOutputs = withOutputs ? new float[count * out] : null;
        if (tokens) {
          int[] t = tokens(count, config.vocab(), random);
          bank.stepTokens(ids, count, t, outputs);
          oracle.stepTokens(ids, count, t, expectedOutputs);
        } else {
          float[] x = values(count * in, random);
          bank.step(ids, count, x, outputs);
          oracle.step(ids, count, x, expectedOutputs);
        }
        if (withOutputs) {
          assertArrayEquals(expectedOutputs, outputs, where + ": step of " + count + " streams");
        }
      }
      for (int id : open) {
        bank.snapshot(id, snapshot, 0);
        oracle.snapshot(id, expected, 0);
        assertArrayEquals(expected, snapshot, where + ": state of stream " + id);
      }
    }
  }

  private static float[] values(int n, SplittableRandom random) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextDouble() * 4 - 2);
    }
    return v;
  }

  private static int[] tokens(int n, int vocab, SplittableRandom random) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = random.nextInt(vocab);
    }
    return t;
  }

  /**
   * More streams in one call than a chunk of the blocked product holds (PRODUCT_CHUNK_ROWS, 104) over weights of
   * several blocks (PRODUCT_BLOCK_BYTES, 256 KiB: [W_ih | W_hh] here is 640 × 224 floats, 560 KiB, three blocks
   * at 16 lanes): every stream still gets the bits of its own single step.
   */
  @Test
  void manyStreamsOverWeightsOfSeveralBlocks() {
    String spec = """
        model: LstmBlocks
        package: t.bank
        cell: lstm
        input: 64
        hidden: 160
        limits: {max_length: 3, max_batch: 2}
        """;
    for (boolean vector : new boolean[] {true, false}) {
      GeneratedCase c = GeneratedCase.compile(List.of(spec), vector, 43).get(0);
      int capacity = 150;
      StreamBank bank = generatedBank(c, capacity);
      GenericStreamBank oracle = genericBank(c, capacity);
      int[] ids = new int[capacity];
      for (int i = 0; i < capacity; i++) {
        assertEquals(oracle.open(), bank.open());
      }
      SplittableRandom random = new SplittableRandom(7);
      for (int step = 0; step < 3; step++) {
        for (int i = 0; i < capacity; i++) {
          ids[i] = i;
        }
        for (int i = capacity - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = ids[i];
          ids[i] = ids[j];
          ids[j] = t;
        }
        int count = step == 0 ? capacity : 105 + random.nextInt(capacity - 105);
        float[] x = values(count * bank.inputSize(), random);
        float[] outputs = new float[count * bank.outputSize()];
        float[] expected = new float[count * bank.outputSize()];
        bank.step(ids, count, x, outputs);
        oracle.step(ids, count, x, expected);
        assertArrayEquals(expected, outputs, (vector ? "vector" : "scalar") + " step " + step + " of " + count
            + " streams");
      }
    }
  }

  @Test
  void theBankIsTheGeneratedClassNotTheGenericOne() {
    GeneratedCase c = GeneratedCase.compile(SPECS.subList(0, 1), true, 1).get(0);
    StreamBank bank = generatedBank(c, 3);
    assertEquals(c.compiled().type().getName() + "$Bank", bank.getClass().getName());
    assertNotSame(generatedBank(c, 3), bank);
    assertEquals(3, bank.capacity());
    assertThrows(IllegalArgumentException.class, () -> bank.step(new int[] {0}, 1, new float[5], null),
        "stream 0 is not open");
  }

  /**
   * After warm-up, a round of steps of subsets, blocks, snapshots, restores and resets allocates nothing, on both
   * kernel paths, for every spec.
   */
  @TestFactory
  Stream<DynamicTest> nothingIsAllocatedAfterWarmUp() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    threads.setThreadAllocatedMemoryEnabled(true);
    List<DynamicTest> tests = new ArrayList<>();
    for (GeneratedCase c : GeneratedCase.compile(SPECS, false, 5)) {
      tests.add(DynamicTest.dynamicTest(c.name() + " scalar", () -> allocationFree(c, threads)));
    }
    for (GeneratedCase c : GeneratedCase.compile(SPECS, true, 5)) {
      tests.add(DynamicTest.dynamicTest(c.name() + " vector", () -> allocationFree(c, threads)));
    }
    return tests.stream();
  }

  private static void allocationFree(GeneratedCase c, com.sun.management.ThreadMXBean threads) {
    ModelConfig config = c.config();
    StreamBank bank = generatedBank(c, 9);
    for (int i = 0; i < 9; i++) {
      bank.open();
    }
    SplittableRandom random = new SplittableRandom(3);
    int[] ids = {8, 0, 3, 5, 1, 2, 7, 4, 6};
    float[] inputs = values(9 * 4 * bank.inputSize(), random);
    int[] tokens = config.hasEmbedding() ? tokens(9 * 4, config.vocab(), random) : null;
    float[] outputs = new float[9 * 4 * bank.outputSize()];
    byte[] snapshot = new byte[bank.snapshotSize()];
    int[] round = {0};
    Runnable work = () -> {
      int r = round[0]++;
      int count = 1 + r % 9;
      if (tokens != null) {
        bank.stepTokens(ids, count, tokens, outputs);
        bank.processTokens(ids[r % 9], 4, tokens, 0, outputs, 0);
      } else {
        bank.step(ids, count, inputs, outputs);
        bank.process(ids[r % 9], 4, inputs, 0, outputs, 0);
      }
      bank.snapshot(ids[r % 9], snapshot, 0);
      bank.restore(ids[(r + 1) % 9], snapshot, 0);
      if (r % 16 == 0) {
        bank.reset(ids[r % 9]);
      }
    };
    for (int i = 0; i < 20_000; i++) {
      work.run();
    }
    long deadline = System.nanoTime() + 20_000_000_000L;
    long allocated = -1;
    for (int r = 0; allocated != 0 && (r < 3 || System.nanoTime() < deadline); r++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 2_000; i++) {
        work.run();
      }
      allocated = threads.getCurrentThreadAllocatedBytes() - before;
    }
    if (allocated != 0) {
      assertEquals(0, allocated, c.context() + "\nbytes allocated by 2000 rounds of bank work; where:\n"
          + AllocationSites.of(work, 2_000, c.compiled().type().getName()));
    }
  }
}
