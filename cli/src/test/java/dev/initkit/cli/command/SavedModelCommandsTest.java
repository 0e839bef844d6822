package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.cli.Cli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands on SavedModel directories, black-box. */
class SavedModelCommandsTest {
  private static Path savedModel(String model, String dir) {
    return Cli.model("savedmodel/" + model, dir);
  }

  @Test
  void inspectListsKerasLayersAndVariables() {
    JsonNode doc = Cli.run("inspect", "--json", savedModel("cnn", "tfkeras")).assertExit(0).json();
    assertEquals("savedmodel", doc.path("format").asText());
    assertEquals("Functional", doc.path("model").path("className").asText());
    List<String> weights = new ArrayList<>();
    doc.path("layers")
        .forEach(
            l ->
                l.path("weights")
                    .forEach(
                        w -> weights.add(l.path("name").asText() + ":" + w.path("role").asText())));
    assertEquals(
        List.of(
            "conv:kernel",
            "conv:bias",
            "bn:gamma",
            "bn:beta",
            "bn:moving_mean",
            "bn:moving_variance",
            "logits:kernel",
            "logits:bias"),
        weights);
    assertEquals(417, doc.path("totals").path("params").asLong());
  }

  @Test
  void exportWithoutKerasMetadataListsVariablesAndSaysItHasNoConfig(@TempDir Path tmp) {
    Path in = savedModel("k3_mlp_export", "keras3_export");
    JsonNode doc = Cli.run("inspect", "--json", in).assertExit(0).json();
    assertFalse(doc.path("model").path("hasConfig").asBoolean(true));
    assertEquals(163, doc.path("totals").path("params").asLong());
    String err =
        Cli.run("set-init", in, "-o", tmp.resolve("out"), "--rule", "all=he_normal")
            .assertExit(4)
            .assertOneErrorLine();
    assertTrue(err.contains("this SavedModel has none"), err);
    err = Cli.run("convert", in, "-o", tmp.resolve("out.keras")).assertExit(4).assertOneErrorLine();
    assertTrue(err.contains("this SavedModel has none"), err);
    err =
        Cli.run("inspect", in, "--config", Cli.model("mlp", "tfkeras.json"))
            .assertExit(4)
            .assertOneErrorLine();
    assertTrue(err.contains("--config"), err);
    // its variables still reinitialize
    Cli.run("reinit", in, "-o", tmp.resolve("fresh"), "--scheme", "he_normal", "-q").assertExit(0);
    assertTrue(Files.isRegularFile(tmp.resolve("fresh/saved_model.pb")));
  }

  @Test
  void reportReadsStoredValues() {
    JsonNode doc = Cli.run("report", "--json", savedModel("lstm", "tfkeras")).assertExit(0).json();
    assertEquals("savedmodel", doc.path("format").asText());
    JsonNode bias = doc.path("weights").get(2);
    assertEquals("bias", bias.path("role").asText());
    assertTrue(bias.path("initializer").path("unitForgetBias").asBoolean(), bias.toString());
    // the stored LSTM bias holds Keras's forget-gate ones: a quarter of 20 values
    assertEquals(0.25, bias.path("observed").path("mean").asDouble(), 1e-6);
  }

  @Test
  void reinitWritesASavedModelDirectoryAndRefusesToClobber(@TempDir Path tmp) throws IOException {
    Path in = savedModel("mlp", "tfkeras");
    Path out = tmp.resolve("fresh");
    JsonNode doc =
        Cli.run("reinit", "--json", in, "-o", out, "--only", "head").assertExit(0).json();
    assertEquals("savedmodel", doc.path("format").asText());
    assertEquals(2, doc.path("drawn").asInt());
    assertTrue(Files.isRegularFile(out.resolve("variables/variables.index")));
    assertEquals(
        Cli.sha256(in.resolve("saved_model.pb")),
        Cli.sha256(out.resolve("saved_model.pb")),
        "the graph is copied byte for byte");
    Cli.run("reinit", in, "-o", out).assertExit(5);
    // a name with an extension initkit does not write is a usage error, never a guess
    Cli.run("reinit", in, "-o", tmp.resolve("fresh.bin")).assertExit(2);
    // reading the written copy back: the reinitialized layer differs, the others do not
    JsonNode a = Cli.run("report", "--json", in).assertExit(0).json();
    JsonNode b = Cli.run("report", "--json", out).assertExit(0).json();
    for (int i = 0; i < a.path("weights").size(); i++) {
      JsonNode wa = a.path("weights").get(i);
      JsonNode wb = b.path("weights").get(i);
      boolean head =
          wa.path("layer").asText().equals("head") && wa.path("role").asText().equals("kernel");
      assertEquals(
          !head, wa.path("observed").equals(wb.path("observed")), wa.path("weight").asText());
    }
  }

