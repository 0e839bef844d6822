package dev.initkit.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.cli.Cli;
import dev.initkit.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code convert --for RUNTIME}: the format it picks, the form it writes, what it refuses. */
class ConvertForRuntimeTest {

  /**
   * model, file, runtime, format written to an output without extension, config form,
   * keras_version.
   */
  static Stream<Arguments> runtimes() {
    return Stream.of(
        Arguments.of("mlp", "keras3.h5", "keras3", "keras", "keras3", "3.12.0"),
        Arguments.of("mlp", "tfkeras.h5", "keras3", "keras", "keras3", null),
        Arguments.of("conv2d", "keras3.keras", "tf-keras", "h5", "keras2", "3.12.0"),
        Arguments.of("conv2d", "keras3.h5", "dl4j", "h5", "keras2", "2.20.1"),
        Arguments.of("lstm", "keras3.keras", "dl4j", "h5", "keras2", "2.20.1"),
        Arguments.of("mlp", "keras3.keras", "tensorflow", "savedmodel", null, null));
  }

  @ParameterizedTest(name = "{0}/{1} --for {2}")
  @MethodSource("runtimes")
  void withoutAnExtensionTheRuntimePicksTheFormat(
      String model,
      String file,
      String runtime,
      String format,
      String configForm,
      String kerasVersion,
      @TempDir Path dir) {
    Path out = dir.resolve("out");
    JsonNode doc =
        Cli.run("convert", "--json", Cli.model(model, file), "-o", out, "--for", runtime)
            .assertExit(0)
            .json();
    assertEquals(format, doc.path("format").asText());
    assertEquals(runtime, doc.path("runtime").asText());
    assertTrue(Files.exists(out));
    if (format.equals("savedmodel")) {
      assertTrue(Files.isRegularFile(out.resolve("saved_model.pb")), "a SavedModel directory");
      return;
    }
    JsonNode inspect = Cli.run("inspect", "--json", out).assertExit(0).json();
    assertEquals(format, inspect.path("format").asText());
    assertEquals(configForm, inspect.at("/model/configForm").asText());
    if (kerasVersion != null) {
      assertEquals(kerasVersion, inspect.path("kerasVersion").asText());
    }
  }

  @Test
  void keras3WithAnH5OutputWritesKeras3sOwnLegacyForm(@TempDir Path dir) throws IOException {
    Path gqa = Cli.testdata().resolve("catalogue/keras-3.12.0/GroupQueryAttention/keras3.keras");
    Path out = dir.resolve("gqa.h5");
    // plain convert refuses a Keras-3-only layer in .h5 (the portable form is Keras 2's)
    String line = Cli.run("convert", gqa, "-o", out).assertExit(4).assertOneErrorLine();
    assertTrue(line.contains("GroupQueryAttention"), line);
    assertFalse(Files.exists(out));
    Cli.run("convert", gqa, "-o", out, "--for", "keras3").assertExit(0);
    assertEquals(
        "h5", Cli.run("inspect", "--json", out).assertExit(0).json().path("format").asText());
    // exactly the model_config Keras 3.12.0 wrote for the same model
    assertEquals(config(gqa.resolveSibling("keras3.h5")), config(out));
  }

  private static JsonNode config(Path file) throws IOException {
    try (LoadedModel m = ModelIO.open(file)) {
      return m.model().config().orElseThrow();
    }
  }

  /** runtime, model, file, what the one line must name. */
  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of("dl4j", "mha", "keras3.keras", List.of("MultiHeadAttention", "DL4J")),
        Arguments.of("dl4j", "gru", "keras3.h5", List.of("GRU", "DL4J")),
        Arguments.of("dl4j", "nested_functional", "keras3.keras", List.of("nested")),
        Arguments.of("dl4j", "bidirectional", "keras3.keras", List.of("Bidirectional")),
        Arguments.of("tf-keras", "quant_int8", "keras3.keras", List.of("tf-keras")),
        Arguments.of(
            "tf-keras",
            "../catalogue/keras-3.12.0/GroupQueryAttention",
            "keras3.h5",
            List.of("GroupQueryAttention", "tf-keras")),
        Arguments.of(
            "tf-keras",
            "../catalogue/keras-3.12.0/RMSNormalization",
            "keras3.keras",
            List.of("RMSNormalization", "tf-keras")));
  }

  @ParameterizedTest(name = "--for {0}: {1}/{2} refused")
  @MethodSource("refusals")
  void whatTheRuntimeCannotExpressIsRefusedBeforeWriting(
      String runtime, String model, String file, List<String> named, @TempDir Path dir)
      throws IOException {
    Path out = dir.resolve("out.h5");
    String line =
        Cli.run("convert", Cli.model(model, file), "-o", out, "--for", runtime)
            .assertExit(4)
            .assertOneErrorLine();
    for (String n : named) {
      assertTrue(line.contains(n), () -> "'" + n + "' not in: " + line);
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "nothing written");
    }
  }

  @Test
  void aFormatTheRuntimeDoesNotLoadIsAUsageError(@TempDir Path dir) throws IOException {
    Path in = Cli.model("mlp", "keras3.keras");
    String[][] conflicts = {
      {"--for", "dl4j", "--to", "keras"},
      {"--for", "tensorflow", "--to", "h5"},
      {"--for", "tf-keras", "--to", "keras"},
      {"--for", "keras3", "--to", "h5-weights"}
    };
    for (String[] c : conflicts) {
      String line =
          Cli.run("convert", in, "-o", dir.resolve("out"), c[0], c[1], c[2], c[3])
              .assertExit(2)
              .assertOneErrorLine();
      assertTrue(line.contains("--for " + c[1]), line);
    }
    String line =
        Cli.run("convert", in, "-o", dir.resolve("out.keras"), "--for", "dl4j")
            .assertExit(2)
            .assertOneErrorLine();
    assertTrue(line.contains("out.keras"), line);
    Cli.run("convert", in, "-o", dir.resolve("out.h5"), "--for", "tensorflow").assertExit(2);
    Cli.run("convert", in, "-o", dir.resolve("out.h5"), "--for", "caffe").assertExit(2);
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "nothing written");
    }
  }

  @Test
  void plainConvertIsUnchanged(@TempDir Path dir) throws IOException {
    Path in = Cli.model("conv2d", "keras3.keras");
    Path plain = dir.resolve("plain.h5");
    Path keras3 = dir.resolve("k3.h5");
    JsonNode doc = Cli.run("convert", "--json", in, "-o", plain).assertExit(0).json();
    assertTrue(doc.path("runtime").isNull());
    Cli.run("convert", in, "-o", keras3, "--for", "keras3").assertExit(0);
    // the portable Keras 2 form as before; --for keras3 the config Keras 3 itself wrote
    Path kerasOwn = Cli.model("conv2d", "keras3.h5");
    assertFalse(config(kerasOwn).equals(config(plain)));
    assertEquals(config(kerasOwn), config(keras3));
  }
}
