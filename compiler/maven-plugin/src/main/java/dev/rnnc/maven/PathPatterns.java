package dev.rnnc.maven;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Ant-style include/exclude patterns over {@code /}-separated relative paths, as Maven users write them:
 * {@code **} matches any number of directories (including none), {@code *} any run of characters within one
 * name, {@code ?} one character. Matching is case-sensitive.
 */
final class PathPatterns {
  private final List<Pattern> patterns;

  PathPatterns(List<String> globs) {
    this.patterns = globs.stream().map(PathPatterns::compile).toList();
  }

  /** Whether any pattern matches {@code relativePath} ({@code /}-separated). */
  boolean matches(String relativePath) {
    for (Pattern pattern : patterns) {
      if (pattern.matcher(relativePath).matches()) {
        return true;
      }
    }
    return false;
  }

  static Pattern compile(String glob) {
    String g = glob.trim().replace('\\', '/');
    if (g.endsWith("/")) {
      g = g + "**"; // Ant: "dir/" means everything below dir
    }
    StringBuilder regex = new StringBuilder();
    int i = 0;
    while (i < g.length()) {
      char c = g.charAt(i);
      if (g.startsWith("**/", i)) {
        regex.append("(?:.*/)?");
        i += 3;
      } else if (g.startsWith("**", i)) {
        regex.append(".*");
        i += 2;
      } else if (c == '*') {
        regex.append("[^/]*");
        i++;
      } else if (c == '?') {
        regex.append("[^/]");
        i++;
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
        i++;
      }
    }
    return Pattern.compile(regex.toString());
  }
}
