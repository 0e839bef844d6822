package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.ModelFormatException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keras 2 model config to Keras 3 form. One instance per call; the input is never modified.
 *
 * <p>Every rule was checked against what Keras 3.12 writes for the same model and against what its
 * loader accepts (see ConfigTranslator). Forms already in Keras 3 shape are kept, so translating a
 * Keras 3 config only adds what a Keras 3 legacy {@code .h5} leaves out.
 */
final class Keras3Translation {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** Where a layer sits: Keras 3 derives some fields from the context. */
  private enum Scope {
    TOP,
    MEMBER,
    NESTED,
    BIDIRECTIONAL_INNER
  }

  private Keras3Translation() {}

  /** Translates a whole model config. */
  static ObjectNode model(JsonNode in) throws ModelFormatException {
    if (!in.isObject()) {
      throw Where.top(null).malformed("a model config must be a JSON object");
    }
    return new Keras3Translation()
        .layer((ObjectNode) in, Where.top(LayerDicts.name(in)), Scope.TOP);
  }

  private ObjectNode layer(ObjectNode in, Where where, Scope scope) throws ModelFormatException {
    String cls = LayerDicts.className(in, where);
    if (KerasCatalog.KERAS1_LAYERS.contains(cls)) {
      throw where.unsupported(cls, null, "a Keras 1 layer; Keras 1 configs are not translated");
    }
    if (isUserCode(in, cls)) {
      return in.deepCopy();
    }
    if ("ThresholdedReLU".equals(cls)) {
      return layer(ThresholdedRelu.asRelu(in, where), where, scope);
    }
    if (KerasCatalog.ONE_FORMAT_ONLY.containsKey(cls)) {
      throw where.unsupported(cls, null, KerasCatalog.ONE_FORMAT_ONLY.get(cls));
    }
    String reason = KerasCatalog.KERAS2_ONLY_LAYERS.get(cls);
    if (reason != null) {
      throw where.unsupported(cls, null, reason);
    }
    if ("Sequential".equals(cls)) {
      return sequential(in, where, scope);
    }
    if (("Functional".equals(cls) || "Model".equals(cls)) && in.path("config").has("layers")) {
      return functional(in, where);
    }
    boolean sync = "SyncBatchNormalization".equals(cls);
    if (sync) {
      cls = "BatchNormalization";
    }
    if (!KerasCatalog.COMMON_LAYERS.contains(cls)) {
      // Unknown to both generations' built-ins (a subclassed model, a layer from another
      // package): carried as written, for the user's own code to load.
      return in.deepCopy();
    }
    ObjectNode configIn = LayerDicts.config(in, where, cls);
    ObjectNode out = F.objectNode();
    out.put("module", "keras.layers");
    out.put("class_name", cls);
    out.set("config", layerConfig(cls, configIn, in, where, scope, sync));
    out.putNull("registered_name");
    JsonNode build = buildConfig(cls, configIn, in);
    if (build != null) {
      out.set("build_config", build);
    }
    copyEntryKeys(in, out);
    return out;
  }

  /** Custom code: a module outside Keras, or a registered name other than the class name. */
  private static boolean isUserCode(JsonNode in, String cls) {
    String module = in.path("module").asText(null);
    if (module != null && !ObjectSpecs.isKerasModule(module)) {
      return true;
    }
    JsonNode registered = in.get("registered_name");
    return registered != null && !registered.isNull() && !registered.asText().equals(cls);
  }

  private static void copyEntryKeys(JsonNode in, ObjectNode out) {
    for (String key : List.of("shared_object_id", "name")) {
      if (in.has(key)) {
        out.set(key, in.get(key).deepCopy());
      }
    }
  }

  // ---- layer configs -------------------------------------------------------------------------

