/**
 * The rnnc runtime: what generated model classes link against and what tools share. It owns the model
 * description ({@link dev.rnnc.runtime.ModelConfig}, the single source of PyTorch parameter names and
 * shapes), the inference and training contracts generated classes implement, and user-facing errors.
 * It depends on nothing beyond the JDK.
 */
package dev.rnnc.runtime;
