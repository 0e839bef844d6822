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
 * Compares model configs modulo the fields a loader provably ignores, and the differences that stem
 * from what one generation's writer records rather than from the model. Each rule names its reason;
 * nothing else is ignored.
 */
final class ConfigComparison {
  private ConfigComparison() {}

  /**
   * Keras 3.12 layer classes that do not override {@code Layer.build}: the default build only marks
   * the layer built, so their {@code build_config} has no effect on loading (listed from {@code
   * keras.layers} with {@code cls.build is keras.layers.Layer.build}).
   */
  static final Set<String> KERAS3_DEFAULT_BUILD =
      Set.of(
          "Activation",
          "ActivityRegularization",
          "AlphaDropout",
          "AveragePooling1D",
          "AveragePooling2D",
          "AveragePooling3D",
          "CategoryEncoding",
          "CenterCrop",
          "Cropping1D",
          "Cropping2D",
          "Cropping3D",
          "Discretization",
          "Dropout",
          "ELU",
          "Flatten",
          "GaussianDropout",
          "GaussianNoise",
          "GlobalAveragePooling1D",
          "GlobalAveragePooling2D",
          "GlobalAveragePooling3D",
          "GlobalMaxPooling1D",
          "GlobalMaxPooling2D",
          "GlobalMaxPooling3D",
          "Hashing",
          "Identity",
          "InputLayer",
          "IntegerLookup",
          "Lambda",
          "LeakyReLU",
          "Masking",
          "MaxPooling1D",
          "MaxPooling2D",
          "MaxPooling3D",
          "Permute",
          "RandomContrast",
          "RandomFlip",
          "RandomRotation",
          "RandomTranslation",
          "RandomZoom",
          "ReLU",
          "RepeatVector",
          "Rescaling",
          "Reshape",
          "Resizing",
          "Softmax",
          "SpatialDropout1D",
          "SpatialDropout2D",
          "SpatialDropout3D",
          "StringLookup",
          "UnitNormalization",
          "UpSampling1D",
          "UpSampling2D",
          "UpSampling3D",
          "ZeroPadding1D",
          "ZeroPadding2D",
          "ZeroPadding3D");

  /**
   * A Keras 3 config with these removed or canonicalised:
   *
   * <ul>
   *   <li>{@code shared_object_id}: only lets the loader reuse one object for equal configs; every
   *       occurrence carries the full config;
   *   <li>an empty {@code compile_config}: {@code deserialize_keras_object} compiles only {@code if
   *       compile_config:};
   *   <li>a Functional model's {@code build_config}, and that of a layer whose class has the
   *       default {@code build}: applied only {@code if build_config and not instance.built}, and a
   *       Functional is built when constructed;
   *   <li>{@code __keras_tensor__} shape and dtype: {@code functional.deserialize_node} swaps the
   *       placeholder for the real output named by {@code keras_history};
   *   <li>{@code OrthogonalInitializer}/{@code IdentityInitializer}: older Keras 3 names of {@code
   *       Orthogonal}/{@code Identity}, the same class in {@code keras.initializers};
   *   <li>Keras 3.13's {@code quantization_config: null} (also {@code lora_rank}/{@code
   *       lora_alpha}) and InputLayer {@code optional: false}: the constructor defaults, written by
   *       newer releases only;
   *   <li>a one-element list of model inputs or outputs, which Keras 2 configs cannot tell from a
   *       single tensor (tf-keras always writes a list);
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
   *   <li>every {@code build_config}: tf-keras reads it only in its new-format path, which it takes
   *       only for objects that have a {@code module} key;
   *   <li>a Lambda's {@code module}/{@code output_shape_module}: only where tf-keras looks up
   *       globals for the function; Keras 3 configs do not record them;
   *   <li>the differences between what tf-keras writes and the portable Keras 2 form of {@code
   *       ConfigTranslator.toKeras2}, which both tf-keras 2.20 and Keras 3.12 load (each checked by
   *       loading both forms in both and comparing predictions), in {@link #portable};
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
    portable(n);
    return n;
  }

  /**
   * Keys tf-keras writes with its constructor's default and the portable form leaves out, because
   * Keras 3's constructors reject them ("Unrecognized keyword arguments"): class, key, default
   * ({@code null} for keys the form drops whatever their value: they change nothing in the loaded
   * model).
   */
  private static final List<List<Object>> PORTABLE_OMITTED =
      List.of(
          List.of(
              Set.of(
                  "Conv1DTranspose",
                  "Conv2DTranspose",
                  "Conv3DTranspose",
                  "DepthwiseConv1D",
                  "DepthwiseConv2D",
                  "SeparableConv1D",
                  "SeparableConv2D"),
              "groups",
              "1"),
          List.of(
              Set.of("SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"),
              "time_major",
              "false"),
          // tf-keras's separable convolutions inherit these from Conv and never use them.
          List.of(Set.of("SeparableConv1D", "SeparableConv2D"), "kernel_initializer", ""),
          List.of(Set.of("SeparableConv1D", "SeparableConv2D"), "kernel_regularizer", ""),
          List.of(Set.of("SeparableConv1D", "SeparableConv2D"), "kernel_constraint", ""),
          // Only sets the declared input, which batch_input_shape records too.
          List.of(Set.of("Embedding"), "input_length", ""),
          // A spatial dropout has no weights and a noise shape fixed by its class.
          List.of(
              Set.of("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"), "trainable", ""),
          List.of(
              Set.of("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"),
              "noise_shape",
              ""),
          List.of(Set.of("CategoryEncoding"), "sparse", "false"));

