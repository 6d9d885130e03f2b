package dev.rnnc.maven;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.verify.CodeVerifier;
import dev.rnnc.runtime.RnncException;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecution;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * Generates a model class from every rnnc spec of the project and adds them to the sources to compile.
 *
 * <p>Incremental: a spec whose content, the generator and the generated file are unchanged since the last
 * build is skipped, an unchanged generated file is never rewritten (its timestamp stays), and the class of a
 * deleted spec is removed. Spec problems fail the build with one {@code file:line:column: message} line each.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class GenerateMojo extends AbstractMojo {

  /** Where the specs are. */
  @Parameter(property = "rnnc.sourceDirectory", defaultValue = "${project.basedir}/src/main/rnnc", required = true)
  private File sourceDirectory;

  /** Specs to generate, as Ant-style patterns relative to {@link #sourceDirectory}. */
  @Parameter(property = "rnnc.includes", defaultValue = "**/*.yaml,**/*.yml")
  private List<String> includes;

  /** Files under {@link #sourceDirectory} to leave out, as Ant-style patterns; none by default. */
  @Parameter(property = "rnnc.excludes")
  private List<String> excludes;

  /** Where the generated Java sources go; added to the project's compile source roots. */
  @Parameter(property = "rnnc.outputDirectory",
      defaultValue = "${project.build.directory}/generated-sources/rnnc", required = true)
  private File outputDirectory;

  /** Skips generation (and does not add the output directory to the source roots). */
  @Parameter(property = "rnnc.skip", defaultValue = "false")
  private boolean skip;

  /**
   * Checks every regenerated class with rnnc's code verifier (source layer: no allocation, boxing, lambdas
   * or strings in the hot methods). A finding is an rnnc bug and fails the build; {@code false} skips the
   * check (a way past such a bug until it is fixed).
   */
  @Parameter(property = "rnnc.verify", defaultValue = "true")
  private boolean verify;

  /** The verifier used while {@link #verify} is on; not a parameter, a field so that tests can give their own. */
  CodeVerifier verifier = RnnCompiler.verifier();

  /** Where the incremental state is kept. */
  @Parameter(defaultValue = "${project.build.directory}/rnnc-maven-plugin", readonly = true, required = true)
  private File workDirectory;

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  private MavenProject project;

  @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
  private PluginDescriptor plugin;

  @Parameter(defaultValue = "${mojoExecution}", readonly = true, required = true)
  private MojoExecution execution;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("rnnc: skipped");
      return;
    }
    Path sources = sourceDirectory.toPath();
    Path output = outputDirectory.toPath();
    // One state per execution, so two executions with different spec folders do not undo each other.
    Path state = workDirectory.toPath().resolve("state-" + execution.getExecutionId() + ".properties");
    // Verification happens once per generated class, inside the compiler, and not at all with verify=false;
    // the fingerprint records which, so turning verification back on re-verifies every class.
    RnnCompiler compiler = verify ? new RnnCompiler(verifier) : RnnCompiler.unverified();
    String fingerprint = GeneratorFingerprint.of(plugin.getVersion()) + (verify ? "" : "+unverified");
    if (!verify) {
      getLog().info("rnnc: verification of the generated code is off (rnnc.verify=false)");
    }
    IncrementalGenerator generator = new IncrementalGenerator(sources, output, state, fingerprint, compiler);

    IncrementalGenerator.Result result;
    try {
      result = generator.run(SpecFiles.find(sources, orDefault(includes), excludes == null ? List.of() : excludes));
    } catch (RnncException e) {
      throw new MojoExecutionException("rnnc: " + e.getMessage(), e);
    }
    if (result.failed()) {
      // One line each, in the file:line:column: form IDEs link to; no stack trace (Maven shows one only with -e).
      result.errors().forEach(getLog()::error);
      if (result.rnncBugs() > 0) {
        // An rnnc bug, not a spec problem: an execution error, still without a stack trace (unless -e).
        throw new MojoExecutionException("rnnc: " + result.rnncBugs() + " generated class"
            + (result.rnncBugs() == 1 ? "" : "es") + " failed rnnc's verification (listed above): a bug in rnnc, not"
            + " in your specs; please report it. -Drnnc.verify=false skips the check meanwhile.");
      }
      throw new MojoFailureException("rnnc: " + result.errors().size() + " problem"
          + (result.errors().size() == 1 ? "" : "s") + " in the specs under " + sources + " (listed above)");
    }
    project.addCompileSourceRoot(output.toString());
    report(result, sources);
  }

  private void report(IncrementalGenerator.Result result, Path sources) {
    if (result.specs() == 0) {
      getLog().info("rnnc: no specs in " + sources);
    } else if (result.written().isEmpty() && result.removed().isEmpty()) {
      getLog().info("rnnc: " + result.specs() + " spec" + (result.specs() == 1 ? "" : "s") + " up to date");
    } else {
      getLog().info("rnnc: " + result.specs() + " spec" + (result.specs() == 1 ? "" : "s") + ", "
          + result.written().size() + " class(es) written, " + result.removed().size() + " removed, "
          + (result.upToDate() + result.unchanged()) + " unchanged");
    }
    result.written().forEach(name -> getLog().debug("rnnc: wrote " + name));
    result.removed().forEach(name -> getLog().info("rnnc: removed " + name + " (no spec generates it any more)"));
  }

  private static List<String> orDefault(List<String> includes) {
    return includes == null || includes.isEmpty() ? List.of("**/*.yaml", "**/*.yml") : includes;
  }
}
