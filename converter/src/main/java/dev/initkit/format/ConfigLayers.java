package dev.initkit.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.keras.LayerFamily;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the layer list out of a Keras model config of any generation: Keras 1 and early Keras 2
 * Sequential ({@code "config": [layers]}), later Sequential ({@code "config": {"layers": [...]}})
 * and Functional/Model ({@code "config": {"layers": [{"name", "class_name", "config", ...}]}}).
 */
public final class ConfigLayers {
  private ConfigLayers() {}

  /** One layer entry of a model config. */
  public record Entry(String name, String className, JsonNode config, JsonNode raw) {}

  /** The model class of a model config object ({@code class_name}), or "". */
  public static String modelClass(JsonNode modelConfig) {
    return modelConfig.path("class_name").asText("");
  }

  /** True when this model config is Sequential. */
  public static boolean isSequential(JsonNode modelConfig) {
    return modelClass(modelConfig).equals("Sequential");
  }

  /**
   * The layer entries of a model config object ({@code {"class_name", "config"}}).
   *
   * @throws IllegalArgumentException naming the JSON field when the structure is not a model config
   */
  public static List<Entry> entries(JsonNode modelConfig) {
    JsonNode cfg = modelConfig.get("config");
    if (cfg == null) {
      throw new IllegalArgumentException("/config: missing");
    }
    JsonNode list = cfg.isArray() ? cfg : cfg.get("layers");
    if (list == null || !list.isArray()) {
      throw new IllegalArgumentException("/config/layers: expected a list of layers");
    }
    List<Entry> out = new ArrayList<>();
    int i = 0;
    for (JsonNode l : list) {
      if (!l.isObject()) {
        throw new IllegalArgumentException("/config/layers/" + i + ": expected an object");
      }
      String cls = l.path("class_name").asText("");
      JsonNode lc = l.path("config");
      String name = l.hasNonNull("name") ? l.get("name").asText() : lc.path("name").asText("");
      if (cls.isEmpty() || name.isEmpty()) {
        throw new IllegalArgumentException(
            "/config/layers/" + i + ": expected class_name and name");
      }
      out.add(new Entry(name, cls, lc, l));
      i++;
    }
    return out;
  }

  /**
   * True when a layer class is known to have no variables, used when weights must be matched by
   * order ({@link LayerFamily#isWeightless}).
   */
  public static boolean isWeightless(String className) {
    return LayerFamily.isWeightless(className);
  }
}
