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
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConvertCommandTest {

  /**
   * Conversions between each pair of formats. Those across Keras generations (a Keras 2 config into
   * a .keras archive, a Keras 3 config into legacy .h5) need the library's config translation.
   */
  static Stream<Arguments> conversions() {
    return Stream.of(
        Arguments.of("mlp", "tfkeras.h5", "out.h5", "h5"),
        Arguments.of("mlp", "keras3.h5", "out.h5", "h5"),
        Arguments.of("mlp", "keras3.keras", "out.keras", "keras"),
        Arguments.of("mlp", "tfkeras.h5", "out.keras", "keras"),
        Arguments.of("mlp", "keras3.keras", "out.h5", "h5"),
        Arguments.of("mlp", "keras3.keras", "out.weights.h5", "weights.h5"),
        Arguments.of("nested_sequential", "tfkeras.h5", "out.h5", "h5"),
        Arguments.of("nested_sequential", "keras3.keras", "out.keras", "keras"),
        Arguments.of("nested_sequential", "tfkeras.h5", "out.keras", "keras"),
        Arguments.of("nested_sequential", "keras3.keras", "out.h5", "h5"));
  }

  @ParameterizedTest(name = "{0}/{1} -> {2}")
  @MethodSource("conversions")
  void convertsAndKeepsTheWeights(
      String model, String file, String outName, String format, @TempDir Path dir)
      throws IOException {
    Path in = Cli.model(model, file);
    String before = Cli.sha256(in);
    Path out = dir.resolve(outName);

    Cli.Result r = Cli.run("convert", in, "-o", out).assertExit(0);
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("wrote " + out + " (" + format + ", "), r.err());
    assertFalse(r.err().contains("\tat "));
    assertTrue(Files.isRegularFile(out));
    assertEquals(before, Cli.sha256(in), "the input changed");
    assertEquals(Set.of(outName), names(dir), "stray files left");

    JsonNode src = Cli.run("inspect", "--json", in).assertExit(0).json();
    JsonNode dst = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertEquals(format, dst.get("format").asText());
    assertEquals(src.at("/totals/params"), dst.at("/totals/params"));
    // a weights-only file has no config to tell a kernel from a bias by
    boolean roles = !format.equals("weights.h5");
    assertEquals(weightShapes(src, roles), weightShapes(dst, roles));
  }

  /** Every generated model through the conversions that keep the Keras generation. */
  @TestFactory
  Stream<DynamicTest> everyTestdataModelWithinItsGeneration(@TempDir Path dir) throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(Cli.testdata().resolve("models"))) {
      for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
        for (String[] c :
            new String[][] {{"keras3.keras", "keras"}, {"keras3.h5", "h5"}, {"tfkeras.h5", "h5"}}) {
          Path in = d.resolve(c[0]);
          if (!Files.exists(in)) {
            continue;
          }
          String name = d.getFileName() + "/" + c[0];
          tests.add(
              DynamicTest.dynamicTest(
                  name + " -> " + c[1],
                  () -> {
                    Path out =
                        dir.resolve(d.getFileName() + "-" + c[0].replace('.', '_') + "." + c[1]);
                    String before = Cli.sha256(in);
                    Cli.run("convert", "-q", in, "-o", out).assertExit(0);
                    assertEquals(before, Cli.sha256(in), "the input changed");
                    JsonNode src = Cli.run("inspect", "--json", in).json();
                    JsonNode dst = Cli.run("inspect", "--json", out).assertExit(0).json();
                    assertEquals(src.at("/totals/params"), dst.at("/totals/params"));
                    assertEquals(weightShapes(src, true), weightShapes(dst, true));
                  }));
        }
      }
    }
    assertTrue(tests.size() >= 20, "expected at least 20 conversions, found " + tests.size());
    return tests.stream();
  }

  @Test
  void failedWriteLeavesNothing(@TempDir Path dir) {
    // a .keras archive needs a config, and a bare Keras 3 weights file has none
    Path out = dir.resolve("m.keras");
    Cli.Result r =
        Cli.run("convert", Cli.model("mlp", "keras3.weights.h5"), "-o", out).assertExit(4);
    assertTrue(r.assertOneErrorLine().contains("--config"), r.err());
    assertEquals(Set.of(), names(dir));
  }

  /** --map names the safetensors tensors as a mapping reads them; it needs a safetensors output. */
  @Test
  void mapNamesSafetensorsByAMappingReadBackwards(@TempDir Path dir) throws Exception {
    Path in = Cli.model("mlp", "tfkeras.h5");
    Path out = dir.resolve("m.safetensors");
    Cli.Result r = Cli.run("convert", "--json", in, "-o", out, "--map", "torch-cnn").assertExit(0);
    assertEquals("shipped mapping torch-cnn", r.json().get("mapping").asText());
    assertEquals(0, r.json().get("unmatched").size());
    try (dev.initkit.model.OwnedModel src = dev.initkit.ModelIO.open(in);
        dev.initkit.model.OwnedModel m = dev.initkit.ModelIO.open(out)) {
      List<String> keys = m.model().layerWeights().stream().map(w -> w.key()).toList();
      assertTrue(
          keys.contains("dense_relu.weight") && keys.contains("dense_relu.bias"), keys.toString());
      dev.initkit.model.Weight k = src.model().layerWeights().get(0);
      dev.initkit.model.Weight t =
          m.model().layerWeights().stream()
              .filter(w -> w.key().equals("dense_relu.weight"))
              .findFirst()
              .orElseThrow();
      long rows = k.shape().dim(0);
      long cols = k.shape().dim(1);
      assertEquals(List.of(cols, rows), List.of(t.shape().dim(0), t.shape().dim(1)));
      java.nio.ByteBuffer a =
          java.nio.ByteBuffer.allocateDirect((int) k.byteSize())
              .order(java.nio.ByteOrder.LITTLE_ENDIAN);
      java.nio.ByteBuffer b =
          java.nio.ByteBuffer.allocate((int) t.byteSize()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      src.tensors().readRows(k, 0, rows, a);
      m.tensors().readRows(t, 0, cols, b);
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          assertEquals(a.getFloat((int) (i * cols + j) * 4), b.getFloat((int) (j * rows + i) * 4));
        }
      }
    }
    Cli.Result keras =
        Cli.run("convert", in, "-o", dir.resolve("m.keras"), "--map", "torch-cnn").assertExit(2);
    assertTrue(keras.assertOneErrorLine().contains("--map names the tensors of a safetensors"));
    Cli.run("convert", in, "-o", dir.resolve("x.safetensors"), "--map", "torch_cnn").assertExit(5);
    assertFalse(Files.exists(dir.resolve("x.safetensors")));
  }

  @Test
  void quietPrintsNothing(@TempDir Path dir) {
    Cli.Result r =
        Cli.run("convert", "-q", Cli.model("mlp", "tfkeras.h5"), "-o", dir.resolve("m.h5"))
            .assertExit(0);
    assertEquals("", r.out());
    assertEquals("", r.err());
  }

  @Test
  void jsonDocumentDescribesTheWrite(@TempDir Path dir) {
    Path in = Cli.model("mlp", "tfkeras.h5");
    Path out = dir.resolve("m.h5");
    Cli.Result r = Cli.run("convert", "--json", in, "-o", out).assertExit(0);
    assertEquals("", r.err());
    JsonNode doc = r.json();
    assertEquals(1, doc.get("schemaVersion").asInt());
    assertTrue(doc.get("ok").asBoolean());
    assertEquals("convert", doc.get("command").asText());
    assertEquals(in.toString(), doc.get("input").asText());
    assertEquals("h5", doc.get("inputFormat").asText());
    assertEquals(out.toString(), doc.get("output").asText());
    assertEquals("h5", doc.get("format").asText());
    assertFalse(doc.get("unzipped").asBoolean());
    assertTrue(doc.get("bytes").asLong() > 0);
    assertTrue(doc.get("notes").isArray());
  }

  /** Warning lines on stderr. */
  private static List<String> warnings(Cli.Result r) {
    return r.err().lines().filter(l -> l.startsWith("initkit: warning: ")).toList();
  }

  @Test
  void hardSigmoidAcrossGenerationsIsWrittenWithOneWarningPerLayer(@TempDir Path dir) {
    // tf-keras's hard_sigmoid is clip(0.2x + 0.5), Keras 3's clip(x/6 + 0.5)
    Path in = Cli.model("hard_sigmoid", "tfkeras.h5");
    Path out = dir.resolve("m.keras");
    Cli.Result r = Cli.run("convert", in, "-o", out).assertExit(0);
    assertEquals(
        List.of(
            "initkit: warning: layer lstm_hs: recurrent_activation hard_sigmoid means clip(x/6 + 0.5,"
                + " 0, 1) in Keras 3, clip(0.2x + 0.5, 0, 1) in tf-keras/Keras 2: outputs of that"
                + " activation change by up to 0.0833",
            "initkit: warning: layer dense_hs: activation hard_sigmoid means clip(x/6 + 0.5, 0, 1) in"
                + " Keras 3, clip(0.2x + 0.5, 0, 1) in tf-keras/Keras 2: outputs of that activation"
                + " change by up to 0.0833"),
        warnings(r));
    assertTrue(Files.isRegularFile(out));

    JsonNode doc = Cli.run("convert", "--json", "--force", in, "-o", out).assertExit(0).json();
    assertEquals(2, doc.get("warnings").size(), doc::toString);
    assertTrue(doc.get("warnings").get(0).asText().startsWith("layer lstm_hs: "), doc::toString);

    // within the generation nothing changes meaning: no warning
    Cli.Result same = Cli.run("convert", in, "-o", dir.resolve("m.h5")).assertExit(0);
    assertEquals(List.of(), warnings(same));
    assertEquals(
        0,
        Cli.run("convert", "--json", in, "-o", dir.resolve("m2.h5"))
            .assertExit(0)
            .json()
            .get("warnings")
            .size());
  }

  @Test
  void strictRefusesAConversionThatChangesWhatALayerComputes(@TempDir Path dir) {
    Path out = dir.resolve("m.keras");
    Cli.Result r =
        Cli.run("convert", "--strict", Cli.model("hard_sigmoid", "tfkeras.h5"), "-o", out)
            .assertExit(4);
    String line = r.assertOneErrorLine();
    assertTrue(
        line.contains("lstm_hs")
            && line.contains("hard_sigmoid")
            && line.contains("(and 1 more)")
            && line.contains("strict"),
        line);
    assertEquals(Set.of(), names(dir), "nothing written under --strict");
    // what keeps its meaning converts under --strict as well
    Cli.run("convert", "--strict", Cli.model("thresholded_relu", "tfkeras.h5"), "-o", out)
        .assertExit(0);
    assertTrue(Files.isRegularFile(out));
  }

  @Test
  void thresholdedReluConvertsToKeras3AsReluWithoutWarning(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("m.keras");
    Cli.Result r =
        Cli.run("convert", Cli.model("thresholded_relu", "tfkeras.h5"), "-o", out).assertExit(0);
    assertEquals(List.of(), warnings(r));
    JsonNode dst = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertTrue(
        dst.toString().contains("\"ReLU\"") && !dst.toString().contains("ThresholdedReLU"),
        dst::toString);
  }

  @Test
  void otherCommandsWritingAcrossGenerationsWarnToo(@TempDir Path dir) {
    Path in = Cli.model("hard_sigmoid", "tfkeras.h5");
    Cli.Result reinit = Cli.run("reinit", in, "-o", dir.resolve("r.keras")).assertExit(0);
    assertEquals(2, warnings(reinit).size(), reinit.err());
    Cli.Result setInit =
        Cli.run("set-init", in, "-o", dir.resolve("s.keras"), "--rule", "all=zeros").assertExit(0);
    assertEquals(2, warnings(setInit).size(), setInit.err());
    JsonNode doc =
        Cli.run("reinit", "--json", in, "-o", dir.resolve("r2.keras")).assertExit(0).json();
    assertEquals(2, doc.get("warnings").size(), doc::toString);
    assertEquals(
        List.of(), warnings(Cli.run("reinit", in, "-o", dir.resolve("r.h5")).assertExit(0)));
  }

  @Test
  void toOverridesTheExtension(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("model.bin");
    Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out, "--to", "h5").assertExit(0);
    byte[] head = Arrays.copyOf(Files.readAllBytes(out), 4);
    assertEquals("\u0089HDF", new String(head, StandardCharsets.ISO_8859_1));
  }

  @Test
  void unknownTargetFormatIsAUsageError(@TempDir Path dir) {
    Path out = dir.resolve("model.bin");
    Cli.Result r = Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out).assertExit(2);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains("--to"), line);
    assertFalse(Files.exists(out));
    Cli.Result bad =
        Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out, "--to", "onnx").assertExit(2);
    assertTrue(bad.assertOneErrorLine().contains("onnx"), bad.err());
  }

  @Test
  void outputIsRequired() {
    Cli.Result r = Cli.run("convert", Cli.model("mlp", "tfkeras.h5")).assertExit(2);
    assertTrue(r.assertOneErrorLine().contains("--output"), r.err());
  }

  @Test
  void existingOutputNeedsForce(@TempDir Path dir) throws IOException {
    Path in = Cli.model("mlp", "tfkeras.h5");
    Path out = dir.resolve("m.h5");
    Files.writeString(out, "precious");
    Cli.Result r = Cli.run("convert", in, "-o", out).assertExit(5);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains(out.toString()) && line.contains("--force"), line);
    assertEquals("precious", Files.readString(out));
    assertEquals(Set.of("m.h5"), names(dir));

    JsonNode error =
        Cli.run("convert", "--json", in, "-o", out).assertExit(5).assertJsonError(5, "io");
    assertEquals(out.toString(), error.get("file").asText());

    Cli.run("convert", in, "-o", out, "--force").assertExit(0);
    assertEquals(Set.of("m.h5"), names(dir));
    Cli.run("inspect", out).assertExit(0);
  }

  @Test
  void outputMayNotBeTheInputEvenWithForce(@TempDir Path dir) throws IOException {
    Path in = dir.resolve("m.h5");
    Files.copy(Cli.model("mlp", "tfkeras.h5"), in);
    String before = Cli.sha256(in);
    Cli.Result r =
        Cli.run("convert", in, "-o", dir.resolve(".").resolve("m.h5"), "--force").assertExit(2);
    assertTrue(r.assertOneErrorLine().contains("is the input"), r.err());
    assertEquals(before, Cli.sha256(in));
    assertEquals(Set.of("m.h5"), names(dir));
  }

  /**
   * Issue 18: --force replaced a FIFO or device with a file and deleted foreign directory trees.
   */
  @Test
  void forceReplacesNeitherSpecialFilesNorForeignTrees(@TempDir Path dir) throws Exception {
    Path in = Cli.model("mlp", "keras3.keras");
    Path fifo = dir.resolve("fifo.h5");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    String line = Cli.run("convert", in, "-o", fifo, "--force").assertExit(5).assertOneErrorLine();
    assertTrue(line.contains(fifo.toString()) && line.contains("not a regular file"), line);
    Path victim = Files.createDirectories(dir.resolve("victimdir/sub/deeper"));
    Files.writeString(victim.resolve("thesis.tex"), "years of work");
    for (String[] to : new String[][] {{"--to", "keras", "--unzipped"}, {"--to", "savedmodel"}}) {
      List<Object> args =
          new java.util.ArrayList<>(
              List.of("convert", in, "-o", dir.resolve("victimdir"), "--force"));
      args.addAll(List.of((Object[]) to));
      line = Cli.run(args.toArray()).assertExit(5).assertOneErrorLine();
      assertTrue(line.contains("will not delete"), line);
      assertEquals("years of work", Files.readString(victim.resolve("thesis.tex")));
    }
    assertEquals(Set.of("fifo.h5", "victimdir"), names(dir));
  }

  @Test
  void unzippedWritesADirectory(@TempDir Path dir) {
    Path out = dir.resolve("m.keras");
    Cli.Result r =
        Cli.run("convert", "--json", Cli.model("mlp", "keras3.keras"), "-o", out, "--unzipped")
            .assertExit(0);
    assertTrue(r.json().get("unzipped").asBoolean());
    assertTrue(Files.isRegularFile(out.resolve("config.json")));
    Cli.run("inspect", out).assertExit(0);
  }

  @Test
  void unzippedIsOnlyForKeras(@TempDir Path dir) {
    Path out = dir.resolve("m.h5");
    Cli.Result r =
        Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out, "--unzipped").assertExit(2);
    r.assertOneErrorLine();
    assertFalse(Files.exists(out));
  }

  @Test
  void missingInputIsAnIoError(@TempDir Path dir) {
    Path out = dir.resolve("m.h5");
    Cli.Result r = Cli.run("convert", dir.resolve("none.h5"), "-o", out).assertExit(5);
    assertTrue(r.assertOneErrorLine().contains("none.h5"), r.err());
    assertEquals(Set.of(), names(dir));
  }

  @Test
  void missingOutputDirectoryIsAnIoError(@TempDir Path dir) {
    Path out = dir.resolve("no/such/dir/m.h5");
    Cli.Result r = Cli.run("convert", Cli.model("mlp", "tfkeras.h5"), "-o", out).assertExit(5);
    r.assertOneErrorLine();
    assertEquals(Set.of(), names(dir));
  }

  static Stream<Arguments> brokenInputs() throws IOException {
    List<Arguments> a = new ArrayList<>();
    a.add(
        Arguments.of(
            "lfs.h5",
            ("version https://git-lfs.github.com/spec/v1\n"
                    + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                    + "size 12345\n")
                .getBytes(StandardCharsets.UTF_8)));
    a.add(
        Arguments.of(
            "page.h5", "<html><body>Sign in</body></html>".getBytes(StandardCharsets.UTF_8)));
    a.add(Arguments.of("empty.keras", new byte[0]));
    byte[] whole = Files.readAllBytes(Cli.model("mlp", "tfkeras.h5"));
    a.add(Arguments.of("half.h5", Arrays.copyOf(whole, whole.length / 2)));
    byte[] zip = Files.readAllBytes(Cli.model("mlp", "keras3.keras"));
    a.add(Arguments.of("half.keras", Arrays.copyOf(zip, zip.length / 2)));
    return a.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenInputs")
  void brokenInputIsMalformedAndLeavesNothing(String name, byte[] content, @TempDir Path dir)
      throws IOException {
    Path in = dir.resolve(name);
    Files.write(in, content);
    for (String outName : List.of("out.h5", "out.keras")) {
      Cli.Result r = Cli.run("convert", in, "-o", dir.resolve(outName)).assertExit(3);
      String line = r.assertOneErrorLine();
      assertTrue(line.contains(in.toString()), line);
      assertEquals(Set.of(name), names(dir), "stray files left");
      Cli.run("convert", "--json", in, "-o", dir.resolve(outName))
          .assertExit(3)
          .assertJsonError(3, "malformed");
      assertEquals(Set.of(name), names(dir), "stray files left");
    }
    assertTrue(Arrays.equals(content, Files.readAllBytes(in)));
  }

  private static Set<String> names(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(TreeSet::new, Set::add, Set::addAll);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Each layer weight's shape, dtype (and role) in model order; names differ between formats. */
  private static List<String> weightShapes(JsonNode doc, boolean roles) {
    List<String> out = new ArrayList<>();
    for (JsonNode l : doc.get("layers")) {
      for (JsonNode w : l.get("weights")) {
        out.add(
            w.get("shape")
                + " "
                + w.get("dtype").asText()
                + (roles ? " " + w.get("role").asText() : ""));
      }
    }
    return out;
  }
}
