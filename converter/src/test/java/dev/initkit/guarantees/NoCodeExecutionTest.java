package dev.initkit.guarantees;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelFormatException;
import dev.initkit.ModelIO;
import dev.initkit.format.Format;
import dev.initkit.internal.Json;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No code from a model ever runs: Lambda layers (marshalled Python bytecode) and custom objects (a
 * {@code module} naming any Python module) are data to initkit. They are read, inspected and
 * written as they are, the function field byte for byte, and nothing executes. In Java this holds
 * by construction (initkit has no Python); the test pins it down on real Lambda files of the corpus
 * and on a crafted archive whose Lambda, if it were ever run by Python, would leave a marker file.
 */
class NoCodeExecutionTest {
  /**
   * {@code marshal.dumps} (Python 3.11) of {@code lambda x: __import__('os').system('touch
   * /tmp/initkit-lambda-ran') or x}, base64 with newlines as Keras 3's {@code func_dump} writes it.
   */
  static final String HOSTILE_CODE =
      "4wEAAAAAAAAAAAAAAAMAAAADAAAA80oAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACg\n"
          + "AQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAHABfABTACkDTtoCb3P6HXRvdWNo\n"
          + "IC90bXAvaW5pdGtpdC1sYW1iZGEtcmFuKQLaCl9faW1wb3J0X1/aBnN5c3RlbSkB2gF4cwEAAAAg\n"
          + "+gg8c3RyaW5nPvoIPGxhbWJkYT5yCAAAAAMAAABzIgAAAIAAjWqYFNEOHtQOHtcOJdIOJdAmRdEO\n"
          + "RtQORtAOS8ghgADzAAAAAA==\n";

  static final Path MARKER = Path.of("/tmp/initkit-lambda-ran");

  @TempDir Path tmp;

  @BeforeEach
  void noMarker() throws IOException {
    Files.deleteIfExists(MARKER);
  }

