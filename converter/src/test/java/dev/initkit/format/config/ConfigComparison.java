package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares model configs modulo the fields a loader provably ignores, and the differences that
 * stem from what one generation's writer records rather than from the model. Each rule names its
 * reason; nothing else is ignored.
 */
final class ConfigComparison {
  private ConfigComparison() {}

  /**
   * Keras 3.12 layer classes that do not override {@code Layer.build}: the default build only
   * marks the layer built, so their {@code build_config} has no effect on loading (listed from
   * {@code keras.layers} with {@code cls.build is keras.layers.Layer.build}).
   */
  static final Set<String> KERAS3_DEFAULT_BUILD =
      Set.of("Activation", "ActivityRegularization", "AlphaDropout", "AveragePooling1D",
          "AveragePooling2D", "AveragePooling3D", "CategoryEncoding", "CenterCrop", "Cropping1D",
          "Cropping2D", "Cropping3D", "Discretization", "Dropout", "ELU", "Flatten",
          "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
          "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
          "GlobalMaxPooling3D", "Hashing", "Identity", "InputLayer", "IntegerLookup", "Lambda",
          "LeakyReLU", "Masking", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Permute",
          "RandomContrast", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom",
          "ReLU", "RepeatVector", "Rescaling", "Reshape", "Resizing", "Softmax",
          "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "StringLookup",
          "UnitNormalization", "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D",
          "ZeroPadding2D", "ZeroPadding3D");

  /**
   * A Keras 3 config with these removed or canonicalised:
   *
   * <ul>
   *   <li>{@code shared_object_id}: only lets the loader reuse one object for equal configs;
   *       every occurrence carries the full config;
   *   <li>an empty {@code compile_config}: {@code deserialize_keras_object} compiles only {@code
   *       if compile_config:};
   *   <li>a Functional model's {@code build_config}, and that of a layer whose class has the
   *       default {@code build}: applied only {@code if build_config and not instance.built}, and
   *       a Functional is built when constructed;
   *   <li>{@code __keras_tensor__} shape and dtype: {@code functional.deserialize_node} swaps the
   *       placeholder for the real output named by {@code keras_history};
   *   <li>{@code OrthogonalInitializer}/{@code IdentityInitializer}: older Keras 3 names of
   *       {@code Orthogonal}/{@code Identity}, the same class in {@code keras.initializers};
   *   <li>Keras 3.13's {@code quantization_config: null} (also {@code lora_rank}/{@code
   *       lora_alpha}) and InputLayer {@code optional: false}: the constructor defaults, written
   *       by newer releases only;
   *   <li>a one-element list of model inputs or outputs, which Keras 2 configs cannot tell from
   *       a single tensor (tf-keras always writes a list);
   *   <li>call kwargs {@code mask: null} (Layer.__call__ re-derives the mask when it is None) and
   *       {@code training: false} (the call-signature default outside an outer call);
   *   <li>the rest in {@link #common(JsonNode)}.
   * </ul>
   */
  static JsonNode keras3(JsonNode config) {
    JsonNode n = config.deepCopy();
    common(n);
    keras3Walk(n);
    return n;
  }

  /**
   * A Keras 2 config with these removed or canonicalised:
   *
   * <ul>
   *   <li>{@code module}/{@code registered_name} of Keras's own objects and the top-level {@code
   *       keras_version}/{@code backend}: tf-keras 2.13+ writes them, Keras 2 loaders read only
   *       {@code class_name} and {@code config};
   *   <li>every {@code build_config}: tf-keras reads it only in its new-format path, which it
   *       takes only for objects that have a {@code module} key;
   *   <li>a Lambda's {@code module}/{@code output_shape_module}: only where tf-keras looks up
   *       globals for the function; Keras 3 configs do not record them;
   *   <li>the rest in {@link #common(JsonNode)}.
   * </ul>
   */
  static JsonNode keras2(JsonNode config) {
    return keras2(config, false);
  }

