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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code transplant --map} from PyTorch-layout safetensors with the shipped mappings, against real
 * Keras: {@code testdata/transplant/torch_layout.py} builds a CNN, a BERT-style encoder, a stacked
 * LSTM and a GRU with random weights, writes those weights with PyTorch names and layouts, and
 * after the transplant compares every weight bit for bit and the predictions (within 1e-6) with the
 * original Keras model, in one Python process per model.
 */
class TorchLayoutTransplantIT {
  @TempDir static Path dir;
  private static String python;

  @BeforeAll
  static void make() throws Exception {
    python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isBlank(), "initkit.python not set: real-Keras check skipped");
    String out = run(python, script(), "make", dir.toString());
    assertTrue(Files.exists(dir.resolve("bert.safetensors")), out);
  }

  private static String script() {
    return Cli.testdata().resolve("transplant/torch_layout.py").toString();
  }

  private static String run(String py, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(py));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "python", ".log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "torch_layout.py timed out");
    assertEquals(0, p.exitValue(), () -> "torch_layout.py failed: " + read(log));
    return new String(out, StandardCharsets.UTF_8);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  /** Transplants NAME with MAP, strict; checks the plan, then real Keras's verdict. */
  private static void transplantAndCheck(String name, String map, List<String> unused)
      throws Exception {
    transplantAndCheck(python, dir, name, map, unused);
  }

  private static void transplantAndCheck(
      String python, Path dir, String name, String map, List<String> unused) throws Exception {
    Path out = dir.resolve(name + "_out.keras");
    Cli.Result r =
        Cli.run(
            "transplant",
            "--from",
            dir.resolve(name + ".safetensors"),
            "--to",
            dir.resolve(name + "_target.keras"),
            "-o",
            out,
            "--map",
            map,
            "--strict",
            "--json");
    r.assertExit(ExitCodes.OK);
    JsonNode doc = r.json();
    int weights = doc.get("weights").size();
    assertEquals(
        weights,
        doc.get("totals").get("loaded").asInt() + doc.get("totals").get("adapted").asInt(),
        name);
    for (JsonNode w : doc.get("weights")) {
      assertTrue(
          w.get("detail").asText().contains("of shipped mapping " + map + ")"), w.toString());
    }
    List<String> gotUnused = new ArrayList<>();
    doc.get("unusedSource").forEach(u -> gotUnused.add(u.get("reason").asText()));
    assertEquals(unused, gotUnused, name);

    JsonNode truth =
        new ObjectMapper()
            .readTree(run(python, script(), "check", dir.toString(), name, out.toString()));
    assertEquals(weights, truth.get("weights").asInt(), truth.toString());
    assertEquals(weights, truth.get("compared").asInt(), truth.toString());
    assertEquals(0, truth.get("mismatched").size(), truth.toString());
    assertEquals(0, truth.get("equal_before").asInt(), "the target differed everywhere: " + truth);
    assertTrue(truth.get("max_diff").asDouble() <= 1e-6, truth.toString());
    assertTrue(truth.get("output_std").asDouble() > 0.05, "predictions vary: " + truth);
  }

  @Test
  void torchCnnConvBatchNormLinear() throws Exception {
    transplantAndCheck(
        "cnn",
        "torch-cnn",
        List.of(
            "no rule of shipped mapping torch-cnn matches bn1.num_batches_tracked",
            "no rule of shipped mapping torch-cnn matches layer1.0.bn1.num_batches_tracked"));
  }

  /** The newest Keras of the matrix writes and checks the same models (its own files). */
  @Test
  void newestKerasToo() throws Exception {
    String newest = System.getProperty("initkit.pythonNewest", "");
    assumeTrue(!newest.isBlank(), "initkit.pythonNewest not set");
    Path d = Files.createDirectory(dir.resolve("newest"));
    run(newest, script(), "make", d.toString());
    transplantAndCheck(
        newest,
        d,
        "cnn",
        "torch-cnn",
        List.of(
            "no rule of shipped mapping torch-cnn matches bn1.num_batches_tracked",
            "no rule of shipped mapping torch-cnn matches layer1.0.bn1.num_batches_tracked"));
    transplantAndCheck(newest, d, "bert", "bert", List.of());
    transplantAndCheck(newest, d, "lstm", "torch-lstm", List.of());
    transplantAndCheck(newest, d, "gru", "torch-gru", List.of());
  }

  @Test
  void bertEncoderSplitHeads() throws Exception {
    transplantAndCheck("bert", "bert", List.of());
  }

  @Test
  void stackedLstmSummedBiases() throws Exception {
    transplantAndCheck("lstm", "torch-lstm", List.of());
  }

  @Test
  void gruGateOrderAndBiasRows() throws Exception {
    transplantAndCheck("gru", "torch-gru", List.of());
  }

  /** A rule whose shape does not fit: one line naming file, line, key and shapes; strict fails. */
  @Test
  void aMisfitIsOneLineAndStrictFailsWithoutWriting() throws Exception {
    Path map = dir.resolve("wrong.map");
    Files.writeString(
        map,
        "# fc kept in PyTorch layout by mistake\n"
            + "re:(.+)\\.weight => $1/kernel | permute(2,3,1,0)\n"
            + "re:(.+)\\.weight => $1/kernel\n"
            + "re:(.+)\\.bias => $1/bias\n");
    Path out = dir.resolve("wrong.keras");
    Cli.Result r =
        Cli.run(
            "transplant",
            "--from",
            dir.resolve("cnn.safetensors"),
            "--to",
            dir.resolve("cnn_target.keras"),
            "-o",
            out,
            "--map",
            map,
            "--strict");
    r.assertExit(ExitCodes.CHECK_FAILED);
    assertFalse(Files.exists(out));
    String line = "line 3 of " + map + ": fc.weight (5, 6) gives (5, 6), but fc/kernel is (6, 5)";
    assertTrue(r.out().contains(line), r.out());

    Cli.Result dry =
        Cli.run(
            "transplant",
            "--from",
            dir.resolve("cnn.safetensors"),
            "--to",
            dir.resolve("cnn_target.keras"),
            "-o",
            out,
            "--map",
            map,
            "--dry-run",
            "--json");
    dry.assertExit(ExitCodes.OK);
    assertFalse(Files.exists(out));
    JsonNode notes = dry.json().get("notes");
    assertTrue(notes.toString().contains(line.replace("\\", "\\\\")), notes.toString());
    // the 8 BatchNormalization weights had no rule and fc/kernel did not fit: initialized as
    // without a mapping
    assertEquals(9, dry.json().get("totals").get("initialized").asInt(), dry.out());
  }
}
