/**
 * Compiles generated Java sources in memory with the JDK's own compiler ({@code javax.tools}) and loads
 * the resulting classes, without touching the file system. Used by tests, by the verifier's callers and
 * by tools that run a freshly generated model at once.
 */
package dev.rnnc.compiler.memory;
