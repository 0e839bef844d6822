package dev.initkit.cli.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import dev.initkit.cli.guarantees.FuzzHarness.Finding;
import dev.initkit.cli.guarantees.FuzzHarness.Input;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every input the fuzzer found a crash, hang, memory blow-up or wrong exit code with, minimized and
 * kept in {@code testdata/fuzz} (made by {@code fuzz/make_regressions.py}; the README there says
 * what each one did before its fix), runs through the same checks as the fuzzer (child JVM with a
 * 256 MB heap, library and command line, all promises) and must be refused with the exit code and
 * message {@code testdata/fuzz/EXPECTED.tsv} lists.
 */
class FuzzRegressionTest {
  @TempDir Path tmp;

  @Test
  void everyRegressionInputIsRefusedCleanly() throws Exception {
    Path dir = Cli.testdata().resolve("fuzz");
    Map<String, String[]> expected = new LinkedHashMap<>();
    for (String line : Files.readAllLines(dir.resolve("EXPECTED.tsv"), StandardCharsets.UTF_8)) {
      if (!line.isBlank() && !line.startsWith("#")) {
        String[] f = line.split("\t");
        expected.put(f[0], f);
      }
    }
    List<String> files;
    try (Stream<Path> s = Files.list(dir)) {
      files =
          s.map(p -> p.getFileName().toString())
              .filter(n -> !n.equals("EXPECTED.tsv") && !n.equals("README.md"))
              .sorted()
              .toList();
    }
    assertEquals(
        List.copyOf(expected.keySet()).stream().sorted().toList(),
        files,
        "every file in testdata/fuzz has a line in EXPECTED.tsv, and the other way round");

    // copies: the fuzz checks include that inputs stay unchanged, and must not touch the repo
    List<Input> inputs = new ArrayList<>();
    for (String f : files) {
      Path d = Files.createDirectories(tmp.resolve("in").resolve(f));
      Files.copy(dir.resolve(f), d.resolve(f));
      inputs.add(new Input(f, d.resolve(f), "testdata/fuzz/" + f));
    }
    FuzzHarness h =
        new FuzzHarness(
            new FuzzHarness.Options(
                inputs.size(), 120, 1, "256m", 1536, Files.createDirectories(tmp.resolve("run"))));
    h.run(inputs, Long.MAX_VALUE);
    List<Finding> findings = h.findings();
    assertTrue(
        findings.isEmpty(),
        () ->
            "regressions:\n"
                + String.join("\n", findings.stream().map(Finding::toString).toList()));
    assertEquals(inputs.size(), h.outcomes().size(), "every input ran");
    for (FuzzHarness.Outcome o : h.outcomes()) {
      String[] want = expected.get(o.input().id());
      int code = Integer.parseInt(want[1]);
      JsonNode cli = o.result().path("cli");
      // inspect's code as listed; convert fails the same way unless inspect succeeds (then the
      // failure is in writing one of the formats, which the library outcome shows)
      for (String key :
          code == 0
              ? List.of("inspect", "inspectJson")
              : List.of("inspect", "inspectJson", "convert")) {
        assertEquals(code, cli.path(key).asInt(), o.input().id() + " " + key + ": " + o.result());
      }
      String said = o.result().path("cliErr").toString() + o.result().path("lib").toString();
      assertTrue(
          said.contains(want[2]), o.input().id() + ": expected '" + want[2] + "' in: " + said);
    }
  }
}
