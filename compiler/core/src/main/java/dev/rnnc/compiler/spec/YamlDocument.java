package dev.rnnc.compiler.spec;

import java.util.Iterator;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.ReaderException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * Turns spec text into the node tree of its single YAML document, keeping marks (positions) on every node.
 * Syntax errors, an empty file, several documents and a root that is not a mapping are reported here.
 */
final class YamlDocument {
  private YamlDocument() {}

  /** A spec is a few hundred bytes; anything near this is not a spec. */
  private static final int MAX_CODE_POINTS = 1 << 20;

  /** Aliases are legal YAML but a spec has no use for many; the bound stops "billion laughs" input. */
  private static final int MAX_ALIASES = 50;

  /**
   * A spec nests three levels deep; SnakeYAML's composer recurses once per level, so thousands of levels (a few
   * kilobytes of brackets) would overflow the stack. Checked on the parser's event stream, which does not recurse.
   */
  private static final int MAX_NESTING = 64;

  private static final String EXPECTED = "expected a mapping with at least model, package, cell, "
      + "input (or embedding) and hidden";

  /** The document's root mapping, or null after reporting why there is none. */
  static MappingNode root(String file, String text, ErrorList errors) {
    LoadSettings settings = LoadSettings.builder()
        .setLabel(file)
        .setUseMarks(true)
        // Duplicates are reported with both positions by MappingReader, beside the other problems.
        .setAllowDuplicateKeys(true)
        .setMaxAliasesForCollections(MAX_ALIASES)
        .setCodePointLimit(MAX_CODE_POINTS)
        .build();
    try {
      if (!singleDocument(settings, text, errors)) {
        return null;
      }
      Iterator<Node> documents = new Compose(settings).composeAllFromString(text).iterator();
      if (!documents.hasNext()) {
        errors.at(1, 1, "the spec is empty: " + EXPECTED);
        return null;
      }
      Node root = documents.next();
      if (root instanceof MappingNode mapping) {
        return mapping;
      }
      if (root instanceof ScalarNode scalar && Describe.isNull(scalar)) {
        errors.at(root, "the spec is empty: " + EXPECTED);
      } else {
        errors.at(root, "the spec must be a YAML mapping of keys to values, got " + Describe.node(root));
      }
      return null;
    } catch (MarkedYamlEngineException e) {
      // SnakeYAML's problem text is already phrased for users; only the position format changes.
      errors.at(e.getProblemMark().or(e::getContextMark), problem(e));
    } catch (ReaderException e) {
      int[] lineColumn = lineColumn(text, e.getPosition());
      errors.at(lineColumn[0], lineColumn[1], String.format("unacceptable character #%X: %s",
          e.getCodePoint(), e.getMessage() == null ? "special characters are not allowed" : e.getMessage()));
    } catch (YamlEngineException e) {
      errors.at(1, 1, "cannot read the spec as YAML: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      // SnakeYAML's node classes check some values (tags) with unpositioned IllegalArgumentExceptions; the known
      // ones are caught earlier with a position (validTag), this keeps any other one a spec error.
      errors.at(1, 1, "cannot read the spec as YAML: " + e.getMessage());
    }
    return null;
  }

  /**
   * Checks with the low-level parser that there is at most one document, so a second one is reported at
   * its own {@code ---} rather than wherever its content begins, and that collections do not nest deeper than
   * {@link #MAX_NESTING}.
   */
  private static boolean singleDocument(LoadSettings settings, String text, ErrorList errors) {
    int documents = 0;
    int depth = 0;
    for (Event event : new Parse(settings).parseString(text)) {
      if (!validTag(event, errors)) {
        return false;
      }
      switch (event.getEventId()) {
        case DocumentStart -> {
          if (++documents == 2) {
            errors.at(event.getStartMark(), "a spec holds one YAML document; remove this second one");
            return false;
          }
        }
        case MappingStart, SequenceStart -> {
          if (++depth > MAX_NESTING) {
            errors.at(event.getStartMark(), "collections nest more than " + MAX_NESTING
                + " levels deep here; a spec needs three");
            return false;
          }
        }
        case MappingEnd, SequenceEnd -> depth--;
        default -> { }
      }
    }
    return true;
  }

  /**
   * SnakeYAML's composer rejects a tag that is empty or has leading or trailing spaces (such as {@code !%20}, or
   * {@code !%c} at the end of the input) with an unpositioned {@link IllegalArgumentException}; caught here, on
   * the event that carries it, with its position.
   */
  private static boolean validTag(Event event, ErrorList errors) {
    Optional<String> tag = event instanceof ScalarEvent scalar ? scalar.getTag()
        : event instanceof CollectionStartEvent collection ? collection.getTag() : Optional.empty();
    if (tag.isPresent() && (tag.get().isEmpty() || !tag.get().strip().equals(tag.get()))) {
      errors.at(event.getStartMark(), "invalid YAML tag '" + printable(tag.get())
          + "': a tag must not be empty or begin or end with spaces (a spec needs no tags)");
      return false;
    }
    return true;
  }

  /** Control characters as {@code \\uXXXX}, so a message stays on one visible line. */
  private static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (char c : text.toCharArray()) {
      out.append(Character.isISOControl(c) ? String.format("\\u%04X", (int) c) : String.valueOf(c));
    }
    return out.toString();
  }

  private static String problem(MarkedYamlEngineException e) {
    String problem = e.getProblem();
    if (problem == null || problem.isBlank()) {
      problem = e.getContext();
    }
    String context = e.getContext();
    String text = context != null && !context.isBlank() && !context.equals(problem)
        ? problem + " (" + context.strip() + ")" : problem;
    return text == null ? "invalid YAML" : text.strip().replace("\n", " ");
  }

  /** 1-based line and column of a code-point index, as SnakeYAML counts them. */
  private static int[] lineColumn(String text, int codePointIndex) {
    int line = 1;
    int column = 1;
    int index = 0;
    for (int i = 0; i < text.length() && index < codePointIndex; i = text.offsetByCodePoints(i, 1), index++) {
      if (text.charAt(i) == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    return new int[] {line, column};
  }
}
