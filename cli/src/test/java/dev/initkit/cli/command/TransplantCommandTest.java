package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransplantCommandTest {
  private static Path cnn(String f) {
    return Cli.model("transplant/cnn", f);
  }

  private static Path rnn(String f) {
    return Cli.model("transplant/rnn", f);
  }

  @Test
  void reportTableOnStdoutAndTheFileWritten(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("o.keras");
    Cli.Result r =
        Cli.run(
                "transplant",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("head3.keras"),
                "-o",
                out,
                "--adapt",
                "head=keep")
            .assertExit(0);
    assertTrue(
        r.out()
            .startsWith(
                "Transplant: match name, adapt head=keep, scheme configured, seed 0: 8 loaded, 2 adapted,"
                    + " 0 initialized, 0 skipped; 0 source weights unused"),
        r.out());
    assertTrue(r.out().contains("head: the overlapping units kept: (6, 5) -> (6, 3)"), r.out());
    assertTrue(r.err().contains("wrote " + out + " (keras, "), r.err());
    assertTrue(Files.exists(out));
    // the same command twice gives the same bytes (the default seed is 0)
    Path again = dir.resolve("again.h5");
    Path again2 = dir.resolve("again2.h5");
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("head3.keras"),
            "-o",
            again,
            "-q")
        .assertExit(0);
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("head3.keras"),
            "-o",
            again2,
            "-q")
        .assertExit(0);
    assertArrayEquals(Files.readAllBytes(again), Files.readAllBytes(again2));
  }

  @Test
  void jsonReportListsEveryWeightAndUnusedSource(@TempDir Path dir) {
    Path out = dir.resolve("o.h5");
    JsonNode doc =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("extra.keras"),
                "-o",
                out,
                "--match",
                "structure",
                "--seed",
                "4",
                "--freeze",
                "class:Conv2D")
            .assertExit(0)
            .json();
    assertTrue(doc.get("ok").asBoolean());
    assertEquals("transplant", doc.get("command").asText());
    assertEquals(out.toString(), doc.get("output").asText());
    assertEquals("h5", doc.get("format").asText());
    assertEquals("structure", doc.get("match").asText());
    assertEquals(4, doc.get("seed").asInt());
    assertEquals(12, doc.at("/totals/targetWeights").asInt());
    assertEquals(10, doc.at("/totals/loaded").asInt());
    assertEquals(2, doc.at("/totals/initialized").asInt());
    assertEquals(2, doc.at("/totals/unmatched").asInt());
    assertEquals(12, doc.get("weights").size());
    JsonNode extra = doc.get("weights").get(8);
    assertEquals("extra", extra.get("layer").asText());
    assertEquals("initialized", extra.get("action").asText());
    assertTrue(extra.get("source").isNull());
    assertEquals("GlorotUniform", extra.at("/initializer/className").asText());
    assertEquals(16, extra.get("streamSeed").asText().length());
    JsonNode loaded = doc.get("weights").get(0);
    assertEquals("stem", loaded.at("/source/layer").asText());
    assertTrue(loaded.get("initializer").isNull());
    assertEquals(doc.get("layers").size(), 4);
    assertEquals("[\"stem\",\"conv2\"]", doc.get("frozen").toString());
    for (String f :
        new String[] {
          "source",
          "target",
          "dryRun",
          "strict",
          "mapping",
          "adapt",
          "scheme",
          "unusedSource",
          "notes"
        }) {
      assertTrue(doc.has(f), f);
    }
    JsonNode inspect = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertTrue(
        Stream.of("stem", "conv2")
            .allMatch(
                n -> {
                  for (JsonNode l : inspect.get("layers")) {
                    if (l.get("name").asText().equals(n)) {
                      return !l.get("trainable").asBoolean();
                    }
                  }
                  return false;
                }));
  }

  /**
   * float16 weights into the float64 model: every weight adapted by a dtype cast, named in the
   * report.
   */
  @Test
  void floatingDtypesAreCast(@TempDir Path dir) {
    Path out = dir.resolve("o.keras");
    JsonNode doc =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                Cli.model("float16", "keras3.keras"),
                "--to",
                Cli.model("float64", "keras3.keras"),
                "-o",
                out)
            .assertExit(0)
            .json();
    assertEquals(4, doc.at("/totals/adapted").asInt());
    for (JsonNode w : doc.get("weights")) {
      assertEquals("adapted", w.get("action").asText(), w.toString());
      assertEquals("dtype", w.get("adaptation").asText(), w.toString());
    }
    JsonNode inspect = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertTrue(inspect.toString().contains("\"float64\""), inspect.toString());
  }

  @Test
  void dryRunWritesNothing(@TempDir Path dir) {
    Path out = dir.resolve("o.keras");
    Cli.Result r =
        Cli.run(
                "transplant",
                "--from",
                rnn("lstm_source.keras"),
                "--to",
                rnn("lstm_units8.keras"),
                "-o",
                out,
                "--adapt",
                "gates",
                "--adapt",
                "units",
                "--dry-run")
            .assertExit(0);
    assertTrue(r.out().startsWith("Plan: match name, adapt units,gates"), r.out());
    assertTrue(r.out().contains("gate by gate (4 gates, 6 -> 8 units)"), r.out());
    assertTrue(r.out().contains("(nothing written)"), r.out());
    assertFalse(Files.exists(out));
    JsonNode doc =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                rnn("lstm_source.keras"),
                "--to",
                rnn("lstm_units8.keras"),
                "--dry-run")
            .assertExit(0)
            .json();
    assertTrue(doc.get("dryRun").asBoolean());
    assertTrue(doc.get("output").isNull());
    assertEquals(
        4,
        doc.at("/totals/unmatched").asInt()); // the LSTM without --adapt gates, and the head kernel
  }

  @Test
  void planTextNamesTheFlags() {
    // the library says Adaptations.inputChannels, TransplantOptions.freeze, ...: the user reads the
    // flags
    JsonNode gray =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("gray.keras"),
                "--dry-run",
                "--freeze",
                "class:Embedding")
            .assertExit(0)
            .json();
    assertTrue(
        gray.at("/weights/0/detail")
            .asText()
            .contains("(input channels 3 -> 1: --adapt input-channels adapts them)"),
        gray.at("/weights/0").toString());
    assertTrue(
        gray.get("notes")
            .toString()
            .contains("--freeze class:Embedding selects no transplanted layer"),
        gray.get("notes").toString());
    Cli.Result vocab =
        Cli.run(
                "transplant",
                "--from",
                rnn("lstm_source.keras"),
                "--to",
                rnn("lstm_vocab30.keras"),
                "--dry-run")
            .assertExit(0);
    assertTrue(vocab.out().contains("--adapt vocab copies the shared rows"), vocab.out());
    assertFalse(vocab.out().contains("Adaptations."), vocab.out());
  }

  @Test
  void strictFailsWithExitCodeSixAndWritesNothing(@TempDir Path dir) {
    Path out = dir.resolve("o.keras");
    Cli.Result r =
        Cli.run(
                "transplant",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("head3.keras"),
                "-o",
                out,
                "--strict")
            .assertExit(6);
    assertEquals(
        "initkit: strict: 2 of 10 target weights got no value from the source: head/kernel (shape differs:"
            + " source head/kernel (6, 5), target (6, 3) (--adapt head=keep or head=fresh)), head/bias (shape differs: source"
            + " head/bias (5,), target (3,) (--adapt head=keep or head=fresh))",
        r.assertOneErrorLine());
    assertTrue(r.out().startsWith("Plan: "), r.out());
    assertFalse(Files.exists(out));
    Cli.Result j =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("head3.keras"),
                "-o",
                out,
                "--strict")
            .assertExit(6);
    JsonNode err = j.assertJsonError(6, "check-failed");
    assertTrue(err.get("message").asText().startsWith("strict: 2 of 10"));
    assertEquals(2, j.json().at("/totals/unmatched").asInt());
    assertFalse(Files.exists(out));
    // a fresh head on request is not unmatched
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("head3.keras"),
            "-o",
            out,
            "--strict",
            "--adapt",
            "head=fresh",
            "-q")
        .assertExit(0);
  }

  @Test
  void nothingMatchingIsAnErrorWithASuggestion(@TempDir Path dir) {
    Path out = dir.resolve("o.keras");
    Cli.Result r =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("renamed.keras"),
                "-o",
                out)
            .assertExit(6);
    JsonNode err = r.assertJsonError(6, "check-failed");
    assertTrue(
        err.get("message").asText().contains("the names differ; try --match structure"),
        err.toString());
    assertFalse(Files.exists(out));
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("renamed.keras"),
            "-o",
            out,
            "--match",
            "order",
            "-q")
        .assertExit(0);
  }

  @Test
  void mappingFile(@TempDir Path dir) throws Exception {
    Path map = dir.resolve("map.txt");
    Files.writeString(
        map,
        "# source -> target\nstem -> features_conv0\nbn -> features_norm0\nconv2 -> features_conv1\n"
            + "head -> classifier\n");
    JsonNode doc =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                cnn("source_tfkeras.h5"),
                "--to",
                cnn("renamed.keras"),
                "--map",
                map,
                "--dry-run")
            .assertExit(0)
            .json();
    assertEquals("mapping", doc.get("match").asText());
    assertEquals(10, doc.at("/totals/loaded").asInt());
    Files.writeString(map, "stem features_conv0\n");
    Cli.Result bad =
        Cli.run(
                "transplant",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("renamed.keras"),
                "--map",
                map,
                "--dry-run")
            .assertExit(3);
    assertTrue(
        bad.assertOneErrorLine().contains("map.txt: line 1: expected 'SOURCE -> TARGET'"),
        bad.err());
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("renamed.keras"),
            "--map",
            map,
            "--match",
            "order",
            "--dry-run")
        .assertExit(2);
  }

  @Test
  void usageAndIoErrors(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("o.keras");
    Cli.run("transplant", "--from", cnn("source.keras"), "--to", cnn("same.keras"))
        .assertExit(2)
        .assertOneErrorLine();
    Cli.run("transplant", "--to", cnn("same.keras"), "-o", out).assertExit(2);
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("same.keras"),
            "-o",
            dir.resolve("o.txt"))
        .assertExit(2);
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("same.keras"),
            "-o",
            out,
            "--adapt",
            "heads")
        .assertExit(2);
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("same.keras"),
            "-o",
            out,
            "--match",
            "shape")
        .assertExit(2);
    Cli.run(
            "transplant",
            "--from",
            cnn("source.keras"),
            "--to",
            cnn("same.keras"),
            "-o",
            cnn("source.keras"),
            "--force")
        .assertExit(2);
    Cli.run(
            "transplant",
            "--from",
            dir.resolve("missing.keras"),
            "--to",
            cnn("same.keras"),
            "-o",
            out)
        .assertExit(5)
        .assertOneErrorLine();
    Path junk = dir.resolve("junk.h5");
    Files.writeString(junk, "not a model");
    Cli.run("transplant", "--from", junk, "--to", cnn("same.keras"), "-o", out)
        .assertExit(3)
        .assertOneErrorLine();
    Files.writeString(out, "existing");
    Cli.run("transplant", "--from", cnn("source.keras"), "--to", cnn("same.keras"), "-o", out)
        .assertExit(5);
    assertEquals("existing", Files.readString(out));
  }

  @Test
  void schemeAndWeightsOnlyFiles(@TempDir Path dir) {
    // a tf-keras weights-only source into a model with an extra layer, written as a Keras 3 weights
    // file
    Path out = dir.resolve("o.weights.h5");
    JsonNode doc =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                cnn("source_weights.h5"),
                "--to",
                cnn("extra.keras"),
                "-o",
                out,
                "--match",
                "structure",
                "--scheme",
                "he_normal")
            .assertExit(0)
            .json();
    assertEquals("weights.h5", doc.get("format").asText());
    assertEquals("he_normal", doc.get("scheme").asText());
    JsonNode kernel = doc.get("weights").get(8);
    JsonNode bias = doc.get("weights").get(9);
    assertEquals("extra", kernel.get("layer").asText());
    assertEquals("HeNormal", kernel.at("/initializer/className").asText());
    assertEquals(
        "Zeros",
        bias.at("/initializer/className")
            .asText()); // a fixed spec draws kernels; biases as configured
    JsonNode inspect = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertEquals(12, inspect.at("/totals/weights").asInt());
  }

  /** A tensor rule that does not parse, or a mistyped shipped name: one line, nothing written. */
  @Test
  void badTensorRuleAndUnknownShippedMappingAreOneLine(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("o.keras");
    Path map = dir.resolve("bad.map");
    java.nio.file.Files.writeString(map, "# ok\nfc.weight => fc/kernel | permute(0,x)\n");
    String line =
        Cli.run(
                "transplant",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("same.keras"),
                "-o",
                out,
                "--map",
                map)
            .assertExit(dev.initkit.cli.ExitCodes.MALFORMED)
            .assertOneErrorLine();
    assertTrue(
        line.contains(map + ": line 2: expected permute(a,b,...), found 'permute(0,x)'"), line);
    String typo =
        Cli.run(
                "transplant",
                "--from",
                cnn("source.keras"),
                "--to",
                cnn("same.keras"),
                "-o",
                out,
                "--map",
                "torch_cnn")
            .assertExit(dev.initkit.cli.ExitCodes.IO)
            .assertOneErrorLine();
    assertTrue(
        typo.contains(
            "torch_cnn: no such file, nor a shipped mapping (torch-cnn, bert, torch-lstm, torch-gru, torch-transformer)"),
        typo);
    assertFalse(java.nio.file.Files.exists(out));
  }
}
