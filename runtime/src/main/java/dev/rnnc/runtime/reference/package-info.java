/**
 * The reference implementation: plain loops in double precision over every model a spec can describe,
 * forward, streaming and backpropagation through time. It is the test oracle generated code is compared
 * with and the place to read what rnnc computes; it favours obviousness over speed.
 */
package dev.rnnc.runtime.reference;
