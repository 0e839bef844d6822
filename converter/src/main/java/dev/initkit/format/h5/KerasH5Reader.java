package dev.initkit.format.h5;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.ModelFormatException;
import dev.initkit.format.ConfigLayers;
import dev.initkit.format.Format;
import dev.initkit.internal.Json;
import dev.initkit.internal.h5.H5Input;
import dev.initkit.internal.h5.H5Store;
import dev.initkit.internal.hdf5.AttrValue;
import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5Exception;
import dev.initkit.internal.hdf5.H5File;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.internal.hdf5.H5Node;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Quantization;
import dev.initkit.model.Shape;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads legacy Keras HDF5 files: full models ({@code model.save("m.h5")} from Keras 1, standalone
 * Keras 2, tf.keras and Keras 3) and weights-only files ({@code save_weights("w.h5")}). Only
 * metadata is read here; weight values stay in the file and are read on demand.
 */
public final class KerasH5Reader {
  static final String TOP_LEVEL_GROUP = "top_level_model_weights";

  /**
   * Metadata key recording how the file stored name lists: {@code fixed} (standalone Keras, h5py
   * {@code S} arrays) or {@code vlen} (tf.keras 2.x and Keras 3). The writer keeps the form.
   */
  public static final String NAMES_FORM = "h5.names";

  private KerasH5Reader() {}

  /**
   * Reads a legacy-layout file ({@link Format#H5} or {@link Format#H5_WEIGHTS}); takes ownership of
   * the open file.
   *
   * @param companionConfig a model config to use for a weights-only file (null for none)
   * @param companionPath where it came from (for messages)
   */
  public static OwnedModel read(KerasH5Input input, JsonNode companionConfig, Path companionPath)
      throws IOException {
    return H5Input.of(input)
        .readWith((path, file) -> read(path, file, companionConfig, companionPath));
  }

  /** Reads an open legacy-layout file; takes ownership of {@code file}. */
  private static OwnedModel read(
      Path path, H5File file, JsonNode companionConfig, Path companionPath) throws IOException {
    boolean ok = false;
    try {
      H5Store store = new H5Store(file, path);
      OwnedModel m =
          new OwnedModel(readModel(path, file, companionConfig, companionPath), store, store);
      ok = true;
      return m;
    } catch (H5Exception e) {
      throw new MalformedModelException(
          path, "", "cannot read HDF5 structure: " + e.getMessage(), e);
    } finally {
      if (!ok) {
        file.close();
      }
    }
  }

