package dev.initkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One layer of a model, in model order, with its weights in Keras's positional order ({@code
 * layer.weights}: trainable then non-trainable).
 *
 * <p>A nested model (a Sequential or Functional used as a layer) has {@code children}; its weights
 * live on the children. Wrappers (Bidirectional, TimeDistributed) keep the wrapped layer's weights
 * on themselves, as Keras stores them.
 *
 * @param name the layer name from the config (or the file when there is no config)
 * @param className the Keras class name, e.g. {@code Dense}; "" when unknown (weights-only files)
 * @param config the layer's {@code config} object as written, or a JSON null; {@link #config()}
 *     hands out a copy, so a caller's change never reaches this layer, its model or anything
 *     written
 * @param weights weights in Keras order
 * @param children layers of a nested model, else empty
 */
public record Layer(
    String name, String className, JsonNode config, List<Weight> weights, List<Layer> children) {
  static {
    ConfigAccess.install(); // initkit's own code reads configs in place (internal.ConfigViews)
  }

  public Layer {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(className, "className");
    config = config == null ? NullNode.getInstance() : config.deepCopy(); // the caller keeps theirs
    weights = List.copyOf(weights);
    children = List.copyOf(children);
  }

  /**
   * A copy of the layer's {@code config} object (Jackson trees are mutable: a change to what this
   * returns stays with the caller), or a JSON null.
   */
  @Override
  public JsonNode config() {
    return config.deepCopy();
  }

  /** The config as held, not a copy: for {@link ConfigAccess}, whose callers never change it. */
  JsonNode heldConfig() {
    return config;
  }

  /** True when this layer is a nested model. */
  public boolean isNestedModel() {
    return !children.isEmpty() || isModelClass(className);
  }

  /** True for Keras's model classes. */
  public static boolean isModelClass(String className) {
    return className.equals("Sequential")
        || className.equals("Functional")
        || className.equals("Model");
  }

  /**
   * This layer's weights and, depth first, those of its children: the nested model's weight order.
   */
  public List<Weight> allWeights() {
    List<Weight> out = new ArrayList<>(weights);
    for (Layer c : children) {
      out.addAll(c.allWeights());
    }
    return out;
  }

  /** The activation named in the config ({@code activation} key), or null. */
  public String activation() {
    return activationOf(config);
  }

  /**
   * The activation a layer config names ({@code activation} key), or null. Keras 3 may serialise it
   * as an object ({@code {"class_name": "ReLU", ...}}); its name is then returned.
   */
  public static String activationOf(JsonNode config) {
    JsonNode a = config.get("activation");
    if (a == null || a.isNull()) {
      return null;
    }
    if (a.isTextual()) {
      return a.asText();
    }
    JsonNode cn = a.get("class_name");
    if (cn != null && cn.isTextual()) {
      JsonNode inner = a.path("config").path("name");
      return inner.isTextual() ? inner.asText() : cn.asText();
    }
    return a.toString();
  }

  /** The {@code trainable} flag from the config (true when absent). */
  public boolean trainable() {
    JsonNode t = config.get("trainable");
    return t == null || !t.isBoolean() || t.asBoolean();
  }

  /** A copy with other weights. */
  public Layer withWeights(List<Weight> newWeights) {
    return new Layer(name, className, config, newWeights, children);
  }

  /** A copy with other children. */
  public Layer withChildren(List<Layer> newChildren) {
    return new Layer(name, className, config, weights, newChildren);
  }
}
