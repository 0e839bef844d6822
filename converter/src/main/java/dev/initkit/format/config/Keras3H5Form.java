package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A Keras 3 {@code .keras} config in the form Keras 3's legacy {@code .h5} writer gives it ({@code
 * model_config}). Read off every model of testdata/models and the 3.12.0 catalogue that has both
 * files: the layer dicts of a model (the top one, its {@code layers}, nested models' {@code
 * layers}) lose {@code module}, {@code registered_name}, {@code build_config} and {@code
 * compile_config}, and name their Python class (GroupQueryAttention is {@code
 * GroupedQueryAttention}); {@code shared_object_id} goes everywhere. Layers held in a layer's
 * config (a wrapper's {@code layer}, an RNN's {@code cell}) keep their keys.
 */
final class Keras3H5Form {
  private static final List<String> MODEL_MEMBER_KEYS =
      List.of("module", "registered_name", "build_config", "compile_config");

  private Keras3H5Form() {}

  static ObjectNode of(JsonNode keras3Model) {
    ObjectNode out = keras3Model.deepCopy();
    dropSharedIds(out);
    modelMember(out);
    return out;
  }

  private static void modelMember(ObjectNode layer) {
    MODEL_MEMBER_KEYS.forEach(layer::remove);
    if ("GroupQueryAttention".equals(layer.path("class_name").asText())) {
      layer.put("class_name", "GroupedQueryAttention");
    }
    JsonNode layers = layer.path("config").path("layers");
    if (layers.isArray()) {
      for (JsonNode l : layers) {
        if (l.isObject()) {
          modelMember((ObjectNode) l);
        }
      }
    }
  }

  private static void dropSharedIds(JsonNode n) {
    if (n instanceof ObjectNode o) {
      o.remove("shared_object_id");
      o.forEach(Keras3H5Form::dropSharedIds);
    } else if (n instanceof ArrayNode a) {
      a.forEach(Keras3H5Form::dropSharedIds);
    }
  }
}