  private static Model readModel(
      Path path, H5File file, JsonNode companionConfig, Path companionPath) throws IOException {
    H5Group root = file.root();
    Model.Builder b = Model.builder().source(path.toString());
    String configText = null;
    JsonNode config = null;
    H5Group weightsGroup;
    boolean full = root.hasAttribute("model_config");
    if (full) {
      b.sourceFormat("h5");
      configText = stringAttr(path, root, "model_config");
      config = parseJson(path, "/@model_config", configText);
      if (root.hasAttribute("training_config")) {
        String tc = stringAttr(path, root, "training_config");
        parseJson(path, "/@training_config", tc);
        b.trainingConfigText(tc);
      }
      if (root.kind("model_weights") != H5Group.Kind.GROUP) {
        throw new MalformedModelException(
            path,
            "/model_weights",
            "missing: the file has a model_config but no weights group (saved with include_optimizer only, or a damaged file)");
      }
      weightsGroup = root.openGroup("model_weights");
    } else {
      b.sourceFormat("h5-weights");
      weightsGroup = root;
      if (companionConfig != null) {
        config = companionConfig;
        configText = Json.write(companionConfig);
        b.metadata("config_source", String.valueOf(companionPath));
      }
    }
    b.config(configText, config);
    String kv = optionalString(root, "keras_version");
    if (kv == null) {
      kv = optionalString(weightsGroup, "keras_version");
    }
    String backend = optionalString(root, "backend");
    if (backend == null) {
      backend = optionalString(weightsGroup, "backend");
    }
    b.kerasVersion(kv).backend(backend);

    List<String> layerNames = names(path, weightsGroup, "layer_names");
    if (weightsGroup.hasAttribute("layer_names")
        && weightsGroup.attribute("layer_names") instanceof AttrValue.StrArray a) {
      b.metadata(NAMES_FORM, a.variableLength() ? "vlen" : "fixed");
    }
    if (layerNames == null) {
      throw new MalformedModelException(
          path, weightsGroup.path() + "@layer_names", "missing: not a Keras weights group");
    }
    checkNames(path, weightsGroup.path() + "@layer_names", layerNames);
    Map<String, List<Weight>> stored = new LinkedHashMap<>();
    for (String ln : layerNames) {
      stored.put(ln, layerWeights(path, weightsGroup, ln));
    }
    // tf.keras >= 2.13 and Keras 3 write this group without listing it in layer_names
    List<Weight> topLevel = stored.remove(TOP_LEVEL_GROUP);
    if (topLevel == null && weightsGroup.kind(TOP_LEVEL_GROUP) == H5Group.Kind.GROUP) {
      topLevel = layerWeights(path, weightsGroup, TOP_LEVEL_GROUP);
    }
    b.modelWeights(topLevel == null ? List.of() : topLevel, topLevel != null);

    List<Layer> layers =
        config == null ? layersWithoutConfig(stored) : layersFromConfig(path, config, stored, b);
    b.layers(layers);

    if (root.kind("optimizer_weights") == H5Group.Kind.GROUP) {
      try (H5Group og = root.openGroup("optimizer_weights")) {
        List<String> wn = names(path, og, "weight_names");
        List<Weight> ow = new ArrayList<>();
        if (wn != null) {
          checkNames(path, og.path() + "@weight_names", wn);
          for (String n : wn) {
            ow.add(weight(path, og, n, n));
          }
        }
        b.optimizerWeights(ow);
      }
    }
    if (weightsGroup != root) {
      weightsGroup.close();
    }
    return b.build();
  }

  private static List<Layer> layersWithoutConfig(Map<String, List<Weight>> stored) {
    List<Layer> out = new ArrayList<>();
    stored.forEach((name, ws) -> out.add(new Layer(name, "", null, ws, List.of())));
    return out;
  }

  /**
   * The layers of a model config with their stored weights, matched by layer name (else, as Keras
   * does, by order among the layers that can hold weights); a nested model's weights go to its
   * inner layers by their variable paths. Also used by the SavedModel reader.
   *
   * @param stored each top-level layer's weights in Keras order, keyed by layer name
   */
  public static List<Layer> layersFromConfig(
      Path path, JsonNode config, Map<String, List<Weight>> stored, Model.Builder b)
      throws MalformedModelException {
    List<ConfigLayers.Entry> entries;
    try {
      entries = ConfigLayers.entries(config);
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(
          path,
          "model_config" + e.getMessage().split(":")[0],
          e.getMessage().substring(e.getMessage().indexOf(':') + 2));
    }
    Map<String, List<Weight>> remaining = new LinkedHashMap<>(stored);
    boolean byName = true;
    for (String n : stored.keySet()) {
      if (!stored.get(n).isEmpty() && entries.stream().noneMatch(e -> e.name().equals(n))) {
        byName = false;
      }
    }
    List<Layer> out = new ArrayList<>();
    if (byName) {
      for (ConfigLayers.Entry e : entries) {
        List<Weight> ws = remaining.remove(e.name());
        out.add(buildLayer(e, ws == null ? List.of() : ws));
      }
    } else {
      // Names differ (e.g. weights saved from another instance of the architecture): Keras's own
      // topological loading pairs layers that have weights, in order.
      b.metadata("weights_matched_by", "order");
      List<List<Weight>> withWeights = new ArrayList<>();
      for (Map.Entry<String, List<Weight>> s : stored.entrySet()) {
        if (!s.getValue().isEmpty()) {
          withWeights.add(s.getValue());
        }
      }
      int next = 0;
      for (ConfigLayers.Entry e : entries) {
        List<Weight> ws = List.of();
        if (!ConfigLayers.isWeightless(e.className()) && next < withWeights.size()) {
          ws = withWeights.get(next++);
        }
        out.add(buildLayer(e, ws));
      }
      if (next != withWeights.size()) {
        throw new MalformedModelException(
            path,
            "layer_names",
            "the weights file has "
                + withWeights.size()
                + " layers with weights, the config "
                + next
                + " that can hold them");
      }
      remaining.clear();
    }
    // stored layers the config does not name (Keras 1 extras, custom groups): keep them
    remaining.forEach((name, ws) -> out.add(new Layer(name, "", null, ws, List.of())));
    return out;
  }

