package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.initkit.cli.Cli;
import dev.initkit.cli.ExitCodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code transplant --map} from safetensors tensors of every low-precision float code (float8,
 * float6, float4, e8m0) into a real Keras 3 model with float32, float16 and bfloat16 layers: {@code
 * testdata/transplant/low_precision.py} writes the source (every bit pattern of each code where the
 * weight has room, NaNs included) and, after the transplant, loads the output in Keras and compares
 * every weight bit for bit with ml_dtypes' float32 decode of its source tensor cast by numpy to the
 * weight's dtype. A C64 tensor stays unused; a rule that places it exits 4.
 */
class LowPrecisionTransplantIT {
  @TempDir Path dir;

  private static String script() {
    return Cli.testdata().resolve("transplant/low_precision.py").toString();
  }

  private String run(String py, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(py, script()));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "python", ".log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "low_precision.py timed out");
    assertEquals(0, p.exitValue(), () -> "low_precision.py failed: " + read(log));
    return new String(out, StandardCharsets.UTF_8);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private void transplantAndCheck(String python, Path d) throws Exception {
    run(python, "make", d.toString());
    Path out = d.resolve("out.keras");
    JsonNode doc =
        Cli.run(
                "transplant",
                "--from",
                d.resolve("source.safetensors"),
                "--to",
                d.resolve("target.keras"),
                "-o",
                out,
                "--map",
                d.resolve("source.map"),
                "--strict",
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    assertEquals(8, doc.get("weights").size(), doc.toString());
    assertEquals(
        8,
        doc.get("totals").get("loaded").asInt() + doc.get("totals").get("adapted").asInt(),
        doc.toString());
    assertEquals(1, doc.get("unusedSource").size(), doc.toString());
    JsonNode unused = doc.get("unusedSource").get(0);
    assertEquals("complex64", unused.get("dtype").asText(), unused.toString());
    assertTrue(unused.get("reason").asText().contains("unused.c64"), unused.toString());

    JsonNode truth =
        new ObjectMapper().readTree(run(python, "check", d.toString(), out.toString()));
    assertEquals(8, truth.get("weights").asInt(), truth.toString());
    assertEquals(8, truth.get("compared").asInt(), truth.toString());
    assertEquals(0, truth.get("mismatched").size(), truth.toString());
    assertTrue(truth.get("nans").asInt() > 0, "NaN patterns compared too: " + truth);

    // the same values under Keras paths, matched by name (no mapping): loaded into the float32
    // weights, cast into the float16 and bfloat16 ones
    Path byName = d.resolve("by_name.keras");
    JsonNode named =
        Cli.run(
                "transplant",
                "--from",
                d.resolve("keras_source.safetensors"),
                "--to",
                d.resolve("target.keras"),
                "-o",
                byName,
                "--strict",
                "--json")
            .assertExit(ExitCodes.OK)
            .json();
    assertEquals(4, named.get("totals").get("loaded").asInt(), named.toString());
    assertEquals(4, named.get("totals").get("adapted").asInt(), named.toString());
    assertTrue(
        named.toString().contains("same shape; F8_E4M3 decoded exactly to float32"),
        named.toString());
    truth = new ObjectMapper().readTree(run(python, "check", d.toString(), byName.toString()));
    assertEquals(8, truth.get("compared").asInt(), truth.toString());
    assertEquals(0, truth.get("mismatched").size(), truth.toString());
    // a C64 tensor matched by name is refused the same way
    String c64 =
        Cli.run(
                "transplant",
                "--from",
                d.resolve("keras_c64.safetensors"),
                "--to",
                d.resolve("target.keras"),
                "-o",
                d.resolve("c64.keras"))
            .assertExit(ExitCodes.UNSUPPORTED)
            .assertOneErrorLine();
    assertTrue(c64.contains("keras_c64.safetensors: bf/bias: dtype C64 (complex64)"), c64);
    assertFalse(Files.exists(d.resolve("c64.keras")));

    // the C64 tensor placed by a rule: one line naming file, tensor and dtype, exit 4, no output
    Path map = d.resolve("c64.map");
    Files.writeString(map, "unused.c64 => bf/bias\n");
    Path refused = d.resolve("refused.keras");
    for (boolean dry : List.of(true, false)) {
      List<Object> args =
          new ArrayList<>(
              List.of(
                  "transplant",
                  "--from",
                  d.resolve("source.safetensors"),
                  "--to",
                  d.resolve("target.keras"),
                  "-o",
                  refused,
                  "--map",
                  map));
      if (dry) {
        args.add("--dry-run");
      }
      String line = Cli.run(args.toArray()).assertExit(ExitCodes.UNSUPPORTED).assertOneErrorLine();
      assertTrue(
          line.contains("source.safetensors: unused.c64: dtype C64 (complex64)")
              && line.contains("bf/bias"),
          line);
      assertFalse(Files.exists(refused));
    }
  }

  @Test
  void pinnedKeras() throws Exception {
    String python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isBlank(), "initkit.python not set: real-Keras check skipped");
    transplantAndCheck(python, Files.createDirectory(dir.resolve("pinned")));
  }

  @Test
  void newestKeras() throws Exception {
    String newest = System.getProperty("initkit.pythonNewest", "");
    assumeTrue(!newest.isBlank(), "initkit.pythonNewest not set");
    transplantAndCheck(newest, Files.createDirectory(dir.resolve("newest")));
  }
}
