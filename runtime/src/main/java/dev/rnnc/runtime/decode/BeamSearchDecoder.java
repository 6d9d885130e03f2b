package dev.rnnc.runtime.decode;

import java.util.Arrays;

/**
 * Beam search of width k. Each batch item keeps up to k live hypotheses in rows {@code item·k .. item·k+k-1} of
 * the stepper; a hypothesis's score is the sum of the log-probabilities of its tokens.
 *
 * <p>One step, per item: the live hypotheses' extensions by every token are ranked by score (ties: lower row, then
 * lower token). Walking down the ranking, an extension by {@code end} finishes a hypothesis (it leaves the beam);
 * any other extension takes the next free row, until k rows are live again. An item is done once k hypotheses
 * have finished, or after {@code maxLength} steps. Its result is the best finished hypothesis or, if none
 * finished, the best live one at {@code maxLength}. With width 1 this is exactly greedy decoding: the first
 * ranked extension is the argmax, and emitting {@code end} finishes the only hypothesis k = 1 allows.
 *
 * <p>Length normalisation (optional, {@code alpha > 0}): finished hypotheses are compared by
 * {@code score / length^alpha}, length counting the generated tokens including {@code end}; {@code alpha = 0} is
 * the plain sum, which favours short outputs, and {@code alpha = 1} the mean log-probability per token. Ranking
 * within a step is unaffected (live hypotheses all have the same length).
 *
 * <p>All state is preallocated for {@code maxBatch × width} rows on construction; decoding allocates nothing.
 */
public final class BeamSearchDecoder {
  private final int maxBatch;
  private final int width;
  private final int maxLength;
  private final int vocab;

  private final double[] scores;
  private final double[] nextScores;
  private final int[] history;
  private final int[] nextHistory;
  private final int[] tokens;
  private final int[] nextTokens;
  private final int[] sourceRows;
  private final float[] logProbs;
  /** The best 2k extensions of one item: flat index (row in the item × V + token) and score. */
  private final int[] heapIndex;
  private final double[] heapScore;
  private final int[] finishedCount;
  private final double[] bestFinished;
  private final boolean[] done;
  private final double[] resultScores;

  public BeamSearchDecoder(int maxBatch, int width, int vocabulary, int maxLength) {
    if (maxBatch < 1 || width < 1 || vocabulary < 2 || maxLength < 1) {
      throw new IllegalArgumentException("beam search needs max batch, width, max length >= 1 and a vocabulary >= 2,"
          + " got " + maxBatch + ", " + width + ", " + maxLength + ", " + vocabulary);
    }
    this.maxBatch = maxBatch;
    this.width = width;
    this.maxLength = maxLength;
    this.vocab = vocabulary;
    int rows = maxBatch * width;
    this.scores = new double[rows];
    this.nextScores = new double[rows];
    this.history = new int[rows * maxLength];
    this.nextHistory = new int[rows * maxLength];
    this.tokens = new int[rows];
    this.nextTokens = new int[rows];
    this.sourceRows = new int[rows];
    this.logProbs = new float[rows * vocabulary];
    this.heapIndex = new int[2 * width];
    this.heapScore = new double[2 * width];
    this.finishedCount = new int[maxBatch];
    this.bestFinished = new double[maxBatch];
    this.done = new boolean[maxBatch];
    this.resultScores = new double[maxBatch];
  }

  public int width() {
    return width;
  }

  /** The summed log-probability of each item's result of the last {@link #decode} (not normalised). */
  public double score(int item) {
    return resultScores[item];
  }

