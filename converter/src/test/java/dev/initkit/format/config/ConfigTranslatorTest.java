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
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Translation of the paired tf-keras / Keras 3 example configs. Loading the translated configs in
 * real Keras was checked outside these tests (the Python verification described in the report);
 * here the translated tree must equal what the other generation itself writes, modulo the rules of
 * {@link ConfigComparison}.
 */
class ConfigTranslatorTest {

  static List<String> architectures() {
    return Examples.ARCHITECTURES;
  }

  private static void assertEquivalent(
      JsonNode expected, JsonNode actual, UnaryOperator<JsonNode> normalise, String what) {
    JsonNode e = normalise.apply(expected);
    JsonNode a = normalise.apply(actual);
    if (!e.equals(a)) {
      fail(what + " differs at:\n  " + String.join("\n  ", ConfigComparison.differences(e, a, 12)));
    }
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void tfKerasConfigTranslatesToWhatKeras3Writes(String arch) throws ModelFormatException {
    JsonNode translated = ConfigTranslator.toKeras3(Examples.tfKeras(arch));
    assertEquivalent(
        Examples.keras3(arch),
        translated,
        ConfigComparison::keras3,
        arch + ": toKeras3(tf-keras to_json) vs Keras 3 config.json");
    assertEquals(ConfigGeneration.KERAS3, ConfigGeneration.detect(translated));
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void tfKerasH5ConfigTranslatesToWhatKeras3Writes(String arch) throws ModelFormatException {
    // tf-keras's .h5 writer leaves the build_config of the outer layers out; Keras 3 builds those
    // layers when the graph is replayed (same weights: checked by loading).
    JsonNode translated = ConfigTranslator.toKeras3(Examples.tfKerasH5(arch));
    UnaryOperator<JsonNode> normalise = n -> withoutBuildConfigs(ConfigComparison.keras3(n));
    assertEquivalent(
        Examples.keras3(arch),
        translated,
        normalise,
        arch + ": toKeras3(tf-keras h5 model_config) vs Keras 3 config.json");
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void keras3ConfigTranslatesToWhatTfKerasWrites(String arch) throws ModelFormatException {
    JsonNode translated = ConfigTranslator.toKeras2(Examples.keras3(arch));
    assertEquivalent(
        Examples.tfKeras(arch),
        translated,
        ConfigComparison::keras2,
        arch + ": toKeras2(Keras 3 config.json) vs tf-keras to_json");
    assertEquals(ConfigGeneration.KERAS2, ConfigGeneration.detect(translated));
    assertModuleKeysOnlyOnWrappedLayers(translated, false);
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void keras3LegacyH5ConfigTranslatesLikeTheArchive(String arch) throws ModelFormatException {
    // Keras 3's legacy .h5 keeps the Keras 3 schema and drops only the layers' module keys.
    assertEquals(ConfigGeneration.KERAS3, ConfigGeneration.detect(Examples.keras3H5(arch)));
    // The legacy .h5 writer leaves out the layers' build_configs too, and with them the ranks
    // that fix the sign of normalisation axes and MultiHeadAttention's build shapes (tf-keras
    // then builds the layer at its first call).
    UnaryOperator<JsonNode> withoutBuildInfo =
        n -> {
          JsonNode c = ConfigComparison.keras2(n);
          dropKeys(c, List.of("axis", "query_shape", "key_shape", "value_shape"));
          return c;
        };
    assertEquivalent(
        ConfigTranslator.toKeras2(Examples.keras3(arch)),
        ConfigTranslator.toKeras2(Examples.keras3H5(arch)),
        withoutBuildInfo,
        arch + ": toKeras2(Keras 3 legacy h5) vs toKeras2(config.json)");
    assertEquivalent(
        Examples.keras3(arch),
        ConfigTranslator.toKeras3(Examples.keras3H5(arch)),
        n -> {
          JsonNode c = withoutBuildConfigs(ConfigComparison.keras3(n));
          dropKeys(c, List.of("axis"));
          return c;
        },
        arch + ": toKeras3(Keras 3 legacy h5) vs config.json");
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void tfKerasConfigsAreFixedPoints(String arch) throws ModelFormatException {
    // Exact apart from the writer-style keys of ConfigComparison.keras2; the build_configs of
    // to_json are kept. tf-keras's .h5 writer leaves them out of the outer layers, but
    // MultiHeadAttention's build shapes come back as one (they live in its config there).
    JsonNode json = Examples.tfKeras(arch);
    assertEquivalent(
        json,
        ConfigTranslator.toKeras2(ConfigTranslator.toKeras3(json)),
        ConfigComparison::keras2KeepingBuildConfigs,
        arch + ": toKeras2(toKeras3(to_json))");
    JsonNode h5 = Examples.tfKerasH5(arch);
    assertEquivalent(
        h5,
        ConfigTranslator.toKeras2(ConfigTranslator.toKeras3(h5)),
        ConfigComparison::keras2,
        arch + ": toKeras2(toKeras3(h5 model_config))");
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void keras3ConfigsRoundTrip(String arch) throws ModelFormatException {
    JsonNode original = Examples.keras3(arch);
    JsonNode back = ConfigTranslator.toKeras3(ConfigTranslator.toKeras2(original));
    assertEquivalent(
        original, back, ConfigComparison::keras3, arch + ": toKeras3(toKeras2(y)) vs y");
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void translationIsIdempotentAndLeavesInputAlone(String arch) throws ModelFormatException {
    JsonNode k2 = Examples.tfKeras(arch);
    JsonNode k2copy = k2.deepCopy();
    JsonNode k3 = ConfigTranslator.toKeras3(k2);
    assertEquals(k2copy, k2, "toKeras3 must not modify its input");
    assertEquals(k3, ConfigTranslator.toKeras3(k3), "toKeras3 of a Keras 3 config");
    JsonNode k3in = Examples.keras3(arch);
    JsonNode k3copy = k3in.deepCopy();
    JsonNode back = ConfigTranslator.toKeras2(k3in);
    assertEquals(k3copy, k3in, "toKeras2 must not modify its input");
    assertEquals(back, ConfigTranslator.toKeras2(back), "toKeras2 of a Keras 2 config");
  }

  // ---- specific forms ------------------------------------------------------------------------

  @Test
  void inboundNodesCarryTensorsAndNestedModelNumbering() throws ModelFormatException {
    JsonNode k3 = ConfigTranslator.toKeras3(Examples.tfKeras("nested"));
    JsonNode mid = k3.path("config").path("layers").path(1);
    JsonNode innerSeq = mid.path("config").path("layers").path(1);
    // tf-keras counted the nested Sequential's own node: its second call read node 1, Keras 3 0.
    assertEquals(
        "[\"inner_seq\",0,0]",
        innerSeq
            .path("inbound_nodes")
            .path(1)
            .path("args")
            .path(0)
            .path("config")
            .path("keras_history")
            .toString());
    assertEquals("[\"inner_fn\",1,0]", mid.path("config").path("output_layers").toString());

    JsonNode t = ConfigTranslator.toKeras3(Examples.tfKeras("transformer"));
    JsonNode mha = t.path("config").path("layers").path(2);
    assertEquals("MultiHeadAttention", mha.path("class_name").asText());
    JsonNode call = mha.path("inbound_nodes").path(0);
    assertEquals(2, call.path("args").size(), "query and value positional, as Keras 3 writes");
    assertEquals(
        "[\"mask\",0,0]",
        call.path("kwargs").path("attention_mask").path("config").path("keras_history").toString());
    assertEquals(
        "bool", call.path("kwargs").path("attention_mask").path("config").path("dtype").asText());
    assertTrue(mha.path("build_config").has("shapes_dict"));
    assertFalse(mha.path("config").has("query_shape"));
  }

  @Test
  void oldSequentialGetsTheInputLayerKeras3Needs() throws ModelFormatException {
    JsonNode old =
        Examples.parse(
            "{'class_name': 'Sequential', 'config': ["
                + "{'class_name': 'Dense', 'config': {'name': 'd', 'units': 4, 'dtype': 'float32',"
                + " 'batch_input_shape': [null, 3], 'activity_regularizer': null}},"
                + "{'class_name': 'Dense', 'config': {'name': 'd2', 'units': 2}}]}");
    JsonNode k3 = ConfigTranslator.toKeras3(old);
    JsonNode layers = k3.path("config").path("layers");
    assertEquals(3, layers.size());
    assertEquals("InputLayer", layers.path(0).path("class_name").asText());
    assertEquals("[null,3]", layers.path(0).path("config").path("batch_shape").toString());
    assertEquals("d_input", layers.path(0).path("config").path("name").asText());
    assertFalse(layers.path(1).path("config").has("batch_input_shape"));
    assertEquals("[null,3]", k3.path("config").path("build_input_shape").toString());
  }

  @Test
  void keras1ConfigsAreRecognisedAndRefused() {
    JsonNode k1 =
        Examples.parse(
            "{'class_name': 'Sequential', 'config': [{'class_name':"
                + " 'Dense', 'config': {'name': 'dense_1', 'output_dim': 3, 'init': 'glorot_uniform',"
                + " 'input_dim': 4}}]}");
    assertEquals(ConfigGeneration.KERAS1, ConfigGeneration.detect(k1));
    UnsupportedModelException e =
        assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras3(k1));
    assertEquals("dense_1", e.location());
    assertTrue(e.detail().contains("'output_dim'") || e.detail().contains("'init'"), e.detail());
    assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras2(k1));
  }

  @Test
  void valuesWithoutKeras3EquivalentAreRefusedNamingLayerAndField() {
    ObjectNode model = (ObjectNode) Examples.tfKeras("rnn");
    ObjectNode lstm = (ObjectNode) model.path("config").path("layers").path(2).path("config");
    lstm.put("time_major", true);
    UnsupportedModelException e =
        assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras3(model));
    assertEquals("rnn/lstm", e.location());
    assertTrue(e.detail().contains("time_major"), e.detail());

    JsonNode lc =
        Examples.parse(
            "{'class_name': 'Functional', 'config': {'name': 'm',"
                + " 'layers': [{'class_name': 'LocallyConnected2D', 'name': 'lc', 'config': {'name':"
                + " 'lc'}, 'inbound_nodes': []}], 'input_layers': [], 'output_layers': []}}");
    UnsupportedModelException e2 =
        assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras3(lc));
    assertEquals("m/lc", e2.location());
  }

  /**
   * Issue 16/17: tf-keras 2.21 writes MultiHeadAttention's softmax_robust_masking, which Keras 3
   * rejects; Keras 3.15 writes use_gate and sliding_window, which tf-keras and Keras 3.12 reject.
   * Their defaults are dropped across generations; any other value is refused, naming the field.
   */
  @Test
  void multiHeadAttentionKeysOfNewerReleasesCrossGenerations() throws Exception {
    ObjectNode tfk = (ObjectNode) config("mha/tfkeras.h5");
    ObjectNode mha = mhaConfig(tfk);
    mha.put("softmax_robust_masking", false);
    assertFalse(
        mhaConfig((ObjectNode) ConfigTranslator.toKeras3(tfk)).has("softmax_robust_masking"));
    mha.put("softmax_robust_masking", true);
    UnsupportedModelException e =
        assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras3(tfk));
    assertTrue(e.detail().contains("softmax_robust_masking"), e.detail());

    ObjectNode k3 = (ObjectNode) config("mha/keras3.keras");
    ObjectNode mha3 = mhaConfig(k3);
    mha3.put("use_gate", false);
    mha3.putNull("sliding_window");
    ObjectNode down = mhaConfig((ObjectNode) ConfigTranslator.toKeras2(k3));
    assertFalse(down.has("use_gate") || down.has("sliding_window"), down.toString());
    mha3.put("use_gate", true);
    e = assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras2(k3));
    assertTrue(e.detail().contains("use_gate"), e.detail());
  }

  private static JsonNode config(String file) throws java.io.IOException {
    try (dev.initkit.model.LoadedModel m =
        dev.initkit.ModelIO.open(
            dev.initkit.testing.TestFiles.testdata().resolve("models/" + file))) {
      return m.model().config().orElseThrow().deepCopy();
    }
  }

  private static ObjectNode mhaConfig(ObjectNode model) {
    for (JsonNode l : model.path("config").path("layers")) {
      if (l.path("class_name").asText().equals("MultiHeadAttention")) {
        return (ObjectNode) l.path("config");
      }
    }
    throw new AssertionError("no MultiHeadAttention in " + model);
  }

  @Test
  void keras3OnlyFormsAreRefusedByToKeras2() {
    ObjectNode model = (ObjectNode) Examples.keras3("mlp");
    ObjectNode dense = (ObjectNode) model.path("config").path("layers").path(1).path("config");
    ((ObjectNode) dense.path("dtype")).put("class_name", "QuantizedDTypePolicy");
    ((ObjectNode) dense.path("dtype").path("config")).put("name", "int8_from_float32");
    UnsupportedModelException e =
        assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras2(model));
    assertEquals("mlp/fc1", e.location());
    assertTrue(e.detail().contains("dtype"), e.detail());

    ObjectNode gqa = (ObjectNode) Examples.keras3("mlp");
    ((ObjectNode) gqa.path("config").path("layers").path(1))
        .put("class_name", "GroupQueryAttention");
    assertThrows(UnsupportedModelException.class, () -> ConfigTranslator.toKeras2(gqa));
  }

