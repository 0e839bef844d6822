package dev.initkit.transplant;

import dev.initkit.Hint;
import java.util.Locale;

/** How target layers find their source layers. */
public enum MatchStrategy {
  /**
   * By layer path (nested models' names joined by {@code /}), then by the class-derived path a
   * Keras 3 weights file uses ({@code conv2d_1}) when the source has no config, then by the bare
   * layer name when it is unique on both sides (a trunk nested in one model and flat in the other).
   */
  NAME,
  /** The i-th target layer that has weights takes the i-th such source layer. */
  ORDER,
  /**
   * In model order, each target layer takes the next unused source layer of the same class whose
   * weight shapes are the same (an inserted or removed layer is skipped over).
   */
  STRUCTURE,
  /** An explicit mapping file ({@link LayerMapping}). */
  MAPPING;

  /** The name in lower case, as {@link #parse} reads it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code name}, {@code order} or {@code structure} (a mapping comes with its file).
   *
   * @throws IllegalArgumentException naming the text otherwise, and {@link Hint#LAYER_MAPPING}
   */
  public static MatchStrategy parse(String text) {
    for (MatchStrategy s : values()) {
      if (s != MAPPING && s.label().equalsIgnoreCase(text.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown match strategy '"
            + text
            + "': expected name, order or structure"
            + " (or "
            + Hint.LAYER_MAPPING.apiName()
            + " for an explicit mapping)");
  }
}
