/**
 * Load-time specialisation: {@link dev.rnnc.loader.RnnModels} generates, compiles and loads a spec's class while
 * the application runs, with a content-addressed, checksummed on-disk cache of the compiled classes shared by
 * every JVM on the machine. The build-time alternative is the Maven plugin.
 */
package dev.rnnc.loader;
