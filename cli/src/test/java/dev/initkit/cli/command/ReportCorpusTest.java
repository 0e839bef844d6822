package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code report} on every file of the shared corpus: a report (exit 0) or a one-line refusal (3
 * malformed, 4 unsupported); never an internal error (1), in JSON and text. The same for planning
 * {@code reinit} and {@code set-init --reinit} ({@code --dry-run}).
 */
class ReportCorpusTest {

  @TestFactory
  Stream<DynamicTest> everyCorpusFile() throws IOException {
    Path root = Cli.corpus();
    List<Path> inputs = new ArrayList<>();
    for (String dir :
        List.of("h5-full", "h5-weights", "h5-other", "keras-v3", "configs", "savedmodel")) {
      Path d = root.resolve(dir);
      if (Files.isDirectory(d)) {
        try (Stream<Path> s = Files.list(d)) {
          s.filter(p -> dir.equals("configs") || !p.toString().endsWith(".json"))
              .sorted()
              .forEach(inputs::add);
        }
      }
    }
    assertTrue(inputs.size() >= 50, "expected at least 50 corpus inputs, found " + inputs.size());
    return inputs.stream()
        .map(p -> DynamicTest.dynamicTest(root.relativize(p).toString(), () -> check(p)));
  }

  private static void check(Path p) {
    Cli.Result json = Cli.run("report", "--json", p);
    assertTrue(
        Set.of(0, 3, 4).contains(json.exitCode()),
        () -> "exit " + json.exitCode() + ": " + json.err());
    JsonNode doc = json.json();
    if (json.exitCode() == 0) {
      assertTrue(doc.get("ok").asBoolean());
      assertEquals("", json.err());
      assertEquals(doc.at("/totals/weights").asInt(), doc.get("weights").size());
    } else {
      json.assertJsonError(json.exitCode(), json.exitCode() == 3 ? "malformed" : "unsupported");
      json.assertOneErrorLine();
    }
    Cli.Result text = Cli.run("report", p);
    assertEquals(json.exitCode(), text.exitCode(), text::err);
    if (text.exitCode() != 0) {
      text.assertOneErrorLine();
    }
    // planning a reinit or a rewrite never crashes either
    for (Cli.Result r :
        List.of(
            Cli.run("reinit", "--json", "--dry-run", p),
            Cli.run("reinit", "--json", "--dry-run", "--scheme", "auto", p),
            Cli.run(
                "set-init",
                "--json",
                "--dry-run",
                "--reinit",
                "--rule",
                "all=he_normal",
                "--rule",
                "role:bias=zeros",
                p))) {
      assertTrue(
          Set.of(0, 3, 4).contains(r.exitCode()), () -> "exit " + r.exitCode() + ": " + r.err());
      r.json();
    }
  }
}
