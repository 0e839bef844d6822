package dev.initkit.analysis;

import dev.initkit.internal.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One self-contained HTML file (no network: inline CSS, SVG and a few lines of JavaScript):
 * activation std and kernel gradient norm across depth per scheme, kernel histograms per layer,
 * and, after a comparison, the loss and accuracy curves and the time to the target accuracy.
 * Clicking a scheme in a legend hides or shows it. Stateless.
 */
public final class HtmlReport {
  private static final String[] COLORS = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"
  };
  private static final int W = 760;
  private static final int H = 300;
  private static final int ML = 70;
  private static final int MR = 20;
  private static final int MT = 30;
  private static final int MB = 60;

  /** The suffix of a scheme's estimated series, drawn dashed in its colour. */
  private static final String ESTIMATE = " (estimate)";

  private HtmlReport() {}

  /**
   * Writes the report atomically.
   *
   * @param title what it is about (the model file)
   * @param analyses per scheme statistics (may be empty)
   * @param runs training curves, or null
   * @param overwrite replace an existing file
   */
  public static void write(
      Path out,
      String title,
      List<SchemeAnalysis> analyses,
      List<TrainingRun> runs,
      boolean overwrite)
      throws IOException {
    String html = render(title, analyses, runs);
    AtomicFiles.write(out, overwrite, tmp -> Files.writeString(tmp, html, StandardCharsets.UTF_8));
  }

  /** The report's text. */
  public static String render(String title, List<SchemeAnalysis> analyses, List<TrainingRun> runs) {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>initkit: ")
        .append(esc(title))
        .append("</title>\n<style>\n")
        .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}")
        .append("h1{font-size:22px}h2{font-size:18px;margin-top:32px}")
        .append(
            "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
        .append(
            "th{background:#f3f3f3}td.l{text-align:left}.legend span{cursor:pointer;margin-right:14px;user-select:none}")
        .append(
            ".legend span.off{opacity:.3}.hist{display:inline-block;margin:4px;text-align:center;font-size:11px}")
        .append(".mark-vanishing{color:#b00}.mark-exploding{color:#b60}svg text{font-size:11px}")
        .append("\n</style></head>\n<body>\n<h1>initkit: ")
        .append(esc(title))
        .append("</h1>\n");
    List<String> schemes = new ArrayList<>();
    analyses.forEach(a -> schemes.add(a.scheme()));
    if (runs != null) {
      runs.forEach(
          r -> {
            if (!schemes.contains(r.scheme())) {
              schemes.add(r.scheme());
            }
          });
    }
    b.append("<p class=\"legend\" id=\"legend\">");
    for (String s : schemes) {
      b.append("<span data-scheme=\"")
          .append(esc(s))
          .append("\" style=\"color:")
          .append(color(schemes, s))
          .append("\">&#9632; ")
          .append(esc(s))
          .append("</span>");
    }
    b.append(
            "</p>\n<p>Click a scheme to hide or show it. Marks: a layer is <em>vanishing</em> when its output std falls below ")
        .append(Marks.VANISH)
        .append(" of the input's or its kernel gradient norm below ")
        .append(Marks.VANISH)
        .append(" of the last layer's, <em>exploding</em> above ")
        .append(fmt(Marks.EXPLODE))
        .append(" times.</p>\n");
    if (!analyses.isEmpty()) {
      List<String> names = analyses.get(0).layers().stream().map(LayerStats::name).toList();
      Map<String, double[]> std = new LinkedHashMap<>();
      Map<String, double[]> grad = new LinkedHashMap<>();
      boolean estimated = false;
      for (SchemeAnalysis a : analyses) {
        std.put(a.scheme(), a.layers().stream().mapToDouble(LayerStats::outputStd).toArray());
        grad.put(a.scheme(), a.layers().stream().mapToDouble(LayerStats::gradNorm).toArray());
      }
      for (SchemeAnalysis a : analyses) {
        if (!a.estimatedStd().isEmpty()) {
          // report's data-free estimate for a standard-normal input, scaled to the batch's std
          std.put(
              a.scheme() + ESTIMATE,
              a.layers().stream()
                  .mapToDouble(
                      l -> a.estimatedStd().getOrDefault(l.name(), Double.NaN) * a.inputStd())
                  .toArray());
          estimated = true;
        }
      }
      b.append("<h2>Activation std across depth</h2>\n");
      if (estimated) {
        b.append(
            "<p>Dashed: what <code>report</code> estimates without data (its depth estimate on each scheme's weights,"
                + " for a standard-normal input times the batch's std); solid: measured on the batch.</p>\n");
      }
      b.append(chart(names, std, schemes, true, "layer", "output std (log)"));
      b.append("<h2>Kernel gradient norm across depth</h2>\n")
          .append(chart(names, grad, schemes, true, "layer", "grad norm (log)"));
      for (SchemeAnalysis a : analyses) {
        b.append("<h2 data-scheme=\"")
            .append(esc(a.scheme()))
            .append("\">Scheme ")
            .append(esc(a.scheme()))
            .append("</h2>\n")
            .append("<div data-scheme=\"")
            .append(esc(a.scheme()))
            .append("\"><p>input std ")
            .append(fmt(a.inputStd()))
            .append(", loss ")
            .append(esc(a.loss()))
            .append(" = ")
            .append(fmt(a.lossValue()))
            .append(a.gradientError() == null ? "" : "; no gradients: " + esc(a.gradientError()))
            .append("</p>\n")
            .append(
                "<table><tr><th>layer</th><th>class</th><th>activation</th><th>mean</th><th>std</th><th>dead</th>")
            .append("<th>saturated</th><th>grad norm</th><th>mark</th></tr>\n");
        for (LayerStats l : a.layers()) {
          b.append("<tr><td class=\"l\">")
              .append(esc(l.name()))
              .append("</td><td class=\"l\">")
              .append(esc(l.className()))
              .append("</td><td class=\"l\">")
              .append(esc(String.valueOf(l.activation())))
              .append("</td><td>")
              .append(fmt(l.outputMean()))
              .append("</td><td>")
              .append(fmt(l.outputStd()))
              .append("</td><td>")
              .append(pct(l.deadFraction()))
              .append("</td><td>")
              .append(pct(l.saturatedFraction()))
              .append("</td><td>")
              .append(fmt(l.gradNorm()))
              .append("</td><td class=\"mark-")
              .append(l.mark() == null ? "none" : l.mark())
              .append("\">")
              .append(l.mark() == null ? "" : l.mark())
              .append("</td></tr>\n");
        }
        b.append("</table>\n<details open><summary>Kernel histograms</summary>\n");
        for (LayerStats l : a.layers()) {
          if (!l.weights().isEmpty()) {
            b.append(histogram(l.name(), l.weights().get(0), color(schemes, a.scheme())));
          }
        }
        b.append("</details></div>\n");
      }
    }
    if (runs != null && !runs.isEmpty()) {
      int epochs = runs.stream().mapToInt(r -> r.epochs().size()).max().orElse(0);
      List<String> xs = new ArrayList<>();
      for (int e = 0; e <= epochs; e++) {
        xs.add(Integer.toString(e));
      }
      Map<String, double[]> loss = new LinkedHashMap<>();
      Map<String, double[]> acc = new LinkedHashMap<>();
      for (TrainingRun r : runs) {
        double[] l = new double[epochs + 1];
        double[] a = new double[epochs + 1];
        java.util.Arrays.fill(l, Double.NaN);
        java.util.Arrays.fill(a, Double.NaN);
        l[0] = r.initialTrainLoss();
        a[0] = r.initialTestAccuracy();
        for (TrainingRun.Epoch e : r.epochs()) {
          l[e.epoch()] = e.trainLoss();
          a[e.epoch()] = e.testAccuracy();
        }
        loss.put(r.scheme(), l);
        acc.put(r.scheme(), a);
      }
      List<String> outputs =
          runs.stream()
              .map(TrainingRun::outputs)
              .filter(o -> !o.isEmpty())
              .findFirst()
              .orElse(List.of());
      b.append("<h2>Training loss per epoch</h2>\n");
      if (!outputs.isEmpty()) {
        b.append("<p>The sum of each output's categorical cross-entropy: ")
            .append(esc(String.join(" + ", outputs)))
            .append(", charted one by one below.</p>\n");
      }
      b.append(chart(xs, loss, schemes, false, "epoch", "train loss"));
      for (int j = 0; j < outputs.size(); j++) {
        Map<String, double[]> part = new LinkedHashMap<>();
        for (TrainingRun r : runs) {
          double[] l = new double[epochs + 1];
          java.util.Arrays.fill(l, Double.NaN);
          if (j < r.initialOutputLosses().size()) {
            l[0] = r.initialOutputLosses().get(j);
          }
          for (TrainingRun.Epoch e : r.epochs()) {
            if (j < e.outputTrainLosses().size()) {
              l[e.epoch()] = e.outputTrainLosses().get(j);
            }
          }
          part.put(r.scheme(), l);
        }
        b.append("<h2 data-output=\"")
            .append(esc(outputs.get(j)))
            .append("\">Training loss of output ")
            .append(esc(outputs.get(j)))
            .append(" per epoch</h2>\n")
            .append(chart(xs, part, schemes, false, "epoch", outputs.get(j) + " loss"));
      }
      b.append("<h2>Test accuracy per epoch")
          .append(outputs.isEmpty() ? "" : " (output " + esc(outputs.get(0)) + ")")
          .append("</h2>\n")
          .append(chart(xs, acc, schemes, false, "epoch", "test accuracy"));
      b.append(
              "<h2>Results</h2>\n<table><tr><th>scheme</th><th>initial loss</th><th>final train loss</th><th>final test loss</th>")
          .append(
              "<th>final test accuracy</th><th>epochs to target</th><th>seconds to target</th></tr>\n");
      for (TrainingRun r : runs) {
        TrainingRun.Epoch last =
            r.epochs().isEmpty() ? null : r.epochs().get(r.epochs().size() - 1);
        b.append("<tr data-scheme=\"")
            .append(esc(r.scheme()))
            .append("\"><td class=\"l\">")
            .append(esc(r.scheme()))
            .append("</td><td>")
            .append(fmt(r.initialTrainLoss()))
            .append("</td><td>")
            .append(fmt(r.finalTrainLoss()))
            .append("</td><td>")
            .append(last == null ? "-" : fmt(last.testLoss()))
            .append("</td><td>")
            .append(last == null ? "-" : fmt(last.testAccuracy()))
            .append("</td><td>")
            .append(r.epochsToTarget() == null ? "not reached" : r.epochsToTarget())
            .append("</td><td>")
            .append(r.secondsToTarget() == null ? "-" : fmt(r.secondsToTarget()))
            .append("</td></tr>\n");
      }
      b.append("</table>\n");
    }
    b.append("<p style=\"margin-top:32px;color:#888\">Written by initkit.</p>\n")
        .append("<script>\n(function(){\n")
        .append("  var legend=document.getElementById('legend');\n")
        .append("  legend.addEventListener('click',function(ev){\n")
        .append("    var t=ev.target.closest('span[data-scheme]'); if(!t){return;}\n")
        .append("    var off=t.classList.toggle('off'); var s=t.getAttribute('data-scheme');\n")
        .append("    document.querySelectorAll('[data-scheme]').forEach(function(e){\n")
        .append(
            "      if(e.getAttribute('data-scheme')===s && !e.closest('#legend')){e.style.display=off?'none':'';}});\n")
        .append("  });\n")
        .append(
            "  document.body.setAttribute('data-charts',String(document.querySelectorAll('svg.chart').length));\n")
        .append("  document.body.setAttribute('data-ready','1');\n")
        .append("})();\n</script>\n</body></html>\n");
    return b.toString();
  }

  private static String color(List<String> schemes, String s) {
    int i = schemes.indexOf(s);
    return COLORS[Math.max(0, i) % COLORS.length];
  }

  /**
   * Values below this are too small for a log axis: 0, float32's denormals (below 1.2e-38) and
   * everything near them, where a vanished gradient ends up. Not at their value, they would drag
   * the axis down hundreds of decades, or (0) have no place on it at all.
   */
  static final double LOG_FLOOR = 1e-30;

  /**
   * A line chart: one polyline per scheme over the x labels; log10 y when asked. On a log axis a
   * value below {@link #LOG_FLOOR} (0 included) is drawn on a row of its own under the axis's
   * lowest decade, as a hollow triangle, and a note under the chart says so: every series is drawn,
   * even one that vanished entirely. NaN (no value, e.g. a layer without a kernel) is skipped.
   */
  private static String chart(
      List<String> xs,
      Map<String, double[]> series,
      List<String> schemes,
      boolean log,
      String xTitle,
      String yTitle) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    int clamped = 0;
    for (double[] v : series.values()) {
      for (double d : v) {
        if (log && tooSmall(d)) {
          clamped++;
          continue;
        }
        double y = log ? (d > 0 ? Math.log10(d) : Double.NaN) : d;
        if (Double.isFinite(y)) {
          lo = Math.min(lo, y);
          hi = Math.max(hi, y);
        }
      }
    }
    if (!(lo <= hi)) {
      lo = 0;
      hi = 1;
    }
    if (log) {
      lo = Math.floor(lo);
      hi = Math.ceil(hi);
    }
    if (hi - lo < 1e-12) {
      hi = lo + 1;
    }
    // the too-small row: one decade below the lowest drawn value's, labelled as what it is
    double floorRow = lo - 1;
    if (clamped > 0) {
      lo = floorRow;
    }
    int ticks = 5;
    if (log) {
      // at most 12 gridlines, each on a whole decade (the top moves up to the next one if needed)
      int decadeStep = (int) Math.ceil((hi - lo) / 12);
      ticks = (int) Math.ceil((hi - lo) / decadeStep);
      hi = lo + (double) ticks * decadeStep;
    }
    int n = xs.size();
    double pw = W - ML - MR;
    double ph = H - MT - MB;
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" data-y-min=\"%s\" data-y-max=\"%s\" data-clamped=\"%d\">\n",
            W,
            H,
            W,
            H,
            log ? "1e" + Math.round(lo) : fmt(lo),
            log ? "1e" + Math.round(hi) : fmt(hi),
            clamped));
    s.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#999\"/>\n",
            ML,
            MT,
            pw,
            ph));
    for (int t = 0; t <= ticks; t++) {
      double v = lo + (hi - lo) * t / ticks;
      if (clamped > 0 && t == 0) {
        // the too-small row, set off from the axis proper by a dashed break
        double yRow = MT + ph;
        double yBreak = MT + ph - 0.5 / (hi - lo) * ph;
        s.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"3 3\"/>",
                ML,
                ML + pw,
                yBreak,
                yBreak));
        s.append(
            String.format(
                Locale.ROOT,
                "<text class=\"floor-label\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">&lt;%s</text>\n",
                ML - 6,
                yRow + 4,
                "1e" + Math.round(Math.log10(LOG_FLOOR))));
        continue;
      }
      double y = MT + ph - (v - lo) / (hi - lo) * ph;
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>",
              ML,
              ML + pw,
              y,
              y));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
              ML - 6,
              y + 4,
              log ? "1e" + Math.round(v) : fmt(v)));
    }
    int step = Math.max(1, n / 20);
    for (int i = 0; i < n; i += step) {
      double x = ML + (n == 1 ? pw / 2 : pw * i / (n - 1));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" transform=\"rotate(-40 %.1f %.1f)\">%s</text>\n",
              x,
              (double) MT + ph + 14,
              x,
              (double) MT + ph + 14,
              esc(xs.get(i))));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
            ML + pw / 2,
            H - 4,
            esc(xTitle)));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\">%s</text>\n",
            MT + ph / 2,
            MT + ph / 2,
            esc(yTitle)));
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      boolean dashed = e.getKey().endsWith(ESTIMATE);
      String scheme =
          dashed ? e.getKey().substring(0, e.getKey().length() - ESTIMATE.length()) : e.getKey();
      String c = color(schemes, scheme);
      s.append("<g data-scheme=\"").append(esc(scheme)).append("\">");
      StringBuilder pts = new StringBuilder();
      double[] v = e.getValue();
      for (int i = 0; i < v.length && i < n; i++) {
        boolean low = log && tooSmall(v[i]);
        double y = low ? floorRow : log ? (v[i] > 0 ? Math.log10(v[i]) : Double.NaN) : v[i];
        if (!Double.isFinite(y)) {
          continue;
        }
        double px = ML + (n == 1 ? pw / 2 : pw * i / (n - 1));
        double py = MT + ph - (y - lo) / (hi - lo) * ph;
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
        if (low) {
          s.append(
              String.format(
                  Locale.ROOT,
                  "<path class=\"clamped\" d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"#fff\" stroke=\"%s\" stroke-width=\"1.5\"><title>%s %s: %s, too small for the log axis</title></path>",
                  px - 4,
                  py - 4,
                  px + 4,
                  py - 4,
                  px,
                  py + 3,
                  c,
                  esc(e.getKey()),
                  esc(xs.get(i)),
                  fmt(v[i])));
          continue;
        }
        s.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>%s %s: %s</title></circle>",
                px,
                py,
                c,
                esc(e.getKey()),
                esc(xs.get(i)),
                fmt(v[i])));
      }
      s.append("<polyline fill=\"none\" stroke=\"")
          .append(c)
          .append(dashed ? "\" stroke-dasharray=\"6 4" : "")
          .append("\" stroke-width=\"1.8\" points=\"")
          .append(pts.toString().trim())
          .append("\"/></g>\n");
    }
    s.append("</svg>\n");
    if (clamped > 0) {
      s.append("<p class=\"floor-note\">&#9661; on the bottom row, below the dashed break: ")
          .append(clamped)
          .append(clamped == 1 ? " value" : " values")
          .append(" under ")
          .append(fmt(LOG_FLOOR))
          .append(
              " (0 or denormal), too small for a log axis; drawn there, not at their value"
                  + " (hover for it).</p>\n");
    }
    return s.toString();
  }

  /** A value a log axis cannot show: 0, negative, or below {@link #LOG_FLOOR}; NaN is not one. */
  static boolean tooSmall(double d) {
    return !Double.isNaN(d) && d < LOG_FLOOR;
  }

  private static String histogram(String layer, LayerStats.WeightStats w, String color) {
    int bw = 160;
    int bh = 70;
    long max = 1;
    for (long c : w.histogram().counts()) {
      max = Math.max(max, c);
    }
    StringBuilder s =
        new StringBuilder(
            "<div class=\"hist\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\""
                + bw
                + "\" height=\""
                + bh
                + "\">");
    long[] counts = w.histogram().counts();
    double cw = (double) bw / Math.max(1, counts.length);
    for (int i = 0; i < counts.length; i++) {
      double h = (bh - 2) * (double) counts[i] / max;
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
              i * cw,
              bh - h,
              Math.max(0.5, cw - 0.5),
              h,
              color));
    }
    s.append("</svg><br>")
        .append(esc(layer))
        .append(" ")
        .append(esc(w.name()))
        .append("<br>[")
        .append(fmt(w.histogram().min()))
        .append(", ")
        .append(fmt(w.histogram().max()))
        .append("], std ")
        .append(fmt(w.std()))
        .append("</div>\n");
    return s.toString();
  }

  static String fmt(double x) {
    if (Double.isNaN(x)) {
      return "-";
    }
    if (x == 0) {
      return "0";
    }
    double a = Math.abs(x);
    return a >= 1e-3 && a < 1e5
        ? String.format(Locale.ROOT, "%.4g", x)
        : String.format(Locale.ROOT, "%.3e", x);
  }

  private static String pct(double f) {
    return Double.isNaN(f) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * f);
  }

  private static String esc(String s) {
    return s == null
        ? ""
        : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
