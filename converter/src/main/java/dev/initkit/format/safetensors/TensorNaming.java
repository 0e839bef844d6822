package dev.initkit.format.safetensors;

import dev.initkit.model.Weight;

/**
 * Chooses the safetensors key of each weight a {@link SafetensorsWriter} writes. Implementations
 * are pure functions; two weights of one model must not get the same name (the writer refuses).
 */
@FunctionalInterface
public interface TensorNaming {
  /**
   * The key for {@code weight}.
   *
   * @param layerPath the layer's names from the top-level layer down, joined with {@code /} (as
   *     {@code inspect} shows them); {@code ""} for a model-level weight
   * @param layerName the layer's own name; {@code ""} for a model-level weight
   * @param weight the weight
   * @return a non-empty key
   */
  String name(String layerPath, String layerName, Weight weight);

  /**
   * Keras weight paths: the layer path, {@code /}, and the weight's name within its layer ({@code
   * dense/kernel}, {@code model_1/dense/bias}, {@code
   * bidirectional/forward_lstm/lstm_cell/kernel}): the weight's name without {@code :0} and without
   * the layer's own name in front (which the path already holds).
   */
  static TensorNaming kerasPaths() {
    return (layerPath, layerName, w) -> {
      String n = w.name();
      int colon = n.lastIndexOf(':');
      if (colon > 0 && n.substring(colon + 1).chars().allMatch(Character::isDigit)) {
        n = n.substring(0, colon);
      }
      if (!layerName.isEmpty() && n.startsWith(layerName + "/")) {
        n = n.substring(layerName.length() + 1);
      }
      return layerPath.isEmpty() ? n : layerPath + "/" + n;
    };
  }
}
