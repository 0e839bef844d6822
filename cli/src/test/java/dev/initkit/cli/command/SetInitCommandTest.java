package dev.initkit.cli.command;

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

class SetInitCommandTest {

  @Test
  void rewritesAndReports(@TempDir Path dir) throws Exception {
    Path in = Cli.model("mlp", "tfkeras.h5");
    String before = Cli.sha256(in);
    Path out = dir.resolve("out.h5");
    Cli.Result r =
        Cli.run(
                "set-init",
                in,
                "-o",
                out,
                "--rule",
                "dense_tanh=glorot_normal(seed=3)",
                "--rule",
                "class:Dense,role:bias=constant(0.01)")
            .assertExit(0);
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("wrote " + out + " (h5, "), r.err());
    assertTrue(
        r.err()
            .contains("dense_tanh kernel_initializer: LecunNormal(seed=2) -> GlorotNormal(seed=3)"),
        r.err());
    assertEquals(before, Cli.sha256(in));
    JsonNode inspect = Cli.run("inspect", "--json", out).assertExit(0).json();
    for (JsonNode l : inspect.get("layers")) {
      if (l.get("name").asText().equals("dense_tanh")) {
        assertEquals("GlorotNormal", l.at("/initializers/kernel_initializer/class_name").asText());
        assertEquals(3, l.at("/initializers/kernel_initializer/config/seed").asInt());
        assertEquals(0.01, l.at("/initializers/bias_initializer/config/value").asDouble());
      }
    }
  }

  @Test
  void json(@TempDir Path dir) {
    Path out = dir.resolve("out.keras");
    JsonNode doc =
        Cli.run(
                "set-init",
                "--json",
                Cli.model("lstm", "keras3.keras"),
                "-o",
                out,
                "--rule",
                "role:recurrent_kernel=orthogonal(gain=0.5)",
                "--rule",
                "head=sinusoidal")
            .assertExit(0)
            .json();
    assertEquals("set-init", doc.get("command").asText());
    assertEquals("keras", doc.get("format").asText());
    assertFalse(doc.get("dryRun").asBoolean());
    assertTrue(doc.get("reinit").isNull());
    assertEquals(2, doc.get("rules").size());
    JsonNode c = doc.get("changes").get(0);
    for (String f :
        new String[] {
          "layer",
          "className",
          "role",
          "key",
          "before",
          "after",
          "requested",
          "written",
          "rule",
          "changed"
        }) {
      assertTrue(c.has(f), f);
    }
    assertEquals("OrthogonalInitializer", c.at("/after/class_name").asText());
    assertEquals("keras.initializers", c.at("/after/module").asText());
    JsonNode sin = doc.get("changes").get(doc.get("changes").size() - 1);
    assertEquals("Sinusoidal", sin.at("/requested/className").asText());
    assertEquals("GlorotUniform", sin.at("/written/className").asText());
    assertTrue(
        doc.get("notes").get(0).asText().contains("initkit-only"), doc.get("notes").toString());
  }

  @Test
  void reinitDrawsTheSelectedWeights(@TempDir Path dir) {
    Path out = dir.resolve("out.keras");
    JsonNode doc =
        Cli.run(
                "set-init",
                "--json",
                Cli.model("compiled", "keras3.keras"),
                "-o",
                out,
                "--rule",
                "head=he_uniform",
                "--reinit",
                "--seed",
                "9")
            .assertExit(0)
            .json();
    assertEquals(9, doc.at("/reinit/seed").asInt());
    assertEquals(1, doc.at("/reinit/drawn").asInt());
    assertTrue(doc.get("notes").toString().contains("optimizer weights dropped"), doc.toString());
    JsonNode inspect = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertEquals(0, inspect.at("/training/optimizerWeights").asInt());
  }

  @Test
  void dryRunWritesNothing(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out.h5");
    Cli.Result r =
        Cli.run(
                "set-init",
                Cli.model("mlp", "keras3.h5"),
                "-o",
                out,
                "--rule",
                "all=he_normal",
                "--dry-run")
            .assertExit(0);
    assertTrue(r.out().contains("Changes (dry run: nothing written)"), r.out());
    assertFalse(Files.exists(out));
    try (var s = Files.list(dir)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void errors(@TempDir Path dir) throws Exception {
    Path in = Cli.model("mlp", "keras3.keras");
    Path out = dir.resolve("out.keras");
    // bad rule, bad selector, bad spec: usage
    Cli.run("set-init", "--json", in, "-o", out, "--rule", "dense_tanh")
        .assertExit(2)
        .assertJsonError(2, "usage");
    Cli.run("set-init", in, "-o", out, "--rule", "role:kernal=he_normal")
        .assertExit(2)
        .assertOneErrorLine();
    Cli.run("set-init", in, "-o", out, "--rule", "all=he_nromal")
        .assertExit(2)
        .assertOneErrorLine();
    Cli.run("set-init", in, "-o", out, "--rule", "all=he_normal", "--seed", "3").assertExit(2);
    Cli.run("set-init", in, "--rule", "all=he_normal").assertExit(2);
    Cli.run("set-init", in, "-o", dir.resolve("out.txt"), "--rule", "all=he_normal").assertExit(2);
    assertFalse(Files.exists(out));
    // output exists: refused without --force; OUT = IN refused even with it
    Files.writeString(out, "x");
    Cli.run("set-init", in, "-o", out, "--rule", "all=he_normal")
        .assertExit(5)
        .assertOneErrorLine();
    Cli.run("set-init", in, "-o", out, "--rule", "all=he_normal", "--force").assertExit(0);
    assertNotEquals("x", Files.readString(out, java.nio.charset.StandardCharsets.ISO_8859_1));
    Cli.run("set-init", out, "-o", out, "--rule", "all=he_normal", "--force").assertExit(2);
    // a weights-only file has no config to rewrite: unsupported
    Cli.run(
            "set-init",
            "--json",
            Cli.model("mlp", "keras3.weights.h5"),
            "-o",
            dir.resolve("w.weights.h5"),
            "--rule",
            "all=he_normal")
        .assertExit(4)
        .assertJsonError(4, "unsupported");
  }

  @Test
  void keras1IsUnsupported(@TempDir Path dir) {
    Path k1 = Cli.corpus().resolve("h5-full/k1-conv2d-tf.h5");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(k1));
    Cli.Result r =
        Cli.run("set-init", k1, "-o", dir.resolve("o.h5"), "--rule", "all=he_normal").assertExit(4);
    assertTrue(r.assertOneErrorLine().contains("Keras 1"), r.err());
  }
}