  /** Like {@link #keras2(JsonNode)}, keeping build_configs: for exact round trips. */
  static JsonNode keras2KeepingBuildConfigs(JsonNode config) {
    return keras2(config, true);
  }

  private static JsonNode keras2(JsonNode config, boolean keepBuild) {
    JsonNode n = config.deepCopy();
    common(n);
    keras2Walk(n, true, keepBuild);
    return n;
  }

  /**
   * Canonicalisation both generations need:
   *
   * <ul>
   *   <li>floating-point numbers compared as float32: tf-keras writes float32 attributes widened
   *       to double (1e-4 becomes 9.999999747378752e-05);
   *   <li>BatchNormalization/LayerNormalization axes made non-negative using the rank in the
   *       layer's build_config: tf-keras stores them so once built, Keras 3 keeps -1;
   *   <li>Identity initializer {@code gain}: Keras 3.12's IdentityInitializer has no get_config,
   *       so Keras 3 drops it on save (the translation keeps it).
   * </ul>
   */
  private static void common(JsonNode n) {
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      String cls = o.path("class_name").asText("");
      if (("BatchNormalization".equals(cls) || "LayerNormalization".equals(cls)
          || "SyncBatchNormalization".equals(cls)) && o.path("config").isObject()) {
        nonNegativeAxis((ObjectNode) o.get("config"), o.path("build_config").path("input_shape"),
            !"LayerNormalization".equals(cls));
      }
      if (("Identity".equals(cls) || "IdentityInitializer".equals(cls)) && o.path("config")
          .isObject() && !o.has("inbound_nodes") && !o.path("config").has("name")) {
        ((ObjectNode) o.get("config")).remove("gain");
      }
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isFloatingPointNumber()) {
          e.setValue(DoubleNode.valueOf((float) e.getValue().doubleValue()));
        } else {
          common(e.getValue());
        }
      }
    } else if (n.isArray()) {
      ArrayNode a = (ArrayNode) n;
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isFloatingPointNumber()) {
          a.set(i, DoubleNode.valueOf((float) a.get(i).doubleValue()));
        } else {
          common(a.get(i));
        }
      }
    }
  }

  private static void nonNegativeAxis(ObjectNode config, JsonNode inputShape, boolean single) {
    JsonNode axis = config.get("axis");
    if (single && axis != null && axis.isArray() && axis.size() == 1) {
      // BatchNormalization takes one int in Keras 3; tf-keras wrote a one-element list.
      axis = axis.get(0);
      config.set("axis", axis);
    }
    if (axis == null || !inputShape.isArray() || inputShape.isEmpty()
        || inputShape.get(0).isArray()) {
      return;
    }
    int rank = inputShape.size();
    if (axis.isIntegralNumber()) {
      int a = axis.asInt();
      config.put("axis", a < 0 ? a + rank : a);
    } else if (axis.isArray()) {
      ArrayNode out = config.arrayNode();
      for (JsonNode v : axis) {
        int a = v.asInt();
        out.add(a < 0 ? a + rank : a);
      }
      config.set("axis", out);
    }
  }

  private static void keras3Walk(JsonNode n) {
    if (n.isArray()) {
      n.forEach(ConfigComparison::keras3Walk);
      return;
    }
    if (!n.isObject()) {
      return;
    }
    ObjectNode o = (ObjectNode) n;
    o.remove("shared_object_id");
    JsonNode compile = o.get("compile_config");
    if (compile != null && (compile.isNull() || compile.isEmpty())) {
      o.remove("compile_config");
    }
    String cls = o.path("class_name").asText("");
    if (("OrthogonalInitializer".equals(cls) || "IdentityInitializer".equals(cls))
        && !o.has("inbound_nodes")) {
      // Keras 3.0-3.x spellings of one keras.initializers class each; 3.12 writes the short one.
      o.put("class_name", cls.replace("Initializer", ""));
    }
    if ("Functional".equals(cls) || KERAS3_DEFAULT_BUILD.contains(cls)) {
      o.remove("build_config");
    }
    if (o.has("class_name") && o.path("config").isObject()) {
      ObjectNode c = (ObjectNode) o.get("config");
      for (String key : List.of("quantization_config", "lora_rank", "lora_alpha")) {
        if (c.has(key) && c.get(key).isNull()) {
          c.remove(key);
        }
      }
      if ("InputLayer".equals(cls) && c.has("optional") && !c.get("optional").asBoolean()) {
        c.remove("optional");
      }
    }
    if ("__keras_tensor__".equals(cls) && o.path("config").isObject()) {
      ((ObjectNode) o.get("config")).remove(List.of("shape", "dtype"));
    }
    for (String key : List.of("input_layers", "output_layers")) {
      JsonNode refs = o.get(key);
      if (refs != null && refs.isArray() && refs.size() == 1 && refs.get(0).isArray()) {
        o.set(key, refs.get(0));
      }
    }
    JsonNode kwargs = o.get("kwargs");
    if (o.has("args") && kwargs != null && kwargs.isObject()) {
      ObjectNode k = (ObjectNode) kwargs;
      if (k.has("mask") && k.get("mask").isNull()) {
        k.remove("mask");
      }
      if (k.has("training") && k.get("training").isBoolean() && !k.get("training").asBoolean()) {
        k.remove("training");
      }
    }
    o.forEach(ConfigComparison::keras3Walk);
  }

  private static void keras2Walk(JsonNode n, boolean top, boolean keepBuild) {
    if (n.isArray()) {
      n.forEach(c -> keras2Walk(c, false, keepBuild));
      return;
    }
    if (!n.isObject()) {
      return;
    }
    ObjectNode o = (ObjectNode) n;
    if (top) {
      o.remove(List.of("keras_version", "backend"));
    }
    String module = o.path("module").asText(null);
    if (module != null && o.has("class_name") && ObjectSpecs.isKerasModule(module)) {
      o.remove(List.of("module", "registered_name"));
    } else if (!o.has("module") && o.has("registered_name") && o.get("registered_name").isNull()) {
      o.remove("registered_name");
    }
    if (!keepBuild) {
      o.remove("build_config");
    }
    if ("Lambda".equals(o.path("class_name").asText()) && o.path("config").isObject()) {
      ((ObjectNode) o.get("config")).remove(List.of("module", "output_shape_module"));
    }
    o.forEach(c -> keras2Walk(c, false, keepBuild));
  }

  /** JSON-pointer paths where two trees differ, at most {@code limit}, for assertion messages. */
  static List<String> differences(JsonNode a, JsonNode b, int limit) {
    List<String> out = new ArrayList<>();
    diff(a, b, "", out, limit);
    return out;
  }

  private static void diff(JsonNode a, JsonNode b, String path, List<String> out, int limit) {
    if (out.size() >= limit || a.equals(b)) {
      return;
    }
    if (a.isObject() && b.isObject()) {
      Set<String> keys = new TreeSet<>();
      a.fieldNames().forEachRemaining(keys::add);
      b.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        if (!a.has(k) || !b.has(k)) {
          out.add(path + "/" + k + ": " + clip(a.get(k)) + " vs " + clip(b.get(k)));
        } else {
          diff(a.get(k), b.get(k), path + "/" + k, out, limit);
        }
      }
    } else if (a.isArray() && b.isArray() && a.size() == b.size()) {
      for (int i = 0; i < a.size(); i++) {
        diff(a.get(i), b.get(i), path + "/" + i, out, limit);
      }
    } else {
      out.add(path + ": " + clip(a) + " vs " + clip(b));
    }
  }

  private static String clip(JsonNode n) {
    String s = n == null ? "<absent>" : n.toString();
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }
}