  /** A layer from its config entry; a nested model's weights are handed to its inner layers. */
  private static Layer buildLayer(ConfigLayers.Entry e, List<Weight> ws) {
    if (!Layer.isModelClass(e.className())) {
      List<Weight> refined = new ArrayList<>();
      for (Weight w : ws) {
        refined.add(
            new Weight(
                w.name(), w.shape(), w.dtype(), WeightRole.of(e.className(), w.name()), w.key()));
      }
      // a quantized layer's legacy list leads with the bias (trainable first): hold Keras's save
      // order,
      // the archives' positional order, as every other layer does (KerasH5Writer restores the
      // legacy one)
      boolean bias = refined.stream().anyMatch(w -> w.shortName().equals("bias"));
      List<Weight> ordered =
          Quantization.of(e.config())
              .map(q -> Quantization.arrange(refined, q.saveOrder(e.className(), bias)))
              .orElse(refined);
      return new Layer(e.name(), e.className(), e.config(), ordered, List.of());
    }
    List<ConfigLayers.Entry> inner;
    try {
      inner = ConfigLayers.entries(e.raw());
    } catch (IllegalArgumentException ex) {
      return new Layer(e.name(), e.className(), e.config(), ws, List.of());
    }
    // Variable names are paths: tf.keras "inner_dense/kernel:0", Keras 3
    // "outer/inner_seq/dense/kernel".
    // A weight belongs to the child whose subtree names the first matching path component.
    List<Set<String>> subtreeNames = new ArrayList<>();
    for (ConfigLayers.Entry ie : inner) {
      Set<String> names = new HashSet<>();
      collectNames(ie, names);
      subtreeNames.add(names);
    }
    List<List<Weight>> byInner = new ArrayList<>();
    for (int i = 0; i < inner.size(); i++) {
      byInner.add(new ArrayList<>());
    }
    boolean complete = true;
    for (Weight w : ws) {
      int owner = ownerOf(w.name(), subtreeNames);
      if (owner < 0) {
        complete = false;
        break;
      }
      byInner.get(owner).add(w);
    }
    List<Layer> children = new ArrayList<>();
    for (int i = 0; i < inner.size(); i++) {
      children.add(buildLayer(inner.get(i), complete ? byInner.get(i) : List.of()));
    }
    // when weights cannot be attributed they stay on the nested model, in stored order
    return new Layer(e.name(), e.className(), e.config(), complete ? List.of() : ws, children);
  }

  private static int ownerOf(String weightName, List<Set<String>> subtreeNames) {
    String[] parts = weightName.split("/");
    for (int p = 0; p < parts.length - 1; p++) {
      for (int i = 0; i < subtreeNames.size(); i++) {
        if (subtreeNames.get(i).contains(parts[p])) {
          return i;
        }
      }
    }
    return -1;
  }

  private static void collectNames(ConfigLayers.Entry e, Set<String> out) {
    out.add(e.name());
    if (Layer.isModelClass(e.className())) {
      try {
        for (ConfigLayers.Entry c : ConfigLayers.entries(e.raw())) {
          collectNames(c, out);
        }
      } catch (IllegalArgumentException ignored) {
        // a nested model without a readable layer list: its own name is all we have
      }
    }
  }

  private static List<Weight> layerWeights(Path path, H5Group weightsGroup, String layerName)
      throws IOException {
    H5Group.Kind k = weightsGroup.kind(layerName);
    if (k == H5Group.Kind.MISSING) {
      throw new MalformedModelException(
          path,
          weightsGroup.path() + "/" + layerName,
          "missing: layer_names lists it but the file has no such group");
    }
    try (H5Group g = weightsGroup.openGroup(layerName)) {
      List<String> wn = names(path, g, "weight_names");
      List<Weight> out = new ArrayList<>();
      if (wn == null) {
        return out;
      }
      checkNames(path, g.path() + "@weight_names", wn);
      for (String n : wn) {
        out.add(weight(path, g, n, n));
      }
      return out;
    }
  }

