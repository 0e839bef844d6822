package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InspectCommandTest {

  static Stream<Arguments> realFiles() {
    return Stream.of(
        Arguments.of("mlp", "keras3.keras", "keras", "keras3"),
        Arguments.of("mlp", "tfkeras.h5", "h5", "keras2"),
        Arguments.of("mlp", "keras3.h5", "h5", null),
        Arguments.of("nested_sequential", "keras3.keras", "keras", "keras3"),
        Arguments.of("nested_sequential", "tfkeras.h5", "h5", "keras2"),
        Arguments.of("nested_sequential", "keras3.h5", "h5", null));
  }

  @ParameterizedTest(name = "{0}/{1}")
  @MethodSource("realFiles")
  void jsonDescribesTheModel(String model, String file, String format, String configForm) {
    Path p = Cli.model(model, file);
    Cli.Result r = Cli.run("inspect", "--json", p).assertExit(0);
    assertEquals("", r.err());
    JsonNode doc = r.json();
    assertEquals(1, doc.get("schemaVersion").asInt());
    assertTrue(doc.get("ok").asBoolean());
    assertEquals("inspect", doc.get("command").asText());
    assertEquals(p.toString(), doc.get("file").asText());
    assertEquals(format, doc.get("format").asText());
    assertTrue(doc.get("kerasVersion").isTextual(), doc::toString);
    if (configForm != null) {
      assertEquals(configForm, doc.at("/model/configForm").asText());
    } else {
      assertTrue(doc.at("/model/configForm").isTextual(), doc::toString);
    }
    assertTrue(doc.at("/model/className").isTextual(), doc::toString);
    assertTrue(doc.at("/model/hasConfig").asBoolean());
    assertTrue(doc.at("/training/hasConfig").isBoolean());
    assertTrue(doc.at("/training/optimizerWeights").isInt());

    JsonNode layers = doc.get("layers");
    assertTrue(layers.size() > 0);
    long topLevelParams = 0;
    long weightParams = 0;
    int weights = 0;
    boolean someInitializer = false;
    for (JsonNode l : layers) {
      for (String key :
          new String[] {
            "path",
            "name",
            "className",
            "depth",
            "parent",
            "nestedModel",
            "activation",
            "trainable",
            "params",
            "weights",
            "initializers"
          }) {
        assertTrue(l.has(key), () -> "layer without " + key + ": " + l);
      }
      if (l.get("depth").asInt() == 0) {
        topLevelParams += l.get("params").asLong();
      }
      for (JsonNode w : l.get("weights")) {
        assertTrue(w.get("shape").isArray(), w::toString);
        assertTrue(
            w.get("dtype").asText().matches("float16|bfloat16|float32|float64|u?int\\d+|bool"),
            w::toString);
        assertTrue(w.get("role").isTextual(), w::toString);
        assertTrue(w.get("name").isTextual(), w::toString);
        long n = 1;
        for (JsonNode d : w.get("shape")) {
          n *= d.asLong();
        }
        assertEquals(n, w.get("params").asLong(), w::toString);
        weightParams += n;
        weights++;
      }
      if (l.get("initializers").has("kernel_initializer")) {
        someInitializer = true;
        // as written: an object with class_name (Keras 2 and 3 alike)
        assertTrue(l.at("/initializers/kernel_initializer/class_name").isTextual(), l::toString);
      }
    }
    assertTrue(someInitializer, "no kernel_initializer in " + layers);
    assertEquals(weightParams, doc.at("/totals/params").asLong());
    assertEquals(topLevelParams, doc.at("/totals/params").asLong());
    assertEquals(weights, doc.at("/totals/weights").asInt());
    assertEquals(layers.size(), doc.at("/totals/layers").asInt());
    assertTrue(doc.get("metadata").isObject());
    assertTrue(doc.get("modelWeights").isArray());
  }

  @ParameterizedTest(name = "{0}/{1}")
  @MethodSource("realFiles")
  void textIsATable(String model, String file, String format, String configForm) {
    Path p = Cli.model(model, file);
    Cli.Result r = Cli.run("inspect", p).assertExit(0);
    assertEquals("", r.err());
    String out = r.out();
    assertTrue(out.startsWith("File:"), out);
    assertTrue(out.contains("\nFormat:             " + format + " ("), out);
    assertTrue(out.contains("Layer (type)"), out);
    assertTrue(out.contains("Initializers (as written in the config)"), out);
    assertTrue(out.contains("Total params: "), out);
    // the same numbers as the JSON form, grouped the same way in every locale
    JsonNode doc = Cli.run("inspect", "--json", p).json();
    String total = String.format(java.util.Locale.ROOT, "%,d", doc.at("/totals/params").asLong());
    assertTrue(out.contains("Total params: " + total + " ("), out);
    for (JsonNode l : doc.get("layers")) {
      assertTrue(out.contains(l.get("name").asText() + " ("), () -> l.get("name") + " in\n" + out);
    }
    assertFalse(out.contains("\u001b"));
  }

  /** Every generated model, in each of its model files: described, totals consistent. */
  @TestFactory
  Stream<DynamicTest> everyTestdataModel() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(Cli.testdata().resolve("models"))) {
      for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
        for (String name : List.of("keras3.keras", "keras3.h5", "tfkeras.h5", "tfkeras.keras")) {
          if (Files.exists(d.resolve(name))) {
            files.add(d.resolve(name));
          }
        }
      }
    }
    assertTrue(files.size() >= 20, "expected at least 20 testdata model files, found " + files);
    return files.stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getParent().getFileName() + "/" + f.getFileName(),
                    () -> {
                      JsonNode doc = Cli.run("inspect", "--json", f).assertExit(0).json();
                      long sum = 0;
                      for (JsonNode l : doc.get("layers")) {
                        for (JsonNode w : l.get("weights")) {
                          sum += w.get("params").asLong();
                        }
                      }
                      assertEquals(doc.at("/totals/params").asLong(), sum);
                      assertTrue(doc.at("/totals/params").asLong() > 0, doc::toString);
                      Cli.Result text = Cli.run("inspect", f).assertExit(0);
                      assertEquals("", text.err());
                    }));
  }

  @Test
  void unzippedArchiveAndShardedWeights() {
    JsonNode dir =
        Cli.run("inspect", "--json", Cli.model("mlp", "keras3_unzipped")).assertExit(0).json();
    assertEquals("keras", dir.get("format").asText());
    assertEquals("keras-dir", dir.get("container").asText());
    JsonNode zip = Cli.run("inspect", "--json", Cli.model("mlp", "keras3.keras")).json();
    assertEquals(zip.get("totals"), dir.get("totals"));

    JsonNode sharded =
        Cli.run("inspect", "--json", Cli.model("conv1d", "keras3_sharded.weights.json"))
            .assertExit(0)
            .json();
    assertEquals("weights.h5", sharded.get("format").asText());
    assertEquals("sharded-weights-json", sharded.get("container").asText());
    JsonNode full = Cli.run("inspect", "--json", Cli.model("conv1d", "keras3.keras")).json();
    assertEquals(full.at("/totals/params"), sharded.at("/totals/params"));
  }

  @Test
  void nestedModelsShowTheirLayersWithDepthAndParent() {
    JsonNode doc =
        Cli.run("inspect", "--json", Cli.model("nested_sequential", "tfkeras.h5"))
            .assertExit(0)
            .json();
    JsonNode nested = null;
    for (JsonNode l : doc.get("layers")) {
      if (l.get("nestedModel").asBoolean()) {
        nested = l;
      }
    }
    assertNotNull(nested, doc::toString);
    long childParams = 0;
    boolean child = false;
    for (JsonNode l : doc.get("layers")) {
      if (nested.get("path").asText().equals(l.get("parent").asText(null))) {
        child = true;
        assertEquals(nested.get("depth").asInt() + 1, l.get("depth").asInt());
        assertEquals(
            nested.get("path").asText() + "/" + l.get("name").asText(), l.get("path").asText());
        childParams += l.get("params").asLong();
      }
    }
    assertTrue(child, doc::toString);
    assertEquals(childParams, nested.get("params").asLong());
  }

  @Test
  void weightsOnlyFileWithConfig() {
    Path weights = Cli.model("mlp", "tfkeras_weights.h5");
    Path config = Cli.model("mlp", "tfkeras.json");
    JsonNode doc = Cli.run("inspect", "--json", weights, "--config", config).assertExit(0).json();
    assertEquals("h5-weights", doc.get("format").asText());
    assertTrue(doc.at("/model/hasConfig").asBoolean(), doc::toString);
    JsonNode full = Cli.run("inspect", "--json", Cli.model("mlp", "tfkeras.h5")).json();
    assertEquals(full.at("/totals/params"), doc.at("/totals/params"));
  }

  @Test
  void missingConfigFileIsAnIoError(@TempDir Path dir) {
    Path weights = Cli.model("mlp", "tfkeras_weights.h5");
    Cli.Result r = Cli.run("inspect", weights, "--config", dir.resolve("none.json")).assertExit(5);
    assertTrue(r.assertOneErrorLine().contains("none.json"), r.err());
  }

  // --- inputs that are not models: exit 3, one line naming the file ---

  static Stream<Arguments> notModels() {
    return Stream.of(
        Arguments.of(
            "lfs.h5",
            "version https://git-lfs.github.com/spec/v1\n"
                + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                + "size 12345\n"),
        Arguments.of(
            "page.keras",
            "<!DOCTYPE html>\n<html><head><title>404 Not Found</title>"
                + "</head><body>Not Found</body></html>\n"),
        Arguments.of("empty.h5", ""),
        Arguments.of("notes.h5", "just some text, not a model\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notModels")
  void notAModelIsMalformed(String name, String content, @TempDir Path dir) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, content, StandardCharsets.UTF_8);
    Cli.Result r = Cli.run("inspect", f).assertExit(3);
    String line = r.assertOneErrorLine();
    assertTrue(line.startsWith("initkit: " + f + ": "), line);
    assertEquals("", r.out());

    Cli.Result j = Cli.run("inspect", "--json", f).assertExit(3);
    JsonNode error = j.assertJsonError(3, "malformed");
    assertEquals(f.toString(), error.get("file").asText());
    assertEquals(line.substring("initkit: ".length()), error.get("message").asText());
  }

  @ParameterizedTest(name = "cut at {0} bytes")
  @MethodSource("cuts")
  void truncatedHdf5IsMalformed(int keepPercent, @TempDir Path dir) throws IOException {
    byte[] whole = Files.readAllBytes(Cli.model("mlp", "tfkeras.h5"));
    int keep = keepPercent == 0 ? 6 : whole.length * keepPercent / 100;
    Path f = dir.resolve("cut.h5");
    Files.write(f, Arrays.copyOf(whole, keep));
    Cli.Result r = Cli.run("inspect", f).assertExit(3);
    String line = r.assertOneErrorLine();
    assertTrue(line.contains(f.toString()), line);
    r = Cli.run("inspect", "--json", f).assertExit(3);
    r.assertJsonError(3, "malformed");
  }

  static Stream<Integer> cuts() {
    return Stream.of(0, 10, 50, 90);
  }

  @Test
  void directoryThatIsNoModelIsMalformed(@TempDir Path dir) {
    Cli.Result r = Cli.run("inspect", dir).assertExit(3);
    r.assertOneErrorLine();
  }

  @Test
  void configIgnoredForAFullModelIsSaid() {
    Path p = Cli.model("mlp", "tfkeras.h5");
    Cli.Result r =
        Cli.run("inspect", p, "--config", Cli.model("mlp", "tfkeras.json")).assertExit(0);
    assertTrue(r.err().contains("--config ignored"), r.err());
    Cli.Result q =
        Cli.run("inspect", "-q", p, "--config", Cli.model("mlp", "tfkeras.json")).assertExit(0);
    assertEquals("", q.err());
  }
}
