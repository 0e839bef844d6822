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
import java.util.stream.Stream;
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

  /**
   * The three corpus files DL4J failed on (Dl4jCorpusRuntimeIT): {@code --for dl4j} refuses each
   * before writing, in one line naming the layer, the key and its value.
   */
  @Test
  void dl4jRefusesTheCorpusFilesItFailedOn() throws IOException {
    Path corpus = TestFiles.corpus().resolve("h5-full");
    String[][] cases = {
      {"k2-conv2d-reshape-theano.h5", "conv2d_1 (Conv2D): data_format channels_last in a file of"},
      {"tfk1-conv3d.h5", "cropping3d_8 (Cropping3D): data_format channels_last, which DL4J's"},
      {"tfk1-embedding-dense.h5", "dense (Dense): a model output applied to a sequence"}
    };
    Path dir = Files.createTempDirectory("dl4j-refusals");
    for (String[] c : cases) {
      Path out = dir.resolve(c[0]);
      try (LoadedModel lm = ModelIO.open(corpus.resolve(c[0]))) {
        UnsupportedModelException e =
            assertThrows(
                UnsupportedModelException.class,
                () ->
                    ModelIO.write(
                        lm, out, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.DL4J)));
        assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
      }
      assertTrue(!Files.exists(out), "written: " + out);
    }
  }

  /**
   * DL4J reads a file's backend before a layer's data_format: with {@code theano} it builds the
   * image layers channels-first, so they are refused; the same model of another backend, and a
   * Theano file without image layers (corpus k2-dense-theano.h5 imports), are not.
   */
  @Test
  void dl4jRefusesImageLayersOnlyInATheanoFile() throws IOException {
    String conv =
        "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv\", \"batch_input_shape\":"
            + " [null, 5, 5, 5], \"filters\": 6, \"kernel_size\": [3, 2], \"data_format\":"
            + " \"channels_last\", \"activation\": \"linear\"}}";
    String flat = "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flat\"}}";
    String dense =
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out\", \"units\": 3, \"activation\":"
            + " \"linear\"}}";
    UnsupportedModelException e =
        assertThrows(
            UnsupportedModelException.class,
            () -> ConfigTranslator.toDl4j(sequential(conv, flat, dense), "theano"));
    assertTrue(
        e.getMessage()
            .contains(
                "conv (Conv2D): data_format channels_last in a file of backend theano, which"
                    + " DL4J's import builds channels-first"),
        e.getMessage());
    assertTrue(e.location().endsWith("conv"), e.location());
    ConfigTranslator.toDl4j(sequential(conv, flat, dense), "tensorflow");
    ConfigTranslator.toDl4j(sequential(conv, flat, dense), null);
    String denseIn =
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"in\", \"batch_input_shape\":"
            + " [null, 4], \"units\": 3, \"activation\": \"linear\"}}";
    ConfigTranslator.toDl4j(sequential(denseIn, dense), "theano");
  }

  /** DL4J's Cropping3D has no data format: it crops the channels of a channels_last input. */
  @Test
  void dl4jRefusesCropping3D() throws IOException {
    String input =
        "{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"vol\", \"batch_input_shape\":"
            + " [null, 6, 6, 6, 2], \"dtype\": \"float32\"}}";
    String crop =
        "{\"class_name\": \"Cropping3D\", \"config\": {\"name\": \"crop\", \"cropping\": [[1, 1],"
            + " [1, 1], [1, 1]], \"data_format\": \"channels_last\"}}";
    UnsupportedModelException e =
        assertThrows(
            UnsupportedModelException.class,
            () -> ConfigTranslator.toDl4j(sequential(input, crop)));
    assertTrue(
        e.getMessage()
            .contains(
                "crop (Cropping3D): data_format channels_last, which DL4J's Cropping3D does not"
                    + " read: it crops the last three axes"),
        e.getMessage());
  }

  /**
   * A Dense on a sequence that is a model output comes out of DL4J as [batch * steps, units],
   * step-major: refused; the same Dense after a Flatten, on a flat input, is not.
   */
  @Test
  void dl4jRefusesADenseOutputOnASequence() throws IOException {
    String input =
        "{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"ids\", \"batch_input_shape\":"
            + " [null, 5], \"dtype\": \"float32\"}}";
    String embedding =
        "{\"class_name\": \"Embedding\", \"config\": {\"name\": \"emb\", \"input_dim\": 10,"
            + " \"output_dim\": 8}}";
    String flat = "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flat\"}}";
    String dense =
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out\", \"units\": 4, \"activation\":"
            + " \"linear\"}}";
    UnsupportedModelException e =
        assertThrows(
            UnsupportedModelException.class,
            () -> ConfigTranslator.toDl4j(sequential(input, embedding, dense)));
    assertTrue(
        e.getMessage()
            .contains(
                "out (Dense): a model output applied to a sequence, which DL4J returns as [batch *"
                    + " steps, units] in step-major order"),
        e.getMessage());
    ConfigTranslator.toDl4j(sequential(input, embedding, flat, dense));
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

  /**
   * The tf.keras 2.11 corpus model whose Attention takes Dense outputs of (batch, features): its
   * ranks come from the InputLayer through the Dense layers (tf.keras 2.11 writes no build_config).
   * Keras 3.12 fails on it (DotAttentionRankIT measures the rule on models of each rank); written
   * {@code --for keras3}, .keras or .h5, it is refused before writing. tf-keras still gets it.
   */
  @Test
  void keras3RefusesDotAttentionOnRank2Inputs(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws IOException {
    Path original = TestFiles.corpus().resolve("h5-full/tfk2-attention-functional-optimizer.h5");
    try (LoadedModel lm = ModelIO.open(original)) {
      for (String out : List.of("m.keras", "m.h5")) {
        Path p = tmp.resolve(out);
        UnsupportedModelException e =
            assertThrows(
                UnsupportedModelException.class,
                () ->
                    ModelIO.write(
                        lm, p, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.KERAS3)));
        assertTrue(
            e.getMessage()
                .contains("attention: Attention field 'score_mode': 'dot' on a key of rank 2"),
            e.getMessage());
        assertTrue(!Files.exists(p), "refused, yet written: " + p);
      }
      ModelIO.write(
          lm,
          tmp.resolve("tfk.h5"),
          ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.TF_KERAS));
    }
  }

  /**
   * The catalogue's attention models (rank-3 inputs, recorded by Keras 3's tensors and by
   * tf-keras's build_config), which Keras 3.12 runs in KerasInteropIT, are not refused.
   */
  @Test
  void keras3KeepsTheCatalogueAttentionModels() throws IOException {
    int checked = 0;
    for (Path d : TestFiles.catalogueModelDirs()) {
      String name = d.getFileName().toString();
      if (!name.equals("Attention") && !name.equals("AdditiveAttention")) {
        continue;
      }
      try (Stream<Path> files = Files.list(d)) {
        for (Path f : files.filter(RuntimeFormsTest::isModelFile).toList()) {
          ConfigTranslator.rejectForKeras3Runtime(config(f));
          checked++;
        }
      }
    }
    assertTrue(checked >= 4, "checked " + checked);
  }

  private static boolean isModelFile(Path f) {
    String n = f.getFileName().toString();
    return (n.endsWith(".keras") || n.endsWith(".h5")) && !n.endsWith(".weights.h5");
  }

  /**
   * A Keras 1 Reshape to an image in a channels-last (dim_ordering tf) model: DL4J takes the first
   * target dimension as the channels (measured in the DL4J probe: 7 channels of 7 x 10), so {@code
   * --for dl4j} refuses it before writing; a Keras 1 tf model without a Reshape is still written as
   * it is.
   */
  @Test
  void dl4jRefusesAKeras1ReshapeToAnImageOfChannelsLast(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws IOException {
    Path corpus = TestFiles.corpus();
    Path out = tmp.resolve("k1.h5");
    try (LoadedModel lm =
        ModelIO.open(corpus.resolve("h5-full/k1-batchnorm-conv2d-dense-reshape-th.h5"))) {
      UnsupportedModelException e =
          assertThrows(
              UnsupportedModelException.class,
              () ->
                  ModelIO.write(
                      lm, out, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.DL4J)));
      assertTrue(
          e.getMessage().contains("reshape_1: Reshape field 'target_shape': [7,7,10]")
              && e.getMessage().contains("7 channels of 7 x 10"),
          e.getMessage());
      assertTrue(!Files.exists(out), "refused, yet written");
    }
    try (LoadedModel lm = ModelIO.open(corpus.resolve("h5-full/k1-conv2d-tf.h5"))) {
      ModelIO.write(lm, out, ModelIO.WriteOptions.defaults().withRuntime(TargetRuntime.DL4J));
      assertTrue(Files.exists(out));
    }
  }
}
