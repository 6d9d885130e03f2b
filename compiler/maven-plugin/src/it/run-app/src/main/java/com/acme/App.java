package com.acme;

import com.acme.rnn.Reverser;
import com.acme.rnn.Sentiment;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.Seq2SeqParameters;
import dev.rnnc.runtime.reference.ReferenceModel;
import dev.rnnc.runtime.reference.ReferenceSeq2Seq;

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

    // the encoder–decoder class the plugin generated from reverser.yaml, against the reference
    Seq2SeqParameters s2sParameters = Seq2SeqParameters.initialize(Reverser.CONFIG, 7);
    Reverser reverser = new Reverser(s2sParameters);
    int[] source = {3, 4, 5, 6};
    int[] target = {6, 5, 4, 3, 2};
    float loss = reverser.teacherForce(source, null, 1, source.length, null, target, target.length, null);
    double referenceLoss = new ReferenceSeq2Seq(s2sParameters).teacherForce(source, null, 1, source.length, null, target,
        target.length, null);
    int[] decoded = new int[Reverser.MAX_DECODE];
    int[] length = new int[1];
    reverser.encode(source, null, 1, source.length, null);
    reverser.decodeGreedy(decoded, length);
    System.out.printf("seq2seq loss difference from the reference: %.1e%n", Math.abs(loss - referenceLoss));
    System.out.println("seq2seq decoded length: " + length[0]);
    System.out.println("java: " + Runtime.version().feature());
    System.out.println("vector api: " + ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
    System.out.println("java.home: " + System.getProperty("java.home"));
  }
}
