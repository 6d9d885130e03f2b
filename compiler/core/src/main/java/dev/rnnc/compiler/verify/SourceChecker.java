package dev.rnnc.compiler.verify;

import com.github.javaparser.ast.CompilationUnit;
import com.github.javaparser.ast.Node;
import com.github.javaparser.ast.body.FieldDeclaration;
import com.github.javaparser.ast.body.MethodDeclaration;
import com.github.javaparser.ast.body.Parameter;
import com.github.javaparser.ast.body.TypeDeclaration;
import com.github.javaparser.ast.body.VariableDeclarator;
import com.github.javaparser.ast.expr.ArrayAccessExpr;
import com.github.javaparser.ast.expr.ArrayCreationExpr;
import com.github.javaparser.ast.expr.ArrayInitializerExpr;
import com.github.javaparser.ast.expr.AssignExpr;
import com.github.javaparser.ast.expr.BinaryExpr;
import com.github.javaparser.ast.expr.CastExpr;
import com.github.javaparser.ast.expr.EnclosedExpr;
import com.github.javaparser.ast.expr.Expression;
import com.github.javaparser.ast.expr.FieldAccessExpr;
import com.github.javaparser.ast.expr.LambdaExpr;
import com.github.javaparser.ast.expr.LiteralExpr;
import com.github.javaparser.ast.expr.MethodCallExpr;
import com.github.javaparser.ast.expr.MethodReferenceExpr;
import com.github.javaparser.ast.expr.NameExpr;
import com.github.javaparser.ast.expr.NullLiteralExpr;
import com.github.javaparser.ast.expr.ObjectCreationExpr;
import com.github.javaparser.ast.expr.StringLiteralExpr;
import com.github.javaparser.ast.expr.TextBlockLiteralExpr;
import com.github.javaparser.ast.expr.ThisExpr;
import com.github.javaparser.ast.expr.UnaryExpr;
import com.github.javaparser.ast.stmt.AssertStmt;
import com.github.javaparser.ast.stmt.ThrowStmt;
import com.github.javaparser.ast.type.ArrayType;
import com.github.javaparser.ast.type.ClassOrInterfaceType;
import com.github.javaparser.ast.type.Type;
import com.github.javaparser.ast.type.WildcardType;
import dev.rnnc.compiler.verify.Violation.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The source layer of {@link CodeVerifier}: walks the hot methods of one parsed compilation unit and reports
 * allocations, lambdas, streams, string work and boxing. Code under a {@code throw} statement and the
 * message of an {@code assert} are cold and skipped, so {@code throw new IllegalArgumentException("bad " + x)}
 * guards are allowed.
 *
 * <p>Without a symbol solver, types come from declarations in the same file: parameters and locals of the
 * method, fields of the enclosing classes. What this cannot type (a call's result, an inherited field) is
 * left to the bytecode layer, which sees through it.
 */
final class SourceChecker {
  private static final Set<String> BOXES =
      Set.of("Integer", "Long", "Float", "Double", "Short", "Byte", "Character", "Boolean");
  private static final Set<String> BOX_TARGETS = Set.of("Object", "Number", "Comparable", "Serializable");
  private static final Set<String> STRING_TYPES = Set.of("String", "StringBuilder", "StringBuffer", "CharSequence");
  private static final Set<String> STREAM_CLASSES =
      Set.of("Stream", "IntStream", "LongStream", "DoubleStream", "StreamSupport", "Collectors");
  private static final Set<String> STREAM_METHODS = Set.of("stream", "parallelStream");
  /** Static methods of String returning a String, and String methods returning a String. */
  private static final Set<String> STRING_FACTORIES = Set.of("valueOf", "format", "join", "copyValueOf");
  private static final Set<String> STRING_RESULTS = Set.of("substring", "trim", "strip", "concat", "replace",
      "toUpperCase", "toLowerCase", "repeat", "formatted", "intern");

  private final Predicate<MethodDeclaration> isHot;
  private final List<Violation> violations = new ArrayList<>();
  private final List<int[]> hotLineRanges = new ArrayList<>();
  private final List<String> hotMethodKeys = new ArrayList<>();

  private String className;
  private String methodName;
  private Map<String, Type> variables;

  SourceChecker(Predicate<MethodDeclaration> isHot) {
    this.isHot = isHot;
  }

  /** Checks every hot method of {@code unit}; results accumulate across calls. */
  void check(CompilationUnit unit) {
    for (TypeDeclaration<?> type : unit.getTypes()) {
      checkType(type, type.getNameAsString());
    }
  }

  List<Violation> violations() {
    return violations;
  }

  /** Source line ranges {@code [first, last]} of the hot methods, to find them in the bytecode. */
  List<int[]> hotLineRanges() {
    return hotLineRanges;
  }

  /** {@code Outer$Inner.method} for every hot method, for bytecode without line numbers. */
  List<String> hotMethodKeys() {
    return hotMethodKeys;
  }

  private void checkType(TypeDeclaration<?> type, String binaryName) {
    for (Node member : type.getMembers()) {
      if (member instanceof TypeDeclaration<?> nested) {
        checkType(nested, binaryName + "$" + nested.getNameAsString());
      } else if (member instanceof MethodDeclaration method && isHot.test(method)) {
        checkHotMethod(type, binaryName, method);
      }
    }
  }

  private void checkHotMethod(TypeDeclaration<?> type, String binaryName, MethodDeclaration method) {
    className = binaryName;
    methodName = method.getNameAsString();
    hotMethodKeys.add(binaryName + "." + methodName);
    method.getRange().ifPresent(r -> hotLineRanges.add(new int[] {r.begin.line, r.end.line}));
    variables = declaredVariables(type, method);
    checkBoxedType(method.getType());
    for (Parameter parameter : method.getParameters()) {
      checkBoxedType(parameter.getType());
    }
    method.getBody().ifPresent(this::walk);
  }

  /** Names visible in the method with their declared types; inner declarations shadow outer ones. */
  private static Map<String, Type> declaredVariables(TypeDeclaration<?> type, MethodDeclaration method) {
    Map<String, Type> result = new HashMap<>();
    List<TypeDeclaration<?>> enclosing = new ArrayList<>();
    for (Node n = type; n != null; n = n.getParentNode().orElse(null)) {
      if (n instanceof TypeDeclaration<?> t) {
        enclosing.add(0, t);
      }
    }
    for (TypeDeclaration<?> t : enclosing) {
      for (FieldDeclaration field : t.getFields()) {
        field.getVariables().forEach(v -> result.put(v.getNameAsString(), v.getType()));
      }
    }
    method.getParameters().forEach(p -> result.put(p.getNameAsString(), p.getType()));
    method.findAll(VariableDeclarator.class).forEach(v -> result.put(v.getNameAsString(), v.getType()));
    return result;
  }

  private void walk(Node node) {
    if (node instanceof ThrowStmt) {
      return; // exceptions are cold: building their message may allocate
    }
    if (node instanceof AssertStmt assertion) {
      walk(assertion.getCheck()); // the message is built only when the assertion fails
      return;
    }
    inspect(node);
    for (Node child : node.getChildNodes()) {
      walk(child);
    }
  }

  private void inspect(Node node) {
    if (node instanceof ObjectCreationExpr creation) {
      report(Kind.NEW_OBJECT, node, (creation.getAnonymousClassBody().isPresent() ? "anonymous class " : "")
          + abbreviate(creation));
    } else if (node instanceof ArrayCreationExpr creation) {
      report(Kind.NEW_ARRAY, node, "new " + creation.createdType() + " array");
    } else if (node instanceof ArrayInitializerExpr && !(node.getParentNode().orElse(null) instanceof ArrayCreationExpr)
        && !(node.getParentNode().orElse(null) instanceof ArrayInitializerExpr)) {
      report(Kind.NEW_ARRAY, node, "array initializer " + abbreviate(node));
    } else if (node instanceof LambdaExpr) {
      report(Kind.LAMBDA, node, "lambda " + abbreviate(node));
    } else if (node instanceof MethodReferenceExpr) {
      report(Kind.METHOD_REFERENCE, node, "method reference " + node);
    } else if (node instanceof MethodCallExpr call) {
      inspectCall(call);
    } else if (node instanceof BinaryExpr binary && binary.getOperator() == BinaryExpr.Operator.PLUS
        && isString(binary) && !(node.getParentNode().orElse(null) instanceof BinaryExpr parent && isString(parent))) {
      report(Kind.STRING, node, "string concatenation " + abbreviate(node));
    } else if (node instanceof AssignExpr assign) {
      inspectAssignment(assign);
    } else if (node instanceof VariableDeclarator declarator) {
      declarator.getInitializer().ifPresent(value -> checkBoxingInto(declarator.getType(), value, node));
    } else if (node instanceof ClassOrInterfaceType type) {
      checkBoxedType(type);
    }
  }

  private void inspectCall(MethodCallExpr call) {
    String name = call.getNameAsString();
    String scope = call.getScope().map(SourceChecker::simpleName).orElse("");
    if (STREAM_METHODS.contains(name) || STREAM_CLASSES.contains(scope)) {
      report(Kind.STREAM, call, "stream call " + abbreviate(call));
    } else if (name.equals("valueOf") && !STRING_TYPES.contains(scope)) {
      report(Kind.BOXING, call, "boxing call " + abbreviate(call));
    } else if (STRING_TYPES.contains(scope) || name.equals("toString")
        || call.getScope().map(this::isString).orElse(false)) {
      report(Kind.STRING, call, "String method call " + abbreviate(call));
    }
  }

  private void inspectAssignment(AssignExpr assign) {
    Type target = typeOf(assign.getTarget());
    if (assign.getOperator() == AssignExpr.Operator.PLUS && isString(assign.getTarget())) {
      report(Kind.STRING, assign, "string concatenation " + abbreviate(assign));
    } else if (assign.getOperator() == AssignExpr.Operator.ASSIGN && target != null) {
      checkBoxingInto(target, assign.getValue(), assign);
    }
  }

  /** A primitive stored into an Object, Number... is boxed; boxed targets are reported by {@link #checkBoxedType}. */
  private void checkBoxingInto(Type target, Expression value, Node at) {
    if (target.isClassOrInterfaceType() && BOX_TARGETS.contains(target.asClassOrInterfaceType().getNameAsString())
        && isPrimitive(value)) {
      report(Kind.BOXING, at, "primitive boxed into " + target + ": " + abbreviate(at));
    }
  }

  /**
   * A boxed type used as a type (local, parameter, return type, cast) means boxing or unboxing; as a type
   * argument ({@code VectorSpecies<Float>}) it does not, and the Vector API needs it there.
   */
  private void checkBoxedType(Type type) {
    if (!(type instanceof ClassOrInterfaceType classType) || !BOXES.contains(classType.getNameAsString())) {
      return;
    }
    Node parent = type.getParentNode().orElse(null);
    boolean typeArgument = parent instanceof ClassOrInterfaceType owner
        && owner.getTypeArguments().map(args -> args.contains(type)).orElse(false);
    if (!typeArgument && !(parent instanceof WildcardType)) {
      report(Kind.BOXING, type, "boxed type " + type);
    }
  }

  private boolean isString(Expression e) {
    if (e instanceof StringLiteralExpr || e instanceof TextBlockLiteralExpr) {
      return true;
    }
    if (e instanceof EnclosedExpr enclosed) {
      return isString(enclosed.getInner());
    }
    if (e instanceof BinaryExpr binary) {
      return binary.getOperator() == BinaryExpr.Operator.PLUS && (isString(binary.getLeft()) || isString(binary.getRight()));
    }
    if (e instanceof CastExpr cast) {
      return isStringType(cast.getType());
    }
    if (e instanceof MethodCallExpr call) {
      String name = call.getNameAsString();
      return name.equals("toString")
          || call.getScope().map(scope -> STRING_FACTORIES.contains(name) && simpleName(scope).equals("String")
              || STRING_RESULTS.contains(name) && isString(scope)).orElse(false);
    }
    Type type = typeOf(e);
    return type != null && isStringType(type);
  }

  private static boolean isStringType(Type type) {
    return type.isClassOrInterfaceType() && STRING_TYPES.contains(type.asClassOrInterfaceType().getNameAsString());
  }

  private boolean isPrimitive(Expression e) {
    if (e instanceof NullLiteralExpr || e instanceof StringLiteralExpr || e instanceof TextBlockLiteralExpr) {
      return false;
    }
    if (e instanceof LiteralExpr) {
      return true;
    }
    if (e instanceof EnclosedExpr enclosed) {
      return isPrimitive(enclosed.getInner());
    }
    if (e instanceof CastExpr cast) {
      return cast.getType().isPrimitiveType();
    }
    if (e instanceof UnaryExpr unary) {
      return isPrimitive(unary.getExpression());
    }
    if (e instanceof BinaryExpr binary) {
      return !isString(binary) && (isPrimitive(binary.getLeft()) || isPrimitive(binary.getRight()));
    }
    if (e instanceof ArrayAccessExpr access) {
      Type array = typeOf(access.getName());
      return array instanceof ArrayType arrayType && arrayType.getComponentType().isPrimitiveType();
    }
    Type type = typeOf(e);
    return type != null && type.isPrimitiveType();
  }

  /** The declared type of a variable or {@code this.field}, {@code null} if not declared in this file. */
  private Type typeOf(Expression e) {
    if (e instanceof NameExpr name) {
      return variables.get(name.getNameAsString());
    }
    if (e instanceof FieldAccessExpr access && access.getScope() instanceof ThisExpr) {
      return variables.get(access.getNameAsString());
    }
    return null;
  }

  private static String simpleName(Expression scope) {
    if (scope instanceof NameExpr name) {
      return name.getNameAsString();
    }
    if (scope instanceof FieldAccessExpr access) {
      return access.getNameAsString(); // java.util.stream.IntStream
    }
    return "";
  }

  private static String abbreviate(Node node) {
    String text = node.toString().replaceAll("\\s+", " ");
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }

  private void report(Kind kind, Node at, String what) {
    Optional<Integer> line = at.getBegin().map(p -> p.line);
    violations.add(new Violation(kind, Violation.Layer.SOURCE, className, methodName,
        what + line.map(l -> " (line " + l + ")").orElse("")));
  }
}