  /**
   * Maps both tf-keras's form and the portable Keras 2 form to one canonical form:
   *
   * <ul>
   *   <li>the keys of {@link #PORTABLE_OMITTED} removed: tf-keras's constructors fill in the
   *       defaults when they are absent, Keras 3's reject them when present;
   *   <li>a mixed-precision {@code Policy} object as its name ({@code "mixed_float16"}): both build
   *       the same policy from the name, Keras 3 cannot read tf-keras's Policy object;
   *   <li>a wrapped Functional spelled {@code Model}: Keras 3 has no public Functional class to
   *       locate by module, {@code keras.Model.from_config} builds the same Functional;
   *   <li>a single model input/output as the flat {@code [layer, node, tensor]}: tf-keras writes a
   *       one-element list, the portable form keeps Keras 3's flat reference (Keras 3 cannot call a
   *       nested Functional with one-element-list inputs from a Sequential or a wrapper);
   *   <li>the calls of a nested model that the portable form records twice (see {@code
   *       NestedCalls}: no single node number means the same call to both loaders) collapsed to one
   *       each, with the references renumbered from {@code 2k+1} to tf-keras's {@code k+1}.
   * </ul>
   */
  static void portable(JsonNode n) {
    if (n.isArray()) {
      n.forEach(ConfigComparison::portable);
      return;
    }
    if (!n.isObject()) {
      return;
    }
    ObjectNode o = (ObjectNode) n;
    String cls = o.path("class_name").asText("");
    if ("Model".equals(cls) && o.path("config").has("layers")) {
      o.put("class_name", "Functional");
    }
    JsonNode config = o.get("config");
    if (!cls.isEmpty() && config != null && config.isObject()) {
      ObjectNode c = (ObjectNode) config;
      for (List<Object> rule : PORTABLE_OMITTED) {
        @SuppressWarnings("unchecked")
        Set<String> classes = (Set<String>) rule.get(0);
        String key = (String) rule.get(1);
        String value = (String) rule.get(2);
        if (classes.contains(cls)
            && c.has(key)
            && (value.isEmpty() || c.get(key).toString().equals(value))) {
          c.remove(key);
        }
      }
      JsonNode dtype = c.get("dtype");
      if (dtype != null && dtype.isObject() && "Policy".equals(dtype.path("class_name").asText())) {
        c.set("dtype", dtype.path("config").path("name"));
      }
      if (c.has("layers") && c.get("layers").isArray()) {
        collapseDoubledCalls(c);
        for (String key : List.of("input_layers", "output_layers")) {
          JsonNode refs = c.get(key);
          if (refs != null
              && refs.isArray()
              && refs.size() == 1
              && refs.get(0).isArray()
              && refs.get(0).size() == 3
              && refs.get(0).get(0).isTextual()) {
            c.set(key, refs.get(0));
          }
        }
      }
    }
    o.forEach(ConfigComparison::portable);
  }

