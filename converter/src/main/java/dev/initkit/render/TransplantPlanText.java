package dev.initkit.render;

import dev.initkit.Hint;
import dev.initkit.transplant.Action;
import dev.initkit.transplant.TransplantPlan;
import dev.initkit.transplant.TransplantPlan.Entry;
import dev.initkit.transplant.TransplantPlan.Unused;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A {@link TransplantPlan} as aligned plain-text tables (the {@code initkit transplant} output): a
 * summary line, what happens to each target weight, the source weights left unused and the frozen
 * layers. Names from the model files are shown escaped ({@link TerminalText}). Writes to the writer
 * it is given and prints nothing itself; thread-safe (stateless).
 */
public final class TransplantPlanText {
  private TransplantPlanText() {}

  /**
   * Writes the plan, one {@code println} per line.
   *
   * @param planOnly whether nothing is written (a dry run, or a failed check): the title says
   *     "Plan" and "(nothing written)" instead of "Transplant"
   */
  public static void write(PrintWriter out, TransplantPlan plan, boolean planOnly) {
    write(out, plan, planOnly, h -> null);
  }

  /**
   * As {@link #write(PrintWriter, TransplantPlan, boolean)}, with the parts of the API each
   * weight's detail and each unused weight's reason name (their {@code hints}) in a front end's
   * terms: the library words them in API terms ({@code Adaptations.inputChannels}), which {@code
   * spelling} may respell in its own (the CLI's {@code --adapt input-channels}; see {@link
   * Hint#respell}).
   *
   * @param spelling a front end's spelling of a hint, or null to keep its API name
   */
  public static void write(
      PrintWriter out, TransplantPlan plan, boolean planOnly, Function<Hint, String> spelling) {
    println(
        out,
        (planOnly ? "Plan" : "Transplant")
            + ": match "
            + plan.strategy().label()
            + (plan.adaptations().labels().isEmpty()
                ? ""
                : ", adapt " + String.join(",", plan.adaptations().labels()))
            + ", scheme "
            + plan.scheme()
            + ", seed "
            + plan.seed()
            + ": "
            + summary(plan)
            + (planOnly ? " (nothing written)" : ""));
    TextTable t = new TextTable("Layer", "Weight", "Shape", "Action", "Source", "Detail");
    for (Entry e : plan.entries()) {
      t.row(
          e.target().layerPath(),
          e.target().weight().shortName(),
          e.target().weight().shape().toString(),
          e.action().label(),
          e.source() == null
              ? null
              : e.source().layerPath() + "/" + e.source().weight().shortName(),
          Hint.respell(e.detail(), List.copyOf(e.hints()), spelling));
    }
    t.print(out, "  ");
    if (!plan.unused().isEmpty()) {
      println(out, "Source weights left unused (" + plan.unused().size() + ")");
      TextTable u = new TextTable("Layer", "Weight", "Shape", "Reason");
      for (Unused x : plan.unused()) {
        u.row(
            x.source().layerPath(),
            x.source().weight().shortName(),
            x.source().weight().shape().toString(),
            Hint.respell(x.reason(), List.copyOf(x.hints()), spelling));
      }
      u.print(out, "  ");
    }
    if (!plan.frozen().isEmpty()) {
      println(out, "Frozen (trainable: false): " + String.join(", ", plan.frozen()));
    }
  }

  /** The plan as a string, lines ending as {@link PrintWriter#println()} ends them. */
  public static String render(TransplantPlan plan, boolean planOnly) {
    StringWriter s = new StringWriter();
    PrintWriter out = new PrintWriter(s);
    write(out, plan, planOnly);
    out.flush();
    return s.toString();
  }

  /**
   * One line: how many weights are loaded, adapted, initialized, skipped, and source weights
   * unused.
   */
  public static String summary(TransplantPlan p) {
    return String.format(
        Locale.ROOT,
        "%d loaded, %d adapted, %d initialized, %d skipped; %d source weights unused",
        p.count(Action.LOADED),
        p.count(Action.ADAPTED),
        p.count(Action.INITIALIZED),
        p.count(Action.SKIPPED),
        p.unused().size());
  }

  private static void println(PrintWriter out, String line) {
    out.println(TerminalText.escape(line));
  }
}
