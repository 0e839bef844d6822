package dev.initkit.cli.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.ModelIO.ReadOptions;
import dev.initkit.cli.AbstractCommand;
import dev.initkit.cli.CommonOptions;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.cli.TerminalText;
import dev.initkit.cli.TextTable;
import dev.initkit.cli.VersionProvider;
import dev.initkit.init.InitializerSpec;
import dev.initkit.model.LoadedModel;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code initkit report FILE}: how every weight is and should be initialized, with warnings and a
 * data-free estimate of activation variance through depth (see {@link InitReport}).
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Report how every weight is, and should be, initialized; warn; estimate variance through depth.",
      "Per weight: the configured initializer (canonical and as written), Keras's fan_in/fan_out,"
          + " the std it implies, the observed mean/std/min/max and zeros, their ratio, the scheme the"
          + " activation calls for, and warnings.",
      "At model level: a data-free estimate of the activation variance through depth"
          + " (Var_out = fan_in * E[W^2] * gain^2 * Var_in), under the configured initializers and"
          + " from the stored weights."
    })
public final class ReportCommand extends AbstractCommand {
  /** Roles whose recommendations the text report lists (biases and normalisation are routine). */
  private static final Set<WeightRole> KERNEL_ROLES = Set.of(WeightRole.KERNEL, WeightRole.DEPTHWISE_KERNEL,
      WeightRole.POINTWISE_KERNEL, WeightRole.RECURRENT_KERNEL, WeightRole.EMBEDDINGS);

  @Parameters(index = "0", paramLabel = "FILE", description = "The model (.keras, .h5, .weights.h5, ...).")
  Path file;

  @Mixin CommonOptions.ArchitectureConfig config;

  // the shared options' order: listed between --config and --force, as declared
  @Option(names = "--markdown", order = CommonOptions.TAIL_ORDER, description = "Print Markdown tables instead of plain text.")
  boolean markdown;

  @Option(names = "--html", order = CommonOptions.TAIL_ORDER, paramLabel = "OUT.html",
      description = "Also write analyze's HTML report of the stored weights (per layer activation std, gradient norm and"
          + " histograms; DL4J on a standard-normal batch, in a separate JVM).")
  Path html;

  @Mixin CommonOptions.Force force;

  /** {@inheritDoc} */
  @Override
  protected int run() throws Exception {
    if (markdown && output.json()) {
      throw usage("--markdown and --json cannot be combined");
    }
    ReadOptions options = config.readOptions();
    if (html != null) {
      writeHtml(options); // first: a model DL4J cannot run fails before anything is printed
    }
    InitReport report;
    String format;
    try (LoadedModel loaded = ModelIO.open(file, options)) {
      format = InspectCommand.formatName(loaded.model());
      report = InitReport.of(loaded, OpsSupport.progress(err(), !output.quiet() && !output.json(), "reading"));
    }
    if (output.json()) {
      JsonOutput.write(out(), toJson(report, format));
    } else {
      print(out(), report, format, markdown);
      out().flush();
    }
    return ExitCodes.OK;
  }

  private void writeHtml(ReadOptions options) throws java.io.IOException {
    checkOutput(html, file, config.path());
    OpsSupport.refuseExisting(html, force.on());
    dev.initkit.analysis.Analysis.Settings s = new dev.initkit.analysis.Analysis.Settings(options, null, 256,
        dev.initkit.ops.Reinitializer.DEFAULT_SEED, AnalysisSupport.launch(600),
        AnalysisSupport.progress(err(), !output.quiet() && !output.json()));
    var analyses = dev.initkit.analysis.Analysis.analyze(file, java.util.List.of(dev.initkit.analysis.Analysis.FILE),
        dev.initkit.analysis.Analysis.lsuvDefaults(), s);
    dev.initkit.analysis.HtmlReport.write(html, file.getFileName().toString(), analyses, null, force.on());
    info("wrote " + html);
  }

  // ------------------------------------------------------------------------------------------
  // JSON

