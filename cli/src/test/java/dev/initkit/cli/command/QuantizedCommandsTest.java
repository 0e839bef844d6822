package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands on Keras 3 quantized models (testdata/models/quant_*): exit codes and one-line
 * refusals.
 */
class QuantizedCommandsTest {
  @TempDir Path tmp;

  @Test
  void reinitRefusesQuantizedWeightsWithExit4AndWritesNothing() {
    Path in = Cli.model("quant_int8", "keras3.keras");
    Path out = tmp.resolve("out.keras");
    Cli.Result r = Cli.run("reinit", in, "-o", out).assertExit(4);
    assertTrue(
        r.err().startsWith("initkit: " + in + ": embed/embeddings: quantized weight (int8 codes"),
        r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(Files.exists(out));
    // the float weights can still be drawn when a selector leaves the quantized ones out
    Cli.run(
            "reinit",
            in,
            "-o",
            out,
            "--only",
            "role:bias",
            "--only",
            "class:LayerNormalization",
            "-q")
        .assertExit(0);
    assertTrue(Files.exists(out));
  }

  @Test
  void setInitRefusesARuleOnAQuantizedKernel() {
    Path in = Cli.model("quant_int4", "keras3.h5");
    Path out = tmp.resolve("out.h5");
    Cli.Result r = Cli.run("set-init", in, "-o", out, "--rule", "dense=he_normal").assertExit(4);
    assertTrue(
        r.err().contains(": dense/kernel: quantized weight (int4 codes packed two per int8 byte"),
        r.err());
    assertFalse(Files.exists(out));
    Cli.run("set-init", in, "-o", out, "--rule", "ln,role:gamma=ones", "-q").assertExit(0);
  }

  @Test
  void convertToLegacyH5IsRefusedAndKerasFormatsAreWritten() {
    Path in = Cli.model("quant_int8", "keras3.keras");
    Cli.Result r = Cli.run("convert", in, "-o", tmp.resolve("out.h5")).assertExit(4);
    assertTrue(
        r.err()
            .contains(
                "embed: Embedding field 'dtype': QuantizedDTypePolicy marks a quantised layer"),
        r.err());
    Cli.run("convert", in, "-o", tmp.resolve("out.keras"), "-q").assertExit(0);
    Cli.run("convert", in, "-o", tmp.resolve("out.weights.h5"), "-q").assertExit(0);
  }

  @Test
  void reportNamesModeAndScaleAndGivesNoFans() {
    Path in = Cli.model("quant_int4", "keras3.keras");
    Cli.Result text = Cli.run("report", in).assertExit(0);
    assertTrue(text.out().contains("Quantized weights"), text.out());
    assertTrue(
        text.out()
            .contains("int4 codes packed two per int8 byte (stored int8), scale kernel_scale"),
        text.out());
    JsonNode json = Cli.run("report", in, "--json").assertExit(0).json();
    for (JsonNode w : json.path("weights")) {
      if (w.path("weight").asText().equals("dense/kernel")) {
        assertEquals("int4", w.path("quantization").path("mode").asText());
        assertEquals("codes", w.path("quantization").path("part").asText());
        assertEquals("int8", w.path("dtype").asText());
        assertTrue(w.path("fanIn").isNull(), w.toString());
        return;
      }
    }
    throw new AssertionError("no dense/kernel in " + json);
  }
}
