package dev.initkit.render;

import java.util.Locale;

/**
 * Makes text from a model file safe to show on a terminal. Names, configs and paths come from files
 * anyone may have written: an escape sequence in a layer name could clear the screen or recolour
 * it, a newline or carriage return could fake rows of a table, a bidi override could make a name
 * read differently from what it is. Such characters are shown escaped (<code>\e</code>, <code>\n
 * </code>, <code>&#92;u202e</code>) so the user still sees that the name is odd; everything else,
 * accented letters and CJK included, is kept. Thread-safe (stateless).
 */
public final class TerminalText {
  private TerminalText() {}

  /**
   * The text with every control character shown as an escape: {@code \t \n \r \e} by name, the
   * others (C0, DEL, C1, bidi embeddings, overrides and isolates, line and paragraph separators) as
   * <code>&#92;uXXXX</code>. Backslashes are kept as they are (Windows paths). Idempotent: the
   * result holds no control character. Null stays null.
   */
  public static String escape(CharSequence text) {
    if (text == null) {
      return null;
    }
    int n = text.length();
    int i = 0;
    while (i < n && !needsEscape(text.charAt(i))) {
      i++;
    }
    if (i == n) {
      return text.toString();
    }
    StringBuilder sb = new StringBuilder(n + 16).append(text, 0, i);
    for (; i < n; i++) {
      char c = text.charAt(i);
      if (!needsEscape(c)) {
        sb.append(c);
        continue;
      }
      switch (c) {
        case '\t' -> sb.append("\\t");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\u001b' -> sb.append("\\e");
        default -> sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      }
    }
    return sb.toString();
  }

  /** True for the characters {@link #escape} rewrites. */
  static boolean needsEscape(char c) {
    return Character.isISOControl(c) // C0, DEL, C1
        || (c >= '\u202a' && c <= '\u202e') // bidi embeddings and overrides
        || (c >= '\u2066' && c <= '\u2069') // bidi isolates
        || c == '\u2028'
        || c == '\u2029'; // line and paragraph separators
  }
}
