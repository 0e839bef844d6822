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
 * {@code transplant --map} from real PyTorch: {@code testdata/transplant/torch_models.py} (the
 * torch venv, {@code -Dinitkit.torch}) builds torch.nn models (a CNN with BatchNorm2d and a
 * stride-2 convolution, a CNN flattened NCHW into a Linear, a 2-layer LSTM, a 2-layer GRU, an
 * nn.TransformerEncoder, a BERT encoder under Hugging Face's names), saves each {@code
 * state_dict()} with safetensors.torch and torch's outputs on an input batch; {@code
 * torch_keras.py} builds the Keras twins with their own random initialization, initkit transplants
 * the state dict into them with {@code --strict}, and real Keras predicts on the same batch: within
 * 1e-5 of torch's outputs, in one run on this machine, on both Keras stacks of the matrix.
 */
class TorchModuleTransplantIT {
  /** float32 arithmetic differs between the frameworks; measured: at most 6e-7 (see the docs). */
  private static final double TOLERANCE = 1e-5;

  @TempDir static Path dir;
  private static String python;

  @BeforeAll
  static void make() throws Exception {
    String torch = System.getProperty("initkit.torch", "");
    if (torch.isBlank()) {
      System.out.println(
          "TorchModuleTransplantIT skipped: -Dinitkit.torch (the python of"
              + " testdata/requirements-torch.txt's venv) is not set");
    }
    assumeTrue(!torch.isBlank(), "initkit.torch not set: the real-PyTorch check is skipped");
    python = System.getProperty("initkit.python", "");
    assertFalse(python.isBlank(), "initkit.torch is set, initkit.python (real Keras) is not");
    String out = run(torch, "torch_models.py", dir.toString());
    assertTrue(Files.exists(dir.resolve("bert.safetensors")), out);
    run(python, "torch_keras.py", "make", dir.toString());
  }

  private static String script(String name) {
    return Cli.testdata().resolve("transplant").resolve(name).toString();
  }

  private static String run(String py, String script, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(py, script(script)));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "python", ".log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), script + " timed out");
    assertEquals(0, p.exitValue(), () -> script + " failed: " + read(log));
    return new String(out, StandardCharsets.UTF_8);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static List<String> tracked(String map, String... bns) {
    List<String> l = new ArrayList<>();
    for (String bn : bns) {
      l.add("no rule of " + map + " matches " + bn + ".num_batches_tracked");
    }
    return l;
  }

  /** Transplants NAME's state dict with MAP, strict, and returns real Keras's comparison. */
  private static JsonNode transplant(
      String py, Path d, String name, String map, List<String> unused) throws Exception {
    Path out = d.resolve(name + "_" + Path.of(map).getFileName() + ".keras");
    Cli.Result r =
        Cli.run(
            "transplant",
            "--from",
            d.resolve(name + ".safetensors"),
            "--to",
            d.resolve(name + "_target.keras"),
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
    List<String> gotUnused = new ArrayList<>();
    doc.get("unusedSource").forEach(u -> gotUnused.add(u.get("reason").asText()));
    assertEquals(unused, gotUnused, name);
    JsonNode truth =
        new ObjectMapper()
            .readTree(run(py, "torch_keras.py", "check", d.toString(), name, out.toString()));
    System.out.printf(
        java.util.Locale.ROOT,
        "torch -> Keras %s: %s via %s: max |keras - torch| = %.3g (untouched target: %.3g)%n",
        truth.get("keras").asText(),
        name,
        map,
        truth.get("max_diff").asDouble(),
        truth.get("max_diff_before").asDouble());
    assertEquals(truth.get("torch_shape"), truth.get("shape"), truth.toString());
    assertTrue(truth.get("output_std").asDouble() > 0.05, "torch's outputs vary: " + truth);
    assertTrue(
        truth.get("max_diff_before").asDouble() > 0.05,
        "the untouched target differs from torch: " + truth);
    return truth;
  }

  private static void transplantAndCheck(
      String py, Path d, String name, String map, List<String> unused) throws Exception {
    JsonNode truth = transplant(py, d, name, map, unused);
    assertTrue(truth.get("max_diff").asDouble() <= TOLERANCE, name + ": " + truth);
  }

  private static String flattenMap() {
    return script("cnn_flatten.map");
  }

  private static void all(String py, Path d) throws Exception {
    transplantAndCheck(
        py, d, "cnn", "torch-cnn", tracked("shipped mapping torch-cnn", "bn1", "bn2"));
    transplantAndCheck(py, d, "cnn_flatten", flattenMap(), tracked(flattenMap(), "bn1"));
    transplantAndCheck(py, d, "lstm", "torch-lstm", List.of());
    transplantAndCheck(py, d, "gru", "torch-gru", List.of());
    transplantAndCheck(py, d, "transformer", "torch-transformer", List.of());
    transplantAndCheck(py, d, "bert", "bert", List.of());
  }

  /** Every model on the pinned Keras stack. */
  @Test
  void everyModelMatchesTorch() throws Exception {
    all(python, dir);
  }

  /** The newest Keras of the matrix builds its own targets and checks the same torch outputs. */
  @Test
  void newestKerasToo() throws Exception {
    String newest = System.getProperty("initkit.pythonNewest", "");
    assumeTrue(!newest.isBlank(), "initkit.pythonNewest not set");
    Path d = Files.createDirectory(dir.resolve("newest"));
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        if (n.endsWith(".safetensors") || n.endsWith(".npy")) {
          Files.copy(f, d.resolve(n));
        }
      }
    }
    run(newest, "torch_keras.py", "make", d.toString());
    all(newest, d);
  }

  /**
   * The flatten order is real: torch-cnn's plain transpose of fc1 fits its shape, passes --strict,
   * and real Keras then disagrees with torch.
   */
  @Test
  void nchwFlattenOrderMatters() throws Exception {
    JsonNode truth =
        transplant(
            python, dir, "cnn_flatten", "torch-cnn", tracked("shipped mapping torch-cnn", "bn1"));
    assertTrue(truth.get("max_diff").asDouble() > 0.01, truth.toString());
  }

  /** A wrong rule (the flatten reorder without its last reshape) fails --strict naming its line. */
  @Test
  void aWrongMappingFailsStrictNamingItsLine() throws Exception {
    Path map = dir.resolve("wrong.map");
    Files.writeString(
        map,
        Files.readString(Path.of(flattenMap()))
            .replace("permute(1,2,0,3) | reshape(target)", "permute(1,2,0,3)"));
    Path out = dir.resolve("wrong.keras");
    Cli.Result r =
        Cli.run(
            "transplant",
            "--from",
            dir.resolve("cnn_flatten.safetensors"),
            "--to",
            dir.resolve("cnn_flatten_target.keras"),
            "-o",
            out,
            "--map",
            map,
            "--strict");
    r.assertExit(ExitCodes.CHECK_FAILED);
    assertFalse(Files.exists(out));
    String line =
        "line 4 of "
            + map
            + ": fc1.weight (16, 72) | transpose(1,0) | reshape(8,3,3,-1) | permute(1,2,0,3)"
            + " gives (3, 3, 8, 16), but fc1/kernel is (72, 16)";
    assertTrue(r.out().contains(line), r.out());
  }
}
