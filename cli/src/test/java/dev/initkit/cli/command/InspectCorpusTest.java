package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import dev.initkit.testing.CorpusOutcomes;
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
 * {@code inspect} on every file of the shared corpus of real Keras files: each one either is
 * described (exit 0) or refused with one line (exit 3 malformed, 4 unsupported), in both output
 * modes, exactly as {@code testdata/corpus/EXPECTED.tsv} pins it (exit code; parameter count or
 * message). Never a crash (exit 1), never a stack trace.
 */
class InspectCorpusTest {

  @TestFactory
  Stream<DynamicTest> everyCorpusFile() throws IOException {
    Path root = Cli.corpus();
    List<Path> inputs = new ArrayList<>();
    for (String dir : List.of("h5-full", "h5-weights", "h5-other", "keras-v3", "configs")) {
      Path d = root.resolve(dir);
      if (Files.isDirectory(d)) {
        try (Stream<Path> s = Files.list(d)) {
          // a <name>.json beside a weights file is its companion config, not an input
          s.filter(p -> dir.equals("configs") || !p.toString().endsWith(".json"))
              .sorted()
              .forEach(inputs::add);
        }
      }
    }
    Path saved = root.resolve("savedmodel");
    if (Files.isDirectory(saved)) {
      try (Stream<Path> s = Files.list(saved)) {
        s.sorted().forEach(inputs::add);
      }
    }
    assertTrue(inputs.size() >= 50, "expected at least 50 corpus inputs, found " + inputs.size());
    CorpusOutcomes pinned = CorpusOutcomes.load();
    pinned.assertAllPresent(root);
    assertEquals(
        pinned.size(),
        inputs.size(),
        "every corpus file has a row in testdata/corpus/EXPECTED.tsv and no other");
    return inputs.stream()
        .map(
            p ->
                DynamicTest.dynamicTest(
                    root.relativize(p).toString(), () -> check(p, pinned.of(root, p))));
  }

  private static void check(Path p, CorpusOutcomes.Outcome want) {
    Cli.Result json = Cli.run("inspect", "--json", p);
    assertTrue(
        Set.of(0, 3, 4).contains(json.exitCode()),
        () -> "exit " + json.exitCode() + ": " + json.err());
    assertEquals(
        want.exit(),
        json.exitCode(),
        () -> "pinned outcome (testdata/corpus/EXPECTED.tsv) changed: " + json.err());
    JsonNode doc = json.json();
    if (json.exitCode() == 0) {
      assertTrue(doc.get("ok").asBoolean());
      assertEquals("", json.err());
      long sum = 0;
      for (JsonNode l : doc.get("layers")) {
        for (JsonNode w : l.get("weights")) {
          sum += w.get("params").asLong();
        }
      }
      assertEquals(doc.at("/totals/params").asLong(), sum);
      assertEquals(want.params(), sum, "pinned parameter count (testdata/corpus/EXPECTED.tsv)");
    } else {
      json.assertJsonError(json.exitCode(), json.exitCode() == 3 ? "malformed" : "unsupported");
      json.assertOneErrorLine();
      assertTrue(
          json.err().contains(want.message()),
          () -> "pinned message '" + want.message() + "' not in: " + json.err());
    }
    Cli.Result text = Cli.run("inspect", p);
    assertEquals(json.exitCode(), text.exitCode(), text::err);
    if (text.exitCode() != 0) {
      text.assertOneErrorLine();
      assertEquals("", text.out());
    } else {
      assertEquals("", text.err());
    }
  }
}
