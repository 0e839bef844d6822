package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelIO;
import dev.initkit.cli.Cli;
import dev.initkit.cli.ExceptionMapper;
import dev.initkit.cli.JsonOutput;
import dev.initkit.format.Detection;
import dev.initkit.model.LoadedModel;
import dev.initkit.ops.InitReport;
import dev.initkit.ops.Reinitializer;
import dev.initkit.ops.Selector;
import dev.initkit.render.InitReportJson;
import dev.initkit.render.InitReportMarkdown;
import dev.initkit.render.InitReportText;
import dev.initkit.render.ModelDescription;
import dev.initkit.render.ModelDescriptionJson;
import dev.initkit.render.ModelDescriptionText;
import dev.initkit.render.ReinitPlanText;
import dev.initkit.render.TransplantPlanJson;
import dev.initkit.render.TransplantPlanText;
import dev.initkit.transplant.TransplantOptions;
import dev.initkit.transplant.TransplantPlan;
import dev.initkit.transplant.Transplanter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The commands print what the library's renderers (dev.initkit.render) write for the same file. */
class LibraryRenderersTest {

  private static InitReport report(Path file) throws Exception {
    try (LoadedModel m = ModelIO.open(file)) {
      return InitReport.of(m);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "mlp/keras3.keras",
        "lstm/keras3.keras",
        "mlp/keras3.weights.h5",
        "quant_int8/keras3.keras",
        "conv2d/tfkeras.h5"
      })
  void reportIsTheLibrarysRendering(String model) throws Exception {
    String[] parts = model.split("/");
    Path file = Cli.model(parts[0], parts[1]);
    InitReport r = report(file);
    assertEquals(
        InitReportText.render(r, file.toString()), Cli.run("report", file).assertExit(0).out());
    assertEquals(
        InitReportMarkdown.render(r, file.toString()),
        Cli.run("report", "--markdown", file).assertExit(0).out());
    ObjectNode doc = JsonOutput.success("report");
    InitReportJson.fill(doc, r, file.toString());
    StringWriter json = new StringWriter();
    JsonOutput.write(new PrintWriter(json), doc);
    assertEquals(json.toString(), Cli.run("report", "--json", file).assertExit(0).out());
  }

  @Test
  void transplantPlanIsTheLibrarysRendering() throws Exception {
    Path from = Cli.model("transplant/cnn", "source.keras");
    Path to = Cli.model("transplant/cnn", "head3.keras");
    TransplantPlan plan;
    try (LoadedModel src = ModelIO.open(from);
        LoadedModel dst = ModelIO.open(to)) {
      plan = Transplanter.plan(src.model(), dst.model(), TransplantOptions.defaults());
    }
    String text =
        Cli.run("transplant", "--from", from, "--to", to, "--dry-run").assertExit(0).out();
    // the library's rendering with the CLI's wording (API names in details respelled as flags)
    StringWriter plain = new StringWriter();
    PrintWriter pw = new PrintWriter(plain);
    TransplantPlanText.write(pw, plan, true, ExceptionMapper::flag);
    pw.flush();
    assertTrue(text.startsWith(plain.toString()), text);
    assertTrue(
        TransplantPlanText.render(plan, true).contains("Adaptations.head"),
        "the library names its API");
    assertTrue(
        text.contains("(--adapt head=keep or head=fresh)"), "the CLI says its flags: " + text);
    ObjectNode doc = JsonOutput.success("transplant");
    doc.put("source", from.toString());
    doc.put("target", to.toString());
    doc.putNull("output");
    doc.putNull("format");
    doc.put("dryRun", true);
    doc.put("strict", false);
    TransplantPlanJson.fill(
        doc, plan, null, ExceptionMapper.respell(plan.notes()), List.of(), ExceptionMapper::flag);
    StringWriter json = new StringWriter();
    JsonOutput.write(new PrintWriter(json), doc);
    assertEquals(
        json.toString(),
        Cli.run("transplant", "--json", "--from", from, "--to", to, "--dry-run")
            .assertExit(0)
            .out());
  }

  @Test
  void reinitPlanIsTheLibrarysRendering() throws Exception {
    Path file = Cli.model("lstm", "keras3.keras");
    Reinitializer.Plan plan;
    int optimizerWeights;
    try (LoadedModel m = ModelIO.open(file)) {
      optimizerWeights = m.model().optimizerWeights().size();
      plan =
          Reinitializer.plan(
              m.model(),
              Reinitializer.Scheme.configured(),
              Selector.all(),
              Reinitializer.DEFAULT_SEED);
    }
    String text = Cli.run("reinit", file, "--dry-run").assertExit(0).out();
    assertTrue(text.startsWith(ReinitPlanText.render(plan, optimizerWeights)), text);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "mlp/keras3.keras",
        "mlp/keras3.weights.h5",
        "lstm/tfkeras.h5",
        "nested_functional/keras3.keras"
      })
  void inspectIsTheLibrarysRendering(String model) throws Exception {
    String[] parts = model.split("/");
    Path file = Cli.model(parts[0], parts[1]);
    ModelDescription d;
    try (LoadedModel m = ModelIO.open(file)) {
      d = ModelDescription.of(m.model());
    }
    Detection.Kind kind = ModelIO.detect(file).kind();
    StringWriter text = new StringWriter();
    PrintWriter out = new PrintWriter(text);
    ModelDescriptionText.write(
        out,
        d,
        file.toString(),
        kind,
        "no config (weights only; give the architecture with --config)");
    out.flush();
    assertEquals(text.toString(), Cli.run("inspect", file).assertExit(0).out());
    ObjectNode doc = JsonOutput.success("inspect");
    ModelDescriptionJson.fill(doc, d, file.toString(), kind);
    StringWriter json = new StringWriter();
    JsonOutput.write(new PrintWriter(json), doc);
    assertEquals(json.toString(), Cli.run("inspect", "--json", file).assertExit(0).out());
  }
}
