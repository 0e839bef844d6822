package dev.initkit.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.format.Detection;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.InitReport;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import dev.initkit.testing.TestFiles;
import dev.initkit.transplant.TransplantOptions;
import dev.initkit.transplant.TransplantPlan;
import dev.initkit.transplant.Transplanter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The library's renderers of reports and plans: their sections and fields, and no raw control
 * character.
 */
class RenderersTest {
  private static final Path MLP = model("mlp", "keras3.keras");

  private static Path model(String model, String file) {
    return TestFiles.testdata().resolve("models").resolve(model).resolve(file);
  }

  private static InitReport report(Path file) throws Exception {
    try (LoadedModel m = ModelIO.open(file)) {
      return InitReport.of(m);
    }
  }

  @Test
  void initReportText() throws Exception {
    InitReport r = report(MLP);
    String text = InitReportText.render(r, "mlp.keras");
    List<String> lines = text.lines().toList();
    assertTrue(lines.get(0).startsWith("Report: mlp.keras (keras, Keras "), lines.get(0));
    assertEquals(
        "Weights: " + r.weights().size() + ", warnings: " + r.warnings().size(), lines.get(1));
    for (String section :
        List.of(
            "Weights",
            "Signal through depth (configured weights)",
            "Signal through depth (observed weights)")) {
      assertTrue(lines.contains(section), section);
    }
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("Warnings (")), text);
    for (InitReport.WeightEntry e : r.weights()) {
      assertTrue(
          lines.stream()
              .anyMatch(
                  l ->
                      l.startsWith("  " + e.site().layerPath() + " ")
                          && l.contains(" " + e.weight().shortName() + " ")),
          e.site().layerPath());
    }
    assertTrue(text.contains("  (" + InitReport.DEPTH_ASSUMPTIONS + ")"));
  }

  @Test
  void initReportMarkdown() throws Exception {
    InitReport r = report(MLP);
    String md = InitReportMarkdown.render(r, "mlp.keras");
    assertTrue(md.startsWith("# Initialization report: `mlp.keras`" + System.lineSeparator()), md);
    assertTrue(md.contains("## Weights"));
    assertTrue(md.contains("| Layer | Weight | Role | Shape | Configured | fan_in |"));
    assertTrue(md.contains("| --- | --- | --- | --- | --- | ---: |"));
    assertTrue(md.contains("_" + InitReport.DEPTH_ASSUMPTIONS + "._"));
  }

  @Test
  void initReportJson() throws Exception {
    InitReport r = report(MLP);
    ObjectNode doc = InitReportJson.toJson(r, "mlp.keras");
    assertEquals(
        List.of(
            "file",
            "format",
            "kerasVersion",
            "configForm",
            "totals",
            "weights",
            "warnings",
            "advice",
            "depth"),
        iterate(doc));
    assertEquals("mlp.keras", doc.get("file").asText());
    assertEquals("keras", doc.get("format").asText());
    assertEquals("keras3", doc.get("configForm").asText());
    assertEquals(r.weights().size(), doc.get("weights").size());
    assertEquals(r.weights().get(0).site().layerPath(), doc.at("/weights/0/layer").asText());
    assertEquals(InitReport.VANISHING, doc.at("/depth/vanishingBelow").asDouble());
    assertEquals(r.configuredDepth().status(), doc.at("/depth/configured/status").asText());
  }

  @Test
  void controlCharactersNeverReachTheText() throws Exception {
    InitReport r = report(MLP);
    for (String s :
        List.of(
            InitReportText.render(r, "a\u001b[2J\nb"),
            InitReportMarkdown.render(r, "a\u001b[2J\nb"))) {
      assertTrue(s.contains("a\\e[2J\\nb"), s);
      assertFalse(s.contains("\u001b"));
    }
  }

  @Test
  void transplantPlan() throws Exception {
    TransplantPlan plan;
    try (LoadedModel src = ModelIO.open(model("transplant/cnn", "source.keras"));
        LoadedModel dst = ModelIO.open(model("transplant/cnn", "head3.keras"))) {
      plan = Transplanter.plan(src.model(), dst.model(), TransplantOptions.defaults());
    }
    String text = TransplantPlanText.render(plan, true);
    assertTrue(
        text.startsWith(
            "Plan: match name, scheme "
                + plan.scheme()
                + ", seed "
                + plan.seed()
                + ": "
                + TransplantPlanText.summary(plan)
                + " (nothing written)"),
        text);
    assertTrue(text.contains("  Layer"), text);
    ObjectNode doc = JsonValues.nodes().objectNode();
    TransplantPlanJson.fill(
        doc, plan, null, plan.notes().stream().map(dev.initkit.Note::text).toList(), List.of());
    assertEquals("name", doc.get("match").asText());
    assertEquals(plan.entries().size(), doc.get("weights").size());
    assertEquals(plan.entries().size(), doc.at("/totals/targetWeights").asInt());
  }

  @Test
  void reinitPlan() throws Exception {
    Reinitializer.Plan plan;
    try (LoadedModel m = ModelIO.open(model("lstm", "keras3.keras"))) {
      plan = Reinitializer.plan(m.model(), Reinitializer.Scheme.configured(), Selector.all(), 7);
    }
    String text = ReinitPlanText.render(plan, 3);
    assertTrue(
        text.startsWith(
            "Plan: scheme "
                + plan.scheme()
                + ", seed 7: "
                + plan.drawnCount()
                + " of "
                + plan.entries().size()
                + " weights drawn (dry run: nothing written)"),
        text);
    assertTrue(
        text.endsWith("Optimizer weights: 3 would be dropped" + System.lineSeparator()), text);
    ObjectNode doc = JsonValues.nodes().objectNode();
    ReinitPlanJson.fill(doc, plan, List.of());
    assertEquals(List.of("scheme", "seed", "only", "drawn", "kept", "weights"), iterate(doc));
    assertEquals(plan.drawnCount(), doc.get("drawn").asInt());
    assertEquals(7, doc.get("seed").asLong());
  }

  @Test
  void numbers() {
    assertEquals("-", Numbers.num(Double.NaN));
    assertEquals("0", Numbers.num(0));
    assertEquals("0.125", Numbers.num(0.125));
    assertEquals("1.235e+05", Numbers.num(123456.7));
    assertEquals("12.5%", Numbers.percent(0.125));
  }

  @Test
  void modelDescription() throws Exception {
    ModelDescription d;
    try (LoadedModel m = ModelIO.open(MLP)) {
      d = ModelDescription.of(m.model());
    }
    String text = ModelDescriptionText.render(d, "mlp.keras", Detection.Kind.KERAS_ZIP);
    assertTrue(text.startsWith("File:"), text);
    assertTrue(text.contains("keras (Keras 3 archive, zip)"), text);
    for (String section : List.of("Layers", "Weights", "Initializers (as written in the config)")) {
      assertTrue(text.lines().anyMatch(section::equals), section);
    }
    assertTrue(text.contains("Total params: " + HumanFormat.count(d.totalParams())), text);
    ObjectNode doc = ModelDescriptionJson.toJson(d, "mlp.keras", Detection.Kind.KERAS_ZIP);
    assertEquals("keras-zip", doc.get("container").asText());
    assertEquals(d.layers().size(), doc.get("layers").size());
    assertEquals(d.totalParams(), doc.at("/totals/params").asLong());
  }

  private static List<String> iterate(ObjectNode o) {
    List<String> out = new java.util.ArrayList<>();
    o.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