  private ObjectNode toJson(InitReport r, String format) {
    Model m = r.model();
    ObjectNode doc = JsonOutput.success("report");
    doc.put("file", file.toString());
    doc.put("format", format);
    doc.put("kerasVersion", m.kerasVersion().orElse(null));
    doc.put("configForm", OpsSupport.configForm(m));
    ObjectNode totals = doc.putObject("totals");
    totals.put("weights", r.weights().size());
    totals.put("warnings", r.warnings().size());
    totals.put("reluLayers", r.reluLayers());
    ArrayNode weights = doc.putArray("weights");
    for (WeightEntry e : r.weights()) {
      weights.add(weightJson(e));
    }
    ArrayNode warnings = doc.putArray("warnings");
    for (Warning w : r.warnings()) {
      warnings.add(warningJson(w));
    }
    ArrayNode advice = doc.putArray("advice");
    for (Warning w : r.advice()) {
      advice.add(warningJson(w));
    }
    ObjectNode depth = doc.putObject("depth");
    depth.put("assumptions", InitReport.DEPTH_ASSUMPTIONS);
    depth.put("vanishingBelow", InitReport.VANISHING);
    depth.put("explodingAbove", InitReport.EXPLODING);
    depth.set("configured", depthJson(r.configuredDepth()));
    depth.set("observed", depthJson(r.observedDepth()));
    return doc;
  }

  private static ObjectNode weightJson(WeightEntry e) {
    ObjectNode o = JsonOutput.nodes().objectNode();
    o.put("layer", e.site().layerPath());
    o.put("className", e.className().isEmpty() ? null : e.className());
    o.put("activation", e.activation());
    o.put("followingActivation", e.followingActivation());
    o.put("weight", e.weight().name());
    o.put("role", e.weight().role().label());
    o.set("shape", OpsSupport.shape(e.weight().shape()));
    o.put("dtype", e.weight().dtype().kerasName());
    o.put("depth", e.site().depth());
    o.put("head", e.site().head());
    o.put("trainable", e.site().layer().trainable());
    ConfiguredInitializer c = e.configured();
    ObjectNode init = o.putObject("initializer");
    InitializerSpec s = c.spec();
    init.put("canonical", s == null ? null : s.canonicalName());
    init.put("describe", s == null ? null : s.describe());
    init.put("commandLine", s == null || s instanceof InitializerSpec.Custom ? null : s.toSpecString());
    init.put("source", c.source().name().toLowerCase(Locale.ROOT));
    init.put("key", c.key());
    init.set("asWritten", c.asWritten());
    init.put("kerasLoadable", s == null ? null : s.kerasLoadable());
    init.put("unitForgetBias", c.unitForgetBias());
    ArrayNode notes = init.putArray("notes");
    e.notes().forEach(notes::add);
    if (e.fans() == null) {
      o.putNull("fanIn");
      o.putNull("fanOut");
    } else {
      o.put("fanIn", e.fans().fanIn());
      o.put("fanOut", e.fans().fanOut());
    }
    if (e.quantization() == null) {
      o.putNull("quantization");
    } else {
      ObjectNode qn = o.putObject("quantization");
      qn.put("mode", e.quantization().mode());
      qn.put("policy", e.quantization().policy());
      qn.put("part", e.quantization().part(e.weight().shortName()).name().toLowerCase(Locale.ROOT));
      qn.put("describe", e.quantization().describe(e.weight().shortName(), e.weight().dtype()));
    }
    OpsSupport.put(o, "expectedMean", e.expectedMean());
    OpsSupport.put(o, "expectedStd", e.expectedStd());
    TensorStats t = e.observed();
    if (t == null) {
      o.putNull("observed");
    } else {
      ObjectNode ob = o.putObject("observed");
      ob.put("count", t.count());
      OpsSupport.put(ob, "mean", t.mean());
      OpsSupport.put(ob, "std", t.std());
      OpsSupport.put(ob, "min", t.min());
      OpsSupport.put(ob, "max", t.max());
      OpsSupport.put(ob, "zeroFraction", t.zeroFraction());
      ob.put("nonFinite", t.nonFinite());
    }
    OpsSupport.put(o, "stdRatio", e.stdRatio());
    ObjectNode rec = o.putObject("recommended");
    rec.set("initializer", OpsSupport.specJson(e.recommended()));
    rec.put("reason", e.recommendedReason());
    rec.put("met", e.recommendationMet());
    ArrayNode ws = o.putArray("warnings");
    for (Warning w : e.warnings()) {
      ObjectNode wo = ws.addObject();
      wo.put("code", w.code());
      wo.put("message", w.message());
    }
    return o;
  }

  private static ObjectNode warningJson(Warning w) {
    ObjectNode o = JsonOutput.nodes().objectNode();
    o.put("code", w.code());
    o.put("layer", w.layerPath());
    o.put("weight", w.weight());
    o.put("message", w.message());
    return o;
  }

