package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReinitCommandTest {

  @Test
  void defaultSeedIsReproducible(@TempDir Path dir) throws Exception {
    Path in = Cli.model("batchnorm", "keras3.keras");
    Path a = dir.resolve("a.keras");
    Path b = dir.resolve("b.keras");
    Cli.Result r = Cli.run("reinit", in, "-o", a).assertExit(0);
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("seed 0, scheme configured: drawing 12 of 12 weights"), r.err());
    Cli.run("reinit", in, "-o", b, "-q").assertExit(0);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    Path c = dir.resolve("c.keras");
    Cli.run("reinit", in, "-o", c, "--seed", "1", "-q").assertExit(0);
    assertNotEquals(Cli.sha256(a), Cli.sha256(c));
  }

  @Test
  void optimizerWeightsDroppedWithANotice(@TempDir Path dir) {
    Path out = dir.resolve("o.h5");
    Cli.Result r = Cli.run("reinit", Cli.model("compiled", "tfkeras.h5"), "-o", out).assertExit(0);
    assertTrue(r.err().contains("note: optimizer weights dropped ("), r.err());
    JsonNode inspect = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertEquals(0, inspect.at("/training/optimizerWeights").asInt());
  }

  /**
   * Issue 18 item 9: 50,000 stars overflowed the stack of java.nio's glob; now they match every
   * class.
   */
  @Test
  void fiftyThousandStarsSelectWithoutAStackTrace() {
    Cli.Result r =
        Cli.run(
                "reinit",
                Cli.model("lstm", "keras3.keras"),
                "--dry-run",
                "--only",
                "class:" + "*".repeat(50_000))
            .assertExit(0);
    assertTrue(
        r.out().startsWith("Plan: scheme configured, seed 0: 8 of 8 weights drawn"), r.out());
    assertFalse(r.err().contains("Exception") || r.err().contains("Error"), r.err());
    String bad =
        Cli.run("reinit", Cli.model("lstm", "keras3.keras"), "--dry-run", "--only", "class:[z-a]")
            .assertExit(2)
            .assertOneErrorLine();
    assertTrue(bad.contains("bad glob '[z-a]'"), bad);
  }

  @Test
  void dryRunPrintsThePlan(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("o.keras");
    Cli.Result r =
        Cli.run(
                "reinit",
                Cli.model("lstm", "keras3.keras"),
                "--dry-run",
                "--only",
                "lstm_a",
                "--scheme",
                "auto")
            .assertExit(0);
    assertTrue(r.out().startsWith("Plan: scheme auto, seed 0: 3 of 8 weights drawn"), r.out());
    assertTrue(r.out().contains("forget-gate ones"), r.out());
    assertTrue(r.out().contains("not selected"), r.out());
    assertFalse(Files.exists(out));
    JsonNode doc =
        Cli.run("reinit", "--json", Cli.model("lstm", "keras3.keras"), "--dry-run", "--seed", "5")
            .assertExit(0)
            .json();
    assertTrue(doc.get("dryRun").asBoolean());
    assertTrue(doc.get("output").isNull());
    assertEquals(5, doc.get("seed").asInt());
    assertEquals("configured", doc.get("scheme").asText());
    assertEquals(8, doc.get("weights").size());
    JsonNode w = doc.get("weights").get(0);
    for (String f :
        new String[] {
          "layer",
          "weight",
          "role",
          "shape",
          "drawn",
          "initializer",
          "unitForgetBias",
          "reason",
          "seedName",
          "streamSeed"
        }) {
      assertTrue(w.has(f), f);
    }
    assertEquals("kernel#0", w.get("seedName").asText());
  }

  @Test
  void fixedSchemeAndSelectors(@TempDir Path dir) {
    JsonNode doc =
        Cli.run(
                "reinit",
                "--json",
                Cli.model("mlp", "keras3.keras"),
                "-o",
                dir.resolve("o.keras"),
                "--scheme",
                "he_uniform(seed=1)",
                "--only",
                "dense_relu",
                "--only",
                "head")
            .assertExit(0)
            .json();
    assertEquals(2, doc.get("drawn").asInt(), "kernels of dense_relu and the head; biases kept");
    assertEquals("keras", doc.get("format").asText());
  }

  @Test
  void errors(@TempDir Path dir) throws Exception {
    Path in = Cli.model("mlp", "keras3.keras");
    Cli.run("reinit", "--json", in, "-o", dir.resolve("o.keras"), "--scheme", "bogus")
        .assertExit(2)
        .assertJsonError(2, "usage");
    Cli.run("reinit", in, "-o", dir.resolve("o.keras"), "--only", "depth:0")
        .assertExit(2)
        .assertOneErrorLine();
    Cli.run(
            "reinit",
            in,
            "-o",
            dir.resolve("o.keras"),
            "--scheme",
            "identity",
            "--only",
            "role:bias")
        .assertExit(2);
    Cli.run("reinit", in).assertExit(2).assertOneErrorLine();
    Cli.run("reinit", in, "-o", in, "--force").assertExit(2);
    try (var s = Files.list(dir)) {
      assertEquals(0, s.count(), "nothing written");
    }
  }
}
