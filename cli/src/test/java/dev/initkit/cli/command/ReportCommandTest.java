package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportCommandTest {

  private static final List<String> WEIGHT_FIELDS =
      List.of(
          "layer",
          "className",
          "activation",
          "followingActivation",
          "weight",
          "role",
          "shape",
          "dtype",
          "depth",
          "head",
          "trainable",
          "initializer",
          "fanIn",
          "fanOut",
          "expectedMean",
          "expectedStd",
          "observed",
          "stdRatio",
          "recommended",
          "quantization",
          "warnings");

  @Test
  void jsonSchema() {
    JsonNode doc =
        Cli.run("report", "--json", Cli.model("conv2d", "keras3.keras")).assertExit(0).json();
    assertEquals(1, doc.get("schemaVersion").asInt());
    assertTrue(doc.get("ok").asBoolean());
    assertEquals("report", doc.get("command").asText());
    for (String f :
        List.of(
            "file",
            "format",
            "kerasVersion",
            "configForm",
            "totals",
            "weights",
            "warnings",
            "advice",
            "depth")) {
      assertTrue(doc.has(f), f);
    }
    assertEquals("keras3", doc.get("configForm").asText());
    JsonNode w = doc.get("weights").get(0);
    assertEquals(new TreeSet<>(WEIGHT_FIELDS), fields(w));
    assertEquals(
        Set.of(
            "canonical",
            "describe",
            "commandLine",
            "source",
            "key",
            "asWritten",
            "kerasLoadable",
            "unitForgetBias",
            "notes"),
        fields(w.get("initializer")));
    assertEquals(
        Set.of("count", "mean", "std", "min", "max", "zeroFraction", "nonFinite"),
        fields(w.get("observed")));
    assertEquals(Set.of("initializer", "reason", "met"), fields(w.get("recommended")));
    // conv_a: Conv2D kernel (3, 3, 3, 4), HeUniform: fan_in = kh*kw*in = 27
    assertEquals("conv_a", w.get("layer").asText());
    assertEquals(27, w.get("fanIn").asLong());
    assertEquals(36, w.get("fanOut").asLong());
    assertEquals(Math.sqrt(2.0 / 27), w.get("expectedStd").asDouble(), 1e-12);
    assertEquals("HeUniform", w.at("/initializer/canonical").asText());
    assertEquals("config", w.at("/initializer/source").asText());
    assertEquals("kernel_initializer", w.at("/initializer/key").asText());
    assertEquals("HeUniform", w.at("/initializer/asWritten/class_name").asText());
    assertTrue(w.get("stdRatio").isNumber());
    JsonNode depth = doc.get("depth");
    assertEquals(
        Set.of("assumptions", "vanishingBelow", "explodingAbove", "configured", "observed"),
        fields(depth));
    assertEquals(
        Set.of("steps", "finalVariance", "status", "firstOutOfRange"),
        fields(depth.get("configured")));
    assertEquals(
        Set.of(
            "layer",
            "className",
            "activation",
            "fanIn",
            "weightMeanSquare",
            "gain2",
            "variance",
            "mean",
            "std",
            "gradient",
            "inputs",
            "note"),
        fields(depth.at("/configured/steps/0")));
  }

  private static Set<String> fields(JsonNode n) {
    Set<String> out = new TreeSet<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  void textAndMarkdown() {
    Cli.Result text = Cli.run("report", Cli.model("mlp", "tfkeras.h5")).assertExit(0);
    assertEquals("", text.err());
    assertTrue(text.out().contains("Signal through depth (configured weights)"), text.out());
    assertTrue(text.out().contains("constant-initializer"), text.out());
    Cli.Result md = Cli.run("report", "--markdown", Cli.model("mlp", "tfkeras.h5")).assertExit(0);
    assertTrue(md.out().startsWith("# Initialization report"), md.out());
    assertTrue(md.out().contains("| Layer | Weight | Role |"), md.out());
    assertTrue(md.out().contains("| ---: |"), md.out());
  }

  @Test
  void warningsAfterSetInit(@TempDir Path dir) {
    Path out = dir.resolve("he.keras");
    Cli.run(
            "set-init",
            Cli.model("mlp", "keras3.keras"),
            "-o",
            out,
            "--rule",
            "dense_tanh=he_normal")
        .assertExit(0);
    JsonNode doc = Cli.run("report", "--json", out).assertExit(0).json();
    boolean found = false;
    for (JsonNode w : doc.get("warnings")) {
      found |=
          w.get("code").asText().equals("he-saturating")
              && w.get("layer").asText().equals("dense_tanh");
    }
    assertTrue(found, doc.get("warnings").toString());
  }

  @Test
  void usageAndInputErrors(@TempDir Path dir) {
    Cli.run("report", "--json", "--markdown", Cli.model("mlp", "keras3.keras"))
        .assertExit(2)
        .assertJsonError(2, "usage");
    Cli.Result missing = Cli.run("report", dir.resolve("nope.h5")).assertExit(5);
    missing.assertOneErrorLine();
    assertFalse(missing.out().contains("Report"));
  }
}