  @Test
  void transplantIntoASavedModelRestoresThePretrainedWeights(@TempDir Path tmp) {
    Path original = savedModel("cnn", "tfkeras");
    Path fresh = tmp.resolve("fresh");
    Path restored = tmp.resolve("restored");
    Cli.run("reinit", original, "-o", fresh, "--seed", "3", "-q").assertExit(0);
    // the same model's weights from its .h5, into the reinitialized SavedModel: a SavedModel again
    JsonNode doc =
        Cli.run(
                "transplant",
                "--json",
                "--from",
                savedModel("cnn", "tfkeras.h5"),
                "--to",
                fresh,
                "-o",
                restored)
            .assertExit(0)
            .json();
    assertEquals("savedmodel", doc.path("format").asText());
    assertEquals(8, doc.path("totals").path("loaded").asInt());
    assertTrue(Files.isRegularFile(restored.resolve("saved_model.pb")));
    JsonNode a = Cli.run("report", "--json", original).assertExit(0).json().path("weights");
    JsonNode f = Cli.run("report", "--json", fresh).assertExit(0).json().path("weights");
    JsonNode r = Cli.run("report", "--json", restored).assertExit(0).json().path("weights");
    assertEquals(a.size(), r.size());
    boolean someDiffered = false;
    for (int i = 0; i < a.size(); i++) {
      assertEquals(
          a.get(i).path("observed"), r.get(i).path("observed"), a.get(i).path("weight").asText());
      someDiffered |= !a.get(i).path("observed").equals(f.get(i).path("observed"));
    }
    assertTrue(someDiffered, "reinit changed nothing, so the transplant proved nothing");
  }

  @Test
  void corpusSavedModelsInspectOrFailWithOneLine() throws IOException {
    Path dir = Cli.corpus().resolve("savedmodel");
    try (var s = Files.list(dir)) {
      for (Path d : s.sorted().toList()) {
        Cli.Result r = Cli.run("inspect", "--json", d);
        if (r.exitCode() != 0) {
          r.assertOneErrorLine();
        } else {
          assertEquals("savedmodel", r.json().path("format").asText());
        }
      }
    }
  }

  /**
   * A damaged data shard (bit flips anywhere, truncation) is one error line naming the shard, exit
   * 3 (docs/cli-reference.md), whatever command reads it: every value is checked against its
   * CRC-32C. A flip in an entry the command does not read (a hyperparameter, the save counter) may
   * pass.
   */
  @Test
  void damagedDataShardsAreOneErrorLine(@TempDir Path tmp) throws IOException {
    List<Path> models =
        new ArrayList<>(List.of(savedModel("mlp", "tfkeras"), savedModel("lstm", "tfkeras")));
    try (var s = Files.list(Cli.corpus().resolve("savedmodel"))) {
      s.filter(d -> Files.isDirectory(d.resolve("variables"))).sorted().forEach(models::add);
    }
    int caught = 0;
    int runs = 0;
    for (Path src : models) {
      Path shard = src.resolve("variables/variables.data-00000-of-00001");
      if (!Files.isRegularFile(shard)) {
        continue;
      }
      byte[] clean = Files.readAllBytes(shard);
      for (int i = 0; i < 12; i++) {
        Path copy = Cli.copyTree(src, tmp.resolve(src.getFileName() + "-" + runs));
        byte[] b = clean.clone();
        if (i < 8) {
          b[(int) ((long) clean.length * (2 * i + 1) / 16)] ^= (byte) (1 << i);
        } else {
          b = java.util.Arrays.copyOf(b, clean.length * (i - 8) / 4);
        }
        Files.write(copy.resolve("variables/variables.data-00000-of-00001"), b);
        String[] command =
            i % 2 == 0
                ? new String[] {"report", copy.toString()}
                : new String[] {
                  "convert",
                  copy.toString(),
                  "-o",
                  copy.resolveSibling(copy.getFileName() + ".keras").toString()
                };
        Cli.Result r = Cli.run((Object[]) command);
        runs++;
        if (r.exitCode() == 0) {
          assertTrue(i < 8, "a truncated shard was read: " + copy);
          continue;
        }
        assertEquals(3, r.exitCode(), r.err());
        String line = r.assertOneErrorLine();
        assertTrue(line.contains("variables/variables.data-00000-of-00001: "), line);
        assertTrue(
            line.contains("checksum mismatch in ")
                || line.contains("truncated")
                || line.contains("corrupt"),
            line);
        caught++;
      }
    }
    assertTrue(
        runs >= 60 && caught * 10 >= runs * 8, caught + " of " + runs + " damaged shards caught");
  }

