package dev.rnnc.compiler.seq2seq;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.memory.CompiledClasses;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.plan.Seq2SeqPlan;
import dev.rnnc.compiler.spec.Seq2SeqSpec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.Seq2SeqModel;
import dev.rnnc.runtime.Seq2SeqParameters;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Generates, compiles (in one javac run), verifies and loads encoder–decoder classes for the tests. */
public final class GeneratedSeq2Seq {
  private static final InMemoryJavaCompiler JAVAC = new InMemoryJavaCompiler();

  private GeneratedSeq2Seq() {}

  /** One spec's generated class. */
  public record Compiled(Seq2SeqSpec spec, GeneratedSource source, Class<?> type) {
    public Seq2SeqModel instantiate(Seq2SeqParameters parameters, int maxBatch, int maxLength, int maxRows) {
      try {
        return (Seq2SeqModel) type.getConstructor(Seq2SeqParameters.class, int.class, int.class, int.class)
            .newInstance(parameters, maxBatch, maxLength, maxRows);
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new AssertionError(e.getCause());
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
    }

    public Seq2SeqModel instantiate(Seq2SeqParameters parameters) {
      return instantiate(parameters, spec.config().maxBatch(), spec.config().maxLength(), spec.config().maxBatch());
    }
  }

  /** Compiles the spec texts (each with a distinct model name) and checks every class with the full verifier. */
  public static List<Compiled> compile(List<String> specTexts) {
    return compile(specTexts, true);
  }

  /**
   * As {@link #compile(List)}; with {@code vectorKernels} false the classes and their nested stacks initialise with
   * {@code rnnc.vector=false}, so they run their scalar kernels.
   */
  public static List<Compiled> compile(List<String> specTexts, boolean vectorKernels) {
    List<Seq2SeqSpec> specs = new ArrayList<>();
    List<GeneratedSource> generated = new ArrayList<>();
    Map<String, String> sources = new LinkedHashMap<>();
    RnnCompiler rnnc = RnnCompiler.unverified();
    for (int i = 0; i < specTexts.size(); i++) {
      Seq2SeqSpec spec = (Seq2SeqSpec) SpecParser.parseAny("s2s" + i + ".yaml", specTexts.get(i));
      GeneratedSource source = rnnc.compile(spec);
      specs.add(spec);
      generated.add(source);
      sources.put(source.qualifiedName(), source.source());
    }
    CompiledClasses classes = JAVAC.compile(sources);
    RnnCompiler.verifier().verifyOrThrow(sources, classes.classBytes());
    ClassLoader loader = classes.loader(GeneratedSeq2Seq.class.getClassLoader());
    String previous = System.getProperty("rnnc.vector");
    if (!vectorKernels) {
      System.setProperty("rnnc.vector", "false");
    }
    try {
      List<Compiled> out = new ArrayList<>();
      for (int i = 0; i < specs.size(); i++) {
        String name = generated.get(i).qualifiedName();
        Class<?> type = Class.forName(name, true, loader);
        for (String stack : List.of(Seq2SeqPlan.ENCODER_CLASS, Seq2SeqPlan.DECODER_CLASS)) {
          Class.forName(name + "$" + stack, true, loader);
        }
        out.add(new Compiled(specs.get(i), generated.get(i), type));
      }
      return out;
    } catch (ClassNotFoundException e) {
      throw new AssertionError(e);
    } finally {
      if (previous == null) {
        System.clearProperty("rnnc.vector");
      } else {
        System.setProperty("rnnc.vector", previous);
      }
    }
  }

  public static Compiled compile(String specText) {
    return compile(List.of(specText)).get(0);
  }
}
