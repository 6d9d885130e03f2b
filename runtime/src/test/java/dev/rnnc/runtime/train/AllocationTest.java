package dev.rnnc.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnnc.runtime.ModelConfig;
import dev.rnnc.runtime.ModelParameters;
import dev.rnnc.runtime.reference.ReferenceModel;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * Optimiser steps, clipping, the non-finite guard, sampling, the running metrics, learning-rate schedules and dropout
 * reseeding allocate nothing once running.
 */
class AllocationTest {

  @Test
  void hotPathsAllocateNothing() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    ModelParameters params = Goldens.parameters("init.");
    ModelParameters grads = Goldens.parameters("grad.1.");
    Optimizer[] optimizers = {new Sgd(1e-4, 0.9, 0.1, false, 0.01), new Sgd(1e-4, 0.9, 0, true, 0), Adam.adamW(1e-4)};
    float[][] arrays = GradientClipping.arrays(grads);
    NonFiniteCheck check = new NonFiniteCheck(grads);
    ModelConfig chars = new ModelConfig(ModelConfig.Cell.GRU, null, null, 4, 50, 4, 1, false,
        ModelConfig.Mode.MANY_TO_MANY, 50, ModelConfig.HeadActivation.SOFTMAX, 4, 1, null);
    Sampler sampler = new Sampler(new ReferenceModel(ModelParameters.zeros(chars), 1, 4), chars, 1);
    // The running training metrics read a batch's outputs after each step: a lookup over arrays, nothing allocated.
    ModelConfig tagger = ModelConfig.builder(ModelConfig.Cell.GRU).input(3).hidden(4)
        .head(5, ModelConfig.HeadActivation.SOFTMAX).limits(2, 3)
        .training(new ModelConfig.TrainingConfig(ModelConfig.Loss.CROSS_ENTROPY, 0, 0)).build();
    ReferenceModel taggerModel = new ReferenceModel(ModelParameters.initialize(tagger, 3), 2, 3);
    dev.rnnc.runtime.Batch batch = new dev.rnnc.runtime.Batch();
    batch.batch = 2;
    batch.steps = 3;
    batch.lengths = new int[] {3, 2};
    batch.input = new float[2 * 3 * 3];
    batch.classTargets = new int[] {0, 1, 2, 3, 4, 0};
    taggerModel.forward(batch.input, 2, 3, batch.lengths, null, null);
    MetricAccumulator metrics = new MetricAccumulator(tagger);
    LearningRateSchedule schedule = LearningRateSchedule.cosine(1000, 0.1).withWarmup(10);
    double sink = 0;
    float[] logits = new float[50];
    for (int k = 0; k < logits.length; k++) {
      logits[k] = (k * 37 % 50) / 10f;
    }
    // Early rounds warm up: optimiser state, and transient allocations while the JIT replaces interpreted
    // frames. On a loaded machine compilation can lag, so keep measuring (bounded in time) until a round is
    // allocation-free; a real allocation in these paths never reaches zero.
    long deadline = System.nanoTime() + 20_000_000_000L;
    long allocated = -1;
    for (int round = 0; round < 4 || System.nanoTime() < deadline; round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 2000; i++) {
        for (Optimizer optimizer : optimizers) {
          optimizer.step(params, grads);
        }
        GradientClipping.clipNorm(arrays, 10.0);
        GradientClipping.clipValue(arrays, 10.0);
        check.check(i + 1, 0.5);
        sampler.sample(logits, 0.8, 5);
        sampler.sample(logits, 1.0, 0);
        sampler.sample(logits, 0.0, 0);
        metrics.add(taggerModel, batch, 0.5);
        metrics.add(taggerModel, batch, Double.NaN);
        sink += schedule.rate(0.1, i) + dev.rnnc.runtime.DropoutMask.seedForCall(7, i);
      }
      allocated = threads.getCurrentThreadAllocatedBytes() - before;
      if (round >= 3 && allocated == 0) {
        break;
      }
    }
    assertEquals(0, allocated, "bytes allocated by 2000 steps");
    assertEquals(false, Double.isNaN(sink + metrics.loss()));
  }
}
