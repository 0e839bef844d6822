package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.MalformedModelException;
import java.util.Map;

/**
 * Reading the common parts of a serialised layer: {@code {"class_name", "config", "name", ...}}.
 */
final class LayerDicts {
  private LayerDicts() {}

  /** The class name, which every serialised layer has. */
  static String className(JsonNode layer, Where where) throws MalformedModelException {
    JsonNode c = layer.get("class_name");
    if (c == null || !c.isTextual()) {
      throw where.malformed("layer entry has no \"class_name\" string");
    }
    return c.asText();
  }

  /** The layer's config object. */
  static ObjectNode config(JsonNode layer, Where where, String className)
      throws MalformedModelException {
    JsonNode c = layer.get("config");
    if (c == null || !c.isObject()) {
      throw where.malformed(className + " has no \"config\" object");
    }
    return (ObjectNode) c;
  }

  /** The layer's name: the entry's own {@code name}, else the config's; null when neither. */
  static String name(JsonNode layer) {
    JsonNode n = layer.get("name");
    if (n != null && n.isTextual()) {
      return n.asText();
    }
    JsonNode c = layer.get("config");
    if (c != null && c.isObject() && c.path("name").isTextual()) {
      return c.get("name").asText();
    }
    return null;
  }

  /**
   * The layers of a Sequential config: {@code config.layers}, or the bare list Keras 2.0-2.2 wrote.
   */
  static ArrayNode sequentialLayers(JsonNode config, Where where) throws MalformedModelException {
    JsonNode layers = config.isArray() ? config : config.get("layers");
    if (layers == null || !layers.isArray()) {
      throw where.malformed("Sequential config has no \"layers\" list");
    }
    return (ArrayNode) layers;
  }

  /** True for an {@code InputLayer} entry. */
  static boolean isInputLayer(JsonNode layer) {
    return "InputLayer".equals(layer.path("class_name").asText());
  }

  /**
   * A copy of {@code obj} with one key renamed, keeping its position (readers diff these files).
   */
  static ObjectNode withKeyRenamed(ObjectNode obj, String from, String to) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> e : obj.properties()) {
      out.set(e.getKey().equals(from) ? to : e.getKey(), e.getValue());
    }
    return out;
  }

  /** Replaces {@code obj}'s content with {@code from}'s, so callers holding {@code obj} see it. */
  static void replaceContent(ObjectNode obj, ObjectNode from) {
    obj.removeAll();
    obj.setAll(from);
  }

  /**
   * True when tf-keras gives this nested model a built-in first node that linked its own inputs to
   * its outputs, so that the calls recorded in a config count from 1: Functional models, and
   * Sequential models that start with an input (tf-keras's {@code _should_skip_first_node}). Keras
   * 3 models have no such node.
   */
  static boolean keras2CountsOwnNode(JsonNode layer) {
    String cls = layer.path("class_name").asText();
    JsonNode config = layer.get("config");
    if (config == null) {
      return false;
    }
    if ("Functional".equals(cls) || "Model".equals(cls)) {
      return config.has("layers");
    }
    if ("Sequential".equals(cls)) {
      JsonNode layers = config.isArray() ? config : config.get("layers");
      if (layers == null || !layers.isArray() || layers.isEmpty()) {
        return false;
      }
      JsonNode first = layers.get(0);
      JsonNode firstConfig = first.path("config");
      return isInputLayer(first)
          || firstConfig.hasNonNull("batch_input_shape")
          || firstConfig.hasNonNull("batch_shape");
    }
    return false;
  }

  /**
   * True for a Sequential entry (Keras 3 does not count a Sequential's calls like a Functional's).
   */
  static boolean isSequential(JsonNode layer) {
    return "Sequential".equals(layer.path("class_name").asText());
  }

  /** A reference {@code [layer_name, node_index, tensor_index]}. */
  static boolean isTensorRef(JsonNode n) {
    return n.isArray()
        && n.size() == 3
        && n.get(0).isTextual()
        && n.get(1).isIntegralNumber()
        && n.get(2).isIntegralNumber();
  }

  /** A Keras 2 inbound-node entry {@code [layer_name, node_index, tensor_index, kwargs?]}. */
  static boolean isNodeEntry(JsonNode n) {
    if (!n.isArray() || (n.size() != 3 && n.size() != 4)) {
      return false;
    }
    return n.get(0).isTextual()
        && n.get(1).isIntegralNumber()
        && n.get(2).isIntegralNumber()
        && (n.size() == 3 || n.get(3).isObject());
  }

  /** A Keras 3 serialised tensor {@code {"class_name": "__keras_tensor__", "config": {...}}}. */
  static boolean isKerasTensor(JsonNode n) {
    return n.isObject()
        && "__keras_tensor__".equals(n.path("class_name").asText())
        && n.path("config").path("keras_history").isArray();
  }
}
