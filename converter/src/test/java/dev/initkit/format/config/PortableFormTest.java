package dev.initkit.format.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelFormatException;
import dev.initkit.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The portable Keras 2 form {@link ConfigTranslator#toKeras2} writes: a legacy {@code .h5} config
 * that tf-keras 2.20 and Keras 3.12 both load. That both load it and predict alike was checked with
 * the real libraries outside these tests (initkit's {@code .h5} of every {@code testdata/models}
 * archive and of the {@code portable-*.keras3.json} models, see {@code
 * generate_portable_examples.py}, loaded by {@code testdata/interop/check.py}); these tests pin
 * down the form.
 */
class PortableFormTest {

  /** Keras 3 configs of the models {@code generate_portable_examples.py} builds. */
  static final List<String> PORTABLE_EXAMPLES =
      List.of(
          "shared_nested",
          "wrappers",
          "convs",
          "wrapped_models",
          "seq_in_seq",
          "nested_embedding",
          "mixed_bf16");

  static JsonNode portableExample(String name) {
    return Examples.read("portable-" + name + ".keras3.json");
  }

  /** Every Keras 3 config of the tests, by name. */
  static Stream<String> keras3Configs() {
    return Stream.concat(
        Examples.ARCHITECTURES.stream().map(a -> a + ".keras3"),
        Stream.concat(
            Examples.ARCHITECTURES.stream().map(a -> a + ".keras3-h5"),
            PORTABLE_EXAMPLES.stream().map(n -> "portable-" + n + ".keras3")));
  }

  /** Every Keras 2 config of the tests, by name. */
  static Stream<String> keras2Configs() {
    return Stream.concat(
        Examples.ARCHITECTURES.stream().map(a -> a + ".tfkeras"),
        Examples.ARCHITECTURES.stream().map(a -> a + ".tfkeras-h5"));
  }

  static Stream<String> allConfigs() {
    return Stream.concat(keras3Configs(), keras2Configs());
  }

  private static JsonNode config(String name) {
    return Examples.read(name + ".json");
  }

  /** Calls {@code visit} with every layer dict (class_name + config object) in the tree. */
  private static void eachLayer(JsonNode n, BiConsumer<String, ObjectNode> visit) {
    if (n.isObject() && n.path("class_name").isTextual() && n.path("config").isObject()) {
      visit.accept(n.get("class_name").asText(), (ObjectNode) n.get("config"));
    }
    if (n.isContainerNode()) {
      n.forEach(c -> eachLayer(c, visit));
    }
  }

  // Keras 3.12 rejects each of these keys ("Unrecognized keyword arguments") and tf-keras 2.20's
  // constructor fills in the default when it is absent.
  private static final Map<String, Set<String>> REJECTED_BY_KERAS3 =
      Map.of(
          "groups",
              Set.of(
                  "Conv1DTranspose",
                  "Conv2DTranspose",
                  "Conv3DTranspose",
                  "DepthwiseConv1D",
                  "DepthwiseConv2D",
                  "SeparableConv1D",
                  "SeparableConv2D"),
          "time_major", Set.of("SimpleRNN", "LSTM", "GRU", "RNN"),
          "kernel_initializer", Set.of("SeparableConv1D", "SeparableConv2D"),
          "kernel_regularizer", Set.of("SeparableConv1D", "SeparableConv2D"),
          "kernel_constraint", Set.of("SeparableConv1D", "SeparableConv2D"),
          "trainable", Set.of("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"),
          "noise_shape", Set.of("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"));

  @ParameterizedTest
  @MethodSource("allConfigs")
  void defaultsKeras3RejectsAreLeftOut(String name) throws ModelFormatException {
    JsonNode k2 = ConfigTranslator.toKeras2(config(name));
    List<String> found = new ArrayList<>();
    eachLayer(
        k2,
        (cls, cfg) -> {
          REJECTED_BY_KERAS3.forEach(
              (key, classes) -> {
                if (classes.contains(cls) && cfg.has(key)) {
                  found.add(cls + "." + key + " = " + cfg.get(key));
                }
              });
          JsonNode dtype = cfg.get("dtype");
          if (dtype != null && dtype.isObject()) {
            // tf-keras's Policy object: Keras 3 looks it up among its own policies and fails.
            found.add(cls + ".dtype = " + dtype);
          }
        });
    assertTrue(found.isEmpty(), name + ": " + found);
  }

  @Test
  void mixedPoliciesAreNamed() throws ModelFormatException {
    JsonNode k2 = ConfigTranslator.toKeras2(portableExample("mixed_bf16"));
    JsonNode layers = k2.path("config").path("layers");
    assertEquals("mixed_bfloat16", layers.path(1).path("config").path("dtype").asText());
    assertEquals("float32", layers.path(2).path("config").path("dtype").asText());
  }

  @Test
  void nonDefaultKeras2ValuesAreKeptForTfKeras() throws ModelFormatException {
    // The config then loads in tf-keras only; Keras 3 cannot express it at all.
    ObjectNode model = (ObjectNode) Examples.tfKerasH5("rnn");
    ObjectNode lstm = (ObjectNode) model.path("config").path("layers").path(2).path("config");
    lstm.put("time_major", true);
    JsonNode k2 = ConfigTranslator.toKeras2(model);
    assertTrue(
        k2.path("config").path("layers").path(2).path("config").path("time_major").asBoolean());
    assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras3(model));
  }

  @ParameterizedTest
  @MethodSource("allConfigs")
  void wrappedLayersCarryTheirModule(String name) throws ModelFormatException {
    JsonNode k2 = ConfigTranslator.toKeras2(config(name));
    List<String> bad = new ArrayList<>();
    eachLayer(
        k2,
        (cls, cfg) -> {
          for (String key : List.of("layer", "backward_layer", "cell", "cells")) {
            JsonNode v = cfg.get(key);
            List<JsonNode> inner = new ArrayList<>();
            if (v != null && v.isArray()) {
              v.forEach(inner::add);
            } else if (v != null && v.isObject()) {
              inner.add(v);
            }
            for (JsonNode layer : inner) {
              // Keras 3 wrappers deserialise these without the legacy loader: no module, no class.
              String module = layer.path("module").asText("");
              boolean model = KerasCatalog.isModelClass(layer.path("class_name").asText());
              if (!module.equals(model ? "keras" : "keras.layers")
                  || !layer.has("registered_name")
                  || !layer.get("registered_name").isNull()) {
                bad.add(
                    cls
                        + "."
                        + key
                        + ": "
                        + layer.path("class_name").asText()
                        + " module '"
                        + module
                        + "'");
              }
              if ("BatchNormalization".equals(layer.path("class_name").asText())
                  && !layer.path("config").path("axis").isIntegralNumber()) {
                bad.add("wrapped BatchNormalization axis " + layer.path("config").path("axis"));
              }
              if (layer.path("config").has("batch_input_shape")) {
                bad.add("wrapped " + layer.path("class_name").asText() + " has batch_input_shape");
              }
            }
          }
        });
    assertTrue(bad.isEmpty(), name + ": " + bad);
  }

  @Test
  void wrappedFunctionalIsSpelledModel() throws ModelFormatException {
    JsonNode k2 = ConfigTranslator.toKeras2(portableExample("wrapped_models"));
    JsonNode tdFn = k2.path("config").path("layers").path(2);
    assertEquals("td_fn", tdFn.path("name").asText());
    JsonNode inner = tdFn.path("config").path("layer");
    // Keras 3 has no public Functional class to locate; keras.Model.from_config builds one.
    assertEquals("Model", inner.path("class_name").asText());
    assertEquals("keras", inner.path("module").asText());
    assertEquals(
        "Functional",
        ConfigTranslator.toKeras3(k2)
            .path("config")
            .path("layers")
            .path(2)
            .path("config")
            .path("layer")
            .path("class_name")
            .asText());
  }

  @Test
  void callsOfNestedModelsAreRecordedTwice() throws ModelFormatException {
    JsonNode k2 = ConfigTranslator.toKeras2(portableExample("shared_nested"));
    JsonNode layers = k2.path("config").path("layers");
    JsonNode innerF = layers.path(2);
    JsonNode innerS = layers.path(3);
    assertEquals("inner_f", innerF.path("name").asText());
    assertEquals(
        "[[[\"a\",0,0,{}]],[[\"a\",0,0,{}]],[[\"b\",0,0,{}]],[[\"b\",0,0,{}]]]",
        innerF.path("inbound_nodes").toString());
    // Call k of a doubled model is node 2k+1: tf-keras reads the original, Keras 3 the copy.
    assertEquals(
        "[[[\"inner_f\",1,0,{}]],[[\"inner_f\",1,0,{}]],[[\"inner_f\",3,0,{}]],"
            + "[[\"inner_f\",3,0,{}]]]",
        innerS.path("inbound_nodes").toString());
    assertEquals(
        "[[[\"inner_s\",1,0,{}],[\"inner_s\",3,0,{}]]]",
        layers.path(4).path("inbound_nodes").toString());
    assertEquals(
        "[[\"add\",0,0],[\"inner_f\",3,0],[\"inner_s\",3,0]]",
        k2.path("config").path("output_layers").toString());
    // Already portable: left as it is.
    assertEquals(k2, ConfigTranslator.toKeras2(k2));

    // A tf-keras config gets the same form: its node k+1 of a nested model becomes 2k+1.
    JsonNode nested = ConfigTranslator.toKeras2(Examples.tfKerasH5("nested"));
    JsonNode mid = nested.path("config").path("layers").path(1);
    JsonNode innerSeq = mid.path("config").path("layers").path(1);
    assertEquals("inner_seq", innerSeq.path("name").asText());
    assertEquals(4, innerSeq.path("inbound_nodes").size());
    assertEquals(
        "[[[\"inner_seq\",3,0,{}]],[[\"inner_seq\",3,0,{}]]]",
        mid.path("config").path("layers").path(2).path("inbound_nodes").toString());
    assertEquals("[\"inner_fn\",1,0]", mid.path("config").path("output_layers").toString());
  }

  @Test
  void doubledCallsAreCollapsedGoingUp() throws ModelFormatException {
    JsonNode original = portableExample("shared_nested");
    JsonNode back = ConfigTranslator.toKeras3(ConfigTranslator.toKeras2(original));
    JsonNode layers = back.path("config").path("layers");
    assertEquals(2, layers.path(2).path("inbound_nodes").size());
    assertEquals(
        "[\"inner_f\",1,0]",
        layers
            .path(3)
            .path("inbound_nodes")
            .path(1)
            .path("args")
            .path(0)
            .path("config")
            .path("keras_history")
            .toString());
    // Keras 3 counts a nested Functional's calls from 1 in output_layers, a Sequential's from 0.
    assertEquals(
        "[[\"add\",0,0],[\"inner_f\",2,0],[\"inner_s\",1,0]]",
        back.path("config").path("output_layers").toString());
  }

  @Test
  void pairsThatAreNotThePortableFormAreNotCollapsed() throws ModelFormatException {
    // A model called twice on the same input, both calls used (node 2 is referred to): two calls.
    JsonNode k2 =
        Examples.parse(
            "{'class_name': 'Functional', 'config': {'name': 'm', 'layers': ["
                + "{'class_name': 'InputLayer', 'name': 'x', 'config': {'name': 'x',"
                + " 'batch_input_shape': [null, 2], 'dtype': 'float32'}, 'inbound_nodes': []},"
                + "{'class_name': 'Sequential', 'name': 's', 'config': {'name': 's', 'layers': ["
                + "{'class_name': 'InputLayer', 'config': {'name': 'i', 'batch_input_shape': [null, 2],"
                + " 'dtype': 'float32'}}, {'class_name': 'Dense', 'config': {'name': 'd', 'units': 2}}]},"
                + " 'inbound_nodes': [[['x', 0, 0, {}]], [['x', 0, 0, {}]]]},"
                + "{'class_name': 'Add', 'name': 'add', 'config': {'name': 'add'},"
                + " 'inbound_nodes': [[['s', 1, 0, {}], ['s', 2, 0, {}]]]}],"
                + " 'input_layers': [['x', 0, 0]], 'output_layers': [['add', 0, 0]]}}");
    JsonNode k3 = ConfigTranslator.toKeras3(k2);
    assertEquals(2, k3.path("config").path("layers").path(1).path("inbound_nodes").size());
    JsonNode portable = ConfigTranslator.toKeras2(k2);
    assertEquals(4, portable.path("config").path("layers").path(1).path("inbound_nodes").size());
    assertEquals(
        "[[[\"s\",1,0,{}],[\"s\",3,0,{}]]]",
        portable.path("config").path("layers").path(2).path("inbound_nodes").toString());
    assertEquals(
        ConfigComparison.keras3(k3), ConfigComparison.keras3(ConfigTranslator.toKeras3(portable)));
  }

  @Test
  void singleModelInputsAndOutputsAreFlat() throws ModelFormatException {
    // Keras 3 cannot call a nested Functional with one-element-list inputs from a Sequential.
    JsonNode k2 = ConfigTranslator.toKeras2(portableExample("seq_in_seq"));
    JsonNode sf = k2.path("config").path("layers").path(2);
    assertEquals("sf", sf.path("config").path("name").asText());
    assertTrue(LayerDicts.isTensorRef(sf.path("config").path("input_layers")));
    assertTrue(LayerDicts.isTensorRef(sf.path("config").path("output_layers")));
    JsonNode fromTfKeras = ConfigTranslator.toKeras2(Examples.tfKerasH5("nested"));
    JsonNode mid = fromTfKeras.path("config").path("layers").path(1).path("config");
    assertEquals("[\"x\",0,0]", mid.path("input_layers").toString());
    // Several stay a list.
    JsonNode multi = ConfigTranslator.toKeras2(portableExample("convs"));
    assertEquals(2, multi.path("config").path("output_layers").size());
    assertTrue(multi.path("config").path("output_layers").path(0).isArray());
  }

  @Test
  void multiHeadAttentionKeepsItsBuildShapesForTfKeras() throws ModelFormatException {
    // Impossible in both: tf-keras's from_config pops query_shape/key_shape/value_shape without a
    // default, Keras 3's constructor rejects them. The form stays tf-keras's (tf-keras only).
    JsonNode mha =
        ConfigTranslator.toKeras2(Examples.keras3("transformer"))
            .path("config")
            .path("layers")
            .path(2)
            .path("config");
    for (String key : List.of("query_shape", "key_shape", "value_shape")) {
      assertTrue(mha.has(key), key);
    }
  }

  @ParameterizedTest
  @MethodSource("keras3Configs")
  void keras3ConfigsRoundTripThroughThePortableForm(String name) throws ModelFormatException {
    JsonNode original = config(name);
    JsonNode k2 = ConfigTranslator.toKeras2(original);
    assertEquals(ConfigGeneration.KERAS2, ConfigGeneration.detect(k2), name);
    assertEquals(k2, ConfigTranslator.toKeras2(k2), name + ": toKeras2 is idempotent");
    JsonNode a =
        withoutBidirectionalInnerBuilds(
            ConfigComparison.keras3(ConfigTranslator.toKeras3(original)));
    JsonNode b =
        withoutBidirectionalInnerBuilds(ConfigComparison.keras3(ConfigTranslator.toKeras3(k2)));
    if (!a.equals(b)) {
      fail(
          name
              + ": toKeras3(toKeras2(y)) vs toKeras3(y):\n  "
              + String.join("\n  ", ConfigComparison.differences(a, b, 12)));
    }
  }

  /**
   * tf-keras writes no build_config on a Bidirectional's inner layers (and the Keras 2 form keeps
   * none); Keras 3's Bidirectional.build builds both directions from its own input shape, so theirs
   * has no effect on the loaded model.
   */
  private static JsonNode withoutBidirectionalInnerBuilds(JsonNode n) {
    eachLayer(
        n,
        (cls, cfg) -> {
          if ("Bidirectional".equals(cls)) {
            for (String key : List.of("layer", "backward_layer")) {
              if (cfg.path(key).isObject()) {
                ((ObjectNode) cfg.get(key)).remove("build_config");
              }
            }
          }
        });
    return n;
  }

  @ParameterizedTest
  @MethodSource("keras2Configs")
  void keras2ConfigsReachThePortableFormIdempotently(String name) throws ModelFormatException {
    JsonNode k2 = ConfigTranslator.toKeras2(config(name));
    assertEquals(k2, ConfigTranslator.toKeras2(k2), name);
    assertEquals(ConfigGeneration.KERAS2, ConfigGeneration.detect(k2), name);
    assertFalse(k2.toString().contains("\"batch_shape\""), name);
  }
}
