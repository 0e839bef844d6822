package dev.initkit.ops;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.ConfigLayers;
import dev.initkit.internal.ConfigViews;
import dev.initkit.keras.Activations;
import dev.initkit.keras.LayerFamily;
import dev.initkit.keras.Recurrence;
import dev.initkit.keras.Wrappers;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where things live in a model config: the JSON pointer of each layer's {@code config} object, the
 * effective (wrapped) layer a weight belongs to, the config key holding a weight's initializer, and
 * the activation that follows a layer. Pure functions over immutable values; thread-safe.
 *
 * <p>Layers pair with config entries as the readers build them: the {@code i}-th layer of a
 * container is its config's {@code i}-th layer entry (a nested model's children likewise its own
 * entries); layers the config does not name (a reader appends them, with no class) have no pointer.
 */
final class LayerConfigs {
  /**
   * Families of the layers an activation may follow through without changing what it applies to.
   */
  private static final Set<LayerFamily> PASS_THROUGH =
      EnumSet.of(LayerFamily.STOCHASTIC, LayerFamily.NORMALIZATION);

  private LayerConfigs() {}

  /**
   * The weight's layer as its config describes it, looking through wrappers and RNN cells.
   *
   * @param className the effective layer's class ({@code LSTM} inside {@code Bidirectional})
   * @param config the effective layer's config object (a JSON null when unknown)
   * @param path how to reach {@code config} from the layer's own config, as {@code /}-joined keys
   *     ({@code ""} for the layer itself, {@code layer/config}, {@code backward_layer/config},
   *     {@code cell/config}, {@code cell/config/cells/1/config})
   */
  record Effective(String className, JsonNode config, String path) {
    /** The activation this config names, or null. */
    String activation() {
      return activationOf(config);
    }
  }

  /** Pointers of every layer's config object in the model config, by layer identity. */
  static Map<Layer, String> pointers(Model model) {
    Map<Layer, String> out = new IdentityHashMap<>();
    ConfigViews.of(model).ifPresent(c -> pair(model.layers(), c, "", out));
    return out;
  }

  private static void pair(
      List<Layer> layers, JsonNode modelConfig, String prefix, Map<Layer, String> out) {
    List<ConfigLayers.Entry> entries;
    try {
      entries = ConfigLayers.entries(modelConfig);
    } catch (IllegalArgumentException e) {
      return;
    }
    JsonNode cfg = modelConfig.get("config");
    String listPtr = prefix + (cfg.isArray() ? "/config" : "/config/layers");
    for (int i = 0; i < entries.size() && i < layers.size(); i++) {
      Layer l = layers.get(i);
      ConfigLayers.Entry e = entries.get(i);
      if (!e.name().equals(l.name()) || !e.className().equals(l.className())) {
        return; // not the readers' pairing: give up rather than guess
      }
      String entryPtr = listPtr + "/" + i;
      out.put(l, entryPtr + "/config");
      if (!l.children().isEmpty()) {
        pair(l.children(), e.raw(), entryPtr, out);
      }
    }
  }

  /** The layer's own config (through wrappers) for the weight at {@code index} of its weights. */
  static Effective effective(Layer layer, int weightIndex, WeightRole role) {
    String cls = layer.className();
    JsonNode cfg = ConfigViews.of(layer); // a JSON null when the layer has none
    String path = "";
    int n = layer.weights().size();
    for (int depth = 0; depth < 8; depth++) {
      if (Wrappers.isWrapper(cls)) {
        String key = Wrappers.LAYER;
        if (cls.equals(Wrappers.BIDIRECTIONAL)
            && weightIndex >= 0
            && n > 0
            && weightIndex >= n / 2
            && cfg.path(Wrappers.BACKWARD_LAYER).path("config").isObject()) {
          key = Wrappers.BACKWARD_LAYER;
        }
        JsonNode inner = Wrappers.inner(cfg, key);
        if (inner == null || !inner.path("config").isObject()) {
          break;
        }
        cls = inner.get("class_name").asText();
        cfg = inner.get("config");
        path = join(path, key + "/config");
        continue;
      }
      JsonNode cell = cfg.get("cell");
      if (cell != null
          && cell.isObject()
          && cell.path("class_name").isTextual()
          && cell.path("config").isObject()) {
        String cellClass = cell.get("class_name").asText();
        JsonNode cellCfg = cell.get("config");
        if (cellClass.equals("StackedRNNCells") && cellCfg.path("cells").isArray()) {
          JsonNode cells = cellCfg.get("cells");
          int k = roleIndex(layer, weightIndex, role);
          int perCell = Math.max(1, countRole(layer, role) / Math.max(1, cells.size()));
          int c = Math.min(cells.size() - 1, k / perCell);
          JsonNode one = cells.get(Math.max(0, c));
          if (one == null || !one.path("config").isObject()) {
            break;
          }
          cls = one.path("class_name").asText("");
          cfg = one.get("config");
          path = join(path, "cell/config/cells/" + Math.max(0, c) + "/config");
        } else {
          cls = cellClass;
          cfg = cellCfg;
          path = join(path, "cell/config");
        }
        continue;
      }
      break;
    }
    return new Effective(cls, cfg, path);
  }

