package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.cli.Cli;
import dev.initkit.cli.ExitCodes;
import dev.initkit.cli.JsonOutput;
import dev.initkit.render.ScanJson;
import dev.initkit.scan.FileScan;
import dev.initkit.scan.Scanner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScanCommandTest {
  private static Path scanFile(String name) {
    return Cli.testdata().resolve("scan").resolve(name);
  }

  @Test
  void jsonHoldsEachFileWithItsFindings() {
    Path lambda = scanFile("lambda_nested.keras");
    Path link = scanFile("h5_external_link.h5");
    JsonNode doc = Cli.run("scan", "--json", lambda, link).assertExit(0).json();
    assertEquals("scan", doc.get("command").asText());
    JsonNode files = doc.get("files");
    assertEquals(2, files.size());
    assertEquals(lambda.toString(), files.get(0).get("path").asText());
    JsonNode f = files.get(0).get("findings").get(0);
    assertEquals(1, files.get(0).get("findings").size());
    assertEquals("lambda-code", f.get("rule").asText());
    assertEquals("high", f.get("severity").asText());
    assertEquals("config.json", f.at("/location/member").asText());
    assertEquals("inner/td/lambda", f.at("/location/layer").asText());
    assertEquals("CVE-2024-3660", f.get("cve").asText());
    JsonNode g = files.get(1).get("findings").get(0);
    assertEquals("h5-external-link", g.get("rule").asText());
    assertEquals("/model_weights/d1/leak", g.at("/location/member").asText());
    assertEquals("CVE-2026-1669", g.get("cve").asText());
  }

  /** The document {@link JsonOutput#write} prints for {@code results}, all at once. */
  private static String buffered(List<FileScan> results) {
    ObjectNode doc = JsonOutput.success("scan");
    ArrayNode files = doc.putArray("files");
    results.forEach(r -> files.add(ScanJson.file(r)));
    StringWriter w = new StringWriter();
    JsonOutput.write(new PrintWriter(w), doc);
    return w.toString();
  }

  @Test
  void streamedJsonIsTheBufferedDocumentInInputOrder() throws Exception {
    Path dir = Cli.testdata().resolve("scan");
    Path one = scanFile("lambda_nested.h5");
    List<FileScan> results = new ArrayList<>();
    // one thread: the order of the walk, which the streamed output must keep with any pool
    new Scanner(Scanner.Options.defaults().withThreads(1)).scan(List.of(one, dir), results::add);
    assertTrue(results.size() > 20, results::toString);
    String want = buffered(results);
    for (String threads : List.of("1", "3")) {
      String got = Cli.run("scan", "--json", "--threads", threads, one, dir).assertExit(0).out();
      assertEquals(want, got, "--threads " + threads);
    }
    // no entry at all: the writer's empty document is the buffered one too
    StringWriter w = new StringWriter();
    new ScanJsonWriter(new PrintWriter(w)).finish();
    assertEquals(buffered(List.of()), w.toString());
    new ObjectMapper().readTree(w.toString());
  }

  @Test
  void tableHasALinePerFindingAndASummary() {
    Cli.Result r = Cli.run("scan", scanFile("vocab_file.keras")).assertExit(0);
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.out());
    assertTrue(lines.get(0).startsWith("high    lookup-vocabulary-path"), lines.get(0));
    assertTrue(lines.get(0).endsWith("[CVE-2025-12058]"), lines.get(0));
    assertEquals("1 file scanned: 1 high, 0 medium, 0 low, 0 info, 0 not scannable", lines.get(1));
  }

  @Test
  void failOnHasItsOwnExitCode() {
    Cli.run("scan", "--fail-on", "high", scanFile("clean.keras")).assertExit(ExitCodes.OK);
    Cli.run("scan", "--fail-on", "high", scanFile("lambda_nested.h5"))
        .assertExit(ExitCodes.FINDINGS);
    // a low finding fails --fail-on low but not --fail-on medium
    Cli.run("scan", "--fail-on", "medium", scanFile("health_zero.keras")).assertExit(0);
    Cli.run("scan", "--fail-on", "LOW", scanFile("health_zero.keras")).assertExit(7);
    Cli.Result bad = Cli.run("scan", "--fail-on", "severe", scanFile("clean.keras"));
    bad.assertExit(ExitCodes.USAGE);
    assertTrue(bad.err().contains("expected high, medium, low or info"), bad.err());
    assertEquals("findings", ExitCodes.kind(ExitCodes.FINDINGS));
  }

  @Test
  void aMissingPathIsAnIoError(@TempDir Path dir) {
    Cli.Result r = Cli.run("scan", dir.resolve("nope.h5")).assertExit(ExitCodes.IO);
    assertEquals("", r.out());
  }

  @Test
  void sarifCarriesTheRequiredFieldsOfSarif210(@TempDir Path dir) throws Exception {
    Path sarif = dir.resolve("out.sarif");
    Cli.run("scan", "--sarif", sarif, Cli.testdata().resolve("scan")).assertExit(0);
    JsonNode log = new ObjectMapper().readTree(Files.readString(sarif));
    // required by the 2.1.0 schema: sarifLog.version and runs; run.tool; tool.driver;
    // toolComponent.name; result.message; message.text; notification.message
    assertEquals("2.1.0", log.get("version").asText());
    assertEquals("https://json.schemastore.org/sarif-2.1.0.json", log.get("$schema").asText());
    assertEquals(1, log.get("runs").size());
    JsonNode run = log.get("runs").get(0);
    JsonNode driver = run.at("/tool/driver");
    assertEquals("initkit", driver.get("name").asText());
    Set<String> ruleIds = new HashSet<>();
    for (JsonNode rule : driver.get("rules")) {
      assertTrue(ruleIds.add(rule.get("id").asText()));
      assertFalse(rule.at("/shortDescription/text").asText().isEmpty());
    }
    Set<String> levels = Set.of("none", "note", "warning", "error");
    Set<String> seen = new HashSet<>();
    assertTrue(run.get("results").size() >= 20, run.get("results").toString());
    for (JsonNode r : run.get("results")) {
      assertTrue(ruleIds.contains(r.get("ruleId").asText()), r.toString());
      assertTrue(levels.contains(r.get("level").asText()), r.toString());
      assertFalse(r.at("/message/text").asText().isEmpty());
      String uri = r.at("/locations/0/physicalLocation/artifactLocation/uri").asText();
      assertTrue(uri.contains("testdata/scan/"), uri);
      assertFalse(uri.contains(" "), uri);
      seen.add(r.get("ruleId").asText());
    }
    assertTrue(
        seen.contains("zip-path-traversal") && seen.contains("h5-virtual-dataset"), seen::toString);
    JsonNode notes = run.at("/invocations/0/toolExecutionNotifications");
    assertEquals(2, notes.size()); // the two archives the reader refuses outright
    for (JsonNode n : notes) {
      assertFalse(n.at("/message/text").asText().isEmpty());
    }
  }

  @Test
  void aSavedModelsKerasMetadataIsReadEvenWithoutHealth() {
    Path sm = Cli.corpus().resolve("savedmodel/tf2.12-keras-lstm-sequential");
    JsonNode doc = Cli.run("scan", "--json", "--no-health", sm).assertExit(0).json();
    JsonNode f = doc.at("/files/0");
    assertEquals("savedmodel", f.get("format").asText());
    assertTrue(f.get("error").isNull(), f::toString);
    assertEquals(0, f.get("findings").size(), f::toString);
  }
}
