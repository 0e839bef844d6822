package dev.initkit.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's structure; the browser check is CompareCommandIT's (on a real comparison). */
class HtmlReportTest {
  @TempDir Path tmp;

  private static SchemeAnalysis scheme(String name, double factor) {
    LayerStats.Histogram h = new LayerStats.Histogram(-1, 1, new long[] {1, 5, 9, 5, 1});
    LayerStats.WeightStats w = new LayerStats.WeightStats("kernel", new long[] {4, 4}, 0.5, 0.1, h);
    return new SchemeAnalysis(
        name,
        1,
        "mse",
        1,
        List.of(
            new LayerStats("d1", "Dense", "relu", 0, 1, 0, Double.NaN, 0.2, null, List.of(w)),
            new LayerStats(
                "d<2>", "Dense", "relu", 0, factor, 0.5, Double.NaN, 0.1, "vanishing", List.of(w))),
        null);
  }

  private static int count(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void oneSeriesPerSchemeInEveryChartAndNoExternalResources() {
    TrainingRun run =
        new TrainingRun(
            "a", 2.3, 0.1, List.of(new TrainingRun.Epoch(1, 1.0, 1.1, 0.6, 0.5)), null, null, null);
    String html =
        HtmlReport.render("m.h5", List.of(scheme("a", 0.9), scheme("b", 1e-5)), List.of(run));
    assertEquals(4, count(html, "<svg class=\"chart\""));
    assertEquals(
        4 + 2,
        count(html, "<polyline")); // std and grad norm: 2 schemes each; loss and accuracy: 1 run
    assertEquals(4, count(html, "<div class=\"hist\">")); // one per layer with weights, per scheme
    assertTrue(html.contains("d&lt;2&gt;"), "names are escaped");
    assertFalse(html.contains("d<2>"));
    String noNamespace = html.replace("http://www.w3.org/2000/svg", "");
    assertFalse(
        noNamespace.contains("http:")
            || noNamespace.contains("https:")
            || noNamespace.contains("src="));
    assertTrue(html.contains("class=\"mark-vanishing\">vanishing"));
  }

  @Test
  void theEstimateIsDrawnDashedBesideTheMeasurementScaledToTheBatch() {
    SchemeAnalysis measured = scheme("a", 0.9);
    SchemeAnalysis withEstimate =
        new SchemeAnalysis("a", 2.0, "mse", 1, measured.layers(), null, java.util.Map.of())
            .withEstimate(java.util.Map.of("d1", 0.5, "d<2>", 0.25));
    String html = HtmlReport.render("m.h5", List.of(withEstimate), null);
    // std chart: the measured line and the dashed estimate; grad chart: the measured line
    assertEquals(3, count(html, "<polyline"));
    assertEquals(1, count(html, "stroke-dasharray"));
    // the estimate for a standard-normal input times the batch's std (2): 1 and 0.5
    assertTrue(html.contains("a (estimate) d1: 1.000</title>"), html);
    assertTrue(html.contains("a (estimate) d&lt;2&gt;: 0.5000</title>"), html);
    // one legend entry: clicking the scheme hides its estimate too
    assertEquals(1, count(html, "<span data-scheme=\"a\""));
    assertEquals(0, count(html, "data-scheme=\"a \\(estimate\\)\""));
    assertEquals(0, count(HtmlReport.render("m.h5", List.of(measured), null), "stroke-dasharray"));
  }

  /** Three layers with the given kernel gradient norms (output std 1). */
  private static SchemeAnalysis withGradients(String name, double... grads) {
    List<LayerStats> layers = new java.util.ArrayList<>();
    for (int i = 0; i < grads.length; i++) {
      layers.add(
          new LayerStats("d" + i, "Dense", "tanh", 0, 1, 0, Double.NaN, grads[i], null, List.of()));
    }
    return new SchemeAnalysis(name, 1, "mse", 1, layers, null);
  }

  /** The chart under the heading that starts with {@code heading}, and the note after it. */
  private static String chartAfter(String html, String heading) {
    int h = html.indexOf("<h2>" + heading);
    assertTrue(h >= 0, heading);
    int start = html.indexOf("<svg class=\"chart\"", h);
    int end = html.indexOf("<h2", start);
    return html.substring(start, end < 0 ? html.length() : end);
  }

  @Test
  void aSchemeWhoseGradientsVanishBelowTheLogAxisIsStillDrawnAndMarked() {
    // mlp20's small_uniform: gradients that underflow to 0 and to float32 denormals
    String html =
        HtmlReport.render(
            "mlp20",
            List.of(
                withGradients("he_normal", 0.3, 0.2, 0.1),
                withGradients("small_uniform", 1e-12, 1.4e-45, 0),
                withGradients("glorot_uniform", 0.05, 0.02, Double.NaN)),
            null);
    String grad = chartAfter(html, "Kernel gradient norm");
    // every scheme has its line and points
    for (String scheme : List.of("he_normal", "small_uniform", "glorot_uniform")) {
      Matcher g =
          Pattern.compile("<g data-scheme=\"" + scheme + "\">(.*?)</g>", Pattern.DOTALL)
              .matcher(grad);
      assertTrue(g.find(), scheme + " drawn");
      Matcher line = Pattern.compile("points=\"([^\"]*)\"").matcher(g.group(1));
      assertTrue(line.find(), scheme + " has a line");
      int points = line.group(1).isBlank() ? 0 : line.group(1).trim().split(" ").length;
      assertEquals(scheme.equals("he_normal") ? 3 : scheme.equals("small_uniform") ? 3 : 2, points);
    }
    // the two values too small for the axis are clamped points of small_uniform, with their value
    assertEquals(2, count(grad, "class=\"clamped\""));
    assertTrue(grad.contains("data-clamped=\"2\""));
    assertTrue(grad.contains("small_uniform d2: 0, too small for the log axis</title>"), grad);
    assertTrue(grad.contains("small_uniform d1: 1.400e-45, too small for the log axis"), grad);
    assertEquals(0, count(grad.substring(0, grad.indexOf("<path")), "class=\"clamped\""));
    assertTrue(grad.contains("class=\"floor-note\">"), "a note says what the marker means");
    assertTrue(grad.contains("&lt;1e-30</text>"), "the bottom row is labelled as below the floor");
    // the axis covers the smallest drawn value (1e-12) and the largest (0.3), with a row below;
    // 13 decades: a gridline every 2, so the top moves up to 1e1
    assertTrue(grad.contains("data-y-min=\"1e-13\" data-y-max=\"1e1\""), grad);
    // every point inside the plot area (y from 30 to 240)
    Matcher y = Pattern.compile("(?:cy=\"|M[0-9.]+ )([0-9.]+)").matcher(grad);
    int n = 0;
    while (y.find()) {
      double v = Double.parseDouble(y.group(1));
      assertTrue(v >= 30 - 4 && v <= 240 + 4, "a point outside the plot: " + v);
      n++;
    }
    assertEquals(8, n, "3 + 3 + 2 points");
    // the std chart has nothing to clamp, so neither row nor note
    String std = chartAfter(html, "Activation std");
    assertTrue(std.contains("data-clamped=\"0\""));
    assertFalse(std.contains("floor-note") || std.contains("class=\"clamped\""));
  }

  @Test
  void aSchemeWithNothingOnTheLogAxisIsDrawnOnTheBottomRow() {
    String grad =
        chartAfter(
            HtmlReport.render("m", List.of(withGradients("zeros", 0, 0, 0)), null),
            "Kernel gradient norm");
    assertEquals(3, count(grad, "class=\"clamped\""));
    assertEquals(1, count(grad, "<polyline"));
    assertFalse(grad.contains("NaN"));
  }

  @Test
  void writesAtomicallyAndRefusesToOverwrite() throws Exception {
    Path out = tmp.resolve("r.html");
    HtmlReport.write(out, "m", List.of(scheme("a", 1)), null, false);
    assertTrue(Files.readString(out).endsWith("</html>\n"));
    assertThrows(
        FileAlreadyExistsException.class, () -> HtmlReport.write(out, "m", List.of(), null, false));
    try (var s = Files.list(tmp)) {
      assertEquals(1, s.count(), "no temporary file left");
    }
  }
}
