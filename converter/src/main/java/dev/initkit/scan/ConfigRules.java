package dev.initkit.scan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules that read a Keras config (a legacy {@code model_config}, a {@code .keras} {@code
 * config.json} or {@code metadata.json}, an architecture JSON, a SavedModel's Keras metadata),
 * applied to every object of the tree: wrapped layers ({@code layer}, {@code forward_layer}, {@code
 * backward_layer}), RNN cells, nested models' {@code layers} and anything a custom object nests.
 * Pure JSON: nothing is resolved, imported or run.
 */
final class ConfigRules {
  /** Keys whose value is a layer (or a list of layers): they extend the layer path. */
  private static final Set<String> LAYER_SLOTS =
      Set.of("layers", "layer", "forward_layer", "backward_layer", "cell", "cells");

  private static final Set<String> LOOKUP_LAYERS =
      Set.of("StringLookup", "IntegerLookup", "TextVectorization", "IndexLookup");

  /** Module prefixes Keras resolves within itself (and Keras 2's tf.keras homes). */
  private static final List<String> KERAS_MODULES =
      List.of("keras", "tf_keras", "tensorflow.keras", "tensorflow.python.keras");

  /** Keras modules with functions that touch files, the network or Keras's own settings. */
  private static final List<String> UTILITY_MODULES =
      List.of(
          "keras.utils",
          "keras.src.utils",
          "keras.config",
          "keras.src.backend",
          "keras.saving",
          "keras.src.saving");

  private final Location base;
  private final boolean h5;
  private final List<Finding> out;

  private ConfigRules(Location base, boolean h5, List<Finding> out) {
    this.base = base;
    this.h5 = h5;
    this.out = out;
  }

  /**
   * Applies every config rule to {@code root}.
   *
   * @param base the file and member the config came from
   * @param h5 true for a legacy HDF5 model, which Keras loads without safe mode
   * @param out where findings go
   */
  static void check(JsonNode root, Location base, boolean h5, List<Finding> out) {
    new ConfigRules(base, h5, out).walk(root, "", true, true);
  }

  private void walk(JsonNode node, String path, boolean layer, boolean top) {
    if (node.isArray()) {
      for (JsonNode e : node) {
        walk(e, path, layer, false);
      }
      return;
    }
    if (!node.isObject()) {
      if (node.isTextual() && node.asText().equals("enable_unsafe_deserialization")) {
        out.add(
            Rules.UNSAFE_DESERIALIZATION.at(
                at(path),
                "config names keras.config.enable_unsafe_deserialization, which turns safe mode"
                    + " off for whatever is deserialized after it"));
      }
      return;
    }
    String here = path;
    String cls = node.path("class_name").asText("");
    if (layer && node.has("class_name") && !top) {
      // the top model's own name is not part of a layer's path
      here = join(path, node.path("config").path("name").asText(node.path("name").asText("")));
    }
    if (layer && !cls.isEmpty()) {
      checkLayer(node, cls, here);
    }
    checkObject(node, cls, here);
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String key = f.getKey();
      JsonNode v = f.getValue();
      if (key.equals("safe_mode") && v.isBoolean() && !v.booleanValue()) {
        out.add(
            Rules.UNSAFE_DESERIALIZATION.at(
                at(here), "config sets safe_mode to false: code in the file may run when loaded"));
      }
      boolean slot =
          LAYER_SLOTS.contains(key) || (key.equals("config") && v.isArray()); // Keras 1 Sequential
      walk(v, here, slot, false);
    }
  }

  private static String join(String path, String name) {
    if (name.isEmpty()) {
      return path;
    }
    return path.isEmpty() ? name : path + "/" + name;
  }

  private Location at(String layerPath) {
    return base.atLayer(layerPath);
  }

  private void checkLayer(JsonNode node, String cls, String path) {
    JsonNode config = node.path("config");
    if (cls.equals("Lambda")) {
      if (h5) {
        out.add(
            Rules.H5_LAMBDA.at(
                at(path),
                "Lambda layer in an HDF5 model: Keras loads .h5 files without safe mode, so its"
                    + " function is deserialized whatever safe_mode says"));
      }
      for (String key : List.of("function", "output_shape", "mask")) {
        JsonNode f = config.path(key);
        String type = config.path(key + "_type").asText("");
        boolean legacyCode =
            type.equals("lambda") && (f.isArray() || (f.isTextual() && !f.asText().isEmpty()));
        if (legacyCode) {
          out.add(
              Rules.LAMBDA_CODE.at(
                  at(path),
                  "Lambda layer's "
                      + key
                      + " is serialized Python bytecode (runs when the layer is loaded)"));
        }
      }
    } else if (LOOKUP_LAYERS.contains(cls)) {
      JsonNode v = config.path("vocabulary");
      if (v.isTextual() && !v.asText().isEmpty()) {
        String where = v.asText();
        boolean url = where.contains("://");
        out.add(
            Rules.LOOKUP_VOCABULARY_PATH.at(
                at(path),
                cls
                    + " reads its vocabulary from "
                    + (url ? "the URL " : "the path ")
                    + quoted(where)
                    + " when loaded"));
      }
    } else if (cls.equals("TFSMLayer")) {
      out.add(
          Rules.TFSM_LAYER.at(
              at(path),
              "TFSMLayer loads the SavedModel at "
                  + quoted(config.path("filepath").asText("?"))
                  + " when deserialized"));
    }
  }

  private void checkObject(JsonNode node, String cls, String path) {
    if (cls.equals("__lambda__")) {
      out.add(
          Rules.LAMBDA_CODE.at(
              at(path),
              "serialized Python function (__lambda__ bytecode) in the config: it runs when"
                  + " loaded with safe mode off"));
    }
    JsonNode m = node.get("module");
    if (m == null || !m.isTextual()) {
      return;
    }
    String module = m.asText();
    if (!module.isEmpty() && !inKeras(module) && !module.equals("__main__")) {
      out.add(
          Rules.FOREIGN_MODULE.at(
              at(path),
              "object "
                  + quoted(cls)
                  + " refers to module "
                  + quoted(module)
                  + ", which Keras before 3.9 imports when loading"));
      return;
    }
    String fn = node.path("config").isTextual() ? node.path("config").asText() : cls;
    if (fn.equals("enable_unsafe_deserialization")) {
      return; // reported as unsafe-deserialization where the string is seen
    }
    for (String u : UTILITY_MODULES) {
      if (module.equals(u) || module.startsWith(u + ".")) {
        out.add(
            Rules.KERAS_UTILITY_CALL.at(
                at(path),
                "reference to "
                    + quoted(module + "." + fn)
                    + ": a Keras utility, not a layer building block, called when loading"));
        return;
      }
    }
  }

  private static boolean inKeras(String module) {
    for (String k : KERAS_MODULES) {
      if (module.equals(k) || module.startsWith(k + ".")) {
        return true;
      }
    }
    return false;
  }

  /** {@code s} in single quotes for a message: cut at 120 characters, control characters as ?. */
  static String quoted(String s) {
    String t = s.length() > 120 ? s.substring(0, 117) + "..." : s;
    StringBuilder b = new StringBuilder("'");
    for (char c : t.toCharArray()) {
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return b.append('\'').toString();
  }
}
