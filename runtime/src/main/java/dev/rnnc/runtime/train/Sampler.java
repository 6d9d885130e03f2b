package dev.rnnc.runtime.train;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.RnncException;
import dev.rnnc.runtime.StreamingModel;
import java.util.SplittableRandom;

/**
 * Generates class sequences (characters, words) from a {@link StreamingModel} whose head scores K classes:
 * each generated class is fed back as the next input, as a token id for embedding models or as a one-hot
 * vector for dense models whose input size is K.
 *
 * <p>Each class is chosen from the head's logits: greedily (temperature 0: the first index of the largest
 * logit, {@code argmax}), or drawn from {@code softmax(logits / temperature)} restricted to the {@code topK}
 * largest logits when {@code topK > 0} (exactly k candidates; among equal logits the lower index wins).
 * Draws come from one {@code SplittableRandom(seed)}, so a seed fixes the whole output. Per token nothing is
 * allocated: the scratch arrays are sized on construction.
 */
public final class Sampler {
  private final StreamingModel model;
  private final int classes;
  private final boolean tokens;
  private final float[] oneHot;
  private int hot = -1;
  /** Candidate indices: a min-heap while selecting the top k, then the candidates themselves. */
  private final int[] candidates;
  private final double[] weights;
  private SplittableRandom random;

  /**
   * @throws RnncException when the model has no head, is bidirectional, or (dense input) its input size is not
   *     the number of classes it predicts
   */
  public Sampler(StreamingModel model, ModelConfig config, long seed) {
    if (!config.hasHead()) {
      throw new RnncException("sampling needs a model with a head scoring the next class");
    }
    if (config.bidirectional()) {
      throw new RnncException("sampling runs step by step and needs a unidirectional model");
    }
    this.model = model;
    this.classes = config.headSize();
    this.tokens = config.hasEmbedding();
    if (tokens && config.vocab() < classes) {
      throw new RnncException("the head scores " + classes + " classes but the vocabulary has only " + config.vocab()
          + " tokens to feed back");
    }
    if (!tokens && config.inputSize() != classes) {
      throw new RnncException("a dense model can only be sampled when its input is a one-hot vector of its "
          + classes + " classes, but its input size is " + config.inputSize());
    }
    this.oneHot = tokens ? null : new float[classes];
    this.candidates = new int[classes];
    this.weights = new double[classes];
    this.random = new SplittableRandom(seed);
  }

  /**
   * A chooser without a model: only {@link #sample} and {@link #reseed} apply (the encoder–decoder decoders of
   * {@code dev.rnnc.runtime.decode} drive their model themselves and choose each token here).
   */
  public Sampler(int classes, long seed) {
    if (classes < 1) {
      throw new IllegalArgumentException("classes must be positive, got " + classes);
    }
    this.model = null;
    this.classes = classes;
    this.tokens = true;
    this.oneHot = null;
    this.candidates = new int[classes];
    this.weights = new double[classes];
    this.random = new SplittableRandom(seed);
  }

  /** Restarts the random stream. */
  public void reseed(long seed) {
    random = new SplittableRandom(seed);
  }

  /** Advances the model one step on {@code token} (a class id in {@code [0, K)}). */
  public void feed(int token) {
    if (model == null) {
      throw new IllegalStateException("this sampler was made without a model; it only chooses tokens");
    }
    if (token < 0 || token >= classes) {
      throw new RnncException("token " + token + " is outside 0.." + (classes - 1));
    }
    if (tokens) {
      model.stepToken(token);
    } else {
      if (hot >= 0) {
        oneHot[hot] = 0f;
      }
      oneHot[token] = 1f;
      hot = token;
      model.step(oneHot, 0);
    }
  }

  /**
   * Resets the model's state, feeds the prompt, then writes {@code count} generated classes to {@code out}.
   *
   * @param prompt       at least one class id to start from
   * @param temperature  0 for greedy, else the softmax temperature
   * @param topK         0 for all classes, else sample among the k largest logits
   */
  public void generate(int[] prompt, int promptLength, double temperature, int topK, int[] out, int count) {
    if (model == null) {
      throw new IllegalStateException("this sampler was made without a model; it only chooses tokens");
    }
    if (promptLength < 1 || promptLength > prompt.length) {
      throw new RnncException("generation needs a prompt of at least one token");
    }
    if (count > out.length) {
      throw new IllegalArgumentException("output array holds " + out.length + " tokens, " + count + " requested");
    }
    model.resetState();
    for (int i = 0; i < promptLength; i++) {
      feed(prompt[i]);
    }
    for (int i = 0; i < count; i++) {
      int next = sample(model.stepLogits(), temperature, topK);
      out[i] = next;
      if (i + 1 < count) {
        feed(next);
      }
    }
  }

  /**
   * Chooses a class from the first K {@code logits}.
   *
   * @throws RnncException on a negative or non-finite temperature, a negative {@code topK}, or NaN logits
   */
  public int sample(float[] logits, double temperature, int topK) {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new RnncException("temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
    }
    if (topK < 0) {
      throw new RnncException("top-k must be >= 0 (0 = all classes), got " + topK);
    }
    int best = 0;
    for (int i = 0; i < classes; i++) {
      float value = logits[i];
      if (Float.isNaN(value)) {
        throw new RnncException("the model produced a NaN logit for class " + i);
      }
      if (value > logits[best]) {
        best = i;
      }
    }
    if (temperature == 0 || topK == 1) {
      return best;
    }
    int k = topK == 0 || topK >= classes ? classes : topK;
    if (k == classes) {
      for (int i = 0; i < classes; i++) {
        candidates[i] = i;
      }
    } else {
      selectTop(logits, k);
    }
    double max = logits[best];
    double total = 0;
    for (int c = 0; c < k; c++) {
      double w = Math.exp((logits[candidates[c]] - max) / temperature);
      weights[c] = w;
      total += w;
    }
    double u = random.nextDouble() * total;
    for (int c = 0; c < k; c++) {
      u -= weights[c];
      if (u < 0) {
        return candidates[c];
      }
    }
    // Rounding left a sliver past the last weight: the last candidate with weight is the right answer.
    for (int c = k - 1; c >= 0; c--) {
      if (weights[c] > 0) {
        return candidates[c];
      }
    }
    return best;
  }

  /** Puts the indices of the k largest logits into {@code candidates[0..k)} with a size-k min-heap. */
  private void selectTop(float[] logits, int k) {
    int size = 0;
    for (int i = 0; i < classes; i++) {
      if (size < k) {
        candidates[size] = i;
        siftUp(logits, size++);
      } else if (better(logits, i, candidates[0])) {
        candidates[0] = i;
        siftDown(logits, 0, k);
      }
    }
  }

  /** Whether class a outranks class b: larger logit, or equal logit and lower index. */
  private static boolean better(float[] logits, int a, int b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  }

  private void siftUp(float[] logits, int at) {
    while (at > 0) {
      int parent = (at - 1) / 2;
      if (!better(logits, candidates[parent], candidates[at])) {
        break;
      }
      swap(at, parent);
      at = parent;
    }
  }

  private void siftDown(float[] logits, int at, int size) {
    while (true) {
      int worst = at;
      int left = 2 * at + 1;
      int right = left + 1;
      if (left < size && better(logits, candidates[worst], candidates[left])) {
        worst = left;
      }
      if (right < size && better(logits, candidates[worst], candidates[right])) {
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
    int t = candidates[a];
    candidates[a] = candidates[b];
    candidates[b] = t;
  }
}
