package dev.initkit.render;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A plain-text table with aligned columns, a header and a rule under it; no colours, no box-drawing
 * characters. Cells are single lines: control characters in a cell are shown escaped ({@link
 * TerminalText}), here rather than only by the writer, so that the columns align on what is
 * printed. A null cell prints as {@code -}. Not thread-safe.
 */
public final class TextTable {
  private final String[] headers;
  private final boolean[] rightAligned;
  private final List<String[]> rows = new ArrayList<>();

  /**
   * A table with these column headers. A header starting with {@code >} makes its column
   * right-aligned (for numbers); the {@code >} is not printed.
   */
  public TextTable(String... headers) {
    this.headers = new String[headers.length];
    this.rightAligned = new boolean[headers.length];
    for (int i = 0; i < headers.length; i++) {
      String h = Objects.requireNonNull(headers[i], "header");
      rightAligned[i] = h.startsWith(">");
      this.headers[i] = rightAligned[i] ? h.substring(1) : h;
    }
  }

  /**
   * Adds a row.
   *
   * @throws IllegalArgumentException if the number of cells is not the number of columns
   */
  public TextTable row(String... cells) {
    if (cells.length != headers.length) {
      throw new IllegalArgumentException(
          "row of "
              + cells.length
              + " cells for "
              + headers.length
              + " columns: "
              + Arrays.toString(cells));
    }
    String[] copy = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      copy[i] = cells[i] == null ? "-" : TerminalText.escape(cells[i]);
    }
    rows.add(copy);
    return this;
  }

  /** True when no row was added. */
  public boolean isEmpty() {
    return rows.isEmpty();
  }

  /** Prints the table, each line starting with {@code indent}; the last column is not padded. */
  public void print(PrintWriter out, String indent) {
    print(out, indent, true);
  }

  /** Prints the rows only, aligned as {@link #print(PrintWriter, String)} would align them. */
  public void printRows(PrintWriter out, String indent) {
    print(out, indent, false);
  }

  private void print(PrintWriter out, String indent, boolean withHeader) {
    int[] widths = new int[headers.length];
    for (int i = 0; i < headers.length && withHeader; i++) {
      widths[i] = headers[i].length();
    }
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        widths[i] = Math.max(widths[i], r[i].length());
      }
    }
    int total = 0;
    for (int w : widths) {
      total += w;
    }
    total += 2 * (widths.length - 1);
    if (withHeader) {
      printLine(out, indent, headers, widths);
      out.println(indent + "-".repeat(total));
    }
    for (String[] r : rows) {
      printLine(out, indent, r, widths);
    }
  }

  private void printLine(PrintWriter out, String indent, String[] cells, int[] widths) {
    StringBuilder sb = new StringBuilder(indent);
    for (int i = 0; i < cells.length; i++) {
      boolean last = i == cells.length - 1;
      String pad = " ".repeat(widths[i] - cells[i].length());
      if (rightAligned[i]) {
        sb.append(pad).append(cells[i]);
      } else {
        sb.append(cells[i]);
        if (!last) {
          sb.append(pad);
        }
      }
      if (!last) {
        sb.append("  ");
      }
    }
    out.println(sb.toString().stripTrailing());
  }
}