  /**
   * Decodes the {@code batch} rows the stepper holds (one encoded row per item; they are widened to
   * {@code batch × width} rows here). Output layout as {@link GreedyDecoder#decode}.
   *
   * @param alpha length-normalisation exponent, 0 for none
   */
  public void decode(DecoderStepper stepper, int batch, int start, int end, int length, double alpha,
      int[] tokensOut, int[] lengthsOut) {
    DecodeChecks.check(stepper, batch, maxBatch, width, start, end, length, maxLength, tokensOut, lengthsOut);
    if (stepper.vocabulary() != vocab) {
      throw new IllegalArgumentException("decoder built for " + vocab + " tokens, model has " + stepper.vocabulary());
    }
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("length-normalisation alpha must be a finite number >= 0, got " + alpha);
    }
    int rows = batch * width;
    Arrays.fill(tokensOut, 0, batch * length, 0);
    Arrays.fill(lengthsOut, 0, batch, 0);
    for (int r = 0; r < rows; r++) {
      sourceRows[r] = r / width;
      scores[r] = r % width == 0 ? 0 : Double.NEGATIVE_INFINITY;
      tokens[r] = start;
    }
    stepper.reorder(sourceRows, rows);
    Arrays.fill(finishedCount, 0, batch, 0);
    Arrays.fill(bestFinished, 0, batch, Double.NEGATIVE_INFINITY);
    Arrays.fill(done, 0, batch, false);
    int remaining = batch;
    for (int t = 0; t < length && remaining > 0; t++) {
      stepper.step(tokens, rows, logProbs);
      for (int item = 0; item < batch; item++) {
        if (!done[item]) {
          advance(item, t, end, alpha, tokensOut, lengthsOut, length);
          if (done[item]) {
            remaining--;
          } else if (t == length - 1) {
            finishAtMaxLength(item, length, tokensOut, lengthsOut);
            remaining--;
          }
        }
        if (done[item]) {
          int base = item * width;
          for (int j = 0; j < width; j++) {
            nextScores[base + j] = Double.NEGATIVE_INFINITY;
            nextTokens[base + j] = start;
            sourceRows[base + j] = base + j;
          }
        }
      }
      System.arraycopy(nextScores, 0, scores, 0, rows);
      System.arraycopy(nextTokens, 0, tokens, 0, rows);
      System.arraycopy(nextHistory, 0, history, 0, rows * maxLength);
      if (remaining > 0) {
        stepper.reorder(sourceRows, rows);
      }
    }
  }

  /** One step of one item: ranks the extensions, finishes hypotheses on {@code end}, refills the beam. */
  private void advance(int item, int t, int end, double alpha, int[] tokensOut, int[] lengthsOut, int length) {
    int base = item * width;
    int size = selectBest(base);
    int live = 0;
    for (int c = 0; c < size && live < width; c++) {
      int j = heapIndex[c] / vocab;
      int token = heapIndex[c] % vocab;
      double score = heapScore[c];
      int from = base + j;
      if (token == end) {
        double normalised = alpha == 0 ? score : score / Math.pow(t + 1, alpha);
        if (normalised > bestFinished[item]) {
          bestFinished[item] = normalised;
          int out = item * length;
          Arrays.fill(tokensOut, out, out + length, 0);
          System.arraycopy(history, from * maxLength, tokensOut, out, t);
          tokensOut[out + t] = end;
          lengthsOut[item] = t + 1;
          resultScores[item] = score;
        }
        if (++finishedCount[item] >= width) {
          done[item] = true;
          return;
        }
      } else {
        int to = base + live;
        sourceRows[to] = from;
        nextScores[to] = score;
        nextTokens[to] = token;
        System.arraycopy(history, from * maxLength, nextHistory, to * maxLength, t);
        nextHistory[to * maxLength + t] = token;
        live++;
      }
    }
    for (int j = live; j < width; j++) {
      sourceRows[base + j] = base;
      nextScores[base + j] = Double.NEGATIVE_INFINITY;
      nextTokens[base + j] = end;
    }
    if (live == 0) {
      // Every extension ended: nothing can continue, so what finished is the result.
      done[item] = true;
    }
  }

  /** Without enough finished hypotheses at the last step, the best finished one or else the best live one. */
  private void finishAtMaxLength(int item, int length, int[] tokensOut, int[] lengthsOut) {
    done[item] = true;
    if (finishedCount[item] > 0) {
      return;
    }
    int base = item * width;
    int best = base;
    for (int j = 1; j < width; j++) {
      if (nextScores[base + j] > nextScores[best]) {
        best = base + j;
      }
    }
    System.arraycopy(nextHistory, best * maxLength, tokensOut, item * length, length);
    lengthsOut[item] = length;
    resultScores[item] = nextScores[best];
  }

  /**
   * Puts the best {@code min(2k, live·V)} extensions of the item's live rows into the heap arrays, best first.
   * At most k of the 2k end with {@code end} (one per row), so at least k others remain to refill the beam.
   */
  private int selectBest(int base) {
    int capacity = 2 * width;
    int size = 0;
    for (int j = 0; j < width; j++) {
      double rowScore = scores[base + j];
      if (rowScore == Double.NEGATIVE_INFINITY) {
        continue;
      }
      int offset = (base + j) * vocab;
      for (int v = 0; v < vocab; v++) {
        double score = rowScore + logProbs[offset + v];
        int index = j * vocab + v;
        if (size < capacity) {
          heapIndex[size] = index;
          heapScore[size] = score;
          siftUp(size++);
        } else if (better(score, index, heapScore[0], heapIndex[0])) {
          heapIndex[0] = index;
          heapScore[0] = score;
          siftDown(0, size);
        }
      }
    }
    // Heap sort into best-first order: repeatedly move the worst to the end.
    for (int end = size - 1; end > 0; end--) {
      swap(0, end);
      siftDown(0, end);
    }
    return size;
  }

  /** Whether extension (score a, index ia) ranks above (b, ib): higher score, then lower row and token. */
  private static boolean better(double a, int ia, double b, int ib) {
    return a > b || (a == b && ia < ib);
  }

  /** Min-heap on rank: the root is the worst kept extension. */
  private void siftUp(int at) {
    while (at > 0) {
      int parent = (at - 1) / 2;
      if (!better(heapScore[parent], heapIndex[parent], heapScore[at], heapIndex[at])) {
        break;
      }
      swap(at, parent);
      at = parent;
    }
  }

  private void siftDown(int at, int size) {
    while (true) {
      int worst = at;
      int left = 2 * at + 1;
      int right = left + 1;
      if (left < size && better(heapScore[worst], heapIndex[worst], heapScore[left], heapIndex[left])) {
        worst = left;
      }
      if (right < size && better(heapScore[worst], heapIndex[worst], heapScore[right], heapIndex[right])) {
        worst = right;
      }
      if (worst == at) {
        return;
      }
      swap(at, worst);
      at = worst;
    }
  }

  private void swap(int a, int b) {
    int index = heapIndex[a];
    heapIndex[a] = heapIndex[b];
    heapIndex[b] = index;
    double score = heapScore[a];
    heapScore[a] = heapScore[b];
    heapScore[b] = score;
  }
}
