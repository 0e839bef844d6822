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
 * {@code convert MODEL.keras -o OUT.safetensors --map NAME}: the shipped mappings read backwards,
 * against the PyTorch-layout files {@code testdata/transplant/torch_layout.py} writes from the same
 * real Keras models (a CNN with BatchNorm, a BERT-style encoder, a stacked LSTM, a GRU). The
 * safetensors package reads both files: same keys, dtypes, shapes and bytes, but the LSTM's two
 * summed biases, which follow the documented convention (the first holds the Keras bias, the second
 * zeros, their sum the same bits). Then the round trip: the export transplanted back with the same
 * mapping and {@code --strict} gives every original weight bit for bit, as real Keras reads it.
 */
class TorchLayoutExportIT {
  @TempDir static Path dir;
  private static String python;

  @BeforeAll
  static void make() throws Exception {
    python = System.getProperty("initkit.python", "");
    assumeTrue(!python.isBlank(), "initkit.python not set: real-Keras check skipped");
    run(python, "make", dir.toString());
    assertTrue(Files.exists(dir.resolve("lstm_original.keras")));
  }

  private static String run(String py, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(py));
    cmd.add(Cli.testdata().resolve("transplant/torch_layout.py").toString());
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "python", ".log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "torch_layout.py timed out");
    String err = Files.readString(log);
    assertEquals(0, p.exitValue(), () -> "torch_layout.py failed: " + err);
    return new String(out, StandardCharsets.UTF_8);
  }

  /** Exports NAME by MAP, compares with the Python-written file, then transplants it back. */
  private static void exportAndCheck(String py, Path dir, String name, String map, int summed)
      throws Exception {
    Path out = dir.resolve(name + "_export.safetensors");
    Cli.Result r =
        Cli.run(
            "convert",
            dir.resolve(name + "_original.keras"),
            "-o",
            out,
            "--map",
            map,
            "--strict",
            "--json");
    r.assertExit(ExitCodes.OK);
    assertEquals("shipped mapping " + map, r.json().get("mapping").asText());
    assertEquals(0, r.json().get("unmatched").size(), r.out());

    JsonNode cmp =
        new ObjectMapper().readTree(run(py, "compare", dir.toString(), name, out.toString()));
    List<String> onlyTruth = new ArrayList<>();
    cmp.get("only_truth").forEach(k -> onlyTruth.add(k.asText()));
    // BatchNorm's step counter is no Keras weight: the one tensor not exported
    assertTrue(
        onlyTruth.stream().allMatch(k -> k.endsWith(".num_batches_tracked")), cmp.toString());
    assertEquals(name.equals("cnn") ? 2 : 0, onlyTruth.size(), cmp.toString());
    assertEquals(0, cmp.get("only_export").size(), cmp.toString());
    assertEquals(0, cmp.get("mismatched").size(), cmp.toString());
    assertEquals(summed, cmp.get("summed").size(), cmp.toString());
    for (JsonNode s : cmp.get("summed")) {
      assertTrue(s.get("value_is_sum").asBoolean(), cmp.toString());
      assertTrue(s.get("zeros").asBoolean(), cmp.toString());
      assertTrue(s.get("sum_equal").asBoolean(), cmp.toString());
    }

    Path back = dir.resolve(name + "_back.keras");
    Cli.run(
            "transplant",
            "--from",
            out,
            "--to",
            dir.resolve(name + "_target.keras"),
            "-o",
            back,
            "--map",
            map,
            "--strict")
        .assertExit(ExitCodes.OK);
    JsonNode truth =
        new ObjectMapper().readTree(run(py, "check", dir.toString(), name, back.toString()));
    assertTrue(truth.get("weights").asInt() > 0, truth.toString());
    assertEquals(truth.get("weights").asInt(), truth.get("compared").asInt(), truth.toString());
    assertEquals(0, truth.get("mismatched").size(), truth.toString());
    assertEquals(0, truth.get("equal_before").asInt(), truth.toString());
    assertTrue(truth.get("max_diff").asDouble() <= 1e-6, truth.toString());
  }

  @Test
  void torchCnn() throws Exception {
    exportAndCheck(python, dir, "cnn", "torch-cnn", 0);
  }

  @Test
  void bertSplitHeadsJoinedBack() throws Exception {
    exportAndCheck(python, dir, "bert", "bert", 0);
  }

  @Test
  void stackedLstmBiasesByTheDocumentedConvention() throws Exception {
    exportAndCheck(python, dir, "lstm", "torch-lstm", 2);
  }

  @Test
  void gruGatesAndBiasRows() throws Exception {
    exportAndCheck(python, dir, "gru", "torch-gru", 0);
  }

  /** The newest Keras of the matrix: its own files, written and read by its own Python. */
  @Test
  void newestKerasToo() throws Exception {
    String newest = System.getProperty("initkit.pythonNewest", "");
    assumeTrue(!newest.isBlank(), "initkit.pythonNewest not set");
    Path d = Files.createDirectory(dir.resolve("newest"));
    run(newest, "make", d.toString());
    exportAndCheck(newest, d, "cnn", "torch-cnn", 0);
    exportAndCheck(newest, d, "bert", "bert", 0);
    exportAndCheck(newest, d, "lstm", "torch-lstm", 2);
    exportAndCheck(newest, d, "gru", "torch-gru", 0);
  }

  /**
   * A weight no rule fits: a note naming it and written under its Keras path; refused with {@code
   * --strict} (exit 4, nothing written).
   */
  @Test
  void unmatchedWeightsAreNotedOrRefusedWithStrict() throws Exception {
    Path map = dir.resolve("convs-only.map");
    Files.writeString(
        map, "re:(.+)\\.weight => $1/kernel | permute(2,3,1,0)\nre:(.+)\\.bias => $1/bias\n");
    Path out = dir.resolve("convs.safetensors");
    Cli.Result strict =
        Cli.run("convert", dir.resolve("cnn_original.keras"), "-o", out, "--map", map, "--strict");
    strict.assertExit(ExitCodes.UNSUPPORTED);
    assertFalse(Files.exists(out));
    assertTrue(strict.err().contains("no rule of " + map + " fits 9 weights"), strict.err());

    Cli.Result r = Cli.run("convert", dir.resolve("cnn_original.keras"), "-o", out, "--map", map);
    r.assertExit(ExitCodes.OK);
    assertTrue(
        r.err().contains("note: no rule of " + map + " fits fc/kernel: written as fc/kernel"),
        r.err());
    assertTrue(r.err().contains("note: no rule of " + map + " fits bn1/gamma"), r.err());
  }

  /** A rule that cannot be read backwards: one line naming the file and line; nothing written. */
  @Test
  void aMappingThatCannotBeInvertedIsOneLine() throws Exception {
    Path map = dir.resolve("classes.map");
    Files.writeString(
        map, "# a class outside any group\nre:[a-z]+\\.weight => fc/kernel | transpose\n");
    Path out = dir.resolve("classes.safetensors");
    Cli.Result r = Cli.run("convert", dir.resolve("cnn_original.keras"), "-o", out, "--map", map);
    r.assertExit(ExitCodes.UNSUPPORTED);
    assertFalse(Files.exists(out));
    assertTrue(
        r.err()
            .contains(
                "line 2 of "
                    + map
                    + ": cannot export fc/kernel: '[a-z]' outside the groups the target names cannot"
                    + " be written as a key"),
        r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }
}
