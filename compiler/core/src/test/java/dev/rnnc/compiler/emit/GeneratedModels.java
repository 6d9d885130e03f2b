package dev.rnnc.compiler.emit;

import dev.rnnc.compiler.RnnCompiler;
import dev.rnnc.compiler.RnnCompiler.GeneratedSource;
import dev.rnnc.compiler.memory.CompiledClasses;
import dev.rnnc.compiler.memory.InMemoryJavaCompiler;
import dev.rnnc.compiler.spec.Spec;
import dev.rnnc.compiler.spec.SpecParser;
import dev.rnnc.runtime.ModelParameters;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test support: generates, compiles (many specs per javac run) and instantiates model classes. */
public final class GeneratedModels {
  private static final InMemoryJavaCompiler JAVAC = new InMemoryJavaCompiler();
  private static final RnnCompiler RNNC = new RnnCompiler();

  private GeneratedModels() {}

  /** A compiled generated class and its source. */
  public record Compiled(Spec spec, GeneratedSource source, Class<?> type) {
    /** A new instance with the spec's limits. */
    public Object instantiate(ModelParameters parameters) {
      try {
        Constructor<?> ctor = type.getConstructor(ModelParameters.class);
        return ctor.newInstance(parameters);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError("cannot instantiate " + type.getName(), e);
      }
    }
  }

  /** Compiles the given spec texts in one javac run. */
  public static List<Compiled> compile(List<String> specTexts) {
    List<Spec> specs = new ArrayList<>();
    Map<String, String> sources = new LinkedHashMap<>();
    List<GeneratedSource> generated = new ArrayList<>();
    for (int i = 0; i < specTexts.size(); i++) {
      Spec spec = SpecParser.parse("spec" + i + ".yaml", specTexts.get(i));
      GeneratedSource source = RNNC.compile(spec);
      specs.add(spec);
      generated.add(source);
      sources.put(source.qualifiedName(), source.source());
    }
    CompiledClasses classes = JAVAC.compile(sources);
    ClassLoader loader = classes.loader(GeneratedModels.class.getClassLoader());
    List<Compiled> out = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      try {
        out.add(new Compiled(specs.get(i), generated.get(i), Class.forName(generated.get(i).qualifiedName(), true, loader)));
      } catch (ClassNotFoundException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  public static Compiled compile(String specText) {
    return compile(List.of(specText)).get(0);
  }
}
