package dev.initkit.format.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.ModelIO;
import dev.initkit.TargetRuntime;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.Format;
import dev.initkit.model.LoadedModel;
import dev.initkit.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The config forms {@code --for} writes: Keras 3's own .h5 form and DL4J's. */
class RuntimeFormsTest {

  private static JsonNode config(Path file) throws IOException {
    try (LoadedModel m = ModelIO.open(file)) {
      return m.model().config().orElseThrow();
    }
  }

  /**
   * Every model with both files: the .keras config in .h5 form is what Keras 3 wrote in its .h5.
   */
  @Test
  void keras3H5FormIsWhatKeras3WritesInItsOwnH5() throws IOException {
    List<Path> dirs = new ArrayList<>(TestFiles.modelDirs());
    dirs.addAll(TestFiles.catalogueModelDirs());
    int compared = 0;
    for (Path d : dirs) {
      Path k = d.resolve("keras3.keras");
      Path h = d.resolve("keras3.h5");
      if (Files.exists(k)
          && Files.exists(h)
          && d.getFileName().toString().equals("SpectralNormalization")) {
        // its kernel is saved twice in .keras, once in .h5: no config form makes the weights fit
        UnsupportedModelException e =
            assertThrows(
                UnsupportedModelException.class, () -> ConfigTranslator.toKeras3H5(config(k)));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
      } else if (Files.exists(k) && Files.exists(h)) {
        assertEquals(config(h), ConfigTranslator.toKeras3H5(config(k)), d.toString());
        compared++;
      }
    }
    assertTrue(compared >= 60, "compared " + compared);
  }

  @Test
  void dl4jFormNestsSingleInputsAndPutsInputsFirstInTheirOrder() throws IOException {
    Path conv = TestFiles.testdata().resolve("models/conv2d/keras3.keras");
    JsonNode c = ConfigTranslator.toDl4j(config(conv));
    assertEquals("[[\"image\",0,0]]", c.at("/config/input_layers").toString());
    assertTrue(c.at("/config/output_layers").get(0).isArray());
    JsonNode multi =
        ConfigTranslator.toDl4j(
            config(TestFiles.testdata().resolve("models/multi_io/keras3.keras")));
    assertEquals(
        multi.at("/config/input_layers/0/0").asText(), multi.at("/config/layers/0/name").asText());
    assertEquals(
        multi.at("/config/input_layers/1/0").asText(), multi.at("/config/layers/1/name").asText());
  }

  @Test
  void dl4jRefusalNamesEveryLayerInOneLine() throws IOException {
    UnsupportedModelException e =
        assertThrows(
            UnsupportedModelException.class,
            () ->
                ConfigTranslator.toDl4j(
                    config(TestFiles.testdata().resolve("models/gru/keras3.keras"))));
    assertTrue(
        e.getMessage().contains("gru_a (GRU)") && e.getMessage().contains("gru_b (GRU)"),
        e.getMessage());
    assertTrue(e.location().endsWith("gru_a"), e.location());
    assertTrue(!e.getMessage().contains("\n"));
  }

