package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Shapes and dtypes of the tensors a Keras 2 functional config passes between layers, as far as the
 * config tells them.
 *
 * <p>Keras 3 writes a {@code shape} and {@code dtype} into every {@code __keras_tensor__}, and its
 * loader requires both keys, but it only builds a placeholder from them: {@code
 * functional.deserialize_node} replaces each placeholder with the real output of the node named in
 * {@code keras_history} before calling the layer (Keras 3.12, and 3.0 onwards). The values
 * therefore only have to be valid. This class fills in what the config knows: an InputLayer's shape
 * and dtype, and the input shapes a consumer's {@code build_config} (tf-keras 2.13+) records;
 * otherwise the shape is {@code []}. The dtype is the producing layer's compute dtype.
 */
final class TensorFacts {
  private final Map<String, JsonNode> shapes = new HashMap<>();
  private final Map<String, String> dtypes = new HashMap<>();

  private TensorFacts() {}

  /** Collects what a Keras 2 functional config's layer list tells about its tensors. */
  static TensorFacts ofKeras2Layers(ArrayNode layers) {
    TensorFacts facts = new TensorFacts();
    for (JsonNode layer : layers) {
      String name = LayerDicts.name(layer);
      JsonNode config = layer.path("config");
      if (name == null) {
        continue;
      }
      if (LayerDicts.isInputLayer(layer)) {
        JsonNode shape =
            config.has("batch_input_shape")
                ? config.get("batch_input_shape")
                : config.get("batch_shape");
        facts.record(name, 0, 0, shape);
        facts.dtypes.put(
            name, config.path("dtype").isTextual() ? config.get("dtype").asText() : "float32");
      } else {
        facts.dtypes.put(name, ObjectSpecs.computeDtype(config.get("dtype")));
      }
    }
    for (JsonNode layer : layers) {
      facts.learnFromConsumer(layer);
    }
    return facts;
  }

  /**
   * The shape of output {@code tensor} of call {@code node} of {@code layer}; {@code []} if
   * unknown.
   */
  JsonNode shape(String layer, int node, int tensor) {
    JsonNode s = shapes.get(key(layer, node, tensor));
    return s != null ? s.deepCopy() : JsonNodeFactory.instance.arrayNode();
  }

  /** The dtype of the tensors {@code layer} outputs. */
  String dtype(String layer) {
    return dtypes.getOrDefault(layer, "float32");
  }

  // A consumer's build_config records the shapes of the inputs of its first call. Shared layers
  // are usually called on tensors of one shape, so later calls are given the same shapes: only the
  // validity of these values matters to Keras 3.
  private void learnFromConsumer(JsonNode layer) {
    JsonNode nodes = layer.get("inbound_nodes");
    if (nodes == null || !nodes.isArray()) {
      return;
    }
    JsonNode config = layer.path("config");
    JsonNode inputShape = layer.path("build_config").get("input_shape");
    boolean attention = "MultiHeadAttention".equals(layer.path("class_name").asText());
    for (JsonNode node : nodes) {
      if (!node.isArray()) {
        continue;
      }
      List<JsonNode> entries = new ArrayList<>();
      collectEntries(node, entries);
      if (entries.isEmpty()) {
        continue;
      }
      if (attention) {
        JsonNode query = config.hasNonNull("query_shape") ? config.get("query_shape") : inputShape;
        record(entries.get(0), query);
        JsonNode kwargs = entries.get(0).size() == 4 ? entries.get(0).get(3) : null;
        if (kwargs != null) {
          recordRef(kwargs.get("value"), config.get("value_shape"));
          recordRef(kwargs.get("key"), config.get("key_shape"));
        }
      } else if (inputShape != null && inputShape.isArray()) {
        if (entries.size() == 1) {
          record(entries.get(0), inputShape);
        } else if (inputShape.size() == entries.size() && isListOfShapes(inputShape)) {
          for (int i = 0; i < entries.size(); i++) {
            record(entries.get(i), inputShape.get(i));
          }
        }
      }
    }
  }

  private static boolean isListOfShapes(JsonNode shapes) {
    for (JsonNode s : shapes) {
      if (!s.isArray() && !s.isNull()) {
        return false;
      }
    }
    return true;
  }

  private static void collectEntries(JsonNode data, List<JsonNode> out) {
    if (LayerDicts.isNodeEntry(data)) {
      out.add(data);
    } else if (data.isArray() || data.isObject()) {
      for (JsonNode child : data) {
        collectEntries(child, out);
      }
    }
  }

  private void recordRef(JsonNode ref, JsonNode shape) {
    if (ref != null && LayerDicts.isTensorRef(ref)) {
      record(ref, shape);
    }
  }

  private void record(JsonNode entry, JsonNode shape) {
    record(entry.get(0).asText(), entry.get(1).asInt(), entry.get(2).asInt(), shape);
  }

  private void record(String layer, int node, int tensor, JsonNode shape) {
    if (shape != null && shape.isArray()) {
      shapes.putIfAbsent(key(layer, node, tensor), shape);
    }
  }

  private static String key(String layer, int node, int tensor) {
    return layer + '\u0000' + node + '\u0000' + tensor;
  }
}
