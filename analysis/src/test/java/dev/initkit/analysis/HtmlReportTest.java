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
