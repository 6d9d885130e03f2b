/**
 * Checks generated code before rnnc hands it over: no allocation, lambda, stream, string work or boxing
 * in hot methods, no method too large for the JIT. {@link dev.rnnc.compiler.verify.CodeVerifier} is the
 * entry point; {@link dev.rnnc.compiler.verify.HotMethods} says which methods are hot;
 * {@link dev.rnnc.compiler.verify.ClassFileReader} reads class files for the bytecode checks, with ASM.
 */
package dev.rnnc.compiler.verify;
