package dev.rnnc.runtime.decode;

/** Argument checks shared by the decoders, with messages that say what was wrong. */
final class DecodeChecks {
  private DecodeChecks() {}

  static void check(DecoderStepper stepper, int batch, int maxBatch, int width, int start, int end, int maxLength,
      int configuredLength, int[] tokensOut, int[] lengthsOut) {
    int vocab = stepper.vocabulary();
    if (batch < 1 || batch > maxBatch) {
      throw new IllegalArgumentException("batch must be in [1, " + maxBatch + "], got " + batch);
    }
    if ((long) batch * width > stepper.maxRows()) {
      throw new IllegalArgumentException("the model holds " + stepper.maxRows() + " decoder rows, but batch " + batch
          + (width > 1 ? " × beam width " + width : "") + " needs " + (long) batch * width);
    }
    if (start < 0 || start >= vocab || end < 0 || end >= vocab) {
      throw new IllegalArgumentException("start and end must be token ids in [0, " + vocab + "), got " + start
          + " and " + end);
    }
    if (maxLength < 1 || maxLength > configuredLength) {
      throw new IllegalArgumentException("max length must be in [1, " + configuredLength + "], got " + maxLength);
    }
    if (tokensOut.length < batch * maxLength || lengthsOut.length < batch) {
      throw new IllegalArgumentException("outputs must hold " + batch + " × " + maxLength + " tokens and " + batch
          + " lengths, got " + tokensOut.length + " and " + lengthsOut.length);
    }
  }
}
