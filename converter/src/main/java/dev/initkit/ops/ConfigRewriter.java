package dev.initkit.ops;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.Hint;
import dev.initkit.MalformedModelException;
import dev.initkit.Note;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.config.ConfigGeneration;
import dev.initkit.init.InitializerSpec;
import dev.initkit.internal.ConfigViews;
import dev.initkit.internal.Json;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Rewrites the initializer configs of a model by rules ({@code set-init}): each rule selects
 * weights ({@link Selector}) and names an initializer ({@link InitializerSpec#parse(String)}); the
 * selected layers' initializer keys get the spec in the config's own generation form (Keras 3 form
 * for Keras 3 configs, the legacy {@code .h5} ones of Keras 3 included; Keras 2 form otherwise).
 *
 * <p>A rule applies to the kernels it selects (depthwise and pointwise kernels included) unless its
 * selector names roles ({@code role:bias}), then to exactly the roles selected. The key is the
 * role's ({@link WeightRole#initializerKey()}) in the layer config, in every wrapped copy (both
 * directions of a {@code Bidirectional}, the layer of a {@code TimeDistributed}, an RNN's cell).
 * Later rules win over earlier ones for the same key.
 *
 * <p>The config text is changed only where a value changes: every other byte, every other layer's
 * config included, stays as written. Weights are not touched ({@link Reinitializer} draws them).
 * Stateless and thread-safe.
 */
public final class ConfigRewriter {
  private ConfigRewriter() {}

  /**
   * One rule, {@code SELECTOR=SPEC}.
   *
   * @param text the rule as given
   */
  public record Rule(Selector selector, InitializerSpec spec, String text) {
    public Rule {
      Objects.requireNonNull(selector, "selector");
      Objects.requireNonNull(spec, "spec");
      Objects.requireNonNull(text, "text");
    }

    /**
     * Parses {@code SELECTOR=SPEC}, split at the first {@code =} (a spec may hold more: {@code
     * dense_*=he_normal(seed=3)}).
     *
     * @throws IllegalArgumentException naming the rule and what is wrong with it
     */
    public static Rule parse(String text) {
      int eq = text.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "rule '" + text + "': expected SELECTOR=SPEC, e.g. 'class:Dense=he_normal'");
      }
      String sel = text.substring(0, eq).trim();
      String spec = text.substring(eq + 1).trim();
      if (sel.isEmpty() || spec.isEmpty()) {
        throw new IllegalArgumentException(
            "rule '" + text + "': expected SELECTOR=SPEC with both parts non-empty");
      }
      try {
        InitializerSpec s = InitializerSpec.parse(spec);
        return new Rule(Selector.parse(sel), s, text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("rule '" + text + "': " + e.getMessage(), e);
      }
    }
  }

  /**
   * One rewritten initializer key.
   *
   * @param layerPath the layer's path through nested models
   * @param className the layer's class
   * @param role the weight role whose initializer it is
   * @param key where, relative to the layer config ({@code kernel_initializer}, {@code
   *     layer/config/kernel_initializer}, {@code backward_layer/config/recurrent_initializer})
   * @param before the value as it was
   * @param after the value written
   * @param requested the spec the rule asked for
   * @param written the spec written ({@code requested}, or its Keras-loadable fallback)
   * @param rule 1-based index of the rule that set it last
   */
  public record Change(
      String layerPath,
      String className,
      WeightRole role,
      String key,
      JsonNode before,
      JsonNode after,
      InitializerSpec requested,
      InitializerSpec written,
      int rule) {
    /** True when the value written differs from the one before. */
    public boolean changed() {
      return !before.equals(after);
    }
  }

  /**
   * The rewrite.
   *
   * @param model the model with the new config (config text, parsed tree and layers' configs)
   * @param changes one entry per initializer key a rule set, in model order
   * @param notes remarks for the user (fallbacks written for initkit-only kinds, rules that matched
   *     nothing), with the parts of the API they name
   * @param draws specs to draw instead of what the new config says, by {@link
   *     Reinitializer#overrideKey}: the requested initkit-only kinds whose config got a fallback
   * @param selection the weights the rules set, as a selector (for {@code --reinit})
   */
  public record Result(
      Model model,
      List<Change> changes,
      List<Note> notes,
      Map<String, InitializerSpec> draws,
      Selector selection) {
    public Result {
      changes = List.copyOf(changes);
      notes = List.copyOf(notes);
      draws = Map.copyOf(draws);
    }
  }

  /**
   * Applies the rules to a model's config.
   *
   * @throws UnsupportedModelException when the model has no config, its config is Keras 1, or a
   *     selected layer's config has no key for a selected role (the message names the layer)
   * @throws MalformedModelException when the rewritten config cannot be read back (a bug guard)
   * @throws IllegalArgumentException when a rule selects a weight that has no initializer (role
   *     {@code other}), naming it
   */
  public static Result rewrite(Model model, List<Rule> rules) throws IOException {
    Path file = Path.of(model.source().isEmpty() ? "." : model.source());
    if (ConfigViews.of(model).isEmpty() || model.configText().isEmpty()) {
      if (model.sourceFormat().equals("savedmodel")) {
        throw new UnsupportedModelException(
            file,
            "",
            Hint.CONFIG_REWRITE.apiName()
                + " needs the Keras config, and this"
                + " SavedModel has none (Keras 3 model.export, plain TensorFlow, or a subclassed Keras model); "
                + Hint.REINITIALIZER.apiName()
                + " works on its variables",
            Hint.CONFIG_REWRITE,
            Hint.REINITIALIZER);
      }
      throw new UnsupportedModelException(
          file,
          "",
          Hint.CONFIG_REWRITE.apiName()
              + " needs the model config, and this"
              + " weights-only file has none: pass the architecture JSON with "
              + Hint.ARCHITECTURE_CONFIG.apiName(),
          Hint.CONFIG_REWRITE,
          Hint.ARCHITECTURE_CONFIG);
    }
    JsonNode config = ConfigViews.of(model).get();
    ConfigGeneration gen = ConfigGeneration.detect(config);
    if (gen == ConfigGeneration.KERAS1) {
      throw new UnsupportedModelException(
          file,
          "model_config",
          "Keras 1 configs (init/inner_init) are not rewritten:"
              + " load the model in Keras 2 and save it again, or use "
              + Hint.REINIT_SCHEME.apiName()
              + " to draw new weights",
          Hint.REINIT_SCHEME);
    }
    boolean keras3 = gen == ConfigGeneration.KERAS3;
    // tf-keras 2.13+ writes Keras 2 configs whose initializers carry module keys: match the file
    boolean moduleKeys = !keras3 && initializersHaveModule(config);
    Map<Layer, String> pointers = LayerConfigs.pointers(model);
    List<WeightSite> sites = WeightSite.of(model);

    // (layer, role) -> last rule that selected it; keyed by identity so equal-looking layers stay
    // apart
    Map<Layer, Map<WeightRole, Integer>> chosen = new IdentityHashMap<>();
    List<Layer> layerOrder = new ArrayList<>();
    List<Note> notes = new ArrayList<>();
    for (int r = 0; r < rules.size(); r++) {
      Rule rule = rules.get(r);
      int hits = 0;
      for (WeightSite s : sites) {
        if (!rule.selector().matches(s)) {
          continue;
        }
        WeightRole role = s.weight().role();
        if (!rule.selector().namesRoles()
            && role != WeightRole.KERNEL
            && role != WeightRole.DEPTHWISE_KERNEL
            && role != WeightRole.POINTWISE_KERNEL) {
          continue;
        }
        QuantizedWeights.refuse(
            file,
            s,
            "rule '" + rule.text() + "' setting its initializer",
            "narrow the rule's selector to leave the layer out");
        if (role.initializerKey() == null) {
          throw new IllegalArgumentException(
              "rule '"
                  + rule.text()
                  + "' selects "
                  + s.layerPath()
                  + "/"
                  + s.weight().shortName()
                  + ", which has no initializer key (role "
                  + role.label()
                  + ")");
        }
        chosen.computeIfAbsent(s.layer(), k -> new LinkedHashMap<>()).put(role, r);
        hits++;
      }
      if (hits == 0) {
        notes.add(
            Note.of(
                "rule "
                    + (r + 1)
                    + " ("
                    + rule.text()
                    + ") selects no weight"
                    + (rule.selector().namesRoles()
                        ? ""
                        : " (without role:, a rule applies to kernels only)")));
      }
    }

    Set<Layer> ordered = Collections.newSetFromMap(new IdentityHashMap<>());
    for (WeightSite s : sites) {
      if (chosen.containsKey(s.layer()) && ordered.add(s.layer())) {
        layerOrder.add(s.layer());
      }
    }
    Map<String, JsonNode> replacements = new LinkedHashMap<>();
    List<Change> changes = new ArrayList<>();
    Map<String, InitializerSpec> draws = new LinkedHashMap<>();
    Set<String> fallbackNoted = new HashSet<>();
    Set<String> selectedKeys = new HashSet<>();
    Map<Layer, String> paths = new IdentityHashMap<>();
    for (WeightSite s : sites) {
      paths.putIfAbsent(s.layer(), s.layerPath());
    }
    for (Layer layer : layerOrder) {
      String ptr = pointers.get(layer);
      String layerPath = paths.get(layer);
      if (ptr == null) {
        throw new UnsupportedModelException(
            file,
            layerPath,
            "the layer is not in the model config, so its initializers cannot be set");
      }
      Map<WeightRole, Integer> roles = chosen.get(layer);
      List<WeightRole> roleOrder = new ArrayList<>();
      for (Weight w : layer.weights()) {
        if (roles.containsKey(w.role()) && !roleOrder.contains(w.role())) {
          roleOrder.add(w.role());
        }
      }
      for (WeightRole role : roleOrder) {
        int ruleIndex = roles.get(role);
        Rule rule = rules.get(ruleIndex);
        List<String> keyPaths = LayerConfigs.keyPaths(layer, role);
        if (keyPaths.isEmpty()) {
          throw new UnsupportedModelException(
              file,
              layerPath,
              layer.className()
                  + " config has no '"
                  + role.initializerKey()
                  + "': Keras would not accept it for this layer, so it is not added");
        }
        InitializerSpec requested = rule.spec();
        InitializerSpec written = requested;
        if (!requested.kerasLoadable()) {
          written =
              requested
                  .kerasFallback()
                  .orElseThrow(
                      () ->
                          new IllegalArgumentException(
                              "rule '"
                                  + rule.text()
                                  + "': "
                                  + requested.describe()
                                  + " cannot be written to a config"));
          if (fallbackNoted.add(requested.describe() + "->" + written.describe())) {
            notes.add(
                Note.of(
                    requested.describe()
                        + " is initkit-only (stock Keras cannot load it): the config gets "
                        + written.describe()
                        + " instead; only "
                        + Hint.REINIT_DRAW.apiName()
                        + " draws "
                        + requested.describe()
                        + " values",
                    Hint.REINIT_DRAW));
          }
        }
        JsonNode json =
            keras3
                ? written.toKeras3Json()
                : moduleKeys ? withModule(written.toKeras2Json()) : written.toKeras2Json();
        for (String kp : keyPaths) {
          String full = JsonSplice.pointer(ptr, kp);
          JsonNode before = config.at(full);
          replacements.put(full, json);
          changes.add(
              new Change(
                  layerPath,
                  layer.className(),
                  role,
                  kp,
                  before.deepCopy(),
                  json.deepCopy(),
                  requested,
                  written,
                  ruleIndex + 1));
        }
        for (WeightSite s : sites) {
          if (s.layer() == layer && s.weight().role() == role) {
            selectedKeys.add(Reinitializer.overrideKey(s));
            if (written != requested) {
              draws.put(Reinitializer.overrideKey(s), requested);
            }
          }
        }
      }
    }

    Model rewritten = model;
    List<Map.Entry<String, JsonNode>> real =
        replacements.entrySet().stream()
            .filter(r -> !config.at(r.getKey()).equals(r.getValue()))
            .toList();
    if (!real.isEmpty()) {
      Map<String, JsonNode> todo = new LinkedHashMap<>();
      real.forEach(r -> todo.put(r.getKey(), r.getValue()));
      rewritten = withConfig(model, file, todo);
    }
    Selector selection =
        Selector.of(
            "weights set by the rules",
            s -> selectedKeys.contains(Reinitializer.overrideKey(s)),
            true);
    return new Result(rewritten, changes, notes, draws, selection);
  }

  /**
   * The model with top-level keys of some layers' configs set (e.g. {@code trainable: false}), text
   * and tree and layer configs in step; every other byte of the config stays as written. Each key
   * must already be in the layer's config (Keras writes {@code trainable} for every layer).
   *
   * @param values new values by layer (identity, as in {@code model}) and key
   * @throws UnsupportedModelException when the model has no config, a layer is not in it, or a
   *     layer's config lacks a key
   */
  public static Model setLayerKeys(Model model, Map<Layer, Map<String, JsonNode>> values)
      throws IOException {
    Path file = Path.of(model.source().isEmpty() ? "." : model.source());
    if (values.isEmpty()) {
      return model;
    }
    if (ConfigViews.of(model).isEmpty() || model.configText().isEmpty()) {
      throw new UnsupportedModelException(
          file,
          "",
          "the model has no config to rewrite: pass the architecture JSON with "
              + Hint.ARCHITECTURE_CONFIG.apiName(),
          Hint.ARCHITECTURE_CONFIG);
    }
    Map<Layer, String> pointers = LayerConfigs.pointers(model);
    Map<String, JsonNode> replacements = new LinkedHashMap<>();
    for (Map.Entry<Layer, Map<String, JsonNode>> e : values.entrySet()) {
      String ptr = pointers.get(e.getKey());
      if (ptr == null) {
        throw new UnsupportedModelException(
            file, e.getKey().name(), "the layer is not in the model config");
      }
      for (Map.Entry<String, JsonNode> kv : e.getValue().entrySet()) {
        String full = JsonSplice.pointer(ptr, kv.getKey());
        JsonNode before = ConfigViews.of(model).get().at(full);
        if (before.isMissingNode()) {
          throw new UnsupportedModelException(
              file, e.getKey().name(), "the layer config has no '" + kv.getKey() + "' key");
        }
        if (!before.equals(kv.getValue())) {
          replacements.put(full, kv.getValue());
        }
      }
    }
    return replacements.isEmpty() ? model : withConfig(model, file, replacements);
  }

  /** The model with values of its config replaced, text and tree and layer configs in step. */
  private static Model withConfig(Model model, Path file, Map<String, JsonNode> replacements)
      throws IOException {
    String text = model.configText().orElseThrow();
    String newText = JsonSplice.replace(text, replacements);
    JsonNode expected = ConfigViews.of(model).orElseThrow().deepCopy();
    for (Map.Entry<String, JsonNode> r : replacements.entrySet()) {
      setAt(expected, r.getKey(), r.getValue());
    }
    JsonNode parsed;
    try {
      parsed = Json.parse(newText);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new MalformedModelException(
          file, "model_config", "rewritten config does not parse: " + e.getOriginalMessage(), e);
    }
    if (!parsed.equals(expected)) {
      // the splice must give exactly the intended tree; if it ever does not, write the tree whole
      newText = Json.write(expected);
      parsed = Json.parse(newText);
    }
    Map<Layer, String> pointers = LayerConfigs.pointers(model);
    List<Layer> layers = rebuild(model.layers(), pointers, parsed);
    return model.toBuilder().config(newText, parsed).layers(layers).build();
  }

  private static List<Layer> rebuild(
      List<Layer> layers, Map<Layer, String> pointers, JsonNode root) {
    List<Layer> out = new ArrayList<>();
    for (Layer l : layers) {
      String p = pointers.get(l);
      JsonNode cfg = p == null ? ConfigViews.of(l) : root.at(p);
      out.add(
          new Layer(
              l.name(), l.className(), cfg, l.weights(), rebuild(l.children(), pointers, root)));
    }
    return out;
  }

  private static void setAt(JsonNode root, String pointer, JsonNode value) {
    int slash = pointer.lastIndexOf('/');
    JsonNode parent = root.at(pointer.substring(0, slash));
    String last = pointer.substring(slash + 1).replace("~1", "/").replace("~0", "~");
    if (parent instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
      o.set(last, value.deepCopy());
    } else if (parent instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
      a.set(Integer.parseInt(last), value.deepCopy());
    } else {
      throw new IllegalStateException("no container at " + pointer);
    }
  }

  /** True when any {@code *_initializer} object in the config has a {@code module} key. */
  private static boolean initializersHaveModule(JsonNode node) {
    if (node.isObject()) {
      for (java.util.Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().endsWith("_initializer")
            && e.getValue().isObject()
            && e.getValue().has("module")) {
          return true;
        }
        if (initializersHaveModule(e.getValue())) {
          return true;
        }
      }
    } else if (node.isArray()) {
      for (JsonNode c : node) {
        if (initializersHaveModule(c)) {
          return true;
        }
      }
    }
    return false;
  }

  /** A Keras 2 initializer object in tf-keras 2.13+'s form: module and registered_name added. */
  private static JsonNode withModule(JsonNode keras2) {
    if (!keras2.isObject() || !keras2.has("class_name")) {
      return keras2;
    }
    com.fasterxml.jackson.databind.node.ObjectNode o =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    o.put("module", "keras.initializers");
    o.set("class_name", keras2.get("class_name"));
    o.set("config", keras2.get("config"));
    o.putNull("registered_name");
    return o;
  }
}
