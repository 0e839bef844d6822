package dev.initkit.format.config;

import java.util.Locale;
import java.util.Objects;

/**
 * A place where a converted model computes something else than the original: the config translates
 * and the other generation loads it, but one of its layers means another function there.
 *
 * @param layerPath layer names from the outermost model's layers down, joined by {@code /} ({@code
 *     encoder/lstm_1}; a wrapped layer or cell adds its own name)
 * @param key the config key that names the activation ({@code activation}, {@code
 *     recurrent_activation})
 * @param activation the redefined activation
 * @param toKeras3 the direction of the conversion: to Keras 3, else to Keras 2
 */
public record MeaningChange(
    String layerPath, String key, RedefinedActivation activation, boolean toKeras3) {
  public MeaningChange {
    Objects.requireNonNull(layerPath, "layerPath");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(activation, "activation");
  }

  /** One line for the user: where, what each generation computes, and by how much it changes. */
  public String message() {
    return "layer " + layerPath + ": " + detail();
  }

  /** The message without the layer, for a report that names the layer by itself. */
  public String detail() {
    String from = toKeras3 ? "tf-keras/Keras 2" : "Keras 3";
    String to = toKeras3 ? "Keras 3" : "tf-keras/Keras 2";
    String fromMeans = toKeras3 ? activation.keras2() : activation.keras3();
    String toMeans = toKeras3 ? activation.keras3() : activation.keras2();
    return key
        + " "
        + activation.name()
        + " means "
        + toMeans
        + " in "
        + to
        + ", "
        + fromMeans
        + " in "
        + from
        + ": outputs of that activation change by up to "
        + String.format(Locale.ROOT, "%.3g", activation.maxChange());
  }
}
