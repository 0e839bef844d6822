package dev.initkit.format.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the layers of a model config that a conversion to the other generation would make compute
 * something else ({@link RedefinedActivation}): the layer's own {@code activation}, an RNN's {@code
 * recurrent_activation}, an {@code Activation} layer, in every layer of nested models, wrappers
 * ({@code layer}, {@code backward_layer}), RNN cells ({@code cell}, {@code cells}) and layer
 * objects used as activations. Reads configs of either generation; never modifies them.
 */
final class MeaningChanges {
  private static final List<String> ACTIVATION_KEYS = List.of("activation", "recurrent_activation");
  private static final List<String> NESTED_KEYS =
      List.of("layer", "backward_layer", "cell", "cells", "layers");

  private final boolean toKeras3;
  private final List<MeaningChange> found = new ArrayList<>();

  private MeaningChanges(boolean toKeras3) {
    this.toKeras3 = toKeras3;
  }

  /** Every change of meaning in {@code model}, in config order. */
  static List<MeaningChange> of(JsonNode model, boolean toKeras3) {
    MeaningChanges walk = new MeaningChanges(toKeras3);
    JsonNode config = model.path("config");
    // the outermost model's name is not part of a layer path (as everywhere in initkit)
    walk.children(config.isArray() ? config : config.path("layers"), "");
    return List.copyOf(walk.found);
  }

  private void layer(JsonNode layer, String parent) {
    if (!layer.isObject()) {
      return;
    }
    String name = LayerDicts.name(layer);
    String path = parent.isEmpty() ? String.valueOf(name) : parent + "/" + name;
    JsonNode config = layer.path("config");
    if (config.isArray()) { // a Keras 2.0-2.2 Sequential: the config is the layer list
      children(config, path);
      return;
    }
    for (String key : ACTIVATION_KEYS) {
      JsonNode v = config.get(key);
      if (v == null) {
        continue;
      }
      if (v.isObject() && v.has("class_name") && v.path("config").isObject()) {
        layer(v, path); // a layer object used as the activation (tf-keras allows it)
        continue;
      }
      activationName(v)
          .flatMap(RedefinedActivation::of)
          .ifPresent(a -> found.add(new MeaningChange(path, key, a, toKeras3)));
    }
    for (String key : NESTED_KEYS) {
      JsonNode v = config.get(key);
      if (v != null) {
        children(v, path);
      }
    }
  }

  private void children(JsonNode v, String parent) {
    if (v.isArray()) {
      for (JsonNode item : v) {
        layer(item, parent);
      }
    } else if (v.isObject()) {
      layer(v, parent);
    }
  }

  /**
   * The name of a built-in activation: a string in both generations; Keras 3 may also write a
   * function reference {@code {"module": "keras.activations", "class_name": "function", "config":
   * "hard_sigmoid"}}.
   */
  private static Optional<String> activationName(JsonNode v) {
    if (v.isTextual()) {
      return Optional.of(v.asText());
    }
    if (v.isObject()
        && "function".equals(v.path("class_name").asText())
        && v.path("config").isTextual()
        && v.path("module").asText("").startsWith("keras")) {
      return Optional.of(v.get("config").asText());
    }
    return Optional.empty();
  }
}
