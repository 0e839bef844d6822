package dev.initkit.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.initkit.internal.ConfigViews;
import dev.initkit.internal.Json;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code inspect} shows about a model, computed from its description alone (never from weight
 * values): the layers flattened depth first with their nesting, weights, parameter counts and
 * initializer configs as written. Immutable once built. Rendered by {@link ModelDescriptionText}
 * and {@link ModelDescriptionJson} (the {@code initkit inspect} output).
 */
public final class ModelDescription {
  /**
   * Metadata the readers keep for the writers' bookkeeping, not facts about the model: the Keras 3
   * weights group listing (large, and derived from the weights shown anyway).
   */
  private static final Set<String> HIDDEN_METADATA = Set.of("keras3.groups");

  /** Keras 1 initializer keys; later versions all end in {@code _initializer}. */
  private static final Set<String> KERAS1_INIT_KEYS =
      Set.of("init", "inner_init", "forget_bias_init");

  /**
   * One layer in depth-first order.
   *
   * @param path the names from the top-level layer down, joined with {@code /}
   * @param depth 0 for top-level layers, 1 inside a nested model, ...
   * @param parent the enclosing nested model's path, or null
   * @param params parameters of the layer and, for a nested model, of its layers
   * @param initializers config key path (relative to the layer's config, {@code /}-separated) to
   *     the initializer config exactly as written
   */
  public record LayerRow(
      Layer layer,
      String path,
      int depth,
      String parent,
      long params,
      Map<String, JsonNode> initializers) {}

  private final Model model;
  private final List<LayerRow> layers;

  private ModelDescription(Model model, List<LayerRow> layers) {
    this.model = model;
    this.layers = List.copyOf(layers);
  }

  /** Describes a model. */
  public static ModelDescription of(Model model) {
    List<LayerRow> rows = new ArrayList<>();
    for (Layer l : model.layers()) {
      walk(l, 0, null, rows);
    }
    return new ModelDescription(model, rows);
  }

  private static void walk(Layer l, int depth, String parent, List<LayerRow> rows) {
    String path = parent == null ? l.name() : parent + "/" + l.name();
    long params = 0;
    for (Weight w : l.allWeights()) {
      params += w.shape().elementCount();
    }
    Map<String, JsonNode> inits = new LinkedHashMap<>();
    findInitializers(ConfigViews.of(l), "", inits, l.isNestedModel());
    rows.add(new LayerRow(l, path, depth, parent, params, inits));
    for (Layer c : l.children()) {
      walk(c, depth + 1, path, rows);
    }
  }

