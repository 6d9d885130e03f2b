package dev.rnnc.maven;

import dev.rnnc.compiler.GeneratedCodeException;
import dev.rnnc.compiler.verify.CodeVerifier;
import dev.rnnc.compiler.verify.Violation;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Runs the source layer of {@link CodeVerifier} (JavaParser: no allocation, boxing, lambdas or strings in hot
 * methods) on a generated class. Its bytecode layer needs the compiled class, which only exists after the
 * project's compile step (on another JDK than Maven's); the compiler's own tests cover that layer.
 *
 * <p>{@link CodeVerifier#verify(String, String, Map)} matches source to class files; it is given a minimal
 * valid class file of the same name with no methods, so its bytecode layer finds nothing to check and only
 * the source layer reports.
 */
final class GeneratedSourceVerifier implements IncrementalGenerator.SourceCheck {
  private final CodeVerifier verifier = new CodeVerifier();

  @Override
  public List<String> check(String qualifiedName, String source) {
    try {
      return verifier.verify(qualifiedName, source, Map.of(qualifiedName, emptyClass(qualifiedName))).stream()
          .map(Violation::toString).toList();
    } catch (GeneratedCodeException e) {
      return List.of(e.getMessage());
    }
  }

  /** {@code public final class <name> extends Object {}} without members, class-file version 61 (Java 17). */
  static byte[] emptyClass(String qualifiedName) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(0xCAFEBABE);
      out.writeShort(0); // minor
      out.writeShort(61); // major: Java 17
      out.writeShort(5); // constant pool count (entries 1..4)
      out.writeByte(7); // #1 Class -> #2
      out.writeShort(2);
      out.writeByte(1); // #2 Utf8 binary name
      out.writeUTF(qualifiedName.replace('.', '/'));
      out.writeByte(7); // #3 Class -> #4
      out.writeShort(4);
      out.writeByte(1); // #4 Utf8
      out.writeUTF("java/lang/Object");
      out.writeShort(0x0031); // ACC_PUBLIC | ACC_FINAL | ACC_SUPER
      out.writeShort(1); // this_class
      out.writeShort(3); // super_class
      out.writeShort(0); // interfaces
      out.writeShort(0); // fields
      out.writeShort(0); // methods
      out.writeShort(0); // attributes
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory does not fail", e);
    }
    return bytes.toByteArray();
  }
}
