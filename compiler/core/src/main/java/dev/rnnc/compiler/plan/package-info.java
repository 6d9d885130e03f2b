/**
 * The model plan: the compiler's intermediate representation between a validated spec and the emitters.
 * It owns every derived decision — which weight matrices exist and how they are fused, the layers and
 * directions to run, the Java names of fields and methods, and the buffers an instance needs — so the
 * emitters only print what the plan says.
 */
package dev.rnnc.compiler.plan;
