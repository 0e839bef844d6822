package dev.initkit.format.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.internal.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Translations across generations that keep the meaning (ThresholdedReLU as ReLU, inert keys
 * dropped), refusals that name layer, key and value, and the changes of meaning a conversion
 * reports ({@code hard_sigmoid}). The configs are what tf-keras 2.20.1/2.21.0 and Keras
 * 3.12.0/3.15.1 write (testdata/survey_generations.py).
 */
class GenerationMeaningTest {

  private static JsonNode json(String text) throws Exception {
    return Json.mapper().readTree(text.replace('\'', '"'));
  }

  /** A tf-keras Sequential with these layers after its InputLayer. */
  private static JsonNode tfKerasSequential(String layers) throws Exception {
    return json(
        "{'class_name': 'Sequential', 'config': {'name': 'seq', 'layers': ["
            + "{'class_name': 'InputLayer', 'config': {'batch_input_shape': [null, 4, 3],"
            + " 'dtype': 'float32', 'sparse': false, 'ragged': false, 'name': 'x'}}, "
            + layers
            + "]}}");
  }

  private static JsonNode layerOf(JsonNode model, int index) {
    return model.path("config").path("layers").get(index);
  }

  // ---- ThresholdedReLU -----------------------------------------------------------------------

  @Test
  void thresholdedReluBecomesReluWithThatThreshold() throws Exception {
    JsonNode k3 =
        ConfigTranslator.toKeras3(
            tfKerasSequential(
                "{'module': 'keras.layers', 'class_name': 'ThresholdedReLU', 'config': {'name': 't',"
                    + " 'trainable': true, 'dtype': 'float32', 'theta': 0.3}, 'registered_name': null}"));
    JsonNode relu = layerOf(k3, 1);
    assertEquals("ReLU", relu.path("class_name").asText());
    assertEquals("keras.layers", relu.path("module").asText());
    JsonNode c = relu.path("config");
    assertEquals(0.3, c.path("threshold").asDouble());
    assertTrue(c.path("max_value").isNull(), c::toString);
    assertEquals(0.0, c.path("negative_slope").asDouble());
    assertEquals("t", c.path("name").asText());
    assertFalse(c.has("theta"), c::toString);
    assertEquals(
        "float32",
        c.path("dtype").path("config").path("name").asText(),
        "the rest is translated as any Keras 2 layer: " + c);
    // back down it is a ReLU, which tf-keras has with the same threshold semantics
    JsonNode k2 = ConfigTranslator.toKeras2(k3);
    assertEquals("ReLU", layerOf(k2, 1).path("class_name").asText());
    assertEquals(0.3, layerOf(k2, 1).path("config").path("threshold").asDouble());
  }

  @Test
  void thresholdedReluWithoutThetaTakesTfKerasDefault() throws Exception {
    JsonNode k3 =
        ConfigTranslator.toKeras3(
            tfKerasSequential(
                "{'class_name': 'ThresholdedReLU', 'config': {'name': 't', 'trainable': true,"
                    + " 'dtype': 'float32'}}"));
    assertEquals(1.0, layerOf(k3, 1).path("config").path("threshold").asDouble());
  }

  @Test
  void thresholdedReluInsideAWrapperIsTranslatedToo() throws Exception {
    JsonNode k3 =
        ConfigTranslator.toKeras3(
            tfKerasSequential(
                "{'class_name': 'TimeDistributed', 'config': {'name': 'td', 'trainable': true,"
                    + " 'dtype': 'float32', 'layer': {'module': 'keras.layers', 'class_name':"
                    + " 'ThresholdedReLU', 'config': {'name': 't', 'trainable': true, 'dtype': 'float32',"
                    + " 'theta': 2.0}, 'registered_name': null}}}"));
    JsonNode inner = layerOf(k3, 1).path("config").path("layer");
    assertEquals("ReLU", inner.path("class_name").asText());
    assertEquals(2.0, inner.path("config").path("threshold").asDouble());
  }

  @Test
  void thresholdedReluWithANegativeThetaIsRefusedNamingLayerKeyAndValue() throws Exception {
    UnsupportedModelException e =
        assertThrows(
            UnsupportedModelException.class,
            () ->
                ConfigTranslator.toKeras3(
                    tfKerasSequential(
                        "{'class_name': 'ThresholdedReLU', 'config': {'name': 't', 'trainable': true,"
                            + " 'dtype': 'float32', 'theta': -0.5}}")));
    assertEquals("seq/t", e.location());
    assertTrue(
        e.detail().contains("ThresholdedReLU field 'theta'") && e.detail().contains("-0.5"),
        e.detail());
  }

  // ---- keys and names the survey found ---------------------------------------------------------

  @Test
  void inertKeysKeras3RejectsAreDropped() throws Exception {
    JsonNode k3 =
        ConfigTranslator.toKeras3(
            tfKerasSequential(
                "{'class_name': 'Discretization', 'config': {'name': 'd', 'trainable': true,"
                    + " 'dtype': 'float32', 'bin_boundaries': [0.0], 'output_mode': 'int', 'sparse': false}},"
                    + "{'class_name': 'RandomCrop', 'config': {'name': 'rc', 'trainable': true,"
                    + " 'dtype': 'float32', 'rng_type': 'stateful', 'height': 2, 'width': 2, 'seed': null}},"
                    + "{'class_name': 'RandomBrightness', 'config': {'name': 'rb', 'trainable': true,"
                    + " 'dtype': 'float32', 'rng_type': 'stateful', 'factor': [-0.1, 0.1],"
                    + " 'value_range': [0, 255], 'seed': null}}"));
    assertFalse(
        layerOf(k3, 1).path("config").has("trainable"), "Discretization.__init__ rejects it");
    assertFalse(layerOf(k3, 2).path("config").has("rng_type"));
    assertFalse(layerOf(k3, 3).path("config").has("rng_type"));
  }