  /**
   * DL4J finds a DepthwiseConv2D's input channels at the nearest convolution before it: refused
   * straight after the input (testdata depthwise_conv2d), accepted after a convolution, where a
   * Sequential model's layers name the one before them for DL4J.
   */
  @Test
  void dl4jTakesADepthwiseConvOnlyWhereAConvolutionComesBeforeIt() throws IOException {
    UnsupportedModelException e =
        assertThrows(
            UnsupportedModelException.class,
            () ->
                ConfigTranslator.toDl4j(
                    config(TestFiles.testdata().resolve("models/depthwise_conv2d/tfkeras.h5"))));
    assertTrue(
        e.getMessage().contains("depthwise (DepthwiseConv2D)")
            && e.getMessage().contains("getNInFromConfig")
            && e.getMessage().contains("model's input image"),
        e.getMessage());
    assertTrue(!e.getMessage().contains("\n"));

    String input =
        "{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"image\", \"batch_input_shape\": [null, 8, 8, 3], \"dtype\": \"float32\"}}";
    String conv =
        "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv\", \"filters\": 4, \"kernel_size\": [1, 1], \"activation\": \"linear\"}}";
    String pool = "{\"class_name\": \"MaxPooling2D\", \"config\": {\"name\": \"pool\"}}";
    String flat =
        "{\"class_name\": \"Reshape\", \"config\": {\"name\": \"reshape\", \"target_shape\": [4, 4, 12]}}";
    String dw =
        "{\"class_name\": \"DepthwiseConv2D\", \"config\": {\"name\": \"depthwise\", \"kernel_size\": [3, 3], \"depth_multiplier\": 2}}";
    JsonNode ok = ConfigTranslator.toDl4j(sequential(input, conv, pool, dw));
    assertEquals("[[[\"pool\",0,0,{}]]]", ok.at("/config/layers/3/inbound_nodes").toString());
    assertEquals("[[[\"image\",0,0,{}]]]", ok.at("/config/layers/1/inbound_nodes").toString());
    UnsupportedModelException reshaped =
        assertThrows(
            UnsupportedModelException.class,
            () -> ConfigTranslator.toDl4j(sequential(input, conv, flat, dw)));
    assertTrue(reshaped.getMessage().contains("from reshape (Reshape)"), reshaped.getMessage());
  }

  private static JsonNode sequential(String... layers) throws IOException {
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(
            "{\"class_name\": \"Sequential\", \"keras_version\": \"2.15.0\","
                + " \"config\": {\"name\": \"s\", \"layers\": ["
                + String.join(", ", layers)
                + "]}}");
  }

  /**
   * tf-keras: a key it lacks is dropped at its default, refused otherwise, naming layer, key and
   * value.
   */
  @Test
  void aKeyTfKerasLacksIsRefusedUnlessAtItsDefault() throws IOException {
    Path mha =
        TestFiles.testdata().resolve("catalogue/keras-3.15.1/MultiHeadAttention/keras3.keras");
    JsonNode c = config(mha);
    JsonNode k2 = ConfigTranslator.toKeras2(c);
    assertTrue(!k2.toString().contains("use_gate"), "dropped at its default");
    com.fasterxml.jackson.databind.node.ObjectNode gated = c.deepCopy();
    for (JsonNode l : gated.at("/config/layers")) {
      if (l.path("class_name").asText().equals("MultiHeadAttention")) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) l.get("config")).put("use_gate", true);
      }
    }
    UnsupportedModelException e =
        assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras2(gated));
    assertTrue(
        e.getMessage().contains("use_gate = true") && e.location().contains("/"), e.getMessage());
  }

  @Test
  void theRuntimePicksTheFormatOnlyWhereNothingElseDoes() {
    ModelIO.WriteOptions o = ModelIO.WriteOptions.defaults();
    assertEquals(
        Format.KERAS, ModelIO.targetFormat(Path.of("m"), o.withRuntime(TargetRuntime.KERAS3)));
    assertEquals(
        Format.H5, ModelIO.targetFormat(Path.of("m.h5"), o.withRuntime(TargetRuntime.KERAS3)));
    assertEquals(Format.H5, ModelIO.targetFormat(Path.of("m"), o.withRuntime(TargetRuntime.DL4J)));
    assertEquals(
        Format.H5, ModelIO.targetFormat(Path.of("m"), o.withRuntime(TargetRuntime.TF_KERAS)));
    assertEquals(
        Format.SAVED_MODEL,
        ModelIO.targetFormat(Path.of("m"), o.withRuntime(TargetRuntime.TENSORFLOW)));
    assertThrows(
        IllegalArgumentException.class,
        () -> ModelIO.targetFormat(Path.of("m.keras"), o.withRuntime(TargetRuntime.DL4J)));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ModelIO.targetFormat(
                Path.of("m"), o.withRuntime(TargetRuntime.TENSORFLOW).withFormat(Format.H5)));
    assertThrows(IllegalArgumentException.class, () -> ModelIO.targetFormat(Path.of("m"), o));
    assertEquals(TargetRuntime.TF_KERAS, TargetRuntime.parse("TF_Keras"));
    assertThrows(IllegalArgumentException.class, () -> TargetRuntime.parse("caffe"));
  }
}
