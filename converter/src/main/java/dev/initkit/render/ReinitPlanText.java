package dev.initkit.render;

import dev.initkit.ops.Reinitializer.Entry;
import dev.initkit.ops.Reinitializer.Plan;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * A {@link Plan} of {@link dev.initkit.ops.Reinitializer} as an aligned plain-text table (the dry
 * run of {@code initkit reinit} and {@code set-init}): per weight, drawn or kept, with what and
 * why. Names from the model file are shown escaped ({@link TerminalText}). Writes to the writer it
 * is given and prints nothing itself; thread-safe (stateless).
 */
public final class ReinitPlanText {
  private ReinitPlanText() {}

  /**
   * Writes the plan, one {@code println} per line.
   *
   * @param optimizerWeights the model's optimizer variables, which a write would drop (0: not
   *     mentioned)
   */
  public static void write(PrintWriter out, Plan plan, int optimizerWeights) {
    out.println(
        TerminalText.escape(
            "Plan: scheme "
                + plan.scheme()
                + ", seed "
                + plan.seed()
                + ": "
                + plan.drawnCount()
                + " of "
                + plan.entries().size()
                + " weights drawn (dry run: nothing written)"));
    TextTable t =
        new TextTable("Layer", "Weight", "Role", "Shape", "Action", "Initializer", "Reason");
    for (Entry e : plan.entries()) {
      t.row(
          e.site().layerPath(),
          e.site().weight().shortName(),
          e.site().weight().role().label(),
          e.site().weight().shape().toString(),
          e.drawn() ? "draw" : "keep",
          e.drawn()
              ? e.spec().describe() + (e.unitForgetBias() ? " + forget-gate ones" : "")
              : null,
          e.reason());
    }
    t.print(out, "  ");
    if (optimizerWeights > 0) {
      out.println("Optimizer weights: " + optimizerWeights + " would be dropped");
    }
  }

  /** The plan as a string, lines ending as {@link PrintWriter#println()} ends them. */
  public static String render(Plan plan, int optimizerWeights) {
    StringWriter s = new StringWriter();
    PrintWriter out = new PrintWriter(s);
    write(out, plan, optimizerWeights);
    out.flush();
    return s.toString();
  }
}
