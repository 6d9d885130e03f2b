package dev.rnnc.compiler.plan;

/**
 * How the generated class stores its packed weight matrices (spec key {@code weights}); parameters are float32
 * either way (safetensors files, {@code ModelParameters}, training), this is a compilation choice.
 */
public enum WeightPrecision {
  /** float32, exactly the parameters. */
  F32,
  /**
   * bfloat16 (the upper 16 bits of a float32, rounded to nearest even), widened to float32 in registers: half the
   * bytes streamed per step, for models whose weights exceed the caches; inference only. Biases, the embedding
   * and the arithmetic stay float32.
   */
  BF16
}
