/**
 * Example programs built on classes that rnnc-maven-plugin generates from {@code src/main/rnnc} in the same
 * build ({@code dev.rnnc.examples.models}). Each generates its own data from a seed; nothing is downloaded.
 */
package dev.rnnc.examples;