  /**
   * Every config path (relative to the layer's config) that holds this role's initializer key
   * ({@link WeightRole#initializerKey()}) for the layer, in all wrapped copies (both directions of
   * a Bidirectional, every cell). Only paths where the key is present are returned.
   */
  static List<String> keyPaths(Layer layer, WeightRole role) {
    String key = role.initializerKey();
    List<String> out = new ArrayList<>();
    if (key == null) {
      return out;
    }
    List<Weight> ws = layer.weights();
    for (int i = 0; i < ws.size(); i++) {
      if (ws.get(i).role() != role) {
        continue;
      }
      Effective e = effective(layer, i, role);
      if (e.config().isObject() && e.config().has(key)) {
        String p = join(e.path(), key);
        if (!out.contains(p)) {
          out.add(p);
        }
      }
    }
    if (ws.isEmpty()) {
      Effective e = effective(layer, -1, role);
      if (e.config().isObject() && e.config().has(key)) {
        out.add(join(e.path(), key));
      }
    }
    return out;
  }

  /** True when the effective layer is an LSTM whose bias gets Keras's forget-gate ones. */
  static boolean unitForgetBias(Effective e) {
    return Recurrence.unitForgetBias(e.className(), e.config());
  }

  /** Index of the weight among the layer's weights of the same role. */
  static int roleIndex(Layer layer, int weightIndex, WeightRole role) {
    int k = 0;
    for (int i = 0; i < weightIndex && i < layer.weights().size(); i++) {
      if (layer.weights().get(i).role() == role) {
        k++;
      }
    }
    return k;
  }

  private static int countRole(Layer layer, WeightRole role) {
    int k = 0;
    for (Weight w : layer.weights()) {
      if (w.role() == role) {
        k++;
      }
    }
    return k;
  }

  /**
   * The activation applied right after {@code layer} by a separate layer ({@code Activation},
   * {@code ReLU}, ...), looking past dropout and normalisation layers, in the same container; null
   * when none. In a functional container the next layer must take this one's output (its inbound
   * nodes name it).
   */
  static String followingActivation(
      List<Layer> container, int index, Map<Layer, JsonNode> rawEntries) {
    String prev = container.get(index).name();
    for (int j = index + 1; j < container.size() && j <= index + 4; j++) {
      Layer next = container.get(j);
      JsonNode raw = rawEntries.get(next);
      if (raw != null && raw.has("inbound_nodes") && !mentions(raw.get("inbound_nodes"), prev)) {
        return null;
      }
      if (LayerFamily.ACTIVATION.contains(next.className())) {
        switch (next.className()) {
          case "Activation":
            return next.activation();
          case "ReLU":
            return "relu";
          case "LeakyReLU":
            return "leaky_relu";
          case "PReLU":
            return "prelu";
          case "ELU":
            return "elu";
          case "Softmax":
            return "softmax";
          default:
            return "thresholded_relu";
        }
      }
      if (!PASS_THROUGH.contains(LayerFamily.of(next.className()))) {
        return null;
      }
      prev = next.name();
    }
    return null;
  }

  /** {@link #followingActivation} of every layer that has one, by layer identity. */
  static Map<Layer, String> followingActivations(Model model) {
    Map<Layer, JsonNode> raw = rawEntries(model);
    Map<Layer, String> out = new IdentityHashMap<>();
    following(model.layers(), raw, out);
    return out;
  }

  private static void following(
      List<Layer> container, Map<Layer, JsonNode> raw, Map<Layer, String> out) {
    for (int i = 0; i < container.size(); i++) {
      String a = followingActivation(container, i, raw);
      if (a != null) {
        out.put(container.get(i), a);
      }
      following(container.get(i).children(), raw, out);
    }
  }

  /**
   * Raw config entries ({@code {"class_name", "config", "inbound_nodes"...}}) by layer identity.
   */
  static Map<Layer, JsonNode> rawEntries(Model model) {
    Map<Layer, JsonNode> out = new IdentityHashMap<>();
    ConfigViews.of(model).ifPresent(c -> raw(model.layers(), c, out));
    return out;
  }

  private static void raw(List<Layer> layers, JsonNode modelConfig, Map<Layer, JsonNode> out) {
    List<ConfigLayers.Entry> entries;
    try {
      entries = ConfigLayers.entries(modelConfig);
    } catch (IllegalArgumentException e) {
      return;
    }
    for (int i = 0; i < entries.size() && i < layers.size(); i++) {
      Layer l = layers.get(i);
      if (!entries.get(i).name().equals(l.name())) {
        return;
      }
      out.put(l, entries.get(i).raw());
      if (!l.children().isEmpty()) {
        raw(l.children(), entries.get(i).raw(), out);
      }
    }
  }

  private static boolean mentions(JsonNode node, String name) {
    if (node.isTextual()) {
      return node.asText().equals(name);
    }
    for (JsonNode c : node) {
      if (mentions(c, name)) {
        return true;
      }
    }
    return false;
  }

  /** The activation a layer config names, or null (see {@link Layer#activationOf}). */
  static String activationOf(JsonNode config) {
    return Layer.activationOf(config);
  }

  /**
   * Lower case without separators: {@code LeakyReLU} and {@code leaky_relu} give {@code leakyrelu}.
   */
  static String normalise(String activation) {
    return Activations.normalise(activation);
  }

  static String join(String a, String b) {
    return a.isEmpty() ? b : a + "/" + b;
  }
}
