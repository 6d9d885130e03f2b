package dev.rnnc.compiler.verify;

import com.github.javaparser.ast.body.MethodDeclaration;
import com.github.javaparser.javadoc.JavadocBlockTag;
import java.util.List;
import java.util.function.Predicate;

/**
 * Which generated methods are hot, i.e. run per time step or per element and so must not allocate.
 *
 * <p>The convention, which every emitter follows: a method is hot if its name starts with one of
 * {@link #NAME_PREFIXES} ({@code step}, {@code forward}, {@code backward}, {@code computeGradients},
 * {@code kernel}), or if its javadoc comment has a line consisting of the block tag {@value #JAVADOC_TAG}
 * (after the description, like any block tag). With JavaPoet:
 * {@code MethodSpec.methodBuilder("addProjection").addJavadoc("Adds one step's input projection.\n\n@rnnc.hot\n")}.
 * A javadoc tag, unlike an annotation, needs no type on the class path and no retention in the class file;
 * the verifier finds the same methods in the bytecode through their line numbers.
 */
public final class HotMethods {
  /** Method-name prefixes that make a method hot. */
  public static final List<String> NAME_PREFIXES = List.of("step", "forward", "backward", "computeGradients", "kernel");

  /** The javadoc block tag marking any other method as hot. */
  public static final String JAVADOC_TAG = "@rnnc.hot";

  private HotMethods() {}

  /** The default rule: a name prefix from {@link #NAME_PREFIXES} or the {@value #JAVADOC_TAG} javadoc tag. */
  public static Predicate<MethodDeclaration> defaultRule() {
    return HotMethods::isHot;
  }

  private static boolean isHot(MethodDeclaration method) {
    String name = method.getNameAsString();
    for (String prefix : NAME_PREFIXES) {
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return hasHotTag(method);
  }

  /** Whether the method's javadoc has the {@value #JAVADOC_TAG} block tag. */
  public static boolean hasHotTag(MethodDeclaration method) {
    String tagName = JAVADOC_TAG.substring(1);
    return method.getJavadoc()
        .map(javadoc -> javadoc.getBlockTags().stream().map(JavadocBlockTag::getTagName).anyMatch(tagName::equals))
        .orElse(false);
  }
}
