package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.format.UnsupportedModelException;

/**
 * A Keras 2 model config ({@link ConfigTranslator#toKeras2}) in the form DL4J's {@code
 * KerasModelImport} reads. It differs from the portable form in one place: a single model input or
 * output is a one-element list ({@code [["image", 0, 0]]}), as tf-keras writes it; DL4J casts each
 * entry to a list and fails on the flat form with "String cannot be cast to List". Layers DL4J
 * maps no class to, nested models (DL4J imports none) and Lambda code are refused before writing.
 */
final class Dl4jForm {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Dl4jForm() {}

  static ObjectNode of(JsonNode keras2Model) throws UnsupportedModelException {
    ObjectNode out = keras2Model.deepCopy();
    Where top = Where.top(LayerDicts.name(out));
    JsonNode config = out.path("config");
    JsonNode layers = config.isArray() ? config : config.path("layers");
    for (JsonNode layer : layers) {
      check(layer, top.child(LayerDicts.name(layer)));
    }
    if (config instanceof ObjectNode c) {
      for (String key : new String[] {"input_layers", "output_layers"}) {
        JsonNode refs = c.get(key);
        if (refs != null && LayerDicts.isTensorRef(refs)) {
          c.set(key, F.arrayNode().add(refs));
        }
      }
    }
    return out;
  }

  private static void check(JsonNode layer, Where where) throws UnsupportedModelException {
    String cls = layer.path("class_name").asText();
    if (KerasCatalog.isModelClass(cls)) {
      throw where.unsupported(cls, null, "DL4J's Keras import reads no nested models");
    }
    if ("Lambda".equals(cls)) {
      throw where.unsupported(cls, null, "DL4J imports a Lambda layer only when the Java program"
          + " registers an implementation for it (KerasLayer.registerLambdaLayer)");
    }
    if (!Dl4jCatalog.LAYERS.contains(cls)) {
      throw where.unsupported(cls, null, "DL4J's Keras import maps no layer to " + cls);
    }
    JsonNode inner = layer.path("config").path("layer");
    if (inner.isObject()) {
      String innerClass = inner.path("class_name").asText();
      Where at = where.child(LayerDicts.name(inner));
      if ("Bidirectional".equals(cls) && !Dl4jCatalog.BIDIRECTIONAL_INNER.contains(innerClass)) {
        throw at.unsupported(innerClass, null,
            "DL4J's Bidirectional import wraps only LSTM and SimpleRNN");
      }
      check(inner, at);
    }
  }
}