  @Test
  void customLayersAndLambdaCodeAreCarriedVerbatim() throws ModelFormatException {
    JsonNode custom =
        Examples.parse(
            "{'module': 'my_pkg.layers', 'class_name': 'MyLayer',"
                + " 'config': {'name': 'mine', 'dtype': 'float32', 'kernel_initializer':"
                + " {'class_name': 'MyInit', 'config': {}}}, 'registered_name': 'my_pkg>MyLayer'}");
    ObjectNode model = (ObjectNode) Examples.tfKeras("mlp");
    ((com.fasterxml.jackson.databind.node.ArrayNode) model.path("config").path("layers"))
        .add(custom);
    JsonNode k3 = ConfigTranslator.toKeras3(model);
    JsonNode layers = k3.path("config").path("layers");
    assertEquals(custom, layers.get(layers.size() - 1));
    JsonNode k2 = ConfigTranslator.toKeras2(k3);
    JsonNode layers2 = k2.path("config").path("layers");
    assertEquals(custom, layers2.get(layers2.size() - 1));

    JsonNode lambdaK2 = Examples.tfKeras("misc").path("config").path("layers").path(1);
    JsonNode lambdaK3 =
        ConfigTranslator.toKeras3(Examples.tfKeras("misc")).path("config").path("layers").path(1);
    assertEquals(
        lambdaK2.path("config").path("function").path(0),
        lambdaK3.path("config").path("function").path("config").path("code"));
    assertEquals(
        "__lambda__", lambdaK3.path("config").path("function").path("class_name").asText());
  }