  private static ObjectNode depthJson(DepthEstimate d) {
    ObjectNode o = JsonOutput.nodes().objectNode();
    ArrayNode steps = o.putArray("steps");
    for (DepthStep s : d.steps()) {
      ObjectNode so = steps.addObject();
      so.put("layer", s.layerPath());
      so.put("className", s.className().isEmpty() ? null : s.className());
      so.put("activation", s.activation());
      OpsSupport.put(so, "fanIn", s.fanIn());
      OpsSupport.put(so, "weightMeanSquare", s.weightMeanSquare());
      OpsSupport.put(so, "gain2", s.gain2());
      OpsSupport.put(so, "variance", s.variance());
      OpsSupport.put(so, "mean", s.mean());
      OpsSupport.put(so, "std", Double.isNaN(s.mean()) ? Double.NaN : s.std());
      OpsSupport.put(so, "gradient", s.gradient());
      if (!d.inputs().isEmpty()) {
        ArrayNode in = so.putArray("inputs");
        d.inputsOf(s).forEach(in::add);
      } else {
        so.putNull("inputs");
      }
      so.put("note", s.note());
    }
    OpsSupport.put(o, "finalVariance", d.finalVariance());
    o.put("status", d.status());
    o.put("firstOutOfRange", d.firstOutOfRange());
    return o;
  }

  // ------------------------------------------------------------------------------------------
  // text and Markdown

  private interface Table {
    void row(String... cells);

    void print();
  }

  /** The report as a text table, or as Markdown ({@code md}): the same sections either way. */
  private void print(PrintWriter out, InitReport r, String format, boolean md) {
    header(out, r, format, md);
    section(out, "Weights", md);
    Table t = table(out, md, "Layer", "Weight", "Role", "Shape", "Configured", ">fan_in", ">fan_out", ">exp std",
        ">mean", ">std", ">min", ">max", ">zeros", ">ratio", "Recommended");
    weightRows(t, r);
    t.print();
    quantized(out, r, md);
    recommendations(out, r, md);
    warnings(out, r, md);
    depth(out, r.configuredDepth(), md);
    depth(out, r.observedDepth(), md);
  }

  private void header(PrintWriter out, InitReport r, String format, boolean md) {
    Model m = r.model();
    String form = OpsSupport.configForm(m);
    String line = file + " (" + format + (m.kerasVersion().isPresent() ? ", Keras " + m.kerasVersion().get() : "")
        + (form == null ? ", no config: Keras defaults assumed" : ", " + form + " config") + ")";
    if (md) {
      out.println("# Initialization report: `" + file + "`");
      out.println();
      out.println("- format: " + format + (m.kerasVersion().isPresent() ? ", Keras " + m.kerasVersion().get() : ""));
      out.println("- config: " + (form == null ? "none (Keras defaults assumed)" : form));
      out.println("- weights: " + r.weights().size() + ", warnings: " + r.warnings().size());
    } else {
      out.println("Report: " + line);
      out.println("Weights: " + r.weights().size() + ", warnings: " + r.warnings().size());
    }
  }

  private static void section(PrintWriter out, String title, boolean md) {
    out.println();
    out.println(md ? "## " + title : title);
    if (md) {
      out.println();
    }
  }

  private static void weightRows(Table t, InitReport r) {
    for (WeightEntry e : r.weights()) {
      TensorStats s = e.observed();
      InitializerSpec c = e.configured().spec();
      String configured = c == null
          ? (e.configured().source() == ConfiguredInitializer.Source.INVALID ? "invalid" : "-")
          : c.describe() + (e.configured().source() == ConfiguredInitializer.Source.DEFAULT ? " (default)" : "")
              + (e.configured().unitForgetBias() ? " + forget-gate ones" : "");
      t.row(e.site().layerPath(), e.weight().shortName(), e.weight().role().label(), e.weight().shape().toString(),
          configured,
          e.fans() == null ? "-" : Long.toString(e.fans().fanIn()), e.fans() == null ? "-" : Long.toString(e.fans().fanOut()),
          OpsSupport.num(e.expectedStd()),
          s == null ? "-" : OpsSupport.num(s.mean()), s == null ? "-" : OpsSupport.num(s.std()),
          s == null ? "-" : OpsSupport.num(s.min()), s == null ? "-" : OpsSupport.num(s.max()),
          s == null ? "-" : OpsSupport.percent(s.zeroFraction()), OpsSupport.num(e.stdRatio()),
          e.quantization() != null && e.recommended() == null ? "keep (quantized " + e.quantization().mode() + ")"
              : e.recommended() == null ? "keep" : e.recommended().describe());
    }
  }

