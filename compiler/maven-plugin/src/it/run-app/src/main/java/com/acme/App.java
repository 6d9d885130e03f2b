package com.acme;

import com.acme.rnn.Sentiment;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.reference.ReferenceModel;

/** An application embedding a generated class: classifies one token sequence and prints what it ran on. */
public final class App {
  public static void main(String[] args) {
    ModelParameters parameters = ModelParameters.initialize(Sentiment.CONFIG, 7);
    Sentiment model = new Sentiment(parameters);
    int[] tokens = {3, 1, 4, 1, 5, 9, 2, 6};
    model.forwardTokens(tokens, 1, tokens.length, null, null, null);
    float[] prediction = model.prediction();

    // the same call through rnnc's reference implementation, to show the numbers are the model's
    ReferenceModel reference = new ReferenceModel(parameters);
    reference.forwardTokens(tokens, 1, tokens.length, null, null, null);
    double difference = 0;
    for (int k = 0; k < prediction.length; k++) {
      difference = Math.max(difference, Math.abs(prediction[k] - reference.prediction()[k]));
    }
    System.out.printf("prediction: %.6f %.6f%n", prediction[0], prediction[1]);
    System.out.printf("difference from the reference: %.1e%n", difference);
    System.out.println("java: " + Runtime.version().feature());
    System.out.println("vector api: " + ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
    System.out.println("java.home: " + System.getProperty("java.home"));
  }
}
