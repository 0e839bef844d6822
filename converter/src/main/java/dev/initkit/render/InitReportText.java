package dev.initkit.render;

import dev.initkit.ops.InitReport;
import java.io.PrintWriter;

/**
 * An {@link InitReport} as aligned plain-text tables (the {@code initkit report} output): the
 * weights, quantized weights, recommendations, warnings and advice, and the depth estimate on both
 * bases. Names from the model file are shown escaped ({@link TerminalText}). Writes to the writer
 * it is given and prints nothing itself; thread-safe (stateless).
 */
public final class InitReportText {
  private InitReportText() {}

  /**
   * Writes the report, one {@code println} per line.
   *
   * @param file how the report names the model's file (shown in the header)
   */
  public static void write(PrintWriter out, InitReport report, String file) {
    InitReportTables.write(out, report, file, false);
  }

  /** The report as a string, lines ending as {@link PrintWriter#println()} ends them. */
  public static String render(InitReport report, String file) {
    return InitReportTables.render(report, file, false);
  }
}
