package dev.rnnc.maven;

import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.spec.SpecError;
import dev.rnnc.compiler.spec.SpecException;
import dev.rnnc.maven.GenerationState.Entry;
import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Brings an output directory in line with a set of specs, doing as little as possible: a spec whose bytes,
 * generator and generated file are as recorded is not even parsed; a regenerated class whose source is
 * unchanged is not rewritten; the class of a spec that is gone is deleted.
 *
 * <p>All or nothing: when any spec has errors, or two specs generate the same class, nothing is written or
 * deleted and the errors are returned, so a failed build leaves the previous output and state as they were.
 */
final class IncrementalGenerator {

  /**
   * What a run did.
   *
   * @param errors    problems that stop the build ({@code file:line:column: message} for spec errors), in
   *                  spec order; when not empty nothing was changed
   * @param rnncBugs  how many of the errors are generated classes that failed rnnc's verification: bugs in
   *                  rnnc, not in the specs
   * @param specs     specs considered
   * @param upToDate  specs skipped because nothing changed
   * @param written   generated files written (new or changed content)
   * @param unchanged regenerated files left alone because their content was identical
   * @param removed   generated files deleted because their spec is gone or now generates another class
   */
  record Result(List<String> errors, int rnncBugs, int specs, int upToDate, List<String> written, int unchanged,
      List<String> removed) {
    boolean failed() {
      return !errors.isEmpty();
    }
  }

  private final RnnCompiler compiler;
  private final Path sourceDirectory;
  private final Path outputDirectory;
  private final Path stateFile;
  private final String generator;
  /**
   * @param generator fingerprint of the code generator; a different one regenerates every spec
   * @param compiler  generates (and, unless made {@link RnnCompiler#unverified()}, verifies) each class
   */
  IncrementalGenerator(Path sourceDirectory, Path outputDirectory, Path stateFile, String generator,
      RnnCompiler compiler) {
    this.sourceDirectory = sourceDirectory.toAbsolutePath().normalize();
    this.outputDirectory = outputDirectory.toAbsolutePath().normalize();
    this.stateFile = stateFile;
    this.generator = generator;
    this.compiler = compiler;
  }

  /** One spec's outcome before anything is written: its new record and, when regenerated, the source. */
  private record Planned(String spec, Entry entry, byte[] content) {}

  /**
   * Generates what is needed for {@code specs} (paths relative to the source directory, {@code /}-separated).
   *
   * @throws RnncException on I/O failures of the output (not of specs, which are reported as errors)
   */
  Result run(List<String> specs) {
    GenerationState old = GenerationState.load(stateFile);
    // Records made for another output directory say nothing about this one, and their files are not ours to delete.
    Map<String, Entry> previous = old.outputDirectory().equals(outputDirectory.toString()) ? old.entries() : Map.of();
    boolean sameGenerator = old.generator().equals(generator);

    List<String> errors = new ArrayList<>();
    List<Planned> plans = new ArrayList<>();
    List<String> failedVerification = new ArrayList<>();
    int upToDate = 0;
    for (String spec : specs) {
      Path file = sourceDirectory.resolve(spec);
      Entry before = previous.get(spec);
      if (sameGenerator && before != null && isUpToDate(file, before)) {
        plans.add(new Planned(spec, before, null));
        upToDate++;
        continue;
      }
      Planned plan = generate(spec, file, errors, failedVerification);
      if (plan != null) {
        plans.add(plan);
      }
    }
    checkDistinctClasses(plans, errors);
    if (!errors.isEmpty()) {
      return new Result(List.copyOf(errors), failedVerification.size(), specs.size(), 0, List.of(), 0, List.of());
    }
    return apply(plans, previous, specs.size(), upToDate);
  }

  /** Generates one spec's class; on failure adds to {@code errors} (and {@code failedVerification}) and returns null. */
  private Planned generate(String spec, Path file, List<String> errors, List<String> failedVerification) {
    GeneratedSource generated;
    try {
      generated = compiler.compile(file);
    } catch (SpecException e) {
      e.errors().stream().map(SpecError::toString).forEach(errors::add);
      return null;
    } catch (RnncException e) {
      errors.add(e.getMessage());
      return null;
    } catch (GeneratedCodeException e) {
      // The spec is fine; the class rnnc made from it breaks rnnc's own rules. Nothing is written.
      failedVerification.add(spec);
      errors.add(file + ": the class generated from this spec failed rnnc's verification; this is a bug in rnnc,"
          + " not in the spec (please report it with the spec): " + e.getMessage());
      return null;
    }
    byte[] content = generated.source().getBytes(StandardCharsets.UTF_8);
    Entry entry = new Entry(generated.spec().sha256(), generated.qualifiedName(), generated.relativePath(),
        sha256(content));
    return new Planned(spec, entry, content);
  }

  /** The spec's bytes and the generated file's bytes are exactly what the record says. */
  private boolean isUpToDate(Path spec, Entry entry) {
    try {
      Path output = outputDirectory.resolve(entry.outputPath());
      return Files.isRegularFile(spec) && Files.isRegularFile(output)
          && sha256(Files.readAllBytes(spec)).equals(entry.specSha256())
          && sha256(Files.readAllBytes(output)).equals(entry.outputSha256());
    } catch (IOException e) {
      return false; // regenerating reports the problem properly
    }
  }

  /** Two specs must not generate one class, nor, on case-insensitive file systems, one file. */
  private void checkDistinctClasses(List<Planned> plans, List<String> errors) {
    Map<String, Planned> byFile = new LinkedHashMap<>();
    for (Planned plan : plans) {
      String key = plan.entry().outputPath().toLowerCase(Locale.ROOT);
      Planned first = byFile.putIfAbsent(key, plan);
      if (first != null) {
        errors.add(sourceDirectory.resolve(plan.spec()) + ": generates " + plan.entry().qualifiedName()
            + ", like " + sourceDirectory.resolve(first.spec()) + " (which generates "
            + first.entry().qualifiedName() + "); give one of them another model or package name");
      }
    }
  }

  private Result apply(List<Planned> plans, Map<String, Entry> previous, int specCount, int upToDate) {
    List<String> written = new ArrayList<>();
    int unchanged = 0;
    Map<String, Entry> next = new TreeMap<>();
    try {
      for (Planned plan : plans) {
        next.put(plan.spec(), plan.entry());
        if (plan.content() != null) {
          if (OutputFiles.writeIfChanged(outputDirectory.resolve(plan.entry().outputPath()), plan.content())) {
            written.add(plan.entry().qualifiedName());
          } else {
            unchanged++;
          }
        }
      }
      List<String> kept = next.values().stream().map(Entry::outputPath).toList();
      List<String> removed = new ArrayList<>();
      for (Entry old : previous.values()) {
        if (!kept.contains(old.outputPath())) {
          Path file = outputDirectory.resolve(old.outputPath()).normalize();
          if (file.startsWith(outputDirectory) && Files.exists(file)) {
            OutputFiles.deleteWithEmptyParents(file, outputDirectory);
            removed.add(old.qualifiedName());
          }
        }
      }
      new GenerationState(generator, outputDirectory.toString(), next).save(stateFile);
      return new Result(List.of(), 0, specCount, upToDate, List.copyOf(written), unchanged, List.copyOf(removed));
    } catch (IOException e) {
      throw new RnncException("cannot write generated sources under " + outputDirectory + ": " + e.getMessage(), e);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }
}