  /**
   * Collects every {@code *_initializer} (and Keras 1 {@code init}, {@code inner_init}) entry of a
   * layer config, also inside wrapped layers and cells ({@code layer/config/kernel_initializer}). A
   * nested model's own layers are rows of their own, so its {@code layers} list is skipped.
   */
  private static void findInitializers(
      JsonNode node, String prefix, Map<String, JsonNode> out, boolean nestedModel) {
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = e.getKey();
        String path = prefix.isEmpty() ? key : prefix + "/" + key;
        if (key.endsWith("_initializer") || KERAS1_INIT_KEYS.contains(key)) {
          out.put(path, e.getValue().deepCopy()); // a row is public: the layer keeps its own
        } else if (!(nestedModel && prefix.isEmpty() && key.equals("layers"))) {
          findInitializers(e.getValue(), path, out, false);
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        findInitializers(
            node.get(i), prefix.isEmpty() ? Integer.toString(i) : prefix + "/" + i, out, false);
      }
    }
  }

  /** The model described. */
  public Model model() {
    return model;
  }

  /** Every layer, nested ones included, depth first. */
  public List<LayerRow> layers() {
    return layers;
  }

  /** The model's class from its config ({@code Sequential}, {@code Functional}...), or null. */
  public String modelClass() {
    return ConfigViews.of(model).map(c -> text(c.get("class_name"))).orElse(null);
  }

  /** The model's name from its config, or null. */
  public String modelName() {
    return ConfigViews.of(model).map(c -> text(c.path("config").get("name"))).orElse(null);
  }

  /**
   * Which Keras generation's form the config has: {@code keras3} when it has Keras 3's {@code
   * module}/{@code registered_name} keys; {@code keras1} when Keras 1.x wrote the file or a layer
   * uses Keras 1's {@code init}/{@code inner_init} keys (Keras 1 weights-only files record no
   * version); else {@code keras2} (standalone Keras 2, tf.keras, and Keras 3's legacy .h5); null
   * without a config.
   */
  public String configForm() {
    if (ConfigViews.of(model).isEmpty()) {
      return null;
    }
    JsonNode c = ConfigViews.of(model).get();
    if (c.has("module") || c.has("registered_name")) {
      return "keras3";
    }
    if (model.kerasVersion().orElse("").startsWith("1.")) {
      return "keras1";
    }
    for (LayerRow r : layers) {
      JsonNode lc = ConfigViews.of(r.layer());
      if (lc.has("init") || lc.has("inner_init")) {
        return "keras1";
      }
    }
    return "keras2";
  }

  /**
   * True when the model was saved compiled. Keras 3 writes {@code "compile_config": {}} for a model
   * that never was, which the reader passes on as a training config: that counts as none.
   */
  public boolean hasTrainingConfig() {
    String t = model.trainingConfigText().orElse("").strip();
    return !t.isEmpty() && !t.equals("{}") && !t.equals("null");
  }

  /** The optimizer's class in the training config, or null. */
  public String optimizer() {
    if (!hasTrainingConfig()) {
      return null;
    }
    JsonNode t;
    try {
      t = Json.parseLenient(model.trainingConfigText().get());
    } catch (JsonProcessingException e) {
      return null; // the reader already validated it; a mere hint is not worth failing for
    }
    for (String key : List.of("optimizer_config", "optimizer")) {
      JsonNode o = t.get(key);
      if (o != null && o.isTextual()) {
        return o.asText();
      }
      if (o != null && o.isObject() && o.get("class_name") != null) {
        return text(o.get("class_name"));
      }
    }
    return null;
  }

  /** The parameters of all layer weights. */
  public long totalParams() {
    return model.parameterCount();
  }

  /** The stored bytes of all layer weights. */
  public long totalBytes() {
    long n = 0;
    for (Weight w : model.layerWeights()) {
      n += w.byteSize();
    }
    return n;
  }

  /** The parameters of these weights. */
  public static long params(List<Weight> weights) {
    long n = 0;
    for (Weight w : weights) {
      n += w.shape().elementCount();
    }
    return n;
  }

  /**
   * The metadata worth showing, by key: values that are JSON objects (Keras 3 {@code
   * metadata.json}) as JSON, the rest as strings. Sorted by key.
   */
  public Map<String, JsonNode> metadata() {
    Map<String, JsonNode> out = new TreeMap<>();
    for (Map.Entry<String, String> e : model.metadata().entrySet()) {
      if (HIDDEN_METADATA.contains(e.getKey())) {
        continue;
      }
      String v = e.getValue();
      JsonNode n = null;
      if (v != null && v.strip().startsWith("{")) {
        try {
          n = Json.parseLenient(v);
        } catch (JsonProcessingException ex) {
          n = null;
        }
      }
      out.put(e.getKey(), n != null ? n : JsonValues.nodes().textNode(v));
    }
    return out;
  }

  /** The JSON form of a weight (see the schema in docs/cli-reference.md). */
  public static ObjectNode weightJson(Weight w) {
    ObjectNode n = JsonValues.nodes().objectNode();
    n.put("name", w.name());
    ArrayNode shape = n.putArray("shape");
    for (long d : w.shape().dims()) {
      shape.add(d);
    }
    n.put("dtype", w.dtypeName());
    if (w.stored() != null) {
      n.put("stored_dtype", w.stored().code());
    }
    n.put("role", w.role().label());
    n.put("params", w.shape().elementCount());
    n.put("bytes", w.storedByteSize());
    n.put("key", w.key());
    return n;
  }

  /** The class name, or null when unknown (weights-only files without a config). */
  public static String className(Layer l) {
    return l.className().isEmpty() ? null : l.className();
  }

  /** The trainable flag as written, or null when the layer has no config. */
  public static Boolean trainable(Layer l) {
    return ConfigViews.of(l).isObject() ? l.trainable() : null;
  }

  private static String text(JsonNode n) {
    return n != null && n.isTextual() ? n.asText() : null;
  }

  /** Lower-case name, e.g. for a detection kind: {@code KERAS_ZIP} becomes {@code keras-zip}. */
  public static String label(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