  /** Quantized layers' weights: what is stored (codes, scales) instead of fans and spreads. */
  private void quantized(PrintWriter out, InitReport r, boolean md) {
    List<WeightEntry> q = r.weights().stream().filter(e -> e.quantization() != null).toList();
    if (q.isEmpty()) {
      return;
    }
    section(out, "Quantized weights (Keras model.quantize: kept as stored; reinit and set-init refuse them)", md);
    Table t = table(out, md, "Layer", "Weight", "Stored", "Shape", "Mode", "Policy", "What");
    for (WeightEntry e : q) {
      t.row(e.site().layerPath(), e.weight().shortName(), e.weight().dtype().kerasName(), e.weight().shape().toString(),
          e.quantization().mode(), e.quantization().policy(), e.quantization().describe(e.weight().shortName(), e.weight().dtype()));
    }
    t.print();
  }

  private static void recommendations(PrintWriter out, InitReport r, boolean md) {
    List<String[]> rows = new ArrayList<>();
    for (WeightEntry e : r.weights()) {
      if (Boolean.FALSE.equals(e.recommendationMet()) && KERNEL_ROLES.contains(e.weight().role())) {
        rows.add(new String[] {e.site().layerPath() + "/" + e.weight().shortName(),
            e.recommended().describe(), e.recommendedReason()});
      }
    }
    section(out, "Recommendations (kernels whose configured variance differs from what the activation calls for)", md);
    if (rows.isEmpty()) {
      out.println(md ? "None." : "  (none)");
      return;
    }
    Table t = table(out, md, "Weight", "Recommended", "Why");
    rows.forEach(t::row);
    t.print();
  }

  private static void warnings(PrintWriter out, InitReport r, boolean md) {
    section(out, "Warnings (" + r.warnings().size() + ")", md);
    if (r.warnings().isEmpty()) {
      out.println(md ? "None." : "  (none)");
      return;
    }
    lines(out, r.warnings(), md);
    if (!r.advice().isEmpty()) {
      section(out, "Advice for this architecture (" + r.advice().size() + ")", md);
      lines(out, r.advice(), md);
    }
  }

  private static void lines(PrintWriter out, List<Warning> ws, boolean md) {
    for (Warning w : ws) {
      String where = w.layerPath() == null ? "model" : w.layerPath() + (w.weight() == null ? "" : "/" + w.weight());
      out.println((md ? "- `" + where + "` **" + w.code() + "**: " : "  " + where + ": " + w.code() + ": ") + w.message());
    }
  }

  private static void depth(PrintWriter out, DepthEstimate d, boolean md) {
    section(out, "Signal through depth (" + d.basis() + " weights)", md);
    if (d.steps().isEmpty()) {
      out.println(md ? "No layer estimated." : "  (no layer estimated)");
      return;
    }
    Table t = table(out, md, "Layer", "Class", "Activation", ">fan_in", ">E[W^2]", ">gain^2", ">E[x^2] out", ">std out",
        ">E[g^2] out", "Note");
    for (DepthStep s : d.steps()) {
      t.row(s.layerPath(), s.className(), s.activation(), OpsSupport.num(s.fanIn()), OpsSupport.num(s.weightMeanSquare()),
          OpsSupport.num(s.gain2()), OpsSupport.num(s.variance()), OpsSupport.num(Double.isNaN(s.mean()) ? Double.NaN : s.std()),
          OpsSupport.num(s.gradient()), s.note());
    }
    t.print();
    String end = "E[x^2] at the output " + OpsSupport.num(d.finalVariance()) + ": " + d.status()
        + (d.firstOutOfRange() == null ? "" : " (leaves [" + OpsSupport.num(InitReport.VANISHING) + ", "
            + OpsSupport.num(InitReport.EXPLODING) + "] at " + d.firstOutOfRange() + ")");
    if (md) {
      out.println(); // a paragraph after the table; out escapes line breaks inside printed text
    }
    out.println(md ? end : "  " + end);
    if (d.basis().equals("observed")) {
      if (md) {
        out.println();
      }
      out.println(md ? "_" + InitReport.DEPTH_ASSUMPTIONS + "._" : "  (" + InitReport.DEPTH_ASSUMPTIONS + ")");
    }
  }

  private static Table table(PrintWriter out, boolean md, String... headers) {
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
        out.println(h);
        out.println(rule);
        for (String[] r : rows) {
          StringBuilder b = new StringBuilder("|");
          for (String c : r) {
            b.append(' ').append(cell(c == null ? "-" : c)).append(" |");
          }
          out.println(b);
        }
      }
    };
  }

  /** A Markdown table cell: one line whatever the writer, and no {@code |} ending it early. */
  private static String cell(String s) {
    return TerminalText.escape(s).replace("|", "\\|");
  }
}