  private static Weight weight(Path path, H5Group g, String relPath, String name)
      throws IOException {
    H5Group.Kind kind = g.kind(relPath);
    if (kind == H5Group.Kind.OTHER) {
      throw new MalformedModelException(
          path,
          g.path() + "/" + relPath,
          "not a dataset: a soft or external link, or another kind of object (Keras writes datasets; initkit follows no links to other files)");
    }
    if (kind != H5Group.Kind.DATASET) {
      throw new MalformedModelException(
          path,
          g.path() + "/" + relPath,
          "missing weight: weight_names lists it but the file has no such dataset");
    }
    try (H5Dataset ds = g.openDataset(relPath)) {
      ds.checkStorage();
      DType dt = ds.dtype();
      return new Weight(
          name, Shape.of(ds.dims()), dt, WeightRole.fromVariableName(name), ds.path());
    } catch (H5Exception e) {
      throw new MalformedModelException(path, g.path() + "/" + relPath, e.getMessage(), e);
    }
  }

  /**
   * A name list Keras wrote names each layer or weight once. A list that repeats a name (or is
   * absurdly long) would make initkit read, and write, the same data again and again: an untrusted
   * file's way to turn kilobytes into hours.
   */
  private static void checkNames(Path path, String location, List<String> names)
      throws MalformedModelException {
    if (names.size() > MAX_NAMES) {
      throw new MalformedModelException(
          path,
          location,
          "lists " + names.size() + " names, more than the " + MAX_NAMES + " initkit reads");
    }
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      if (!seen.add(n)) {
        throw new MalformedModelException(
            path, location, "lists '" + abbreviate(n) + "' twice (Keras writes each name once)");
      }
    }
  }

  /** More names in one list than any Keras model has. */
  static final int MAX_NAMES = 1_000_000;

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  /**
   * A list-of-names attribute, joined from Keras's split form ({@code name0}, {@code name1}, ...).
   */
  static List<String> names(Path path, H5Node node, String attr) throws IOException {
    if (node.hasAttribute(attr)) {
      List<String> v = node.attribute(attr).asStrings();
      if (v == null) {
        AttrValue raw = node.attribute(attr);
        if (raw instanceof AttrValue.Raw r && (r.nullSpace() || r.data().length == 0)) {
          return new ArrayList<>(); // an empty list written as an empty numeric array
        }
        throw new MalformedModelException(
            path, node.path() + "@" + attr, "expected a list of strings, found " + raw);
      }
      return new ArrayList<>(v);
    }
    if (!node.hasAttribute(attr + "0")) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; node.hasAttribute(attr + i); i++) {
      List<String> v = node.attribute(attr + i).asStrings();
      if (v == null) {
        throw new MalformedModelException(
            path, node.path() + "@" + attr + i, "expected a list of strings");
      }
      out.addAll(v);
    }
    return out;
  }

  private static String stringAttr(Path path, H5Node node, String attr) throws IOException {
    String s = node.attribute(attr).asString();
    if (s == null) {
      throw new MalformedModelException(
          path, node.path() + "@" + attr, "expected a string attribute");
    }
    return s;
  }

  private static String optionalString(H5Node node, String attr) throws H5Exception {
    return node.hasAttribute(attr) ? node.attribute(attr).asString() : null;
  }

  static JsonNode parseJson(Path path, String location, String text) throws ModelFormatException {
    try {
      JsonNode n = Json.parse(text);
      if (!n.isObject()) {
        throw new MalformedModelException(
            path, location, "expected a JSON object, found " + n.getNodeType());
      }
      return n;
    } catch (JsonProcessingException e) {
      // constraint violations (nesting, size, token count) carry no location
      com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
      throw new MalformedModelException(
          path,
          location,
          "malformed JSON: "
              + e.getOriginalMessage()
              + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
    } catch (IllegalArgumentException e) {
      throw new MalformedModelException(path, location, e.getMessage());
    }
  }
}