  private ObjectNode layerConfig(
      String cls, ObjectNode in, JsonNode entry, Where where, Scope scope, boolean sync)
      throws ModelFormatException {
    boolean inputLayer = "InputLayer".equals(cls);
    boolean dtypeName = KerasCatalog.KERAS3_DTYPE_NAME_LAYERS.contains(cls);
    ObjectNode out = F.objectNode();
    for (Map.Entry<String, JsonNode> e : in.properties()) {
      String key = e.getKey();
      JsonNode v = e.getValue();
      switch (key) {
        case "dtype" ->
            out.set(key, dtypeName ? ObjectSpecs.dtypeName(v) : ObjectSpecs.dtypeToKeras3(v));
        case "batch_input_shape" -> {
          // Keras 3 takes the model input from an InputLayer only; a Sequential whose first
          // layer carried it has been given one already (see sequential()).
          if (inputLayer) {
            out.set("batch_shape", v.deepCopy());
          }
        }
        case "layer", "backward_layer" ->
            out.set(
                key,
                nested(
                    v,
                    where,
                    "Bidirectional".equals(cls) ? Scope.BIDIRECTIONAL_INNER : Scope.NESTED));
        case "cell", "cells" -> out.set(key, nested(v, where, Scope.NESTED));
        case "activation", "recurrent_activation" -> out.set(key, activation(v, where));
        default -> {
          ObjectSpecs.Kind kind = ObjectSpecs.Kind.ofKey(key);
          out.set(key, kind != null ? ObjectSpecs.toKeras3(kind, v, where, key) : v.deepCopy());
        }
      }
    }
    applyRules(cls, out, where);
    switch (cls) {
      case "BatchNormalization" -> batchNormalization(out, where, sync);
      case "LeakyReLU" -> {
        if (out.has("alpha") && !out.has("negative_slope")) {
          LayerDicts.replaceContent(out, LayerDicts.withKeyRenamed(out, "alpha", "negative_slope"));
        }
      }
      case "Lambda" -> lambda(out);
      case "Bidirectional" -> bidirectional(out, entry.path("build_config"));
      case "MultiHeadAttention" -> {
        out.remove("query_shape");
        out.remove("key_shape");
        out.remove("value_shape");
      }
      default -> {}
    }
    if (KerasCatalog.RECURRENT_LAYERS.contains(cls) && !out.has("zero_output_for_mask")) {
      // Keras 3's Bidirectional forces it to return_sequences on both directions.
      boolean value =
          scope == Scope.BIDIRECTIONAL_INNER && out.path("return_sequences").asBoolean(false);
      out.put("zero_output_for_mask", value);
    }
    if (KerasCatalog.HAS_IMPLEMENTATION.contains(cls)) {
      // Only picks the kernel schedule (1 = several small matmuls, 2 = one fused): same weights,
      // same maths. Keras 3 accepts it but chooses by itself and never writes it.
      out.remove("implementation");
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
    // A layer object used as an activation (tf-keras allows LeakyReLU() there); function names
    // are plain strings in both generations.
    String cls = v.path("class_name").asText();
    if (v.isObject()
        && (KerasCatalog.COMMON_LAYERS.contains(cls) || "ThresholdedReLU".equals(cls))) {
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
          if (v != null) {
            if (!SameValue.of(v, rule.value())) {
              throw where.unsupported(
                  cls, rule.key(), rule.key() + " = " + v + " has no Keras 3 equivalent");
            }
            cfg.remove(rule.key());
          }
        }
        case KERAS2_ONLY_INERT -> cfg.remove(rule.key());
        case KERAS3_ONLY, KERAS3_WRITTEN -> {
          if (v == null) {
            cfg.set(rule.key(), rule.value().deepCopy());
          }
        }
        case NULL_OMITTED_BY_KERAS3 -> {
          if (v != null && v.isNull()) {
            cfg.remove(rule.key());
          }
        }
        case KERAS3_OLD_RELEASES, KERAS3_NEWER_RELEASES -> {
          // Keras 3.12 rejects it; its default value changes nothing.
          if (v != null && SameValue.of(v, rule.value())) {
            cfg.remove(rule.key());
          }
        }
      }
    }
  }

  private static void batchNormalization(ObjectNode cfg, Where where, boolean sync)
      throws ModelFormatException {
    JsonNode axis = cfg.get("axis");
    if (axis != null && axis.isArray()) {
      // tf-keras stores the axis as a list once built; Keras 3 takes one int (its own legacy
      // loader does the same unwrapping).
      if (axis.size() != 1) {
        throw where.unsupported(
            "BatchNormalization",
            "axis",
            "Keras 3 normalises over exactly one axis, found " + axis);
      }
      cfg.put("axis", axis.get(0).asInt());
    }
    if (cfg.path("renorm").asBoolean(false)) {
      throw where.unsupported(
          "BatchNormalization", "renorm", "Keras 3 has no batch renormalization");
    }
    for (String key : List.of("virtual_batch_size", "adjustment")) {
      if (cfg.hasNonNull(key)) {
        throw where.unsupported("BatchNormalization", key, "Keras 3 has no " + key);
      }
    }
    for (String key :
        List.of(
            "renorm",
            "renorm_clipping",
            "renorm_momentum",
            "virtual_batch_size",
            "adjustment",
            "fused")) {
      cfg.remove(key);
    }
    if (!cfg.has("synchronized")) {
      cfg.put("synchronized", sync);
    }
  }

  /**
   * Keras 2 stored a Lambda's code as {@code [code, defaults, closure]} plus type keys; Keras 3
   * stores {@code {"class_name": "__lambda__", "config": {...}}}, the same restructuring Keras 3's
   * own legacy loader does. The code is copied, never run.
   */
  private static void lambda(ObjectNode cfg) {
    String functionType = cfg.path("function_type").asText("lambda");
    String module = cfg.path("module").asText(null);
    JsonNode function = cfg.get("function");
    if (function != null) {
      cfg.set("function", callable(function, functionType, module));
    }
    String shapeType = cfg.path("output_shape_type").asText("raw");
    JsonNode outputShape = cfg.get("output_shape");
    if (outputShape != null && outputShape.isNull()) {
      cfg.remove("output_shape");
    } else if (outputShape != null && !"raw".equals(shapeType)) {
      cfg.set(
          "output_shape",
          callable(outputShape, shapeType, cfg.path("output_shape_module").asText(null)));
    }
    for (String key :
        List.of("function_type", "module", "output_shape_type", "output_shape_module")) {
      cfg.remove(key);
    }
  }

  private static JsonNode callable(JsonNode value, String type, String module) {
    if ("lambda".equals(type) && value.isArray() && value.size() == 3) {
      ObjectNode config = F.objectNode();
      config.set("code", value.get(0).deepCopy());
      config.set("defaults", value.get(1).deepCopy());
      config.set("closure", value.get(2).deepCopy());
      ObjectNode out = F.objectNode();
      out.put("class_name", "__lambda__");
      out.set("config", config);
      return out;
    }
    if ("function".equals(type) && value.isTextual()) {
      // What Keras 3 writes for a named function; loading needs it registered either way.
      ObjectNode out = F.objectNode();
      out.put("module", module == null ? "builtins" : module);
      out.put("class_name", "function");
      out.set("config", value.deepCopy());
      out.put("registered_name", "function");
      return out;
    }
    return value.deepCopy();
  }

  /**
   * Keras 3 names the forward copy {@code forward_<name>} and always writes the backward layer,
   * derived from the forward one, as tf-keras did implicitly: go_backwards flipped, named {@code
   * backward_<name>}. Both carry the wrapper's input shape as their build_config.
   */
  private static void bidirectional(ObjectNode cfg, JsonNode wrapperBuild) {
    JsonNode forward = cfg.get("layer");
    if (forward == null || !forward.path("config").isObject()) {
      return;
    }
    ObjectNode fwdConfig = (ObjectNode) forward.get("config");
    String base = stripPrefix(fwdConfig.path("name").asText(""), "forward_");
    fwdConfig.put("name", "forward_" + base);
    JsonNode shape = wrapperBuild.get("input_shape");
    if (shape != null && !shape.isNull() && forward.isObject() && !forward.has("build_config")) {
      ((ObjectNode) forward)
          .set("build_config", F.objectNode().set("input_shape", shape.deepCopy()));
    }
    if (!cfg.has("backward_layer")) {
      ObjectNode backward = ((ObjectNode) forward).deepCopy();
      ObjectNode bwdConfig = (ObjectNode) backward.get("config");
      bwdConfig.put("name", "backward_" + base);
      bwdConfig.put("go_backwards", !fwdConfig.path("go_backwards").asBoolean(false));
      cfg.set("backward_layer", backward);
    }
  }

  static String stripPrefix(String name, String prefix) {
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
  }

  /**
   * The layer's build_config. MultiHeadAttention is built from three shapes: tf-keras kept them in
   * the config ({@code query_shape}...) and its build_config holds only the query's, which Keras
   * 3's {@code build(query_shape, value_shape)} cannot take; Keras 3 writes {@code shapes_dict}.
   */
  private static JsonNode buildConfig(String cls, ObjectNode configIn, JsonNode entry) {
    JsonNode build = entry.get("build_config");
    if ("MultiHeadAttention".equals(cls) && configIn.has("query_shape")) {
      JsonNode query = configIn.get("query_shape");
      JsonNode value = configIn.get("value_shape");
      JsonNode key = configIn.get("key_shape");
      if (query == null || query.isNull() || value == null || value.isNull()) {
        return null;
      }
      ObjectNode shapes = F.objectNode();
      shapes.set("query_shape", query.deepCopy());
      shapes.set("value_shape", value.deepCopy());
      if (key != null && !key.isNull() && (callPassesKey(entry) || !SameValue.of(key, value))) {
        shapes.set("key_shape", key.deepCopy());
      }
      return F.objectNode().set("shapes_dict", shapes);
    }
    return build == null ? null : build.deepCopy();
  }

  private static boolean callPassesKey(JsonNode entry) {
    JsonNode first = entry.path("inbound_nodes").path(0);
    if (first.isArray()) {
      JsonNode e = first.path(0);
      return e.isArray() && e.size() == 4 && e.get(3).has("key");
    }
    return first.path("args").size() >= 3 || first.path("kwargs").has("key");
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
    JsonNode inputShape = null;
    if (!layersIn.isEmpty()) {
      JsonNode first = layersIn.get(0);
      JsonNode firstConfig = first.path("config");
      if (LayerDicts.isInputLayer(first)) {
        inputShape =
            firstConfig.has("batch_input_shape")
                ? firstConfig.get("batch_input_shape")
                : firstConfig.get("batch_shape");
      } else if (firstConfig.hasNonNull("batch_input_shape")) {
        // A Keras 2 Sequential could start without an InputLayer, the first layer carrying the
        // input shape. Keras 3 rejects batch_input_shape on other layers, and its legacy loader
        // turns it into input_shape including the batch axis, one rank too many; an explicit
        // InputLayer (what tf-keras itself creates, named <layer>_input) loads correctly.
        inputShape = firstConfig.get("batch_input_shape");
        layers.add(syntheticInput(first, inputShape));
      }
    }
    for (JsonNode layer : layersIn) {
      if (!layer.isObject()) {
        throw where.malformed("Sequential layer entry is not an object");
      }
      layers.add(layer((ObjectNode) layer, where.child(LayerDicts.name(layer)), Scope.MEMBER));
    }
    ObjectNode config = F.objectNode();
    config.put(
        "name", configIn.isObject() ? configIn.path("name").asText("sequential") : "sequential");
    config.set(
        "trainable",
        configIn.isObject() && configIn.has("trainable")
            ? configIn.get("trainable").deepCopy()
            : F.booleanNode(true));
    JsonNode dtype = configIn.isObject() ? configIn.get("dtype") : null;
    // Keras 3 writes the global policy here; Sequential.from_config ignores it.
    config.set(
        "dtype",
        dtype != null
            ? ObjectSpecs.dtypeToKeras3(dtype)
            : ObjectSpecs.dtypeToKeras3(F.textNode("float32")));
    config.set("layers", layers);
    JsonNode buildShape =
        configIn.isObject() && configIn.hasNonNull("build_input_shape")
            ? configIn.get("build_input_shape")
            : inputShape;
    if (buildShape != null && !buildShape.isNull()) {
      config.set("build_input_shape", buildShape.deepCopy());
    }
    if (configIn.isObject()) {
      for (Map.Entry<String, JsonNode> e : configIn.properties()) {
        if (!config.has(e.getKey())) {
          config.set(e.getKey(), e.getValue().deepCopy());
        }
      }
    }
    ObjectNode out = F.objectNode();
    out.put("module", "keras");
    out.put("class_name", "Sequential");
    out.set("config", config);
    out.putNull("registered_name");
    if (in.has("build_config")) {
      out.set("build_config", in.get("build_config").deepCopy());
    } else if (scope == Scope.TOP && buildShape != null && !buildShape.isNull()) {
      out.set("build_config", F.objectNode().set("input_shape", buildShape.deepCopy()));
    }
    copyEntryKeys(in, out);
    return out;
  }

  private static ObjectNode syntheticInput(JsonNode first, JsonNode shape) {
    JsonNode firstConfig = first.path("config");
    JsonNode dtype = firstConfig.get("dtype");
    String variableDtype = "float32";
    if (dtype != null && dtype.isTextual()) {
      variableDtype = dtype.asText();
    }
    ObjectNode config = F.objectNode();
    config.set("batch_shape", shape.deepCopy());
    config.put("dtype", variableDtype);
    config.put("sparse", false);
    config.put("ragged", false);
    String name = LayerDicts.name(first);
    config.put("name", (name == null ? "input" : name) + "_input");
    ObjectNode out = F.objectNode();
    out.put("module", "keras.layers");
    out.put("class_name", "InputLayer");
    out.set("config", config);
    out.putNull("registered_name");
    return out;
  }

  // ---- Functional ----------------------------------------------------------------------------

  private ObjectNode functional(ObjectNode in, Where where) throws ModelFormatException {
    ObjectNode configIn = LayerDicts.config(in, where, "Functional");
    JsonNode layersNode = configIn.get("layers");
    if (layersNode == null || !layersNode.isArray()) {
      throw where.malformed("Functional config has no \"layers\" list");
    }
    ArrayNode layersIn = (ArrayNode) layersNode;
    Map<String, JsonNode> byName = new HashMap<>();
    boolean listNodes = false;
    for (JsonNode layer : layersIn) {
      String name = LayerDicts.name(layer);
      if (name == null) {
        throw where.malformed("Functional layer entry has no name");
      }
      byName.put(name, layer);
      for (JsonNode node : layer.path("inbound_nodes")) {
        listNodes |= node.isArray();
      }
    }
    // Nested models whose calls the portable Keras 2 form records twice (see NestedCalls).
    Set<String> doubled = new HashSet<>();
    List<JsonNode> modelRefsIn =
        Arrays.asList(configIn.get("input_layers"), configIn.get("output_layers"));
    for (JsonNode layer : layersIn) {
      if (NestedCalls.doubled(layer, layersIn, modelRefsIn)) {
        doubled.add(LayerDicts.name(layer));
      }
    }
    Nodes nodes = new Nodes(byName, doubled, TensorFacts.ofKeras2Layers(layersIn), where);
    ArrayNode layers = F.arrayNode();
    for (JsonNode layerIn : layersIn) {
      String name = LayerDicts.name(layerIn);
      Where child = where.child(name);
      ObjectNode layer = layer((ObjectNode) layerIn, child, Scope.MEMBER);
      layer.put("name", name);
      ArrayNode inbound = F.arrayNode();
      String cls = layerIn.path("class_name").asText();
      int index = 0;
      for (JsonNode node : layerIn.path("inbound_nodes")) {
        if (doubled.contains(name) && index++ % 2 == 1) {
          continue; // the copy of the call before it
        }
        inbound.add(node.isObject() ? node.deepCopy() : nodes.node(node, cls, child));
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
    config.set("input_layers", nodes.modelRefs(configIn.get("input_layers"), listNodes));
    config.set("output_layers", nodes.modelRefs(configIn.get("output_layers"), listNodes));
    for (Map.Entry<String, JsonNode> e : configIn.properties()) {
      if (!config.has(e.getKey())) {
        config.set(e.getKey(), e.getValue().deepCopy());
      }
    }
    ObjectNode out = F.objectNode();
    out.put("module", "keras.src.models.functional");
    out.put("class_name", "Functional");
    out.set("config", config);
    out.put("registered_name", "Functional");
    if (in.has("build_config")) {
      out.set("build_config", in.get("build_config").deepCopy());
    }
    copyEntryKeys(in, out);
    return out;
  }

  /** Translation of the references a functional config makes to layer outputs. */
  private static final class Nodes {
    private final Map<String, JsonNode> byName;
    private final Set<String> doubled;
    private final TensorFacts facts;
    private final Where where;

    Nodes(Map<String, JsonNode> byName, Set<String> doubled, TensorFacts facts, Where where) {
      this.byName = byName;
      this.doubled = doubled;
      this.facts = facts;
      this.where = where;
    }

    /** The call (from 0) that Keras 2 node {@code node} of layer {@code name} is. */
    private int call(String name, JsonNode producer, int node) {
      if (doubled.contains(name)) {
        return NestedCalls.callOfPortableNode(node);
      }
      return LayerDicts.keras2CountsOwnNode(producer) ? node - 1 : node;
    }

    /**
     * One Keras 2 call {@code [[name, node, tensor, kwargs], ...]} as Keras 3's {@code {"args":
     * [...], "kwargs": {...}}}. tf-keras wrote the first argument's structure with the keyword
     * arguments repeated on every entry, and any further positional argument as a keyword.
     */
    ObjectNode node(JsonNode data, String cls, Where at) throws ModelFormatException {
      JsonNode firstEntry = firstEntry(data);
      if (firstEntry == null) {
        throw at.malformed("inbound node " + data + " names no layer output");
      }
      JsonNode arg =
          (data.isArray() && data.size() == 1 && LayerDicts.isNodeEntry(data.get(0)))
              ? tensor(data.get(0), at)
              : structure(data, at);
      ArrayNode args = F.arrayNode().add(arg);
      ObjectNode kwargs = F.objectNode();
      if (firstEntry.size() == 4) {
        for (Map.Entry<String, JsonNode> e : firstEntry.get(3).properties()) {
          kwargs.set(e.getKey(), value(e.getValue(), at));
        }
      }
      if ("MultiHeadAttention".equals(cls)) {
        // Keras 3 records mha(query, value, key) positionally, as the model called it.
        for (String name : KerasCatalog.ATTENTION_POSITIONAL) {
          if (!kwargs.has(name)
              || args.size() != 1 + KerasCatalog.ATTENTION_POSITIONAL.indexOf(name)) {
            break;
          }
          args.add(kwargs.remove(name));
        }
      }
      ObjectNode out = F.objectNode();
      out.set("args", args);
      out.set("kwargs", kwargs);
      return out;
    }

    private static JsonNode firstEntry(JsonNode data) {
      if (LayerDicts.isNodeEntry(data)) {
        return data;
      }
      if (data.isArray() || data.isObject()) {
        for (JsonNode child : data) {
          JsonNode found = firstEntry(child);
          if (found != null) {
            return found;
          }
        }
      }
      return null;
    }

    private JsonNode structure(JsonNode data, Where at) throws ModelFormatException {
      if (LayerDicts.isNodeEntry(data)) {
        return tensor(data, at);
      }
      if (data.isArray()) {
        ArrayNode out = F.arrayNode();
        for (JsonNode child : data) {
          out.add(structure(child, at));
        }
        return out;
      }
      if (data.isObject()) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : data.properties()) {
          out.set(e.getKey(), structure(e.getValue(), at));
        }
        return out;
      }
      throw at.malformed("inbound node holds " + data + " where a layer output was expected");
    }

    /** A keyword argument value: layer-output references become tensors, the rest is copied. */
    private JsonNode value(JsonNode v, Where at) throws ModelFormatException {
      if (LayerDicts.isTensorRef(v)) {
        return tensor(v, at);
      }
      if (v.isArray()) {
        ArrayNode out = F.arrayNode();
        for (JsonNode child : v) {
          out.add(value(child, at));
        }
        return out;
      }
      if (v.isObject()) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
          out.set(e.getKey(), value(e.getValue(), at));
        }
        return out;
      }
      return v.deepCopy();
    }

    private ObjectNode tensor(JsonNode ref, Where at) throws ModelFormatException {
      String name = ref.get(0).asText();
      int node = ref.get(1).asInt();
      int index = ref.get(2).asInt();
      JsonNode producer = byName.get(name);
      if (producer == null) {
        throw at.malformed("inbound node refers to unknown layer '" + name + "'");
      }
      int keras3Node = call(name, producer, node);
      if (keras3Node < 0) {
        throw at.malformed(
            "inbound node refers to call "
                + node
                + " of nested model '"
                + name
                + "', which tf-keras reserves for the model's own node");
      }
      ObjectNode config = F.objectNode();
      config.set("shape", facts.shape(name, node, index));
      config.put("dtype", facts.dtype(name));
      config.set("keras_history", F.arrayNode().add(name).add(keras3Node).add(index));
      ObjectNode out = F.objectNode();
      out.put("class_name", "__keras_tensor__");
      out.set("config", config);
      return out;
    }

    /**
     * A model's input_layers/output_layers. Keras 3 writes a single tensor flat ({@code ["x", 0,
     * 0]}, tf-keras always wrapped it in a list) and, unlike tf-keras, does not count a nested
     * Sequential's own node; it does count a nested Functional's, as tf-keras did.
     */
    JsonNode modelRefs(JsonNode refs, boolean keras2Form) throws ModelFormatException {
      if (refs == null) {
        return F.arrayNode();
      }
      if (refs.isArray() && refs.size() == 1 && LayerDicts.isTensorRef(refs.get(0)) && keras2Form) {
        return modelRef(refs.get(0), keras2Form);
      }
      return modelRefStructure(refs, keras2Form);
    }

    private JsonNode modelRefStructure(JsonNode refs, boolean keras2Form)
        throws ModelFormatException {
      if (LayerDicts.isTensorRef(refs)) {
        return modelRef(refs, keras2Form);
      }
      if (refs.isArray()) {
        ArrayNode out = F.arrayNode();
        for (JsonNode child : refs) {
          out.add(modelRefStructure(child, keras2Form));
        }
        return out;
      }
      if (refs.isObject()) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : refs.properties()) {
          out.set(e.getKey(), modelRefStructure(e.getValue(), keras2Form));
        }
        return out;
      }
      return refs.deepCopy();
    }

    private JsonNode modelRef(JsonNode ref, boolean keras2Form) throws ModelFormatException {
      ArrayNode out = ref.deepCopy();
      JsonNode producer = byName.get(ref.get(0).asText());
      if (producer == null) {
        throw where.malformed(
            "model input/output refers to unknown layer '" + ref.get(0).asText() + "'");
      }
      if (keras2Form && LayerDicts.keras2CountsOwnNode(producer)) {
        // Keras 3 counts a nested Functional's calls from 1 here, a Sequential's from 0.
        int k = call(ref.get(0).asText(), producer, ref.get(1).asInt());
        out.set(1, F.numberNode(LayerDicts.isSequential(producer) ? k : k + 1));
      }
      return out;
    }
  }
}
