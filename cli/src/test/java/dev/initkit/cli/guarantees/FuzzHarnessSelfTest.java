package dev.initkit.cli.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.cli.Cli;
import dev.initkit.cli.guarantees.FuzzHarness.Finding;
import dev.initkit.cli.guarantees.FuzzHarness.Input;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzzer can fail: child JVMs told to break one promise each (a JVM that dies as on a native
 * crash, a hang, an out-of-memory error, a stack trace on stderr, a changed input; see {@link
 * FuzzChild#SELF_TEST}) are each reported as that kind of finding against that input, while a real
 * model in the same batch is reported clean and as read successfully.
 */
class FuzzHarnessSelfTest {
  @TempDir Path tmp;

  @Test
  void everyKindOfBrokenPromiseIsReportedAgainstItsInput() throws Exception {
    Path model = Cli.model("mlp", "tfkeras.h5");
    List<Input> inputs = new ArrayList<>();
    for (String name :
        List.of(
            "control",
            "selftest-crash",
            "selftest-hang",
            "selftest-oom",
            "selftest-stacktrace",
            "selftest-change",
            "control2")) {
      Path d = Files.createDirectories(tmp.resolve("in").resolve(name));
      Path f = d.resolve(name + ".h5");
      Files.copy(model, f);
      inputs.add(new Input(name, f, "self-test"));
    }
    // one batch, so that each failure also has to be isolated from its neighbours; the per-input
    // timeout is what a hang costs this test, and generous for a 30 KB model on a busy machine
    FuzzHarness h =
        new FuzzHarness(
                new FuzzHarness.Options(
                    inputs.size(),
                    30,
                    1,
                    "256m",
                    1536,
                    Files.createDirectories(tmp.resolve("run"))))
            .childProperty(FuzzChild.SELF_TEST, "true");
    h.run(inputs, Long.MAX_VALUE);

    Map<String, Set<String>> kinds = new TreeMap<>();
    for (Finding f : h.findings()) {
      kinds
          .computeIfAbsent(f.input() == null ? "-" : f.input().id(), k -> new TreeSet<>())
          .add(f.kind());
    }
    String all = String.join("\n", h.findings().stream().map(Finding::toString).toList());
    assertTrue(kinds.getOrDefault("selftest-crash", Set.of()).contains("crash"), all);
    assertEquals(Set.of("hang"), kinds.get("selftest-hang"), all);
    assertEquals(Set.of("oom"), kinds.get("selftest-oom"), all);
    assertEquals(Set.of("stacktrace"), kinds.get("selftest-stacktrace"), all);
    assertEquals(Set.of("problem"), kinds.get("selftest-change"), all);
    assertTrue(
        h.findings().stream()
            .anyMatch(
                f ->
                    f.input() != null
                        && f.input().id().equals("selftest-change")
                        && f.detail().contains("input changed")),
        all);
    assertTrue(
        !kinds.containsKey("control") && !kinds.containsKey("control2") && !kinds.containsKey("-"),
        all);
    for (String control : List.of("control", "control2")) {
      FuzzHarness.Outcome o =
          h.outcomes().stream()
              .filter(x -> x.input().id().equals(control))
              .findFirst()
              .orElseThrow(() -> new AssertionError(control + " did not run: " + all));
      assertEquals(0, o.result().path("cli").path("inspect").asInt(-1), o.result().toString());
      assertEquals(0, o.result().path("cli").path("convert").asInt(-1), o.result().toString());
    }
  }
}
