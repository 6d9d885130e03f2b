package dev.rnnc.compiler.emit;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.rnnc.compiler.plan.ModelPlan;

/** Emits backpropagation through time (work in progress: not yet wired). */
final class BackwardEmitter {
  private final ModelPlan plan;

  BackwardEmitter(ModelPlan plan) {
    this.plan = plan;
  }

  static void addAllocations(ModelPlan plan, MethodSpec.Builder ctor) {}

  void emit(TypeSpec.Builder type) {}
}
