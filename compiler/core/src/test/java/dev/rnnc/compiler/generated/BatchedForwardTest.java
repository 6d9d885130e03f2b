package dev.rnnc.compiler.generated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnnModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A batch through the whole-sequence forward pass equals each of its sequences run alone, bit for bit: outputs,
 * final h and c. The batched pass multiplies every valid step's input, and at each step every running sequence's
 * h, in blocked products over tiles of rows (14, 8, 4, then pairs and single rows); a batch of one runs the same
 * rows through smaller tiles and the matrix–vector kernels. Each row must be summed in the same order either way.
 * The specs have gate rows filling whole packing groups of 16-lane panels plus a tail group, sequences of mixed
 * lengths (so the running set shrinks step by step, and backward runs start at different rows), both kernel paths.
 * The last three have W_ih of 512 KiB and more, so a sequence alone projects all its steps ahead
 * ({@code LayerRun.projectsAhead}; the GRU in its forward run only) while the batch of 37 projects step by step:
 * the same sums either way.
 */
class BatchedForwardTest {
  private static final int BATCH = 37;
  private static final int STEPS = 6;

  static final List<String> SPECS = List.of("""
      model: LstmBi
      package: t.batched
      cell: lstm
      input: 7
      hidden: 40
      layers: 2
      bidirectional: true
      limits: {max_length: 6, max_batch: 37}
      """, """
      model: RnnRelu
      package: t.batched
      cell: rnn
      nonlinearity: relu
      input: 9
      hidden: 130
      mode: many_to_many
      head: {size: 3, activation: softmax}
      limits: {max_length: 6, max_batch: 37}
      """, """
      model: LstmProjPeep
      package: t.batched
      cell: lstm
      input: 6
      hidden: 36
      proj_size: 20
      peepholes: true
      limits: {max_length: 6, max_batch: 37}
      """, """
      model: GruTrain
      package: t.batched
      cell: gru
      input: 10
      hidden: 45
      head: {size: 2, activation: linear}
      training: {loss: mse}
      limits: {max_length: 6, max_batch: 37}
      """, """
      model: LstmTrain
      package: t.batched
      cell: lstm
      input: 5
      hidden: 33
      mode: many_to_one
      head: {size: 2, activation: sigmoid}
      training: {loss: bce}
      limits: {max_length: 6, max_batch: 37}
      """, """
      model: LstmBiAhead
      package: t.batched
      cell: lstm
      input: 256
      hidden: 128
      layers: 2
      bidirectional: true
      limits: {max_length: 6, max_batch: 37}
      """, """
      model: GruBiAhead
      package: t.batched
      cell: gru
      input: 600
      hidden: 100
      bidirectional: true
      mode: many_to_many
      head: {size: 3, activation: linear}
      limits: {max_length: 6, max_batch: 37}
      """, """
      model: RnnAheadTrain
      package: t.batched
      cell: rnn
      input: 1100
      hidden: 128
      mode: many_to_many
      head: {size: 3, activation: linear}
      training: {loss: mse}
      limits: {max_length: 6, max_batch: 37}
      """);

  @TestFactory
  Stream<DynamicTest> batchEqualsEachSequenceAloneBitForBit() {
    List<DynamicTest> tests = new ArrayList<>();
    for (boolean vector : new boolean[] {true, false}) {
      for (GeneratedCase c : GeneratedCase.compile(SPECS, vector, 7)) {
        tests.add(DynamicTest.dynamicTest(c.name() + (vector ? " vector" : " scalar"), () -> {
          for (long seed = 0; seed < 3; seed++) {
            agree(c, seed);
          }
        }));
      }
    }
    return tests.stream();
  }

  private static void agree(GeneratedCase c, long seed) {
    ModelConfig config = c.config();
    SplittableRandom random = new SplittableRandom(seed);
    int in = config.inputSize();
    int runs = config.layers() * config.directions();
    int h = config.stateSize();
    int hidden = config.hidden();
    boolean lstm = config.cell() == ModelConfig.Cell.LSTM;
    int[] lengths = new int[BATCH];
    for (int b = 0; b < BATCH; b++) {
      lengths[b] = 1 + random.nextInt(STEPS);
    }
    lengths[random.nextInt(BATCH)] = STEPS;
    float[] input = values(BATCH * STEPS * in, random);
    float[] h0 = values(runs * BATCH * h, random);
    float[] c0 = lstm ? values(runs * BATCH * hidden, random) : null;

    RnnModel batched = c.generated();
    batched.forward(input, BATCH, STEPS, lengths, h0, c0);
    float[] output = batched.output().clone();
    float[] hN = batched.hN().clone();
    float[] cN = lstm ? batched.cN().clone() : null;
    float[] prediction = batched.prediction() == null ? null : batched.prediction().clone();
    int features = config.featureSize();
    int perSequence = prediction == null ? 0 : prediction.length / BATCH;

    RnnModel alone = c.generated();
    for (int b = 0; b < BATCH; b++) {
      String where = c.context() + "\nseed " + seed + ", sequence " + b + " of " + BATCH + " (length " + lengths[b]
          + ")";
      alone.forward(Arrays.copyOfRange(input, b * STEPS * in, (b + 1) * STEPS * in), 1, STEPS,
          new int[] {lengths[b]}, slices(h0, runs, BATCH, b, h), lstm ? slices(c0, runs, BATCH, b, hidden) : null);
      assertArrayEquals(Arrays.copyOfRange(output, b * STEPS * features, (b + 1) * STEPS * features),
          Arrays.copyOf(alone.output(), STEPS * features), where + ": output");
      assertArrayEquals(slices(hN, runs, BATCH, b, h), Arrays.copyOf(alone.hN(), runs * h), where + ": h_n");
      if (lstm) {
        assertArrayEquals(slices(cN, runs, BATCH, b, hidden), Arrays.copyOf(alone.cN(), runs * hidden),
            where + ": c_n");
      }
      if (prediction != null) {
        assertArrayEquals(Arrays.copyOfRange(prediction, b * perSequence, (b + 1) * perSequence),
            Arrays.copyOf(alone.prediction(), perSequence), where + ": prediction");
      }
    }
  }

  /** Sequence b's rows of a {@code [runs, batch, width]} state array, as {@code [runs, 1, width]}. */
  private static float[] slices(float[] states, int runs, int batch, int b, int width) {
    float[] out = new float[runs * width];
    for (int r = 0; r < runs; r++) {
      System.arraycopy(states, (r * batch + b) * width, out, r * width, width);
    }
    return out;
  }

  private static float[] values(int n, SplittableRandom random) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return v;
  }
}
