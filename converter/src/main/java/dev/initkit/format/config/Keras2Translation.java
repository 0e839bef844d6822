package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.format.ModelFormatException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras 3 model config to Keras 2 form. One instance per call; the input is never modified.
 *
 * <p>The output is the plain Keras 2 schema, {@code {"class_name", "config"}} objects without
 * {@code module}/{@code registered_name}, which every Keras 2 reader handles: tf-keras 2.x (its
 * legacy path is chosen exactly when {@code module} is absent), tf.keras, standalone Keras 2 and
 * other tools. Custom objects keep whatever keys they had. Layer {@code build_config}s are kept
 * where known; the legacy path ignores them and they tell readers the input shapes.
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
    return new Keras2Translation().layer((ObjectNode) in, Where.top(LayerDicts.name(in)),
        Scope.TOP);
  }

  private ObjectNode layer(ObjectNode in, Where where, Scope scope) throws ModelFormatException {
    String cls = LayerDicts.className(in, where);
    if (isUserCode(in, cls)) {
      return in.deepCopy();
    }
    if (KerasCatalog.KERAS3_ONLY_LAYERS.contains(cls)) {
      throw where.unsupported(cls, null, "tf-keras has no " + cls + " layer");
    }
    if (in.path("module").asText("").startsWith("keras.src.ops")) {
      // A keras.ops call on symbolic tensors, recorded as a layer (x[:, 0], ops.add...).
      throw where.unsupported(cls, null,
          "a Keras 3 operation recorded as a layer; tf-keras has no such layer");
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
        case "dtype" -> out.set(key, dtypeName ? v.deepCopy()
            : ObjectSpecs.dtypeToKeras2(v, where, cls));
        case "batch_shape" -> out.set(inputLayer ? "batch_input_shape" : key, v.deepCopy());
        case "optional" -> {
          if (inputLayer && v.asBoolean(false)) {
            throw where.unsupported(cls, key, "tf-keras has no optional inputs");
          }
          if (!inputLayer) {
            out.set(key, v.deepCopy());
          }
        }
        case "layer", "backward_layer" -> out.set(key, nested(v, where,
            "Bidirectional".equals(cls) ? Scope.BIDIRECTIONAL_INNER : Scope.NESTED));
        case "cell", "cells" -> out.set(key, nested(v, where, Scope.NESTED));
        case "activation", "recurrent_activation" -> out.set(key, activation(v, where));
        default -> {
          ObjectSpecs.Kind kind = ObjectSpecs.Kind.ofKey(key);
          out.set(key, kind != null ? ObjectSpecs.toKeras2(kind, v, where, key) : v.deepCopy());
        }
      }
    }
    applyRules(cls, out, where);
    for (String key : KerasCatalog.KERAS3_NULL_EXTENSIONS) {
      JsonNode v = out.get(key);
      if (v != null && !v.isNull()) {
        throw where.unsupported(cls, key, "tf-keras layers have no " + key);
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
      case "Embedding" -> {
        // tf-keras's Embedding always declares an input of shape (input_length,).
        if (!out.has("batch_input_shape")) {
          out.set("batch_input_shape", F.arrayNode().addNull().add(out.path("input_length")
              .isIntegralNumber() ? F.numberNode(out.get("input_length").asInt()) : F.nullNode()));
        }
      }
      case "Bidirectional" -> bidirectional(out);
      default -> { }
    }
    if (KerasCatalog.RECURRENT_LAYERS.contains(cls) && out.has("zero_output_for_mask")) {
      boolean derived = scope == Scope.BIDIRECTIONAL_INNER
          && out.path("return_sequences").asBoolean(false);
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

  private JsonNode activation(JsonNode v, Where where) throws ModelFormatException {
    if (!v.isObject()) {
      return v.deepCopy();
    }
    String cls = v.path("class_name").asText();
    if ("function".equals(cls) && v.path("config").isTextual()) {
      // Keras 3 wraps a registered activation function; Keras 2 names it.
      return v.get("config").deepCopy();
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
        case KERAS2_ONLY, KERAS2_ONLY_INERT -> {
          if (v == null) {
            cfg.set(rule.key(), rule.value().deepCopy());
          }
        }
        case KERAS3_ONLY, KERAS3_OLD_RELEASES -> {
          if (v != null) {
            if (!SameValue.of(v, rule.value())) {
              throw where.unsupported(cls, rule.key(),
                  rule.key() + " = " + v + " has no tf-keras equivalent");
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
      } else if (key.equals("output_shape")) {
        continue;
      } else {
        out.set(key, e.getValue().deepCopy());
      }
    }
    JsonNode shape = cfg.get("output_shape");
    Callable outputShape = shape == null || shape.isNull() || shape.isArray()
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
      return new Callable(v.path("config").deepCopy(), "function",
          v.path("module").asText(null));
    }
    return new Callable(v.deepCopy(), v.isTextual() ? "function" : "raw", null);
  }

  /**
   * tf-keras names the inner layer without Keras 3's {@code forward_} prefix and writes no
   * backward layer when it is the forward one run backwards (it derives that itself).
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
    JsonNode query = shapes != null ? shapes.get("query_shape")
        : build != null ? build.get("input_shape") : null;
    JsonNode value = shapes != null ? shapes.get("value_shape") : null;
    JsonNode key = shapes != null && shapes.has("key_shape") ? shapes.get("key_shape") : value;
    config.set("query_shape", query == null ? F.nullNode() : query.deepCopy());
    config.set("key_shape", key == null ? F.nullNode() : key.deepCopy());
    config.set("value_shape", value == null ? F.nullNode() : value.deepCopy());
    return query == null || query.isNull() ? null : F.objectNode().set("input_shape",
        query.deepCopy());
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
    config.put("name", configIn.isObject() ? configIn.path("name").asText("sequential")
        : "sequential");
    config.set("layers", layers);
    boolean startsWithInput = !layersIn.isEmpty() && LayerDicts.isInputLayer(layersIn.get(0));
    if (configIn.isObject()) {
      for (Map.Entry<String, JsonNode> e : configIn.properties()) {
        String key = e.getKey();
        // Sequential.from_config reads neither trainable nor dtype, in either generation; a
        // build_input_shape is redundant once the first layer is an InputLayer.
        boolean dropped = key.equals("trainable") || key.equals("dtype")
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
    Nodes nodes = new Nodes(byName, where);
    ArrayNode layers = F.arrayNode();
    for (JsonNode layerIn : layersNode) {
      String name = LayerDicts.name(layerIn);
      Where child = where.child(name);
      ObjectNode layer = layer((ObjectNode) layerIn, child, Scope.MEMBER);
      layer.put("name", name);
      String cls = layerIn.path("class_name").asText();
      ArrayNode inbound = F.arrayNode();
      for (JsonNode node : layerIn.path("inbound_nodes")) {
        inbound.add(node.isArray() ? node.deepCopy() : nodes.node(node, cls, child));
      }
      layer.set("inbound_nodes", inbound);
      layers.add(layer);
    }
    ObjectNode config = F.objectNode();
    config.set("name", configIn.has("name") ? configIn.get("name").deepCopy() : F.textNode("model"));
    config.set("trainable", configIn.has("trainable") ? configIn.get("trainable").deepCopy()
        : F.booleanNode(true));
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
   * A nested Functional's build_config as tf-keras writes it: the shapes of its first call's
   * input. Keras 3 writes {@code {"input_shape": null}} (it never needs it: a Functional is built
   * when constructed), but its first call's tensors carry the shapes.
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

  /** Translation of the references a functional config makes to layer outputs. */
  private static final class Nodes {
    private final Map<String, JsonNode> byName;
    private final Where where;

    Nodes(Map<String, JsonNode> byName, Where where) {
      this.byName = byName;
      this.where = where;
    }

    /**
     * One Keras 3 call {@code {"args": [...], "kwargs": {...}}} as tf-keras's list of {@code
     * [name, node, tensor, kwargs]} entries: the first argument keeps its structure, later
     * positional arguments become keywords named after the layer's call signature.
     */
    JsonNode node(JsonNode data, String cls, Where at) throws ModelFormatException {
      JsonNode args = data.path("args");
      if (!args.isArray() || args.isEmpty()) {
        throw at.unsupported(cls, "inbound_nodes",
            "the layer was called without a positional input; tf-keras needs one");
      }
      ObjectNode kwargs = F.objectNode();
      List<String> names = KerasCatalog.CALL_ARGUMENTS_AFTER_FIRST.get(cls);
      for (int i = 1; i < args.size(); i++) {
        if (names == null || i - 1 >= names.size()) {
          throw at.unsupported(cls, "inbound_nodes", "the call passes " + args.size()
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
      throw at.unsupported("layer call", "inbound_nodes", "first argument " + arg
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
      int node = history.get(1).asInt() + (LayerDicts.keras2CountsOwnNode(producer) ? 1 : 0);
      return F.arrayNode().add(name).add(node).add(history.get(2).asInt());
    }

    /** A model's input_layers/output_layers: tf-keras always writes a list, counting own nodes. */
    JsonNode modelRefs(JsonNode refs, boolean keras3Form) throws ModelFormatException {
      if (refs == null) {
        return F.arrayNode();
      }
      if (LayerDicts.isTensorRef(refs)) {
        return F.arrayNode().add(modelRef(refs, keras3Form));
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

    private JsonNode modelRef(JsonNode ref, boolean keras3Form) throws ModelFormatException {
      ArrayNode out = ref.deepCopy();
      JsonNode producer = byName.get(ref.get(0).asText());
      if (producer == null) {
        throw where.malformed("model input/output refers to unknown layer '"
            + ref.get(0).asText() + "'");
      }
      if (keras3Form && LayerDicts.isSequential(producer)
          && LayerDicts.keras2CountsOwnNode(producer)) {
        out.set(1, F.numberNode(ref.get(1).asInt() + 1));
      }
      return out;
    }
  }
}