  @Test
  void mixedPrecisionPoliciesTranslate() throws ModelFormatException {
    JsonNode k3 = ConfigTranslator.toKeras3(Examples.tfKeras("mixed_precision"));
    JsonNode dtype = k3.path("config").path("layers").path(1).path("config").path("dtype");
    assertEquals("DTypePolicy", dtype.path("class_name").asText());
    assertEquals("mixed_float16", dtype.path("config").path("name").asText());
    JsonNode k2 = ConfigTranslator.toKeras2(Examples.keras3("mixed_precision"));
    JsonNode policy = k2.path("config").path("layers").path(1).path("config").path("dtype");
    // The portable form names the policy: Keras 3 cannot read tf-keras's Policy object.
    assertEquals("\"mixed_float16\"", policy.toString());
    JsonNode fromTfKeras = ConfigTranslator.toKeras2(Examples.tfKeras("mixed_precision"));
    assertEquals(
        "\"mixed_float16\"",
        fromTfKeras.path("config").path("layers").path(1).path("config").path("dtype").toString());
    assertEquals(
        "float32", k2.path("config").path("layers").path(2).path("config").path("dtype").asText());
  }

  @Test
  void malformedConfigsAreReportedAsSuch() {
    assertThrows(
        dev.initkit.MalformedModelException.class,
        () ->
            ConfigTranslator.toKeras3(
                Examples.parse(
                    "{'class_name': 'Functional', 'config':"
                        + " {'name': 'm', 'layers': [{'class_name': 'Dense', 'name': 'd', 'config': {},"
                        + " 'inbound_nodes': [[['nowhere', 0, 0, {}]]]}], 'input_layers': [],"
                        + " 'output_layers': []}}")));
    assertThrows(
        dev.initkit.MalformedModelException.class,
        () -> ConfigTranslator.toKeras2(Examples.parse("[1, 2]")));
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void dropKeys(JsonNode n, List<String> keys) {
    if (n.isObject()
        && ("BatchNormalization".equals(n.path("class_name").asText())
            || "LayerNormalization".equals(n.path("class_name").asText())
            || "MultiHeadAttention".equals(n.path("class_name").asText()))) {
      ((ObjectNode) n.get("config")).remove(keys);
    }
    if (n.isContainerNode()) {
      n.forEach(c -> dropKeys(c, keys));
    }
  }

  /**
   * The portable Keras 2 form has {@code module} keys only on built-in layers held in another
   * layer's config (a wrapper's {@code layer}/{@code backward_layer}, an RNN's {@code cell},
   * StackedRNNCells' {@code cells}), where Keras 3 needs them.
   */
  private static void assertModuleKeysOnlyOnWrappedLayers(JsonNode n, boolean wrappedPosition) {
    if (n.isObject() && n.has("class_name") && n.has("config") && n.has("module")) {
      assertTrue(wrappedPosition, "module key outside a wrapped position: " + n);
      assertTrue(
          List.of("keras.layers", "keras").contains(n.get("module").asText()),
          n.get("module").asText());
    }
    if (n.isObject()) {
      n.properties()
          .forEach(
              e -> {
                boolean wrapped =
                    List.of("layer", "backward_layer", "cell", "cells").contains(e.getKey());
                if (e.getValue().isArray() && wrapped) {
                  e.getValue().forEach(c -> assertModuleKeysOnlyOnWrappedLayers(c, true));
                } else {
                  assertModuleKeysOnlyOnWrappedLayers(e.getValue(), wrapped);
                }
              });
    } else if (n.isArray()) {
      n.forEach(c -> assertModuleKeysOnlyOnWrappedLayers(c, false));
    }
  }

  private static JsonNode withoutBuildConfigs(JsonNode n) {
    JsonNode copy = n.deepCopy();
    strip(copy);
    return copy;
  }

  private static void strip(JsonNode n) {
    if (n.isObject()) {
      ((ObjectNode) n).remove("build_config");
      // Sequential's build_input_shape mirrors its InputLayer; Keras 3 builds from that layer.
      if ("Sequential".equals(n.path("class_name").asText()) && n.path("config").isObject()) {
        ((ObjectNode) n.get("config")).remove("build_input_shape");
      }
    }
    if (n.isContainerNode()) {
      n.forEach(ConfigTranslatorTest::strip);
    }
  }
}
