package dev.rnnc.examples;

import dev.rnnc.examples.models.CharTagger;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.RnnModel;
import dev.rnnc.runtime.train.Adam;
import dev.rnnc.runtime.train.Dataset;
import dev.rnnc.runtime.train.Trainer;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Many-to-many tagging: a bidirectional LSTM ({@code tagger.yaml}) tags every character of generated text as
 * part of a word, a number, punctuation or a space. The hard case is '.', which belongs to a number only with
 * digits on both sides; the report gives the accuracy on those separately.
 *
 * <p>Run: {@code mvn -q -pl examples compile exec:exec -Dexample=Tagger}
 * (options: {@code -Dexample.args="--epochs 6 --seed 1"}).
 */
public final class Tagger {

  /** What a run achieved: accuracy over all characters and over '.' characters. */
  record Report(double firstLoss, double finalLoss, double accuracy, double dotAccuracy) {}

  private Tagger() {}

  public static void main(String[] args) {
    Args.run(() -> {
      Args options = new Args(args);
      run(options.getLong("seed", 1), options.getInt("train", 2000), options.getInt("epochs", 6), System.out);
    });
  }

  static Report run(long seed, int trainSize, int epochs, PrintStream out) {
    TaggedText.Texts train = TaggedText.generate(trainSize, seed);
    TaggedText.Texts test = TaggedText.generate(500, seed + 1);

    ModelParameters weights = ModelParameters.initialize(CharTagger.CONFIG, seed);
    CharTagger model = new CharTagger(weights);
    Dataset data = new Dataset(CharTagger.CONFIG, train.size(), TaggedText.MAX_LENGTH, null, train.chars(),
        train.lengths(), train.tags(), null, null, null);
    Trainer trainer = new Trainer(model, weights, Adam.adam(0.02), data, Trainer.Options.miniBatches(32, seed));

    out.printf(Locale.ROOT, "CharTagger: bidirectional LSTM, %,d parameters; %d training texts%n",
        CharTagger.CONFIG.parameterCount(), train.size());
    double firstLoss = trainer.evaluate();
    double loss = firstLoss;
    out.printf(Locale.ROOT, "  before training: loss %.4f%n", firstLoss);
    for (int epoch = 1; epoch <= epochs; epoch++) {
      long start = System.nanoTime();
      trainer.trainEpochs(1, null);
      loss = trainer.evaluate();
      out.printf(Locale.ROOT, "  epoch %2d: loss %.4f (%.0f ms)%n", epoch, loss, (System.nanoTime() - start) / 1e6);
    }

    int[] predicted = predict(model, test);
    long chars = 0;
    long correct = 0;
    long dots = 0;
    long dotsCorrect = 0;
    for (int n = 0; n < test.size(); n++) {
      String text = test.text(n);
      for (int t = 0; t < test.lengths()[n]; t++) {
        int i = n * TaggedText.MAX_LENGTH + t;
        boolean right = predicted[i] == test.tags()[i];
        chars++;
        correct += right ? 1 : 0;
        if (text.charAt(t) == '.') {
          dots++;
          dotsCorrect += right ? 1 : 0;
        }
      }
    }
    double accuracy = correct / (double) chars;
    double dotAccuracy = dotsCorrect / (double) dots;
    out.printf(Locale.ROOT, "Test accuracy: %.2f%% of %,d characters; '.' alone: %.2f%% of %d%n",
        100 * accuracy, chars, 100 * dotAccuracy, dots);
    out.println("Tags: W word, N number, P punctuation, _ space");
    for (int n = 0; n < 4; n++) {
      out.println("  text      " + test.text(n));
      out.println("  predicted " + test.tagLine(predicted, n));
      out.println("  expected  " + test.tagLine(test.tags(), n));
    }
    return new Report(firstLoss, loss, accuracy, dotAccuracy);
  }

  /** The most probable tag of every character, laid out like {@link TaggedText.Texts#tags()}. */
  static int[] predict(RnnModel model, TaggedText.Texts texts) {
    int steps = TaggedText.MAX_LENGTH;
    int tagCount = model.config().headSize();
    int[] predicted = new int[texts.size() * steps];
    int maxBatch = model.maxBatch();
    int[] chars = new int[maxBatch * steps];
    int[] lengths = new int[maxBatch];
    for (int first = 0; first < texts.size(); first += maxBatch) {
      int batch = Math.min(maxBatch, texts.size() - first);
      System.arraycopy(texts.chars(), first * steps, chars, 0, batch * steps);
      System.arraycopy(texts.lengths(), first, lengths, 0, batch);
      model.forwardTokens(chars, batch, steps, lengths, null, null);
      float[] probabilities = model.prediction();
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < lengths[b]; t++) {
          int row = (b * steps + t) * tagCount;
          int best = 0;
          for (int k = 1; k < tagCount; k++) {
            if (probabilities[row + k] > probabilities[row + best]) {
              best = k;
            }
          }
          predicted[(first + b) * steps + t] = best;
        }
      }
    }
    return predicted;
  }
}
