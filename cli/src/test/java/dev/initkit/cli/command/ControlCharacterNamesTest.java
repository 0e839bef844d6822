package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.cli.Cli;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names from a model file reach the terminal escaped (issue 18, item 11): a layer named with an
 * escape sequence, a newline and a carriage return, a model name with a bidi override, a C1 control
 * in another layer's name. Text output holds no raw control character but the line ends; the JSON
 * output keeps the true names.
 */
class ControlCharacterNamesTest {
  static final String LAYER = "evil\u001b[2J\nfake row\rx";
  static final String LAYER_SHOWN = "evil\\e[2J\\nfake row\\rx";
  static final String MODEL = "m\u202eodel";
  static final String MODEL_SHOWN = "m\\u202eodel";
  static final String DROPOUT = "caf\u00e9_\u5c64\u009b31m";
  static final String DROPOUT_SHOWN = "caf\u00e9_\u5c64\\u009b31m";

  @TempDir static Path dir;
  static Path model;

  /** The mlp test model with its layers and the model renamed in config.json. */
  @BeforeAll
  static void craft() throws IOException {
    model = dir.resolve("odd names.keras");
    Path src = Cli.model("mlp", "keras3.keras");
    ObjectMapper json = new ObjectMapper();
    try (ZipFile in = new ZipFile(src.toFile());
        OutputStream os = Files.newOutputStream(model);
        ZipOutputStream out = new ZipOutputStream(os)) {
      for (ZipEntry e : Collections.list(in.entries())) {
        byte[] data;
        try (InputStream s = in.getInputStream(e)) {
          data = s.readAllBytes();
        }
        if (e.getName().equals("config.json")) {
          ObjectNode config = (ObjectNode) json.readTree(data);
          ((ObjectNode) config.get("config")).put("name", MODEL);
          for (JsonNode l : config.at("/config/layers")) {
            ObjectNode c = (ObjectNode) l.get("config");
            switch (c.get("name").asText()) {
              case "dense_relu" -> c.put("name", LAYER);
              case "dropout" -> c.put("name", DROPOUT);
              default -> {}
            }
          }
          data = json.writeValueAsBytes(config);
        }
        out.putNextEntry(new ZipEntry(e.getName()));
        out.write(data);
        out.closeEntry();
      }
    }
  }

  @Test
  void inspectShowsTheNamesEscaped() {
    Cli.Result r = Cli.run("inspect", model).assertExit(0);
    assertSafe(r);
    assertTrue(r.out().contains(LAYER_SHOWN + " (Dense)"), r.out());
    assertTrue(r.out().contains(DROPOUT_SHOWN + " (Dropout)"), r.out());
    assertTrue(r.out().contains("\"" + MODEL_SHOWN + "\""), r.out());
  }

  @Test
  void inspectJsonKeepsTheTrueNames() {
    JsonNode doc = Cli.run("inspect", "--json", model).assertExit(0).json();
    assertEquals(MODEL, doc.at("/model/name").asText());
    assertEquals(LAYER, doc.at("/layers/1/name").asText(), doc::toString);
    assertEquals(DROPOUT, doc.at("/layers/2/name").asText(), doc::toString);
  }

  @Test
  void reportTextAndMarkdownShowTheNamesEscaped() {
    for (String[] args : new String[][] {{"report"}, {"report", "--markdown"}}) {
      Cli.Result r = Cli.run(args[0], model, args.length > 1 ? args[1] : "-q").assertExit(0);
      assertSafe(r);
      assertTrue(r.out().contains(LAYER_SHOWN), r.out());
    }
  }

  @Test
  void dryRunPlansShowTheNamesEscaped() {
    Cli.Result reinit = Cli.run("reinit", model, "--dry-run").assertExit(0);
    assertSafe(reinit);
    assertTrue(reinit.out().contains(LAYER_SHOWN), reinit.out());
    Cli.Result setInit =
        Cli.run(
                "set-init",
                model,
                "-o",
                dir.resolve("o.keras"),
                "--rule",
                "all=he_normal",
                "--reinit",
                "--dry-run")
            .assertExit(0);
    assertSafe(setInit);
    assertTrue(setInit.out().contains(LAYER_SHOWN), setInit.out());
  }

  @Test
  void writtenSummaryOnStderrShowsTheNamesEscaped() {
    Cli.Result r =
        Cli.run("set-init", model, "-o", dir.resolve("w.keras"), "--rule", "all=he_normal")
            .assertExit(0);
    assertSafe(r);
    assertTrue(r.err().contains(LAYER_SHOWN), r.err());
  }

  /** No control character but the line ends, in stdout and stderr. */
  private static void assertSafe(Cli.Result r) {
    for (String s : new String[] {r.out(), r.err()}) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        boolean control =
            Character.isISOControl(c)
                || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069');
        if (control && c != '\n') {
          fail(String.format("raw U+%04X at %d in:%n%s", (int) c, i, s));
        }
      }
    }
  }
}
