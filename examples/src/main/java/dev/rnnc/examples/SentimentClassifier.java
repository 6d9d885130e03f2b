package dev.rnnc.examples;

import dev.rnnc.examples.models.SentimentGru;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.Dataset;
import dev.rnnc.runtime.train.Trainer;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Many-to-one classification: a GRU ({@code sentiment.yaml}) reads a generated sentence and says whether it is
 * positive or negative. Trains with Adam on generated sentences, then reports accuracy on sentences it has
 * not seen and shows a few predictions.
 *
 * <p>Run: {@code mvn -q -pl examples compile exec:exec -Dexample=SentimentClassifier}
 * (options: {@code -Dexample.args="--epochs 8 --seed 1"}).
 */
public final class SentimentClassifier {

  /** What a run achieved. */
  record Report(double firstLoss, double finalLoss, double testAccuracy, double negationAccuracy) {}

  private SentimentClassifier() {}

  public static void main(String[] args) {
    Args.run(() -> {
      Args options = new Args(args);
      run(options.getLong("seed", 1), options.getInt("train", 4000), options.getInt("epochs", 8), System.out);
    });
  }

  /** Trains on {@code trainSize} sentences for {@code epochs} epochs and evaluates on 1000 others. */
  static Report run(long seed, int trainSize, int epochs, PrintStream out) {
    SentimentCorpus.Sentences train = SentimentCorpus.generate(trainSize, seed);
    SentimentCorpus.Sentences test = SentimentCorpus.generate(1000, seed + 1);

    ModelParameters weights = ModelParameters.initialize(SentimentGru.CONFIG, seed);
    SentimentGru model = new SentimentGru(weights);
    Dataset data = new Dataset(SentimentGru.CONFIG, train.size(), SentimentCorpus.MAX_LENGTH, null, train.tokens(),
        train.lengths(), train.labels(), null, null, null);
    Trainer trainer = new Trainer(model, weights, Adam.adam(0.01), data, Trainer.Options.miniBatches(32, seed));

    out.printf(Locale.ROOT, "SentimentGru: %,d parameters; %d training sentences, vocabulary of %d words%n",
        SentimentGru.CONFIG.parameterCount(), train.size(), SentimentCorpus.VOCABULARY.size());
    double firstLoss = trainer.evaluate();
    out.printf(Locale.ROOT, "  before training: loss %.4f%n", firstLoss);
    double loss = firstLoss;
    for (int epoch = 1; epoch <= epochs; epoch++) {
      long start = System.nanoTime();
      trainer.trainEpochs(1, null);
      loss = trainer.evaluate();
      out.printf(Locale.ROOT, "  epoch %2d: loss %.4f (%.0f ms)%n", epoch, loss, (System.nanoTime() - start) / 1e6);
    }

    int[] predicted = predict(model, test);
    int correct = 0;
    int negated = 0;
    int negatedCorrect = 0;
    for (int n = 0; n < test.size(); n++) {
      boolean right = predicted[n] == test.labels()[n];
      correct += right ? 1 : 0;
      if (test.text(n).contains(SentimentCorpus.NOT + " ")) {
        negated++;
        negatedCorrect += right ? 1 : 0;
      }
    }
    double accuracy = correct / (double) test.size();
    double negationAccuracy = negated == 0 ? Double.NaN : negatedCorrect / (double) negated;
    out.printf(Locale.ROOT, "Test accuracy: %.1f%% of %d unseen sentences (%.1f%% of the %d with a 'not')%n",
        100 * accuracy, test.size(), 100 * negationAccuracy, negated);
    for (int n = 0; n < 6; n++) {
      out.printf(Locale.ROOT, "  %-9s %s \"%s\"%n", predicted[n] == 1 ? "positive" : "negative",
          predicted[n] == test.labels()[n] ? "ok   " : "WRONG", test.text(n));
    }
    return new Report(firstLoss, loss, accuracy, negationAccuracy);
  }

  /** Argmax of the model's class probabilities for every sentence, in batches the model holds. */
  static int[] predict(RnnModel model, SentimentCorpus.Sentences sentences) {
    int[] predicted = new int[sentences.size()];
    int maxBatch = model.maxBatch();
    int steps = SentimentCorpus.MAX_LENGTH;
    int[] tokens = new int[maxBatch * steps];
    int[] lengths = new int[maxBatch];
    for (int first = 0; first < sentences.size(); first += maxBatch) {
      int batch = Math.min(maxBatch, sentences.size() - first);
      System.arraycopy(sentences.tokens(), first * steps, tokens, 0, batch * steps);
      System.arraycopy(sentences.lengths(), first, lengths, 0, batch);
      model.forwardTokens(tokens, batch, steps, lengths, null, null);
      float[] probabilities = model.prediction();
      for (int b = 0; b < batch; b++) {
        predicted[first + b] = probabilities[b * 2 + 1] > probabilities[b * 2] ? 1 : 0;
      }
    }
    return predicted;
  }
}