  /** The corpus's Lambda-bearing HDF5 models: read, inspected and written with the code as data. */
  @Test
  void corpusLambdaModelsAreCarriedAsData() throws Exception {
    Path full = TestFiles.corpus().resolve("h5-full");
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(full)) {
      s.filter(p -> p.getFileName().toString().contains("lambda")).sorted().forEach(files::add);
    }
    assertTrue(
        files.stream()
            .anyMatch(p -> p.getFileName().toString().equals("k1-lambda-space-to-depth.h5")),
        files.toString());
    assertTrue(
        files.stream().filter(p -> p.getFileName().toString().startsWith("k2-lambda-")).count()
            >= 2,
        files.toString());
    int lambdas = 0;
    for (Path in : files) {
      List<JsonNode> original;
      String configText;
      try (H5File f = H5File.openReadOnly(in)) {
        configText = f.root().attribute("model_config").asString();
        original = lambdaFunctions(Json.parse(configText));
      }
      assertFalse(original.isEmpty(), in + " has no Lambda");
      lambdas += original.size();
      try (LoadedModel m = ModelIO.open(in)) {
        // inspected as data: the layer is there, its function field exactly as stored
        List<JsonNode> read = new ArrayList<>();
        for (Layer l : m.model().allLayers()) {
          if (l.className().equals("Lambda")) {
            read.add(l.config().get("function"));
          }
        }
        assertEquals(original, read, in.toString());

        // h5 -> h5: the config text, and so every byte of the function field, is unchanged
        Path h5 = tmp.resolve(in.getFileName() + ".out.h5");
        ModelIO.write(m, h5, ModelIO.WriteOptions.defaults().withFormat(Format.H5));
        try (H5File f = H5File.openReadOnly(h5)) {
          String written = f.root().attribute("model_config").asString();
          assertEquals(configText, written, in + ": model_config not carried verbatim");
        }

        // h5 -> .keras: translated to Keras 3's form, the code string itself unchanged
        Path keras = tmp.resolve(in.getFileName() + ".out.keras");
        try {
          ModelIO.write(m, keras, ModelIO.WriteOptions.defaults().withFormat(Format.KERAS));
          String written = zipText(keras, "config.json");
          for (JsonNode fn : original) {
            String code = fn.isArray() ? fn.get(0).asText() : fn.asText();
            assertTrue(
                written.contains(Json.mapper().writeValueAsString(code)),
                in + ": the Lambda code is not carried verbatim into the .keras config");
          }
        } catch (ModelFormatException e) {
          // a config Keras 3 cannot express (e.g. Keras 1) is refused, as data: nothing ran
          assertFalse(Files.exists(keras), keras + " left behind after " + e.getMessage());
        }
      }
    }
    assertTrue(lambdas >= 3, "expected several Lambda layers, found " + lambdas);
    assertFalse(Files.exists(MARKER), "a marker file appeared");
  }

  /**
   * A crafted Keras 3 archive: a Lambda whose marshalled code would run a shell command, and a
   * custom object whose {@code module} is {@code os} and class {@code system}. initkit reads,
   * inspects and converts it; both are carried verbatim; nothing runs.
   */
  @Test
  void craftedHostileArchiveIsOnlyData() throws Exception {
    Path base = TestFiles.testdata().resolve("models/mlp/keras3.keras");
    assumeTrue(Files.isRegularFile(base), "needs " + base);
    Path hostile = tmp.resolve("hostile.keras");
    ObjectNode lambda = Json.mapper().createObjectNode();
    lambda.put("module", "keras.layers");
    lambda.put("class_name", "Lambda");
    ObjectNode lc = lambda.putObject("config");
    lc.put("name", "evil_lambda");
    lc.put("trainable", true);
    ObjectNode fn = lc.putObject("function");
    fn.put("class_name", "__lambda__");
    ObjectNode fc = fn.putObject("config");
    fc.put("code", HOSTILE_CODE);
    fc.putNull("defaults");
    fc.putNull("closure");
    lc.put("function_type", "lambda");
    lc.putNull("output_shape");
    lc.putNull("mask");
    lc.putObject("arguments");
    lambda.putNull("registered_name");
    ObjectNode custom = Json.mapper().createObjectNode();
    custom.put("module", "os");
    custom.put("class_name", "system");
    custom.putObject("config").put("name", "evil_custom").put("command", "touch " + MARKER);
    custom.put("registered_name", "os>system");
    String configText = craft(base, hostile, lambda, custom);
    byte[] before = Files.readAllBytes(hostile);

    try (LoadedModel m = ModelIO.open(hostile)) {
      Layer l = find(m, "evil_lambda");
      Layer c = find(m, "evil_custom");
      assertEquals(fn, l.config().get("function"));
      assertEquals(
          "os",
          Json.parse(configText)
              .path("config")
              .path("layers")
              .get(Json.parse(configText).path("config").path("layers").size() - 1)
              .path("module")
              .asText());
      assertNotNull(c.config());

      Path keras = tmp.resolve("copy.keras");
      ModelIO.write(m, keras, ModelIO.WriteOptions.defaults().withFormat(Format.KERAS));
      String written = zipText(keras, "config.json");
      assertEquals(configText, written, "the .keras config is not carried verbatim");
      assertTrue(written.contains(Json.mapper().writeValueAsString(HOSTILE_CODE)));

      Path h5 = tmp.resolve("copy.h5");
      try {
        ModelIO.write(m, h5, ModelIO.WriteOptions.defaults().withFormat(Format.H5));
        try (H5File f = H5File.openReadOnly(h5)) {
          String cfg = f.root().attribute("model_config").asString();
          assertTrue(
              cfg.contains(Json.mapper().writeValueAsString(HOSTILE_CODE)),
              "the Lambda code is not carried verbatim into the .h5 config");
          assertTrue(cfg.contains("\"system\""), "the custom object is not carried");
        }
      } catch (ModelFormatException e) {
        // the custom class may have no Keras 2 form: refused as data, no output
        assertFalse(Files.exists(h5));
      }
    }
    assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(hostile)), "input changed");
    assertFalse(Files.exists(MARKER), "the Lambda ran");
  }

  private static Layer find(LoadedModel m, String name) {
    for (Layer l : m.model().allLayers()) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    throw new AssertionError("no layer " + name + " in " + m.model().allLayers());
  }

  /** Copies {@code base} with the extra layers appended to its config; returns the config text. */
  private static String craft(Path base, Path out, JsonNode... extra) throws IOException {
    List<String> names = new ArrayList<>();
    List<byte[]> data = new ArrayList<>();
    String config = null;
    try (ZipFile z = new ZipFile(base.toFile())) {
      for (ZipEntry e : Collections.list(z.entries())) {
        try (InputStream in = z.getInputStream(e)) {
          byte[] b = in.readAllBytes();
          if (e.getName().equals("config.json")) {
            ObjectNode c = (ObjectNode) Json.parse(new String(b, StandardCharsets.UTF_8));
            ArrayNode layers = (ArrayNode) c.path("config").path("layers");
            for (JsonNode x : extra) {
              layers.add(x);
            }
            config = Json.write(c);
            b = config.getBytes(StandardCharsets.UTF_8);
          }
          names.add(e.getName());
          data.add(b);
        }
      }
    }
    try (OutputStream os = Files.newOutputStream(out);
        ZipOutputStream z = new ZipOutputStream(os)) {
      for (int i = 0; i < names.size(); i++) {
        ZipEntry e = new ZipEntry(names.get(i));
        CRC32 crc = new CRC32();
        crc.update(data.get(i));
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.get(i).length);
        e.setCompressedSize(data.get(i).length);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data.get(i));
        z.closeEntry();
      }
    }
    return config;
  }

  private static String zipText(Path zip, String name) throws IOException {
    try (ZipFile z = new ZipFile(zip.toFile());
        InputStream in = z.getInputStream(z.getEntry(name))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Every Lambda layer's function field in a model config, nested models included. */
  private static List<JsonNode> lambdaFunctions(JsonNode n) {
    List<JsonNode> out = new ArrayList<>();
    collect(n, out);
    return out;
  }

  private static void collect(JsonNode n, List<JsonNode> out) {
    if (n.isObject()
        && "Lambda".equals(n.path("class_name").asText())
        && n.path("config").has("function")) {
      out.add(n.get("config").get("function"));
    }
    for (JsonNode c : n) {
      collect(c, out);
    }
  }
}
