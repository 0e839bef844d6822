package dev.initkit.cli;

import dev.initkit.render.TerminalText;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;

/**
 * The writer the commands print human text to: whatever is printed passes through {@link
 * TerminalText#escape}, so a name from a model file cannot reach the terminal raw wherever it is
 * printed. Only {@link #println()} ends a line (and so every {@code println(x)}, which is {@code
 * print(x)} then {@code println()}); a line break inside the printed text, or from {@code %n}, is
 * shown escaped. Not for {@code --json}: Jackson escapes JSON strings itself, and the document's
 * own line breaks must stay. Writes straight through, without a buffer of its own.
 */
public final class TerminalWriter extends PrintWriter {
  private final boolean flushLines;

  /**
   * Escapes what it is given and passes it to {@code out}.
   *
   * @param flushLines flush {@code out} at each line end (for messages on stderr)
   */
  public TerminalWriter(Writer out, boolean flushLines) {
    super(out, false);
    this.flushLines = flushLines;
  }

  @Override
  public void write(int c) {
    write(String.valueOf((char) c));
  }

  @Override
  public void write(char[] buf, int off, int len) {
    write(new String(buf, off, len));
  }

  @Override
  public void write(String s, int off, int len) {
    String safe = TerminalText.escape(s.substring(off, off + len));
    super.write(safe, 0, safe.length());
  }

  /** Ends the line: the one way a line break reaches the output. */
  @Override
  public void println() {
    synchronized (lock) {
      try {
        out.write(System.lineSeparator());
        if (flushLines) {
          out.flush();
        }
      } catch (IOException e) {
        setError();
      }
    }
  }
}
