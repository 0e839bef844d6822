package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.UnsupportedModelException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Keras 2 model config ({@link ConfigTranslator#toKeras2}) in the form DL4J's {@code
 * KerasModelImport} reads. It differs from the portable form where DL4J reads less than tf-keras
 * (each found on the bundled models, Dl4jForRuntimeIT):
 *
 * <ul>
 *   <li>a single model input or output is a one-element list ({@code [["image", 0, 0]]}), as
 *       tf-keras writes it; DL4J casts each entry to a list ("String cannot be cast to List");
 *   <li>the input layers come first in the layer list, in {@code input_layers} order: DL4J takes
 *       the inputs' shapes in layer-list order and gave one input the other's width;
 *   <li>an Embedding has an {@code input_length} (from the input layer feeding it, else null): DL4J
 *       requires the key ("config missing input_length field");
 *   <li>in a Sequential model with a DepthwiseConv2D, each layer names the one before it in {@code
 *       inbound_nodes}: DL4J finds the DepthwiseConv2D's input channels through them ({@link
 *       Dl4jDepthwiseInput}, which also says where it cannot);
 *   <li>an Orthogonal initializer has a {@code gain} (Keras 3 omits it at 1): DL4J reads it
 *       unconditionally (NullPointerException); {@code silu} is written {@code swish}, the name
 *       DL4J knows for the same function.
 * </ul>
 *
 * <p>Layers DL4J maps no class to or fails on (an Identity initializer of gain 1 included), nested
 * models (DL4J imports none), shared layers (DL4J builds each layer once: "cycle detected in
 * graph"), image layers of a file saved with the Theano backend (DL4J builds them channels-first),
 * a Dense model output applied to a sequence (DL4J flattens it step-major) and Lambda code are
 * refused before writing, all of them in one line ({@code name (Class): why; ...}), located at the
 * first.
 */
final class Dl4jForm {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private Dl4jForm() {}

  /** A layer DL4J cannot import, and why. */
  private record Refusal(Where where, String name, String className, String why) {
    String text() {
      return name + " (" + className + "): " + why;
    }
  }

  /**
   * @param backend the file's Keras backend (its HDF5 {@code backend} attribute), or null
   */
  static ObjectNode of(JsonNode keras2Model, String backend) throws UnsupportedModelException {
    ObjectNode out = keras2Model.deepCopy();
    Where top = Where.top(LayerDicts.name(out));
    JsonNode config = out.path("config");
    JsonNode layers = config.isArray() ? config : config.path("layers");
    List<Refusal> refused = new ArrayList<>();
    boolean sequential = "Sequential".equals(out.path("class_name").asText());
    boolean depthwise = false;
    Set<String> outputs = outputNames(config, layers, sequential);
    for (JsonNode layer : layers) {
      check(layer, top.child(LayerDicts.name(layer)), refused);
      if ("theano".equals(backend) && layer.path("config").has("data_format")) {
        // DL4J's KerasLayerUtils.getDimOrderFromConfig reads the backend before data_format; the
        // layers are then built for channels-first shapes and the weights copied past their end
        refused.add(
            new Refusal(
                top.child(LayerDicts.name(layer)),
                LayerDicts.name(layer),
                layer.path("class_name").asText(),
                "data_format "
                    + layer.path("config").path("data_format").asText()
                    + " in a file of backend theano, which DL4J's import builds channels-first"
                    + " (corpus k2-conv2d-reshape-theano.h5: 1086 parameters for Keras's 1950,"
                    + " then a JVM crash, heap corrupted)"));
      }
      if ("Dense".equals(layer.path("class_name").asText())
          && outputs.contains(LayerDicts.name(layer))
          && Dl4jShapeRules.sequence(layer, layers, sequential)) {
        refused.add(
            new Refusal(
                top.child(LayerDicts.name(layer)),
                LayerDicts.name(layer),
                "Dense",
                "a model output applied to a sequence, which DL4J returns as [batch * steps,"
                    + " units] in step-major order (corpus tfk1-embedding-dense.h5: [10, 4] for"
                    + " Keras's [2, 5, 4], 0.122 off)"));
      }
      if ("DepthwiseConv2D".equals(layer.path("class_name").asText())) {
        depthwise = true;
        String why = Dl4jDepthwiseInput.refusal(layer, layers, sequential);
        if (why != null) {
          refused.add(
              new Refusal(
                  top.child(LayerDicts.name(layer)),
                  LayerDicts.name(layer),
                  "DepthwiseConv2D",
                  why));
        }
      }
      String shapeRule = Dl4jShapeRules.refusal(layer, layers, sequential);
      if (shapeRule != null) {
        refused.add(
            new Refusal(
                top.child(LayerDicts.name(layer)),
                LayerDicts.name(layer),
                layer.path("class_name").asText(),
                shapeRule));
      }
      if (layer.path("inbound_nodes").size() > 1) {
        Where at = top.child(LayerDicts.name(layer));
        refused.add(
            new Refusal(
                at,
                LayerDicts.name(layer),
                layer.path("class_name").asText(),
                "a shared layer (called "
                    + layer.path("inbound_nodes").size()
                    + " times), which DL4J's import builds once (\"cycle detected in graph\")"));
      }
    }
    if (!refused.isEmpty()) {
      List<String> texts = refused.stream().map(Refusal::text).toList();
      throw new UnsupportedModelException(
          null,
          refused.get(0).where().layerPath(),
          "DL4J cannot import "
              + (refused.size() == 1 ? "this layer: " : refused.size() + " layers: ")
              + String.join("; ", texts));
    }
    if (config instanceof ObjectNode c) {
      for (String key : new String[] {"input_layers", "output_layers"}) {
        JsonNode refs = c.get(key);
        if (refs != null && LayerDicts.isTensorRef(refs)) {
          c.set(key, F.arrayNode().add(refs));
        }
      }
      if (c.get("layers") instanceof ArrayNode list) {
        inputsFirst(list, c.path("input_layers"));
      }
    }
    for (JsonNode layer : config.isArray() ? config : config.path("layers")) {
      fill(layer, layers);
    }
    if (sequential && depthwise) {
      Dl4jDepthwiseInput.nameInbound(config.isArray() ? config : config.path("layers"));
    }
    return out;
  }

  /** The names of the layers whose output is a model output. */
  private static Set<String> outputNames(JsonNode config, JsonNode layers, boolean sequential) {
    Set<String> names = new HashSet<>();
    if (sequential) {
      if (layers.size() > 0) {
        names.add(LayerDicts.name(layers.get(layers.size() - 1)));
      }
      return names;
    }
    JsonNode refs = config.path("output_layers");
    if (LayerDicts.isTensorRef(refs)) {
      names.add(refs.path(0).asText());
    } else {
      refs.forEach(r -> names.add(r.path(0).asText()));
    }
    return names;
  }

  /** Moves the input layers to the front of the list, in {@code input_layers} order. */
  private static void inputsFirst(ArrayNode layers, JsonNode inputRefs) {
    List<JsonNode> inputs = new ArrayList<>();
    for (JsonNode ref : inputRefs) {
      for (JsonNode l : layers) {
        if (LayerDicts.isInputLayer(l) && LayerDicts.name(l).equals(ref.path(0).asText())) {
          inputs.add(l);
        }
      }
    }
    List<JsonNode> rest = new ArrayList<>();
    layers.forEach(
        l -> {
          if (!inputs.contains(l)) {
            rest.add(l);
          }
        });
    layers.removeAll();
    inputs.forEach(layers::add);
    rest.forEach(layers::add);
  }

  /** Adds the keys DL4J reads unconditionally. */
  private static void fill(JsonNode layer, JsonNode all) {
    if (!(layer.path("config") instanceof ObjectNode cfg)) {
      return;
    }
    if ("Embedding".equals(layer.path("class_name").asText())
        && cfg.path("input_length").isMissingNode()) {
      cfg.set("input_length", inputLength(layer, all));
    }
    for (var e : cfg.properties()) {
      JsonNode init = e.getValue();
      String cls = init.path("class_name").asText();
      if (e.getKey().endsWith("initializer")
          && init.path("config") instanceof ObjectNode ic
          && cls.equals("Orthogonal")
          && !ic.has("gain")) {
        ic.put("gain", 1.0);
      }
    }
    if ("silu".equals(cfg.path("activation").asText())) {
      // Keras 3's name of swish (x * sigmoid(x)); DL4J knows only "swish"
      cfg.put("activation", "swish");
    }
    if (cfg.path("layer").isObject()) {
      fill(cfg.get("layer"), all);
    }
  }

  /** The sequence length of the input layer feeding an Embedding, or null. */
  private static JsonNode inputLength(JsonNode embedding, JsonNode all) {
    JsonNode shape = embedding.path("config").path("batch_input_shape");
    if (shape.size() == 2 && shape.get(1).isIntegralNumber()) {
      return shape.get(1);
    }
    String from = embedding.path("inbound_nodes").path(0).path(0).path(0).asText(null);
    int i = 0;
    for (JsonNode l : all) {
      boolean feeds = from != null ? LayerDicts.name(l).equals(from) : i++ == 0;
      JsonNode s = l.path("config").path("batch_input_shape");
      if (feeds && LayerDicts.isInputLayer(l) && s.size() == 2 && s.get(1).isIntegralNumber()) {
        return s.get(1);
      }
    }
    return F.nullNode();
  }

  private static void check(JsonNode layer, Where where, List<Refusal> refused) {
    String cls = layer.path("class_name").asText();
    String name = LayerDicts.name(layer);
    if (KerasCatalog.isModelClass(cls)) {
      refused.add(
          new Refusal(where, name, cls, "a nested model, which DL4J's Keras import does not read"));
      return;
    }
    if ("Lambda".equals(cls)) {
      refused.add(
          new Refusal(
              where,
              name,
              cls,
              "Python code, imported only where the Java program"
                  + " registers an implementation (KerasLayer.registerLambdaLayer)"));
      return;
    }
    if (!Dl4jCatalog.LAYERS.contains(cls)) {
      refused.add(new Refusal(where, name, cls, "no DL4J layer for this class"));
      return;
    }
    if (Dl4jCatalog.FAILS.containsKey(cls)) {
      refused.add(new Refusal(where, name, cls, Dl4jCatalog.FAILS.get(cls)));
      return;
    }
    for (var e : layer.path("config").properties()) {
      JsonNode init = e.getValue();
      if (e.getKey().endsWith("initializer")
          && "Identity".equals(init.path("class_name").asText())
          && init.path("config").path("gain").asDouble(1.0) == 1.0) {
        refused.add(
            new Refusal(
                where,
                name,
                cls,
                e.getKey()
                    + " = Identity(gain=1.0), on which"
                    + " DL4J's import fails (\"Error getting Keras weight initialization\")"));
        return;
      }
    }
    JsonNode inner = layer.path("config").path("layer");
    if (inner.isObject()) {
      String innerClass = inner.path("class_name").asText();
      Where at = where.child(LayerDicts.name(inner));
      if ("Bidirectional".equals(cls) && !Dl4jCatalog.BIDIRECTIONAL_INNER.contains(innerClass)) {
        refused.add(
            new Refusal(
                at,
                name,
                cls + "(" + innerClass + ")",
                "DL4J's Bidirectional wraps only LSTM and SimpleRNN"));
        return;
      }
      check(inner, at, refused);
    }
  }
}
