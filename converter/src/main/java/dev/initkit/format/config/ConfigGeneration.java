package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Objects;

/**
 * The Keras generation whose config schema a model config follows.
 *
 * <p>The generation is a property of the JSON, not of the file: Keras 3 writing a legacy {@code
 * .h5} keeps its own schema (dtype policy objects, {@code batch_shape}, {@code __keras_tensor__}
 * inbound nodes) and drops only the {@code module} keys of the layers, while tf-keras 2.13+ adds
 * {@code module} and {@code registered_name} keys to configs of the Keras 2 schema. Neither the
 * {@code module} keys nor the {@code keras_version} attribute therefore tell the generations apart.
 */
public enum ConfigGeneration {
  /** Keras 1.x: {@code init}, {@code output_dim}, {@code nb_filter}, {@code border_mode}... */
  KERAS1,
  /** Keras 2.x, tf.keras and tf-keras 2.x: {@code batch_input_shape}, dtype strings, list nodes. */
  KERAS2,
  /** Keras 3.x: dtype policy objects, {@code batch_shape}, {@code __keras_tensor__} nodes. */
  KERAS3;

  /**
   * Recognises the generation of a model config, the top-level {@code {"class_name":
   * "Sequential"|"Functional"|"Model", "config": {...}}} object (Keras 3 configs may also carry
   * {@code module}, {@code registered_name}, {@code build_config} and {@code compile_config}).
   *
   * <p>Any Keras 3 form anywhere in the tree makes it KERAS3; otherwise any Keras 1 layer field or
   * class makes it KERAS1; otherwise it is KERAS2. A config with no telling field at all (an empty
   * model) is reported as KERAS2.
   *
   * @param modelConfig the parsed model config
   * @return the generation
   */
  public static ConfigGeneration detect(JsonNode modelConfig) {
    Objects.requireNonNull(modelConfig, "modelConfig");
    Evidence evidence = new Evidence();
    evidence.scan(modelConfig, "");
    if (evidence.keras3) {
      return KERAS3;
    }
    return evidence.keras1Layer != null ? KERAS1 : KERAS2;
  }

  /**
   * The first Keras 1 layer of a config and what gives it away.
   *
   * @param layerPath layer names from the outermost model, joined by {@code /}
   * @param className the layer's class
   * @param field the Keras 1 config key, or empty when the class itself is Keras 1 only
   */
  record Keras1Layer(String layerPath, String className, String field) {}

  /** The first Keras 1 layer of a config that is Keras 1 (no Keras 3 form anywhere), or null. */
  static Keras1Layer keras1Layer(JsonNode modelConfig) {
    Evidence evidence = new Evidence();
    evidence.scan(modelConfig, "");
    if (evidence.keras3 || evidence.keras1Layer == null) {
      return null;
    }
    return new Keras1Layer(evidence.keras1Layer, evidence.keras1Class, evidence.keras1Field);
  }

  /** A walk over the whole tree that records the first mark of each generation. */
  private static final class Evidence {
    boolean keras3;
    String keras1Layer;
    String keras1Class;
    String keras1Field;

    void scan(JsonNode node, String path) {
      if (keras3) {
        return;
      }
      if (node.isArray()) {
        for (JsonNode child : node) {
          scan(child, path);
        }
        return;
      }
      if (!node.isObject()) {
        return;
      }
      String className = node.path("class_name").asText(null);
      JsonNode config = node.get("config");
      String module = node.path("module").asText("");
      if (module.startsWith("keras.src.")) {
        // Keras 3's internal package; tf-keras writes tf_keras.src... or keras.layers.
        keras3 = true;
        return;
      }
      if (className != null) {
        if ("__keras_tensor__".equals(className)
            || KerasCatalog.KERAS3_FLOAT_POLICIES.contains(className)
            || KerasCatalog.KERAS3_QUANTIZED_POLICIES.contains(className)) {
          keras3 = true;
          return;
        }
        if ("InputLayer".equals(className) && config != null && config.has("batch_shape")) {
          keras3 = true;
          return;
        }
      }
      JsonNode nodes = node.get("inbound_nodes");
      if (nodes != null && nodes.isArray()) {
        for (JsonNode n : nodes) {
          if (n.isObject() && n.has("args")) {
            keras3 = true;
            return;
          }
        }
      }
      String here = path;
      if (className != null && config != null && config.isObject()) {
        String name = config.path("name").asText(node.path("name").asText("?"));
        here = path.isEmpty() ? name : path + "/" + name;
        if (keras1Layer == null) {
          checkKeras1(className, config, here);
        }
      }
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        scan(e.getValue(), here);
      }
    }

    private void checkKeras1(String className, JsonNode config, String here) {
      String field = null;
      if (KerasCatalog.KERAS1_LAYERS.contains(className)) {
        field = "";
      } else if ("Dense".equals(className) && config.has("output_dim")) {
        field = "output_dim";
      } else {
        for (Map.Entry<String, JsonNode> e : config.properties()) {
          if (KerasCatalog.KERAS1_KEYS.contains(e.getKey())) {
            field = e.getKey();
            break;
          }
        }
      }
      if (field != null) {
        keras1Layer = here;
        keras1Class = className;
        keras1Field = field;
      }
    }
  }
}
