package dev.rnnc.compiler.spec;

import dev.rnnc.runtime.RnncException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.snakeyaml.engine.v2.nodes.MappingNode;

/**
 * Entry point of the spec front end: spec text in, validated {@link Spec} out, or a {@link SpecException}
 * listing every problem as {@code file:line:column: message}.
 */
public final class SpecParser {
  private SpecParser() {}

  /**
   * Parses a spec file (UTF-8). Problems in the spec are reported with {@code file} as given.
   *
   * @throws SpecException  when the spec has problems
   * @throws RnncException  when the file cannot be read or is not UTF-8
   */
  public static Spec parse(Path file) {
    return singleStack(parseAny(file));
  }

  /**
   * Parses a spec file of either kind: a single-stack model ({@link Spec}) or an encoder–decoder
   * ({@link Seq2SeqSpec}). {@code rnnc check} and {@code rnnc info} use this; code generation uses {@link #parse}.
   *
   * @throws SpecException when the spec has problems
   * @throws RnncException when the file cannot be read or is not UTF-8
   */
  public static ParsedSpec parseAny(Path file) {
    String name = file.toString();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new RnncException("cannot read spec " + name + ": " + describe(e), e);
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new RnncException("cannot read spec " + name + ": it is not UTF-8 text", e);
    }
    return parseAny(name, text, sha256(bytes));
  }

  /**
   * Parses spec text; {@code sourceName} names it in errors, and the hash is that of its UTF-8 bytes.
   *
   * @throws SpecException when the spec has problems
   */
  public static Spec parse(String sourceName, String yamlText) {
    return singleStack(parseAny(sourceName, yamlText));
  }

  /** Parses spec text of either kind, as {@link #parseAny(Path)}. */
  public static ParsedSpec parseAny(String sourceName, String yamlText) {
    return parseAny(sourceName, yamlText, sha256(yamlText.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * What {@link #parse} (the single-stack parser, for uses that need an {@link dev.rnnc.runtime.RnnModel}) says about
   * an encoder–decoder spec, which is valid and generates a class implementing {@code Seq2SeqModel}
   * ({@link #parseAny} returns it).
   */
  public static final String ENCODER_DECODER_NOT_GENERATED = "this is an encoder–decoder spec, whose generated class "
      + "implements Seq2SeqModel; this use needs a single-stack spec (a model implementing RnnModel)";

  /** The single-stack spec, or the refusal for an encoder–decoder spec (which is valid, but cannot be generated). */
  private static Spec singleStack(ParsedSpec parsed) {
    if (parsed instanceof Spec spec) {
      return spec;
    }
    throw new RnncException(parsed.sourceName() + ": " + ENCODER_DECODER_NOT_GENERATED);
  }

  private static ParsedSpec parseAny(String sourceName, String text, String sha256) {
    ErrorList errors = new ErrorList(sourceName);
    // A byte-order mark is not part of the YAML content; dropping it keeps columns on line 1 right.
    String yaml = text.startsWith("\uFEFF") ? text.substring(1) : text;
    MappingNode root = YamlDocument.root(sourceName, yaml, errors);
    if (root != null && Seq2SeqSpecReader.isEncoderDecoder(root)) {
      Seq2SeqSpecReader.Result result = Seq2SeqSpecReader.read(root, errors);
      errors.throwIfAny();
      return new Seq2SeqSpec(sourceName, result.modelName(), result.packageName(), result.config(), sha256);
    }
    SpecReader.Result result = root == null ? null : SpecReader.read(root, errors);
    errors.throwIfAny();
    return new Spec(sourceName, result.modelName(), result.packageName(), result.config(), sha256,
        result.weights());
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }

  private static String describe(IOException e) {
    String kind = e instanceof NoSuchFileException ? "no such file"
        : e instanceof AccessDeniedException ? "permission denied"
        : e.getMessage();
    return kind == null ? e.getClass().getSimpleName() : kind;
  }
}
