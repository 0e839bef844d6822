package dev.initkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * How a wrapper layer holds the layer it wraps: {@code TimeDistributed} and {@code Bidirectional}
 * keep the wrapped layer's {@code {class_name, config}} under {@code layer}; a {@code
 * Bidirectional} built with its own backward layer keeps that one under {@code backward_layer}.
 */
public final class Wrappers {
  public static final String BIDIRECTIONAL = "Bidirectional";
  public static final String TIME_DISTRIBUTED = "TimeDistributed";

  /** The key of the wrapped layer in a wrapper's config. */
  public static final String LAYER = "layer";

  /** The key of a Bidirectional's own backward layer in its config. */
  public static final String BACKWARD_LAYER = "backward_layer";

  /** Wrappers deeper than this are not followed. */
  static final int MAX_DEPTH = 8;

  private Wrappers() {}

  /** A layer's class and config object (a JSON null when unknown). */
  public record Wrapped(String className, JsonNode config) {}

  /** True when layers of this class wrap another layer. */
  public static boolean isWrapper(String className) {
    return LayerFamily.WRAPPER.contains(className);
  }

  /**
   * The layer entry ({@code {class_name, config}}) a wrapper's config holds under {@code key}
   * ({@link #LAYER} or {@link #BACKWARD_LAYER}), or null when it holds none with a class name.
   */
  public static JsonNode inner(JsonNode wrapperConfig, String key) {
    JsonNode inner = wrapperConfig == null ? null : wrapperConfig.get(key);
    return inner != null && inner.path("class_name").isTextual() ? inner : null;
  }

  /**
   * The innermost wrapped layer of a layer (the layer itself when it wraps none): {@code LSTM}
   * inside {@code Bidirectional}, {@code Dense} inside {@code TimeDistributed}. Follows {@link
   * #LAYER} only (the forward direction).
   */
  public static Wrapped unwrap(String className, JsonNode config) {
    String cls = className;
    JsonNode cfg = config == null ? NullNode.getInstance() : config;
    for (int depth = 0; depth < MAX_DEPTH && isWrapper(cls); depth++) {
      JsonNode inner = inner(cfg, LAYER);
      if (inner == null) {
        break;
      }
      cls = inner.get("class_name").asText();
      cfg = inner.path("config");
    }
    return new Wrapped(cls, cfg);
  }
}