  @Test
  void keras3OnlyActivationIsRefusedGoingDownNamingLayerKeyAndValue() throws Exception {
    JsonNode k3 =
        ConfigTranslator.toKeras3(
            tfKerasSequential(
                "{'class_name': 'Dense', 'config': {'name': 'dense_x', 'trainable': true,"
                    + " 'dtype': 'float32', 'units': 2, 'activation': 'relu', 'use_bias': true}}"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) layerOf(k3, 1).path("config"))
        .put("activation", "hard_silu");
    UnsupportedModelException e =
        assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras2(k3));
    assertEquals("seq/dense_x", e.location());
    assertTrue(
        e.detail().contains("Dense field 'activation'") && e.detail().contains("hard_silu"),
        e.detail());
  }

  // ---- changes of meaning --------------------------------------------------------------------

  private static final String HARD_SIGMOID_LAYERS =
      "{'class_name': 'LSTM', 'config': {'name': 'lstm_1', 'trainable': true, 'dtype': 'float32',"
          + " 'units': 2, 'activation': 'tanh', 'recurrent_activation': 'hard_sigmoid',"
          + " 'return_sequences': true}},"
          + "{'class_name': 'Bidirectional', 'config': {'name': 'bi', 'trainable': true,"
          + " 'dtype': 'float32', 'merge_mode': 'concat', 'layer': {'module': 'keras.layers',"
          + " 'class_name': 'GRU', 'config': {'name': 'gru', 'trainable': true, 'dtype': 'float32',"
          + " 'units': 2, 'activation': 'tanh', 'recurrent_activation': 'sigmoid',"
          + " 'return_sequences': true}, 'registered_name': null}}},"
          + "{'class_name': 'RNN', 'config': {'name': 'rnn', 'trainable': true, 'dtype': 'float32',"
          + " 'return_sequences': true, 'cell': {'module': 'keras.layers', 'class_name': 'LSTMCell',"
          + " 'config': {'name': 'cell', 'trainable': true, 'dtype': 'float32', 'units': 2,"
          + " 'activation': 'tanh', 'recurrent_activation': 'hard_sigmoid'},"
          + " 'registered_name': null}}},"
          + "{'class_name': 'Sequential', 'config': {'name': 'inner', 'layers': ["
          + "{'class_name': 'Dense', 'config': {'name': 'dense_hs', 'trainable': true,"
          + " 'dtype': 'float32', 'units': 2, 'activation': 'hard_sigmoid'}}]}},"
          + "{'class_name': 'Activation', 'config': {'name': 'act', 'trainable': true,"
          + " 'dtype': 'float32', 'activation': 'hard_sigmoid'}},"
          + "{'class_name': 'Dense', 'config': {'name': 'dense_ok', 'trainable': true,"
          + " 'dtype': 'float32', 'units': 2, 'activation': 'sigmoid'}}";

  @Test
  void hardSigmoidLayersAreFoundWhereverTheyAre() throws Exception {
    JsonNode tfk = tfKerasSequential(HARD_SIGMOID_LAYERS);
    List<MeaningChange> up = ConfigTranslator.meaningChanges(tfk, ConfigGeneration.KERAS3);
    assertEquals(
        List.of(
            "lstm_1 recurrent_activation",
            "rnn/cell recurrent_activation",
            "inner/dense_hs activation",
            "act activation"),
        up.stream().map(c -> c.layerPath() + " " + c.key()).toList());
    assertEquals(1.0 / 12.0, up.get(0).activation().maxChange(), 1e-12);
    assertEquals(
        "layer lstm_1: recurrent_activation hard_sigmoid means clip(x/6 + 0.5, 0, 1) in"
            + " Keras 3, clip(0.2x + 0.5, 0, 1) in tf-keras/Keras 2: outputs of that activation change"
            + " by up to 0.0833",
        up.get(0).message());
  }

  @Test
  void theOtherDirectionIsReportedFromKeras3() throws Exception {
    JsonNode k3 = ConfigTranslator.toKeras3(tfKerasSequential(HARD_SIGMOID_LAYERS));
    List<MeaningChange> down = ConfigTranslator.meaningChanges(k3, ConfigGeneration.KERAS2);
    assertEquals(
        List.of("lstm_1", "rnn/cell", "inner/dense_hs", "act"),
        down.stream().map(MeaningChange::layerPath).toList());
    assertTrue(
        down.get(0)
            .message()
            .contains(
                "means clip(0.2x + 0.5, 0, 1) in tf-keras/Keras 2,"
                    + " clip(x/6 + 0.5, 0, 1) in Keras 3"),
        down.get(0).message());
  }

  @Test
  void noChangeWithinAGenerationOrWithoutHardSigmoid() throws Exception {
    JsonNode tfk = tfKerasSequential(HARD_SIGMOID_LAYERS);
    assertEquals(List.of(), ConfigTranslator.meaningChanges(tfk, ConfigGeneration.KERAS2));
    JsonNode k3 = ConfigTranslator.toKeras3(tfk);
    assertEquals(List.of(), ConfigTranslator.meaningChanges(k3, ConfigGeneration.KERAS3));
    JsonNode plain =
        tfKerasSequential(
            "{'class_name': 'Dense', 'config': {'name': 'd',"
                + " 'trainable': true, 'dtype': 'float32', 'units': 2, 'activation': 'gelu'}}");
    assertEquals(
        List.of(),
        ConfigTranslator.meaningChanges(plain, ConfigGeneration.KERAS3),
        "gelu is erf-based in both by default");
  }
}
