package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keras 3 (or Keras 2) model config to the portable Keras 2 form (see {@link
 * ConfigTranslator#toKeras2}). One instance per call; the input is never modified.
 *
 * <p>The output is the Keras 2 schema, {@code {"class_name", "config"}} objects without {@code
 * module}/{@code registered_name} except on layers held in another layer's config, which tf-keras
 * 2.x, tf.keras and standalone Keras 2 read, and which Keras 3's legacy {@code .h5} loader reads
 * too. Custom objects keep whatever keys they had. Layer {@code build_config}s are kept where
 * known; the legacy path ignores them and they tell readers the input shapes.
 */
final class Keras2Translation {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private enum Scope {
    TOP,
    MEMBER,
    NESTED,
    BIDIRECTIONAL_INNER
  }

  private Keras2Translation() {}

  /** Translates a whole model config. */
  static ObjectNode model(JsonNode in) throws ModelFormatException {
    if (!in.isObject()) {
      throw Where.top(null).malformed("a model config must be a JSON object");
    }
    return new Keras2Translation()
        .layer((ObjectNode) in, Where.top(LayerDicts.name(in)), Scope.TOP);
  }

  private ObjectNode layer(ObjectNode in, Where where, Scope scope) throws ModelFormatException {
    String cls = LayerDicts.className(in, where);
    if (isUserCode(in, cls)) {
      return in.deepCopy();
    }
    if (KerasCatalog.ONE_FORMAT_ONLY.containsKey(cls)) {
      throw where.unsupported(cls, null, KerasCatalog.ONE_FORMAT_ONLY.get(cls));
    }
    if (KerasCatalog.KERAS3_ONLY_LAYERS.contains(cls)) {
      throw where.unsupported(cls, null, "tf-keras has no " + cls + " layer");
    }
    if (in.path("module").asText("").startsWith("keras.src.ops")) {
      // A keras.ops call on symbolic tensors, recorded as a layer (x[:, 0], ops.add...).
      throw where.unsupported(
          cls, null, "a Keras 3 operation recorded as a layer; tf-keras has no such layer");
    }
    if ("Sequential".equals(cls)) {
      return sequential(in, where, scope);
    }
    if (("Functional".equals(cls) || "Model".equals(cls)) && in.path("config").has("layers")) {
      return functional(in, where, scope);
    }
    if (!KerasCatalog.COMMON_LAYERS.contains(cls)) {
      return in.deepCopy();
    }
    ObjectNode configIn = LayerDicts.config(in, where, cls);
    ObjectNode config = layerConfig(cls, configIn, where, scope);
    String outClass = cls;
    if ("BatchNormalization".equals(cls) && config.path("synchronized").asBoolean(false)) {
      // tf-keras keeps synchronised batch norm in its own class.
      outClass = "SyncBatchNormalization";
    }
    config.remove("synchronized");
    ObjectNode out = F.objectNode();
    out.put("class_name", outClass);
    out.set("config", config);
    JsonNode build = in.get("build_config");
    if ("MultiHeadAttention".equals(cls) && !configIn.has("query_shape")) {
      build = attentionShapes(config, build);
    }
    // tf-keras writes no build_config for a Bidirectional's inner layers, and none at the top.
    if (build != null && scope != Scope.BIDIRECTIONAL_INNER && scope != Scope.TOP) {
      out.set("build_config", build.deepCopy());
    }
    copyName(in, out);
    return out;
  }

  private static boolean isUserCode(JsonNode in, String cls) {
    String module = in.path("module").asText(null);
    if (module != null && !ObjectSpecs.isKerasModule(module)) {
      return true;
    }
    JsonNode registered = in.get("registered_name");
    return registered != null && !registered.isNull() && !registered.asText().equals(cls);
  }

  private static void copyName(JsonNode in, ObjectNode out) {
    if (in.has("name")) {
      out.set("name", in.get("name").deepCopy());
    }
  }

  // ---- layer configs -------------------------------------------------------------------------

  private ObjectNode layerConfig(String cls, ObjectNode in, Where where, Scope scope)
      throws ModelFormatException {
    boolean inputLayer = "InputLayer".equals(cls);
    boolean dtypeName = KerasCatalog.KERAS3_DTYPE_NAME_LAYERS.contains(cls);
    ObjectNode out = F.objectNode();
    for (Map.Entry<String, JsonNode> e : in.properties()) {
      String key = e.getKey();
      JsonNode v = e.getValue();
      switch (key) {
        case "dtype" ->
            out.set(key, dtypeName ? v.deepCopy() : ObjectSpecs.dtypeToKeras2(v, where, cls));
        case "batch_shape" -> out.set(inputLayer ? "batch_input_shape" : key, v.deepCopy());
        case "optional" -> {
          if (inputLayer && v.asBoolean(false)) {
            throw where.unsupported(cls, key, "tf-keras has no optional inputs");
          }
          if (!inputLayer) {
            out.set(key, v.deepCopy());
          }
        }
        case "layer", "backward_layer" ->
            out.set(
                key,
                wrapped(
                    v,
                    nested(
                        v,
                        where,
                        "Bidirectional".equals(cls) ? Scope.BIDIRECTIONAL_INNER : Scope.NESTED)));
        case "cell", "cells" -> out.set(key, wrapped(v, nested(v, where, Scope.NESTED)));
        case "activation", "recurrent_activation" -> out.set(key, activation(v, where, cls, key));
        default -> {
          ObjectSpecs.Kind kind = ObjectSpecs.Kind.ofKey(key);
          out.set(key, kind != null ? ObjectSpecs.toKeras2(kind, v, where, key) : v.deepCopy());
        }
      }
    }
    if ("Embedding".equals(cls) && !out.has("batch_input_shape")) {
      // tf-keras's Embedding always declares an input of shape (input_length,) and writes it;
      // read input_length before the rules drop it (tf-keras derives nothing else from it).
      out.set(
          "batch_input_shape",
          F.arrayNode()
              .addNull()
              .add(
                  out.path("input_length").isIntegralNumber()
                      ? F.numberNode(out.get("input_length").asInt())
                      : F.nullNode()));
    }
    applyRules(cls, out, where);
    for (String key : KerasCatalog.KERAS3_NULL_EXTENSIONS) {
      JsonNode v = out.get(key);
      if (v != null && !v.isNull()) {
        throw where.unsupported(cls, key, key + " = " + v + ": tf-keras layers have no " + key);
      }
      out.remove(key);
    }
    switch (cls) {
      case "BatchNormalization" -> {
        JsonNode axis = out.get("axis");
        if (axis != null && axis.isIntegralNumber()) {
          // tf-keras writes the axis as a list (it stores it so once built).
          out.set("axis", F.arrayNode().add(axis.asInt()));
        }
      }
      case "LeakyReLU" -> {
        if (out.has("negative_slope") && !out.has("alpha")) {
          LayerDicts.replaceContent(out, LayerDicts.withKeyRenamed(out, "negative_slope", "alpha"));
        }
      }
      case "Lambda" -> lambda(out);
      case "Bidirectional" -> bidirectional(out);
      default -> {}
    }
    if (KerasCatalog.RECURRENT_LAYERS.contains(cls) && out.has("zero_output_for_mask")) {
      boolean derived =
          scope == Scope.BIDIRECTIONAL_INNER && out.path("return_sequences").asBoolean(false);
      if (out.get("zero_output_for_mask").asBoolean() == derived) {
        out.remove("zero_output_for_mask");
      }
    }
    if (KerasCatalog.HAS_IMPLEMENTATION.contains(cls) && !out.has("implementation")) {
      // What tf-keras picks by itself: mode 2 cannot apply recurrent dropout.
      double recurrentDropout = out.path("recurrent_dropout").asDouble(0.0);
      out.put("implementation", recurrentDropout != 0.0 ? 1 : 2);
    }
    return out;
  }

  private JsonNode nested(JsonNode v, Where where, Scope scope) throws ModelFormatException {
    if (v.isObject() && v.has("class_name")) {
      return layer((ObjectNode) v, where.child(LayerDicts.name(v)), scope);
    }
    if (v.isArray()) {
      ArrayNode out = F.arrayNode();
      for (JsonNode item : v) {
        out.add(nested(item, where, scope));
      }
      return out;
    }
    return v.deepCopy();
  }

  /**
   * A layer held inside another layer's config (a wrapper's {@code layer}, an RNN's {@code cell}),
   * with the {@code module}/{@code registered_name} keys tf-keras 2.13+ writes there too: Keras 3's
   * wrappers deserialise their inner layer with {@code deserialize_keras_object}, which cannot
   * locate a built-in class without its module, while tf-keras reads the class name either way.
   * Keras 3 then reads that config without its legacy loader's fix-ups, so the few Keras 2
   * spellings that loader would fix are done here: a one-element BatchNormalization axis list
   * becomes the int, and {@code batch_input_shape} (meaningless for a wrapped layer) is dropped.
   */
  private static JsonNode wrapped(JsonNode in, JsonNode translated) {
    if (translated.isArray()) {
      ArrayNode out = F.arrayNode();
      for (int i = 0; i < translated.size(); i++) {
        out.add(wrapped(in.get(i), translated.get(i)));
      }
      return out;
    }
    if (!translated.isObject() || !translated.has("class_name") || translated.has("module")) {
      return translated;
    }
    String cls = translated.get("class_name").asText();
    boolean model = KerasCatalog.isModelClass(cls);
    if (isUserCode(in, cls) || !(model || KerasCatalog.COMMON_LAYERS.contains(cls))) {
      return translated;
    }
    JsonNode config = translated.get("config");
    if (config != null && config.isObject() && !model) {
      ObjectNode c = (ObjectNode) config;
      c.remove("batch_input_shape");
      JsonNode axis = c.get("axis");
      if ("BatchNormalization".equals(cls) && axis != null && axis.isArray() && axis.size() == 1) {
        c.set("axis", axis.get(0).deepCopy());
      }
    }
    ObjectNode out = F.objectNode();
    out.put("module", "Sequential".equals(cls) || model ? "keras" : "keras.layers");
    // Keras 3 has no public Functional class; keras.Model.from_config builds one from the config.
    out.put("class_name", model && !"Sequential".equals(cls) ? "Model" : cls);
    out.set("config", config);
    out.putNull("registered_name");
    for (Map.Entry<String, JsonNode> e : translated.properties()) {
      if (!out.has(e.getKey())) {
        out.set(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  private JsonNode activation(JsonNode v, Where where, String owner, String key)
      throws ModelFormatException {
    if (v.isTextual() && KerasCatalog.KERAS3_ONLY_ACTIVATIONS.contains(v.asText())) {
      throw where.unsupported(
          owner, key, key + " = \"" + v.asText() + "\": tf-keras has no such activation");
    }
    if (!v.isObject()) {
      return v.deepCopy();
    }
    String cls = v.path("class_name").asText();
    if ("function".equals(cls) && v.path("config").isTextual()) {
      // Keras 3 wraps a registered activation function; Keras 2 names it.
      return activation(v.get("config"), where, owner, key);
    }
    if (KerasCatalog.COMMON_LAYERS.contains(cls)) {
      return layer((ObjectNode) v, where, Scope.NESTED);
    }
    return v.deepCopy();
  }

  private static void applyRules(String cls, ObjectNode cfg, Where where)
      throws ModelFormatException {
    for (KeyRule rule : KeyRule.forClass(cls)) {
      JsonNode v = cfg.get(rule.key());
      switch (rule.kind()) {
        case KERAS2_ONLY -> {
          // Keras 3's legacy loader rejects the key; tf-keras's constructor fills in the default.
          if (v != null && SameValue.of(v, rule.value())) {
            cfg.remove(rule.key());
          }
        }
        case KERAS2_ONLY_INERT -> cfg.remove(rule.key());
        case KERAS3_ONLY, KERAS3_OLD_RELEASES, KERAS3_NEWER_RELEASES -> {
          if (v != null) {
            if (!SameValue.of(v, rule.value())) {
              throw where.unsupported(
                  cls, rule.key(), rule.key() + " = " + v + " has no tf-keras equivalent");
            }
            cfg.remove(rule.key());
          }
        }
        case KERAS3_WRITTEN -> {
          if (v != null && SameValue.of(v, rule.value())) {
            cfg.remove(rule.key());
          }
        }
        case NULL_OMITTED_BY_KERAS3 -> {
          if (v == null) {
            cfg.putNull(rule.key());
          }
        }
      }
    }
  }

  /** Keras 3's {@code __lambda__} object back to tf-keras's {@code [code, defaults, closure]}. */
  private static void lambda(ObjectNode cfg) {
    ObjectNode out = F.objectNode();
    for (Map.Entry<String, JsonNode> e : cfg.properties()) {
      String key = e.getKey();
      if (key.equals("function")) {
        Callable fn = callable(e.getValue());
        out.set("function", fn.value);
        out.put("function_type", fn.type);
        out.set("module", fn.module == null ? F.nullNode() : F.textNode(fn.module));
      } else if (!key.equals("output_shape")) { // output_shape: written below
        out.set(key, e.getValue().deepCopy());
      }
    }
    JsonNode shape = cfg.get("output_shape");
    Callable outputShape =
        shape == null || shape.isNull() || shape.isArray()
            ? new Callable(shape == null ? F.nullNode() : shape.deepCopy(), "raw", null)
            : callable(shape);
    ObjectNode reordered = F.objectNode();
    for (Map.Entry<String, JsonNode> e : out.properties()) {
      if (e.getKey().equals("arguments")) {
        putOutputShape(reordered, outputShape);
      }
      reordered.set(e.getKey(), e.getValue());
    }
    if (!reordered.has("output_shape")) {
      putOutputShape(reordered, outputShape);
    }
    LayerDicts.replaceContent(cfg, reordered);
  }

  private static void putOutputShape(ObjectNode cfg, Callable shape) {
    cfg.set("output_shape", shape.value);
    cfg.put("output_shape_type", shape.type);
    cfg.set("output_shape_module", shape.module == null ? F.nullNode() : F.textNode(shape.module));
  }

  private record Callable(JsonNode value, String type, String module) {}

  private static Callable callable(JsonNode v) {
    if (v.isObject() && "__lambda__".equals(v.path("class_name").asText())) {
      JsonNode c = v.path("config");
      ArrayNode code = F.arrayNode();
      code.add(c.path("code").deepCopy());
      code.add(c.has("defaults") ? c.get("defaults").deepCopy() : F.nullNode());
      code.add(c.has("closure") ? c.get("closure").deepCopy() : F.nullNode());
      return new Callable(code, "lambda", null);
    }
    if (v.isObject() && "function".equals(v.path("class_name").asText())) {
      return new Callable(v.path("config").deepCopy(), "function", v.path("module").asText(null));
    }
    return new Callable(v.deepCopy(), v.isTextual() ? "function" : "raw", null);
  }

  /**
   * tf-keras names the inner layer without Keras 3's {@code forward_} prefix and writes no backward
   * layer when it is the forward one run backwards (it derives that itself).
   */
  private static void bidirectional(ObjectNode cfg) {
    JsonNode forward = cfg.get("layer");
    if (forward == null || !forward.path("config").isObject()) {
      return;
    }
    ObjectNode fwdConfig = (ObjectNode) forward.get("config");
    String base = Keras3Translation.stripPrefix(fwdConfig.path("name").asText(""), "forward_");
    fwdConfig.put("name", base);
    JsonNode backward = cfg.get("backward_layer");
    if (backward != null && backward.isObject()) {
      ObjectNode derived = ((ObjectNode) forward).deepCopy();
      ObjectNode derivedConfig = (ObjectNode) derived.get("config");
      derivedConfig.put("name", "backward_" + base);
      derivedConfig.put("go_backwards", !fwdConfig.path("go_backwards").asBoolean(false));
      if (SameValue.of(derived, backward)) {
        cfg.remove("backward_layer");
      }
    }
  }

  /**
   * tf-keras keeps MultiHeadAttention's build shapes in its config and its build_config holds the
   * query shape; Keras 3 writes {@code {"shapes_dict": {query_shape, value_shape[, key_shape]}}}.
   */
  private static JsonNode attentionShapes(ObjectNode config, JsonNode build) {
    JsonNode shapes = build == null ? null : build.get("shapes_dict");
    JsonNode query =
        shapes != null
            ? shapes.get("query_shape")
            : build != null ? build.get("input_shape") : null;
    JsonNode value = shapes != null ? shapes.get("value_shape") : null;
    JsonNode key = shapes != null && shapes.has("key_shape") ? shapes.get("key_shape") : value;
    config.set("query_shape", query == null ? F.nullNode() : query.deepCopy());
    config.set("key_shape", key == null ? F.nullNode() : key.deepCopy());
    config.set("value_shape", value == null ? F.nullNode() : value.deepCopy());
    return query == null || query.isNull()
        ? null
        : F.objectNode().set("input_shape", query.deepCopy());
  }

  // ---- Sequential ----------------------------------------------------------------------------

  private ObjectNode sequential(ObjectNode in, Where where, Scope scope)
      throws ModelFormatException {
    JsonNode configIn = in.get("config");
    if (configIn == null || !(configIn.isObject() || configIn.isArray())) {
      throw where.malformed("Sequential has no \"config\"");
    }
    ArrayNode layersIn = LayerDicts.sequentialLayers(configIn, where);
    ArrayNode layers = F.arrayNode();
    for (JsonNode layer : layersIn) {
      if (!layer.isObject()) {
        throw where.malformed("Sequential layer entry is not an object");
      }
      layers.add(layer((ObjectNode) layer, where.child(LayerDicts.name(layer)), Scope.MEMBER));
    }
    ObjectNode config = F.objectNode();
    config.put(
        "name", configIn.isObject() ? configIn.path("name").asText("sequential") : "sequential");
    config.set("layers", layers);
    boolean startsWithInput = !layersIn.isEmpty() && LayerDicts.isInputLayer(layersIn.get(0));
    if (configIn.isObject()) {
      for (Map.Entry<String, JsonNode> e : configIn.properties()) {
        String key = e.getKey();
        // Sequential.from_config reads neither trainable nor dtype, in either generation; a
        // build_input_shape is redundant once the first layer is an InputLayer.
        boolean dropped =
            key.equals("trainable")
                || key.equals("dtype")
                || (key.equals("build_input_shape") && startsWithInput);
        if (!dropped && !config.has(key)) {
          config.set(key, e.getValue().deepCopy());
        }
      }
    }
    ObjectNode out = F.objectNode();
    out.put("class_name", "Sequential");
    out.set("config", config);
    if (scope != Scope.TOP && in.has("build_config")) {
      out.set("build_config", in.get("build_config").deepCopy());
    }
    copyName(in, out);
    return out;
  }

  // ---- Functional ----------------------------------------------------------------------------

  private ObjectNode functional(ObjectNode in, Where where, Scope scope)
      throws ModelFormatException {
    ObjectNode configIn = LayerDicts.config(in, where, "Functional");
    JsonNode layersNode = configIn.get("layers");
    if (layersNode == null || !layersNode.isArray()) {
      throw where.malformed("Functional config has no \"layers\" list");
    }
    Map<String, JsonNode> byName = new HashMap<>();
    boolean objectNodes = false;
    for (JsonNode layer : layersNode) {
      String name = LayerDicts.name(layer);
      if (name == null) {
        throw where.malformed("Functional layer entry has no name");
      }
      byName.put(name, layer);
      for (JsonNode node : layer.path("inbound_nodes")) {
        objectNodes |= node.isObject();
      }
    }
    List<ObjectNode> translated = new ArrayList<>();
    Set<String> doubled = new HashSet<>();
    Set<String> alreadyDoubled = new HashSet<>();
    List<JsonNode> modelRefsIn =
        Arrays.asList(configIn.get("input_layers"), configIn.get("output_layers"));
    for (JsonNode layerIn : layersNode) {
      String name = LayerDicts.name(layerIn);
      ObjectNode layer = layer((ObjectNode) layerIn, where.child(name), Scope.MEMBER);
      translated.add(layer);
      if (LayerDicts.keras2CountsOwnNode(layer)) {
        doubled.add(name);
        if (NestedCalls.doubled(layerIn, layersNode, modelRefsIn)) {
          alreadyDoubled.add(name);
        }
      }
    }
    Nodes nodes = new Nodes(byName, doubled, alreadyDoubled, where);
    ArrayNode layers = F.arrayNode();
    for (int i = 0; i < layersNode.size(); i++) {
      JsonNode layerIn = layersNode.get(i);
      String name = LayerDicts.name(layerIn);
      Where child = where.child(name);
      ObjectNode layer = translated.get(i);
      layer.put("name", name);
      String cls = layerIn.path("class_name").asText();
      ArrayNode inbound = F.arrayNode();
      boolean twice = doubled.contains(name) && !alreadyDoubled.contains(name);
      for (JsonNode node : layerIn.path("inbound_nodes")) {
        JsonNode call = node.isArray() ? nodes.keras2Node(node) : nodes.node(node, cls, child);
        inbound.add(call);
        if (twice) {
          // See NestedCalls: the copy is the call Keras 3 reads, the original the one tf-keras
          // reads.
          inbound.add(call.deepCopy());
        }
      }
      layer.set("inbound_nodes", inbound);
      layers.add(layer);
    }
    ObjectNode config = F.objectNode();
    config.set(
        "name", configIn.has("name") ? configIn.get("name").deepCopy() : F.textNode("model"));
    config.set(
        "trainable",
        configIn.has("trainable") ? configIn.get("trainable").deepCopy() : F.booleanNode(true));
    config.set("layers", layers);
    config.set("input_layers", nodes.modelRefs(configIn.get("input_layers"), objectNodes));
    config.set("output_layers", nodes.modelRefs(configIn.get("output_layers"), objectNodes));
    for (Map.Entry<String, JsonNode> e : configIn.properties()) {
      if (!config.has(e.getKey())) {
        config.set(e.getKey(), e.getValue().deepCopy());
      }
    }
    ObjectNode out = F.objectNode();
    out.put("class_name", "Functional");
    out.set("config", config);
    if (scope != Scope.TOP) {
      JsonNode build = nestedModelBuild(in);
      if (build != null) {
        out.set("build_config", build);
      }
    }
    copyName(in, out);
    return out;
  }

  /**
   * A nested Functional's build_config as tf-keras writes it: the shapes of its first call's input.
   * Keras 3 writes {@code {"input_shape": null}} (it never needs it: a Functional is built when
   * constructed), but its first call's tensors carry the shapes.
   */
  private static JsonNode nestedModelBuild(JsonNode in) {
    JsonNode build = in.get("build_config");
    if (build != null && build.hasNonNull("input_shape")) {
      return build.deepCopy();
    }
    JsonNode first = in.path("inbound_nodes").path(0).path("args").path(0);
    JsonNode shapes = tensorShapes(first);
    return shapes == null ? null : F.objectNode().set("input_shape", shapes);
  }

  private static JsonNode tensorShapes(JsonNode arg) {
    if (LayerDicts.isKerasTensor(arg)) {
      JsonNode shape = arg.path("config").get("shape");
      return shape != null && shape.isArray() && !shape.isEmpty() ? shape.deepCopy() : null;
    }
    if (arg.isArray() && !arg.isEmpty()) {
      ArrayNode out = F.arrayNode();
      for (JsonNode child : arg) {
        JsonNode s = tensorShapes(child);
        if (s == null) {
          return null;
        }
        out.add(s);
      }
      return out;
    }
    return null;
  }

  /**
   * Translation of the references a functional config makes to layer outputs, to the numbering of
   * the portable form: a nested model's call {@code k} is node {@code 2k+1} when its calls are
   * recorded twice (see {@link NestedCalls}), any other layer's node {@code k}.
   */
  private static final class Nodes {
    private final Map<String, JsonNode> byName;
    private final Set<String> doubled;
    private final Set<String> alreadyDoubled;
    private final Where where;

    Nodes(
        Map<String, JsonNode> byName,
        Set<String> doubled,
        Set<String> alreadyDoubled,
        Where where) {
      this.byName = byName;
      this.doubled = doubled;
      this.alreadyDoubled = alreadyDoubled;
      this.where = where;
    }

    /** The portable node number of call {@code k} (from 0) of layer {@code name}. */
    private int portable(String name, int k) {
      return doubled.contains(name) ? NestedCalls.portableNode(k) : k;
    }

    /** The portable node number of node {@code node} of a Keras 2 config. */
    private int fromKeras2(String name, int node) {
      JsonNode producer = byName.get(name);
      int k =
          alreadyDoubled.contains(name)
              ? NestedCalls.callOfPortableNode(node)
              : producer != null && LayerDicts.keras2CountsOwnNode(producer) ? node - 1 : node;
      return portable(name, k);
    }

    /**
     * A Keras 2 call {@code [[name, node, tensor, kwargs], ...]} with its references (in the kwargs
     * too) renumbered.
     */
    JsonNode keras2Node(JsonNode n) {
      if (n.isArray()) {
        if ((LayerDicts.isNodeEntry(n) || LayerDicts.isTensorRef(n))
            && byName.containsKey(n.get(0).asText())) {
          ArrayNode out = n.deepCopy();
          out.set(1, F.numberNode(fromKeras2(n.get(0).asText(), n.get(1).asInt())));
          if (n.size() == 4) {
            out.set(3, keras2Node(n.get(3)));
          }
          return out;
        }
        ArrayNode out = F.arrayNode();
        for (JsonNode child : n) {
          out.add(keras2Node(child));
        }
        return out;
      }
      if (n.isObject()) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
          out.set(e.getKey(), keras2Node(e.getValue()));
        }
        return out;
      }
      return n.deepCopy();
    }

    /**
     * One Keras 3 call {@code {"args": [...], "kwargs": {...}}} as tf-keras's list of {@code [name,
     * node, tensor, kwargs]} entries: the first argument keeps its structure, later positional
     * arguments become keywords named after the layer's call signature.
     */
    JsonNode node(JsonNode data, String cls, Where at) throws ModelFormatException {
      JsonNode args = data.path("args");
      if (!args.isArray() || args.isEmpty()) {
        throw at.unsupported(
            cls,
            "inbound_nodes",
            "the layer was called without a positional input; tf-keras needs one");
      }
      ObjectNode kwargs = F.objectNode();
      List<String> names = KerasCatalog.CALL_ARGUMENTS_AFTER_FIRST.get(cls);
      for (int i = 1; i < args.size(); i++) {
        if (names == null || i - 1 >= names.size()) {
          throw at.unsupported(
              cls,
              "inbound_nodes",
              "the call passes "
                  + args.size()
                  + " positional arguments; a Keras 2 config needs the names of all but the first");
        }
        kwargs.set(names.get(i - 1), value(args.get(i), at));
      }
      for (Map.Entry<String, JsonNode> e : data.path("kwargs").properties()) {
        JsonNode v = e.getValue();
        // Keras 3 records these from the call signature on every call: a null mask is
        // re-derived from the inputs, and an explicit training=False would pin tf-keras layers
        // to inference mode even inside fit().
        if (("mask".equals(e.getKey()) && v.isNull())
            || ("training".equals(e.getKey()) && v.isBoolean() && !v.asBoolean())) {
          continue;
        }
        kwargs.set(e.getKey(), value(v, at));
      }
      JsonNode first = args.get(0);
      if (LayerDicts.isKerasTensor(first)) {
        return F.arrayNode().add(entry(first, kwargs, at));
      }
      return structure(first, kwargs, at);
    }

    private JsonNode structure(JsonNode arg, ObjectNode kwargs, Where at)
        throws ModelFormatException {
      if (LayerDicts.isKerasTensor(arg)) {
        return entry(arg, kwargs, at);
      }
      if (arg.isArray()) {
        ArrayNode out = F.arrayNode();
        for (JsonNode child : arg) {
          out.add(structure(child, kwargs, at));
        }
        return out;
      }
      if (arg.isObject() && !arg.has("class_name")) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : arg.properties()) {
          out.set(e.getKey(), structure(e.getValue(), kwargs, at));
        }
        return out;
      }
      throw at.unsupported(
          "layer call",
          "inbound_nodes",
          "first argument "
              + arg
              + " is not a layer output; tf-keras configs can only pass layer outputs there");
    }

    private ArrayNode entry(JsonNode tensor, ObjectNode kwargs, Where at)
        throws ModelFormatException {
      ArrayNode out = ref(tensor, at);
      out.add(kwargs.deepCopy());
      return out;
    }

    private JsonNode value(JsonNode v, Where at) throws ModelFormatException {
      if (LayerDicts.isKerasTensor(v)) {
        return ref(v, at);
      }
      if (v.isArray()) {
        ArrayNode out = F.arrayNode();
        for (JsonNode child : v) {
          out.add(value(child, at));
        }
        return out;
      }
      if (v.isObject() && !v.has("class_name")) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
          out.set(e.getKey(), value(e.getValue(), at));
        }
        return out;
      }
      return v.deepCopy();
    }

    private ArrayNode ref(JsonNode tensor, Where at) throws ModelFormatException {
      JsonNode history = tensor.path("config").path("keras_history");
      if (!LayerDicts.isTensorRef(history)) {
        throw at.malformed("tensor without a keras_history [layer, node, tensor]");
      }
      String name = history.get(0).asText();
      JsonNode producer = byName.get(name);
      if (producer == null) {
        throw at.malformed("inbound node refers to unknown layer '" + name + "'");
      }
      int node = portable(name, history.get(1).asInt());
      return F.arrayNode().add(name).add(node).add(history.get(2).asInt());
    }

    /**
     * A model's input_layers/output_layers. A single tensor is written flat ({@code ["x", 0, 0]}),
     * as Keras 3 writes it; tf-keras writes a one-element list (and cannot tell the two apart), and
     * loads the flat form as a single tensor too. Keras 3 needs the flat form for a nested
     * Functional called on one tensor by a Sequential or a wrapper: with a one-element list it
     * fails with "Invalid dtype: tuple". A Keras 3 one-element list (a model built with {@code
     * inputs=[x]}) stays a list.
     */
    JsonNode modelRefs(JsonNode refs, boolean keras3Form) throws ModelFormatException {
      if (refs == null) {
        return F.arrayNode();
      }
      if (!keras3Form
          && refs.isArray()
          && refs.size() == 1
          && LayerDicts.isTensorRef(refs.get(0))) {
        return modelRef(refs.get(0), false);
      }
      return structure(refs, keras3Form);
    }

    private JsonNode structure(JsonNode refs, boolean keras3Form) throws ModelFormatException {
      if (LayerDicts.isTensorRef(refs)) {
        return modelRef(refs, keras3Form);
      }
      if (refs.isArray()) {
        ArrayNode out = F.arrayNode();
        for (JsonNode child : refs) {
          out.add(structure(child, keras3Form));
        }
        return out;
      }
      if (refs.isObject()) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : refs.properties()) {
          out.set(e.getKey(), structure(e.getValue(), keras3Form));
        }
        return out;
      }
      return refs.deepCopy();
    }

    /**
     * One model input/output reference. Keras 3 counts a nested Functional's calls from 1 here (its
     * loader subtracts 1), and those of every other layer from 0.
     */
    private JsonNode modelRef(JsonNode ref, boolean keras3Form) throws ModelFormatException {
      ArrayNode out = ref.deepCopy();
      String name = ref.get(0).asText();
      JsonNode producer = byName.get(name);
      if (producer == null) {
        throw where.malformed("model input/output refers to unknown layer '" + name + "'");
      }
      int node = ref.get(1).asInt();
      if (!keras3Form) {
        out.set(1, F.numberNode(fromKeras2(name, node)));
      } else {
        String cls = producer.path("class_name").asText();
        boolean functional =
            ("Functional".equals(cls) || "Model".equals(cls))
                && producer.path("config").has("layers");
        out.set(1, F.numberNode(portable(name, functional ? node - 1 : node)));
      }
      return out;
    }
  }
}