  /** The doubled calls of nested models of one functional config, see {@link #portable}. */
  private static void collapseDoubledCalls(ObjectNode config) {
    for (JsonNode member : config.get("layers")) {
      String cls = member.path("class_name").asText();
      JsonNode calls = member.get("inbound_nodes");
      String name = member.path("name").asText(null);
      if (!(cls.equals("Sequential") || cls.equals("Functional") || cls.equals("Model"))
          || calls == null
          || calls.size() < 2
          || calls.size() % 2 != 0
          || name == null) {
        continue;
      }
      boolean pairs = true;
      for (int i = 0; i < calls.size(); i += 2) {
        pairs &= calls.get(i).equals(calls.get(i + 1));
      }
      List<JsonNode> refs = new ArrayList<>();
      for (JsonNode consumer : config.get("layers")) {
        collectRefs(consumer.path("inbound_nodes"), name, refs);
      }
      collectRefs(config.path("output_layers"), name, refs);
      boolean odd = !refs.isEmpty();
      for (JsonNode ref : refs) {
        odd &= ref.get(1).asInt() % 2 == 1;
      }
      if (!pairs || !odd) {
        continue;
      }
      ArrayNode once = ((ArrayNode) calls).arrayNode();
      for (int i = 0; i < calls.size(); i += 2) {
        once.add(calls.get(i));
      }
      ((ObjectNode) member).set("inbound_nodes", once);
      for (JsonNode ref : refs) {
        ((ArrayNode) ref).set(1, (ref.get(1).asInt() - 1) / 2 + 1);
      }
    }
  }

  private static void collectRefs(JsonNode n, String name, List<JsonNode> out) {
    if (n.isArray()) {
      if ((n.size() == 3 || n.size() == 4)
          && name.equals(n.get(0).asText(null))
          && n.get(1).isIntegralNumber()
          && n.get(2).isIntegralNumber()) {
        out.add(n);
        if (n.size() == 4) {
          collectRefs(n.get(3), name, out);
        }
        return;
      }
      n.forEach(c -> collectRefs(c, name, out));
    } else if (n.isObject()) {
      n.forEach(c -> collectRefs(c, name, out));
    }
  }

  /**
   * Canonicalisation both generations need:
   *
   * <ul>
   *   <li>floating-point numbers compared as float32: tf-keras writes float32 attributes widened to
   *       double (1e-4 becomes 9.999999747378752e-05);
   *   <li>BatchNormalization/LayerNormalization axes made non-negative using the rank in the
   *       layer's build_config: tf-keras stores them so once built, Keras 3 keeps -1;
   *   <li>Identity initializer {@code gain}: Keras 3.12's IdentityInitializer has no get_config, so
   *       Keras 3 drops it on save (the translation keeps it).
   * </ul>
   */
  private static void common(JsonNode n) {
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      String cls = o.path("class_name").asText("");
      if (("BatchNormalization".equals(cls)
              || "LayerNormalization".equals(cls)
              || "SyncBatchNormalization".equals(cls))
          && o.path("config").isObject()) {
        nonNegativeAxis(
            (ObjectNode) o.get("config"),
            o.path("build_config").path("input_shape"),
            !"LayerNormalization".equals(cls));
      }
      if (("Identity".equals(cls) || "IdentityInitializer".equals(cls))
          && o.path("config").isObject()
          && !o.has("inbound_nodes")
          && !o.path("config").has("name")) {
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
    if (axis == null
        || !inputShape.isArray()
        || inputShape.isEmpty()
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