  /** Commands on other formats never load TensorFlow (its start-up costs seconds). */
  @Test
  void otherFormatsDoNotLoadTensorFlow() throws Exception {
    String text =
        traced(List.of("-verbose:class"), "report", Cli.model("mlp", "tfkeras.h5").toString());
    assertTrue(text.contains("dev.initkit.cli.Main"), "class loading was not traced");
    assertFalse(text.contains("org.tensorflow"), "TensorFlow classes loaded for an .h5 report");
  }

  /**
   * Reading a SavedModel is plain Java: TensorFlow Java's generated protobuf classes load, but
   * neither its native libraries (libtensorflow*, libjnitensorflow) nor any other TensorFlow Java
   * class: the checkpoint's values and object graph are read without a TensorFlow session.
   */
  @Test
  void readingASavedModelLoadsNoNativeTensorFlow(@TempDir Path tmp) throws Exception {
    Path sm = savedModel("cnn", "tfkeras");
    List<String[]> commands =
        List.of(
            new String[] {"inspect", sm.toString()},
            new String[] {"report", sm.toString()},
            new String[] {"convert", sm.toString(), "-o", tmp.resolve("cnn.keras").toString()});
    for (String[] command : commands) {
      String text = traced(List.of("-verbose:class", "-Xlog:library=info"), command);
      assertTrue(
          text.contains("org.tensorflow.proto."),
          command[0] + ": the SavedModel protos were not traced");
      for (String line : text.lines().toList()) {
        // JavaCPP itself may load: HDF5 (writing .keras/.h5) is a JavaCPP preset too
        boolean nativeLibrary = line.contains("Loaded library") && line.contains("tensorflow");
        boolean tfRuntimeClass =
            line.contains("org.tensorflow.") && !line.contains("org.tensorflow.proto.");
        assertFalse(nativeLibrary || tfRuntimeClass, command[0] + " of a SavedModel: " + line);
      }
    }
  }

  /**
   * {@code inspect} of a SavedModel prints its report and nothing on stderr (no TensorFlow log
   * lines).
   */
  @Test
  void inspectOfASavedModelIsSilentOnStderr() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "dev.initkit.cli.Main",
                "inspect",
                savedModel("lstm", "tfkeras").toString())
            .start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), err);
    assertTrue(out.length > 0);
    assertEquals("", err);
  }

  /**
   * Writing a SavedModel starts TensorFlow, and its native code must not reach stderr: {@code
   * convert --for tensorflow} and {@code reinit} of a SavedModel (which rewrites its checkpoint)
   * print only their own lines there. The child's environment is the launcher's ({@code
   * TF_CPP_MIN_LOG_LEVEL=2}, which TensorFlow's own logger reads at load). TensorFlow's Abseil
   * logger ignores that variable: a graph session's first run printed "MLIR V1 optimization pass is
   * not enabled" until checkpoints were written eagerly.
   */
  @Test
  void writingASavedModelPrintsOnlyInitkitsLines(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("sm");
    String[] convert = {
      "convert",
      Cli.model("mlp", "keras3.h5").toString(),
      "-o",
      out.toString(),
      "--for",
      "tensorflow"
    };
    String[] streams = run(convert);
    assertTrue(streams[1].startsWith("wrote " + out), "convert's stderr: " + streams[1]);
    onlyInitkitLines("convert --for tensorflow", streams[1]);

    String[] reinit = {"reinit", out.toString(), "-o", tmp.resolve("re").toString()};
    streams = run(reinit);
    assertTrue(streams[1].contains("wrote "), "reinit's stderr: " + streams[1]);
    onlyInitkitLines("reinit of a SavedModel", streams[1]);
  }

  /** Every line is one of initkit's: its result, notes and the seed it drew with. */
  private static void onlyInitkitLines(String what, String stderr) {
    for (String line : stderr.split("\n", -1)) {
      if (!line.isEmpty()) {
        assertTrue(
            line.startsWith("wrote ") || line.startsWith("note: ") || line.startsWith("seed "),
            what + ": a line on stderr not initkit's: " + line);
      }
    }
  }

  /** Runs the command line in a new JVM with the launcher's environment: {stdout, stderr}. */
  private static String[] run(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.initkit.cli.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    p.getOutputStream().close();
    var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
    String out = drain(p.getInputStream());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    String errText = err.get();
    assertEquals(0, p.exitValue(), errText);
    return new String[] {out, errText};
  }

  private static String drain(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Runs the command line in a new JVM with the given JVM options; stdout and stderr together. */
  private static String traced(List<String> jvmOptions, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.initkit.cli.Main"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(
        0, p.exitValue(), text.length() > 2000 ? text.substring(text.length() - 2000) : text);
    return text;
  }
}
