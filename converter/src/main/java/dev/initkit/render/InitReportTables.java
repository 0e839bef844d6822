package dev.initkit.render;

import dev.initkit.init.InitializerSpec;
import dev.initkit.model.Model;
import dev.initkit.model.WeightRole;
import dev.initkit.ops.ConfiguredInitializer;
import dev.initkit.ops.InitReport;
import dev.initkit.ops.InitReport.DepthEstimate;
import dev.initkit.ops.InitReport.DepthStep;
import dev.initkit.ops.InitReport.Warning;
import dev.initkit.ops.InitReport.WeightEntry;
import dev.initkit.ops.TensorStats;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The sections {@link InitReportText} and {@link InitReportMarkdown} share: the same tables either
 * way, as aligned plain text or as Markdown. Every line is written through {@link
 * TerminalText#escape}, so a name from a model file cannot break a line or a table.
 */
final class InitReportTables {
  /** Roles whose recommendations the report lists (biases and normalisation are routine). */
  private static final Set<WeightRole> KERNEL_ROLES =
      Set.of(
          WeightRole.KERNEL,
          WeightRole.DEPTHWISE_KERNEL,
          WeightRole.POINTWISE_KERNEL,
          WeightRole.RECURRENT_KERNEL,
          WeightRole.EMBEDDINGS);

  private final PrintWriter out;
  private final boolean md;

  private InitReportTables(PrintWriter out, boolean md) {
    this.out = out;
    this.md = md;
  }

  private interface Table {
    void row(String... cells);

    void print();
  }

  /** The report as a text table, or as Markdown ({@code md}): the same sections either way. */
  static void write(PrintWriter out, InitReport r, String file, boolean md) {
    new InitReportTables(out, md).print(r, file);
  }

  /** {@link #write} to a string, lines ending as {@link PrintWriter#println()} ends them. */
  static String render(InitReport r, String file, boolean md) {
    java.io.StringWriter s = new java.io.StringWriter();
    PrintWriter out = new PrintWriter(s);
    write(out, r, file, md);
    out.flush();
    return s.toString();
  }

  private void println(String line) {
    out.println(TerminalText.escape(line));
  }

  private void println() {
    out.println();
  }

  private void print(InitReport r, String file) {
    header(r, file);
    section("Weights");
    Table t =
        table(
            "Layer",
            "Weight",
            "Role",
            "Shape",
            "Configured",
            ">fan_in",
            ">fan_out",
            ">exp std",
            ">mean",
            ">std",
            ">min",
            ">max",
            ">zeros",
            ">ratio",
            "Recommended");
    weightRows(t, r);
    t.print();
    quantized(r);
    recommendations(r);
    warnings(r);
    depth(r.configuredDepth());
    depth(r.observedDepth());
  }

  private void header(InitReport r, String file) {
    Model m = r.model();
    String format = Labels.format(m);
    String form = Labels.configForm(m);
    String line =
        file
            + " ("
            + format
            + (m.kerasVersion().isPresent() ? ", Keras " + m.kerasVersion().get() : "")
            + (form == null ? ", no config: Keras defaults assumed" : ", " + form + " config")
            + ")";
    if (md) {
      println("# Initialization report: `" + file + "`");
      println();
      println(
          "- format: "
              + format
              + (m.kerasVersion().isPresent() ? ", Keras " + m.kerasVersion().get() : ""));
      println("- config: " + (form == null ? "none (Keras defaults assumed)" : form));
      println("- weights: " + r.weights().size() + ", warnings: " + r.warnings().size());
    } else {
      println("Report: " + line);
      println("Weights: " + r.weights().size() + ", warnings: " + r.warnings().size());
    }
  }

  private void section(String title) {
    println();
    println(md ? "## " + title : title);
    if (md) {
      println();
    }
  }

  private static void weightRows(Table t, InitReport r) {
    for (WeightEntry e : r.weights()) {
      TensorStats s = e.observed();
      InitializerSpec c = e.configured().spec();
      String configured =
          c == null
              ? (e.configured().source() == ConfiguredInitializer.Source.INVALID ? "invalid" : "-")
              : c.describe()
                  + (e.configured().source() == ConfiguredInitializer.Source.DEFAULT
                      ? " (default)"
                      : "")
                  + (e.configured().unitForgetBias() ? " + forget-gate ones" : "");
      t.row(
          e.site().layerPath(),
          e.weight().shortName(),
          e.weight().role().label(),
          e.weight().shape().toString(),
          configured,
          e.fans() == null ? "-" : Long.toString(e.fans().fanIn()),
          e.fans() == null ? "-" : Long.toString(e.fans().fanOut()),
          Numbers.num(e.expectedStd()),
          s == null ? "-" : Numbers.num(s.mean()),
          s == null ? "-" : Numbers.num(s.std()),
          s == null ? "-" : Numbers.num(s.min()),
          s == null ? "-" : Numbers.num(s.max()),
          s == null ? "-" : Numbers.percent(s.zeroFraction()),
          Numbers.num(e.stdRatio()),
          e.quantization() != null && e.recommended() == null
              ? "keep (quantized " + e.quantization().mode() + ")"
              : e.recommended() == null ? "keep" : e.recommended().describe());
    }
  }

  /** Quantized layers' weights: what is stored (codes, scales) instead of fans and spreads. */
  private void quantized(InitReport r) {
    List<WeightEntry> q = r.weights().stream().filter(e -> e.quantization() != null).toList();
    if (q.isEmpty()) {
      return;
    }
    section(
        "Quantized weights (Keras model.quantize: kept as stored; reinit and set-init refuse them)");
    Table t = table("Layer", "Weight", "Stored", "Shape", "Mode", "Policy", "What");
    for (WeightEntry e : q) {
      t.row(
          e.site().layerPath(),
          e.weight().shortName(),
          e.weight().dtype().kerasName(),
          e.weight().shape().toString(),
          e.quantization().mode(),
          e.quantization().policy(),
          e.quantization().describe(e.weight().shortName(), e.weight().dtype()));
    }
    t.print();
  }

  private void recommendations(InitReport r) {
    List<String[]> rows = new ArrayList<>();
    for (WeightEntry e : r.weights()) {
      if (Boolean.FALSE.equals(e.recommendationMet()) && KERNEL_ROLES.contains(e.weight().role())) {
        rows.add(
            new String[] {
              e.site().layerPath() + "/" + e.weight().shortName(),
              e.recommended().describe(),
              e.recommendedReason()
            });
      }
    }
    section(
        "Recommendations (kernels whose configured variance differs from what the activation calls for)");
    if (rows.isEmpty()) {
      println(md ? "None." : "  (none)");
      return;
    }
    Table t = table("Weight", "Recommended", "Why");
    rows.forEach(t::row);
    t.print();
  }

  private void warnings(InitReport r) {
    section("Warnings (" + r.warnings().size() + ")");
    if (r.warnings().isEmpty()) {
      println(md ? "None." : "  (none)");
      return;
    }
    lines(r.warnings());
    if (!r.advice().isEmpty()) {
      section("Advice for this architecture (" + r.advice().size() + ")");
      lines(r.advice());
    }
  }

  private void lines(List<Warning> ws) {
    for (Warning w : ws) {
      String where =
          w.layerPath() == null
              ? "model"
              : w.layerPath() + (w.weight() == null ? "" : "/" + w.weight());
      println(
          (md ? "- `" + where + "` **" + w.code() + "**: " : "  " + where + ": " + w.code() + ": ")
              + w.message());
    }
  }

  private void depth(DepthEstimate d) {
    section("Signal through depth (" + d.basis() + " weights)");
    if (d.steps().isEmpty()) {
      println(md ? "No layer estimated." : "  (no layer estimated)");
      return;
    }
    Table t =
        table(
            "Layer",
            "Class",
            "Activation",
            ">fan_in",
            ">E[W^2]",
            ">gain^2",
            ">E[x^2] out",
            ">std out",
            ">E[g^2] out",
            "Note");
    for (DepthStep s : d.steps()) {
      t.row(
          s.layerPath(),
          s.className(),
          s.activation(),
          Numbers.num(s.fanIn()),
          Numbers.num(s.weightMeanSquare()),
          Numbers.num(s.gain2()),
          Numbers.num(s.variance()),
          Numbers.num(Double.isNaN(s.mean()) ? Double.NaN : s.std()),
          Numbers.num(s.gradient()),
          s.note());
    }
    t.print();
    String end =
        "E[x^2] at the output "
            + Numbers.num(d.finalVariance())
            + ": "
            + d.status()
            + (d.firstOutOfRange() == null
                ? ""
                : " (leaves ["
                    + Numbers.num(InitReport.VANISHING)
                    + ", "
                    + Numbers.num(InitReport.EXPLODING)
                    + "] at "
                    + d.firstOutOfRange()
                    + ")");
    if (md) {
      println(); // a paragraph after the table
    }
    println(md ? end : "  " + end);
    if (d.basis().equals("observed")) {
      if (md) {
        println();
      }
      println(
          md
              ? "_" + InitReport.DEPTH_ASSUMPTIONS + "._"
              : "  (" + InitReport.DEPTH_ASSUMPTIONS + ")");
    }
  }

  private Table table(String... headers) {
    if (!md) {
      TextTable t = new TextTable(headers);
      return new Table() {
        @Override
        public void row(String... cells) {
          t.row(cells);
        }

        @Override
        public void print() {
          t.print(out, "  ");
        }
      };
    }
    List<String[]> rows = new ArrayList<>();
    return new Table() {
      @Override
      public void row(String... cells) {
        rows.add(cells);
      }

      @Override
      public void print() {
        StringBuilder h = new StringBuilder("|");
        StringBuilder rule = new StringBuilder("|");
        for (String x : headers) {
          boolean right = x.startsWith(">");
          h.append(' ').append(cell(right ? x.substring(1) : x)).append(" |");
          rule.append(right ? " ---: |" : " --- |");
        }
        println(h.toString());
        println(rule.toString());
        for (String[] r : rows) {
          StringBuilder b = new StringBuilder("|");
          for (String c : r) {
            b.append(' ').append(cell(c == null ? "-" : c)).append(" |");
          }
          println(b.toString());
        }
      }
    };
  }

  /** A Markdown table cell: one line whatever the writer, and no {@code |} ending it early. */
  private static String cell(String s) {
    return TerminalText.escape(s).replace("|", "\\|");
  }
}
