package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.h5.KerasH5Reader;
import dev.initkit.internal.Json;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.Model;
import dev.initkit.model.OwnedModel;
import dev.initkit.model.Shape;
import dev.initkit.model.Weight;
import dev.initkit.model.WeightRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObjectGraph;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedVariable;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject;

/**
 * Reads a SavedModel directory into a {@link Model}: the variables of its checkpoint, mapped to
 * Keras layers through the object graph and the Keras metadata ({@code keras_metadata.pb}, or the
 * metadata TF 2.4-era files keep inside {@code saved_model.pb}), and the Keras config when the
 * metadata has one. Without Keras metadata (Keras 3 {@code model.export}, plain TensorFlow) the
 * variables are listed, grouped by their name's prefix, and there is no config.
 */
final class SavedModelReader {
  static final String OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH";
  static final String VARIABLE_VALUE = "VARIABLE_VALUE";

  /** Where the Keras metadata came from: keras_metadata.pb, saved_model.pb or none. */
  static final String META_SOURCE = "savedmodel.keras_metadata";

  static final long MAX_PB_BYTES = 1L << 30;
  private static final Set<String> LAYER_IDS =
      Set.of(
          "_tf_keras_layer",
          "_tf_keras_input_layer",
          "_tf_keras_rnn_layer",
          "_tf_keras_network",
          "_tf_keras_sequential",
          "_tf_keras_model");

  private SavedModelReader() {}

  /** Everything read from a SavedModel directory. */
  record Contents(
      Path dir,
      SavedModel savedModel,
      MetaGraphDef metaGraph,
      BundleIndex index,
      List<KerasMetadata.Node> kerasNodes,
      String metadataSource,
      Model model,
      Map<String, List<String>> aliases) {

    /** The checkpoint prefix, or null when the SavedModel has no variables. */
    String prefix() {
      return index == null ? null : dir.resolve("variables").resolve("variables").toString();
    }
  }

  static OwnedModel open(Path dir) throws IOException {
    Contents c = read(dir);
    CheckpointTensors tensors = new CheckpointTensors(c.dir(), c.index());
    return new OwnedModel(c.model(), tensors, tensors);
  }

  static Contents read(Path dir) throws IOException {
    Path pb = dir.resolve("saved_model.pb");
    if (!Files.isRegularFile(pb)) {
      throw new UnsupportedModelException(
          dir,
          "saved_model.pbtxt",
          "text-format SavedModels (saved_model.pbtxt) are not supported: re-save it in binary form");
    }
    if (Files.size(pb) > MAX_PB_BYTES) {
      throw new UnsupportedModelException(dir, "saved_model.pb", "larger than 1 GiB");
    }
    SavedModel sm;
    try {
      sm = SavedModel.parseFrom(Files.readAllBytes(pb));
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedModelException(
          dir, "saved_model.pb", "not a SavedModel proto: " + e.getMessage(), e);
    }
    if (sm.getMetaGraphsCount() == 0) {
      throw new MalformedModelException(dir, "saved_model.pb", "no meta graph");
    }
    MetaGraphDef mg = sm.getMetaGraphs(0);
    for (MetaGraphDef m : sm.getMetaGraphsList()) {
      if (m.getMetaInfoDef().getTagsList().contains("serve")) {
        mg = m;
        break;
      }
    }
    Path indexFile = dir.resolve("variables").resolve("variables.index");
    BundleIndex index = Files.isRegularFile(indexFile) ? BundleIndex.read(indexFile, dir) : null;
    SavedObjectGraph og = mg.getObjectGraphDef();

    List<KerasMetadata.Node> kerasNodes = new ArrayList<>();
    String metaSource = "none";
    Path kerasPb = dir.resolve("keras_metadata.pb");
    if (Files.isRegularFile(kerasPb)) {
      if (Files.size(kerasPb) > MAX_PB_BYTES) {
        throw new UnsupportedModelException(dir, "keras_metadata.pb", "larger than 1 GiB");
      }
      try {
        kerasNodes = KerasMetadata.parse(Files.readAllBytes(kerasPb));
      } catch (IOException e) {
        throw new MalformedModelException(
            dir, "keras_metadata.pb", "not a SavedMetadata proto: " + e.getMessage(), e);
      }
      metaSource = "keras_metadata.pb";
    } else {
      kerasNodes = embeddedMetadata(og);
      if (!kerasNodes.isEmpty()) {
        metaSource = "saved_model.pb";
      }
    }

    Map<Integer, String> keyOfNode = checkpointKeys(dir, og, index);
    Model.Builder b = Model.builder().source(dir.toString()).sourceFormat("savedmodel");
    b.metadata(META_SOURCE, metaSource);
    String tfVersion = mg.getMetaInfoDef().getTensorflowVersion();
    if (!tfVersion.isEmpty()) {
      b.metadata("savedmodel.tensorflow_version", tfVersion);
    }
    b.metadata(
        "savedmodel.signatures",
        String.join(",", new java.util.TreeSet<>(mg.getSignatureDefMap().keySet())));

    Map<String, List<String>> aliases = new LinkedHashMap<>();
    List<Layer> layers;
    KerasMetadata.Node root = KerasMetadata.root(kerasNodes);
    if (root != null) {
      layers = kerasLayers(dir, og, kerasNodes, root, keyOfNode, index, b);
    } else {
      layers = variableLayers(og, keyOfNode, index, aliases);
    }
    b.layers(layers);
    b.optimizerWeights(optimizerEntries(dir, index));
    return new Contents(dir, sm, mg, index, kerasNodes, metaSource, b.build(), aliases);
  }

  /**
   * True for a checkpoint key of optimizer state (tf-keras: {@code optimizer/...} and slot
   * variables).
   */
  static boolean isOptimizerKey(String key) {
    return key.startsWith("optimizer/") || key.contains("/.OPTIMIZER_SLOT/");
  }

  /**
   * Optimizer slots and counters: the state the writer zeroes when the layer weights are redrawn (a
   * fresh optimizer), as opposed to hyperparameters such as the learning rate.
   */
  static boolean isOptimizerState(String key) {
    return key.contains("/.OPTIMIZER_SLOT/")
        || key.startsWith("optimizer/_variables/")
        || key.startsWith("optimizer/iter/")
        || key.startsWith("optimizer/_iterations/");
  }

  private static List<Weight> optimizerEntries(Path dir, BundleIndex index) throws IOException {
    List<Weight> out = new ArrayList<>();
    if (index == null) {
      return out;
    }
    for (Map.Entry<String, BundleEntryProto> e : index.entries().entrySet()) {
      if (isOptimizerKey(e.getKey()) && dtypeOf(e.getValue().getDtype()) != null) {
        Weight w = weight(dir, null, e.getKey(), e.getValue());
        out.add(new Weight(w.name(), w.shape(), w.dtype(), WeightRole.OTHER, w.key()));
      }
    }
    return out;
  }

  /** TF 2.4-era files: the Keras metadata lives on the user objects of saved_model.pb. */
  @SuppressWarnings("deprecation") // the deprecated field is exactly what those files use
  private static List<KerasMetadata.Node> embeddedMetadata(SavedObjectGraph og) throws IOException {
    // re-encoded as SavedMetadata nodes so the rest of the reader sees one form; paths from BFS
    Map<Integer, String> paths = nodePaths(og);
    List<KerasMetadata.Node> out = new ArrayList<>();
    ByteArrayOutput buf = new ByteArrayOutput();
    for (int i = 0; i < og.getNodesCount(); i++) {
      SavedObject n = og.getNodes(i);
      if (n.getKindCase() == SavedObject.KindCase.USER_OBJECT
          && n.getUserObject().getIdentifier().startsWith("_tf_keras_")
          && !n.getUserObject().getMetadata().isEmpty()
          && paths.containsKey(i)) {
        buf.node(
            i, paths.get(i), n.getUserObject().getIdentifier(), n.getUserObject().getMetadata());
      }
    }
    out.addAll(KerasMetadata.parse(buf.toByteArray()));
    return out;
  }

  /** Builds SavedMetadata bytes for {@link #embeddedMetadata}. */
  private static final class ByteArrayOutput {
    private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    private final com.google.protobuf.CodedOutputStream out =
        com.google.protobuf.CodedOutputStream.newInstance(bytes);

    void node(int id, String path, String identifier, String metadata) throws IOException {
      com.google.protobuf.ByteString.Output body = com.google.protobuf.ByteString.newOutput();
      com.google.protobuf.CodedOutputStream b =
          com.google.protobuf.CodedOutputStream.newInstance(body);
      b.writeInt32(KerasMetadata.NODE_ID, id);
      b.writeString(KerasMetadata.NODE_PATH, path);
      b.writeString(KerasMetadata.IDENTIFIER, identifier);
      b.writeString(KerasMetadata.METADATA, metadata);
      b.flush();
      out.writeBytes(1, body.toByteString());
    }

    byte[] toByteArray() throws IOException {
      out.flush();
      return bytes.toByteArray();
    }
  }

  /**
   * The first breadth-first path of every node ({@code root.layer-0.cell}), as Keras names them.
   */
  static Map<Integer, String> nodePaths(SavedObjectGraph og) {
    Map<Integer, String> paths = new LinkedHashMap<>();
    if (og.getNodesCount() == 0) {
      return paths;
    }
    paths.put(0, "root");
    java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>(List.of(0));
    while (!queue.isEmpty()) {
      int id = queue.poll();
      for (var c : og.getNodes(id).getChildrenList()) {
        if (!paths.containsKey(c.getNodeId())) {
          paths.put(c.getNodeId(), paths.get(id) + "." + c.getLocalName());
          queue.add(c.getNodeId());
        }
      }
    }
    return paths;
  }

  /**
   * Checkpoint key of every variable node of the SavedModel's object graph, from the checkpoint's
   * own object graph ({@code _CHECKPOINTABLE_OBJECT_GRAPH}, a scalar string entry). Both graphs
   * number nodes alike (TensorFlow builds them from one list), which is checked: a node must be a
   * variable with a VARIABLE_VALUE attribute in both.
   */
  private static Map<Integer, String> checkpointKeys(
      Path dir, SavedObjectGraph og, BundleIndex index) throws IOException {
    Map<Integer, String> keys = new LinkedHashMap<>();
    if (index == null || !index.entries().containsKey(OBJECT_GRAPH_KEY)) {
      return keys;
    }
    byte[][] graph = new CheckpointData(dir, index).strings(OBJECT_GRAPH_KEY);
    if (graph.length != 1) {
      throw new MalformedModelException(
          dir,
          "variables/" + OBJECT_GRAPH_KEY,
          "expected one serialized object graph, found " + graph.length + " strings");
    }
    byte[] bytes = graph[0];
    TrackableObjectGraph tg;
    try {
      tg = TrackableObjectGraph.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedModelException(
          dir, "variables/" + OBJECT_GRAPH_KEY, "not a TrackableObjectGraph: " + e.getMessage(), e);
    }
    for (int i = 0; i < og.getNodesCount() && i < tg.getNodesCount(); i++) {
      if (og.getNodes(i).getKindCase() != SavedObject.KindCase.VARIABLE) {
        continue;
      }
      TrackableObject t = tg.getNodes(i);
      for (var a : t.getAttributesList()) {
        BundleEntryProto e = index.entries().get(a.getCheckpointKey());
        if (a.getName().equals(VARIABLE_VALUE)
            && e != null
            && sameVariable(og.getNodes(i).getVariable(), e)) {
          keys.put(i, a.getCheckpointKey());
        }
      }
    }
    return keys;
  }

  /** The graph's variable and the checkpoint entry agree on dtype and (known) shape. */
  private static boolean sameVariable(SavedVariable v, BundleEntryProto e) {
    if (v.getDtype() != e.getDtype()) {
      return false;
    }
    if (v.getShape().getUnknownRank() || v.getShape().getDimCount() != e.getShape().getDimCount()) {
      return v.getShape().getUnknownRank();
    }
    for (int d = 0; d < v.getShape().getDimCount(); d++) {
      long size = v.getShape().getDim(d).getSize();
      if (size >= 0 && size != e.getShape().getDim(d).getSize()) {
        return false;
      }
    }
    return true;
  }

  private static List<Layer> kerasLayers(
      Path dir,
      SavedObjectGraph og,
      List<KerasMetadata.Node> nodes,
      KerasMetadata.Node root,
      Map<Integer, String> keyOfNode,
      BundleIndex index,
      Model.Builder b)
      throws IOException {
    JsonNode rootMeta = parseMetadata(dir, root);
    if (rootMeta.hasNonNull("keras_version")) {
      b.kerasVersion(rootMeta.get("keras_version").asText());
    }
    if (rootMeta.hasNonNull("backend")) {
      b.backend(rootMeta.get("backend").asText());
    }
    JsonNode declared = declaredConfig(rootMeta);
    JsonNode config = layerGraph(declared);
    if (declared != null && config == null) {
      // a subclassed model: its config is whatever get_config returned, not a layer graph
      b.metadata("savedmodel.model_class", declared.path("class_name").asText(""));
    }
    if (rootMeta.path("training_config").isObject()) {
      b.trainingConfigText(Json.write(rootMeta.get("training_config")));
    }
    Map<String, List<Weight>> stored = new LinkedHashMap<>();
    Map<String, String> classes = new LinkedHashMap<>();
    Map<String, JsonNode> configs = new LinkedHashMap<>();
    Set<Integer> seen = new HashSet<>();
    for (KerasMetadata.Node n : nodes) {
      String path = n.nodePath();
      if (!LAYER_IDS.contains(n.identifier())
          || !path.startsWith("root.")
          || path.indexOf('.', 5) >= 0
          || !seen.add(n.nodeId())) {
        continue;
      }
      JsonNode meta = parseMetadata(dir, n);
      String name = meta.path("name").asText(path.substring(5));
      stored.put(name, layerVariables(dir, og, n.nodeId(), keyOfNode, index));
      classes.put(name, meta.path("class_name").asText(""));
      configs.put(name, decode(meta.get("config")));
    }
    if (config != null) {
      String text = Json.write(config);
      b.config(text, config);
      return KerasH5Reader.layersFromConfig(dir, config, stored, b);
    }
    List<Layer> out = new ArrayList<>();
    for (Map.Entry<String, List<Weight>> e : stored.entrySet()) {
      String cls = classes.get(e.getKey());
      List<Weight> refined = new ArrayList<>();
      for (Weight w : e.getValue()) {
        refined.add(
            new Weight(w.name(), w.shape(), w.dtype(), WeightRole.of(cls, w.name()), w.key()));
      }
      out.add(new Layer(e.getKey(), cls, configs.get(e.getKey()), refined, List.of()));
    }
    return out;
  }

  /**
   * The model's Keras config from the root node's metadata: a layer graph (functional or
   * sequential), decoded; null when the root has none (a subclassed model's config is whatever its
   * {@code get_config} returned, not a layer graph).
   */
  static JsonNode rootConfig(JsonNode rootMeta) {
    return layerGraph(declaredConfig(rootMeta));
  }

  private static JsonNode layerGraph(JsonNode config) {
    return config != null
            && (config.path("config").path("layers").isArray() || config.path("config").isArray())
        ? config
        : null;
  }

  /** The root's config as the metadata declares it, decoded; null when it declares none. */
  private static JsonNode declaredConfig(JsonNode rootMeta) {
    if (rootMeta.path("model_config").isObject()) {
      return decode(rootMeta.get("model_config"));
    } else if (rootMeta.path("config").path("layers").isArray()) {
      ObjectNode c = Json.mapper().createObjectNode();
      c.put("class_name", rootMeta.path("class_name").asText());
      c.set("config", decode(rootMeta.get("config")));
      return c;
    }
    return null;
  }

  /**
   * A config as tf-keras's {@code get_config()} returns it: the metadata JSON encodes tuples as
   * {@code {"class_name": "__tuple__", "items": [...]}} (tf-keras json_utils) and marks shared
   * objects with {@code shared_object_id}; the decoded form is what the .h5/.keras writers and
   * Keras 3 expect.
   */
  static JsonNode decode(JsonNode n) {
    if (n == null) {
      return null;
    }
    if (n.isObject()) {
      if (n.path("class_name").asText().equals("__tuple__") && n.path("items").isArray()) {
        return decode(n.get("items"));
      }
      ObjectNode o = Json.mapper().createObjectNode();
      n.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("shared_object_id")) {
                  o.set(e.getKey(), decode(e.getValue()));
                }
              });
      return o;
    }
    if (n.isArray()) {
      var a = Json.mapper().createArrayNode();
      n.forEach(x -> a.add(decode(x)));
      return a;
    }
    return n;
  }

  static JsonNode parseMetadata(Path dir, KerasMetadata.Node n) throws MalformedModelException {
    try {
      JsonNode j = Json.parse(n.metadata());
      if (!j.isObject()) {
        throw new IllegalArgumentException("expected a JSON object");
      }
      return j;
    } catch (IOException | IllegalArgumentException e) {
      throw new MalformedModelException(
          dir, "keras metadata " + n.nodePath(), "invalid JSON: " + e.getMessage());
    }
  }

  /** A Keras layer's weights in Keras order: its {@code variables} list in the object graph. */
  private static List<Weight> layerVariables(
      Path dir,
      SavedObjectGraph og,
      int layerNode,
      Map<Integer, String> keyOfNode,
      BundleIndex index)
      throws IOException {
    List<Weight> out = new ArrayList<>();
    if (layerNode < 0 || layerNode >= og.getNodesCount()) {
      throw new MalformedModelException(
          dir, "keras_metadata.pb", "node " + layerNode + " is not in the object graph");
    }
    for (var c : og.getNodes(layerNode).getChildrenList()) {
      if (!c.getLocalName().equals("variables")) {
        continue;
      }
      for (var v : og.getNodes(c.getNodeId()).getChildrenList()) {
        SavedObject node = og.getNodes(v.getNodeId());
        if (node.getKindCase() != SavedObject.KindCase.VARIABLE) {
          continue;
        }
        String key = keyOfNode.get(v.getNodeId());
        if (key == null) {
          throw new MalformedModelException(
              dir,
              "variables/variables.index",
              "variable " + node.getVariable().getName() + " has no value in the checkpoint");
        }
        out.add(weight(dir, node.getVariable(), key, index.entries().get(key)));
      }
    }
    return out;
  }

  private static Weight weight(Path dir, SavedVariable v, String key, BundleEntryProto e)
      throws IOException {
    DType dtype = dtypeOf(e.getDtype());
    if (dtype == null) {
      throw new UnsupportedModelException(
          dir, key, "variable dtype " + e.getDtype() + " is not supported");
    }
    long[] dims = new long[e.getShape().getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = e.getShape().getDim(i).getSize();
      if (dims[i] < 0) {
        // the index's content, not the caller's: Shape would call it an illegal argument
        throw new MalformedModelException(
            dir,
            key,
            "the checkpoint index gives the variable a negative dimension: "
                + java.util.Arrays.toString(dims));
      }
    }
    String name = v == null || v.getName().isEmpty() ? key : v.getName();
    return new Weight(name, Shape.of(dims), dtype, WeightRole.fromVariableName(name), key);
  }

  /**
   * Without Keras metadata: every variable of the object graph (else of the checkpoint), one layer
   * per name prefix. Variables tracked twice under one name (Keras 3 {@code export} keeps {@code
   * variables} and {@code _all_variables}) are one weight whose keys are all written.
   */
  private static List<Layer> variableLayers(
      SavedObjectGraph og,
      Map<Integer, String> keyOfNode,
      BundleIndex index,
      Map<String, List<String>> aliases)
      throws IOException {
    Map<String, List<Weight>> byLayer = new LinkedHashMap<>();
    Map<String, String> primaryOfName = new LinkedHashMap<>();
    Path dir = null;
    if (index == null) {
      return List.of();
    }
    List<Map.Entry<String, SavedVariable>> vars = new ArrayList<>();
    for (Map.Entry<Integer, String> e : keyOfNode.entrySet()) {
      vars.add(Map.entry(e.getValue(), og.getNodes(e.getKey()).getVariable()));
    }
    if (vars.isEmpty()) {
      // TF1 checkpoints name variables by their keys
      for (String k : index.entries().keySet()) {
        if (!k.equals(OBJECT_GRAPH_KEY) && dtypeOf(index.entries().get(k).getDtype()) != null) {
          vars.add(Map.entry(k, SavedVariable.getDefaultInstance()));
        }
      }
    }
    for (Map.Entry<String, SavedVariable> e : vars) {
      Weight w = weight(dir, e.getValue(), e.getKey(), index.entries().get(e.getKey()));
      String identity = w.name() + " " + w.shape() + " " + w.dtype();
      String primary = primaryOfName.get(identity);
      if (primary != null) {
        aliases.computeIfAbsent(primary, k -> new ArrayList<>(List.of(k))).add(e.getKey());
        continue;
      }
      primaryOfName.put(identity, e.getKey());
      int slash = w.name().lastIndexOf('/');
      String layer = slash > 0 ? w.name().substring(0, slash) : w.name();
      byLayer.computeIfAbsent(layer, k -> new ArrayList<>()).add(w);
    }
    // Keras 3 names variables "<model>/<layer>/<var>": the model's name says nothing about the
    // layer
    String common = commonFirstComponent(byLayer.keySet());
    List<Layer> out = new ArrayList<>();
    byLayer.forEach(
        (name, ws) ->
            out.add(
                new Layer(
                    common == null ? name : name.substring(common.length() + 1),
                    "",
                    null,
                    ws,
                    List.of())));
    return out;
  }

  /** The first path component every name shares, when every name has more than one; else null. */
  private static String commonFirstComponent(Set<String> names) {
    String common = null;
    for (String n : names) {
      int slash = n.indexOf('/');
      if (slash <= 0) {
        return null;
      }
      String first = n.substring(0, slash);
      if (common != null && !common.equals(first)) {
        return null;
      }
      common = first;
    }
    return names.size() > 1 ? common : null;
  }

  static DType dtypeOf(DataType dt) {
    switch (dt) {
      case DT_FLOAT:
        return DType.FLOAT32;
      case DT_DOUBLE:
        return DType.FLOAT64;
      case DT_HALF:
        return DType.FLOAT16;
      case DT_BFLOAT16:
        return DType.BFLOAT16;
      case DT_INT32:
        return DType.INT32;
      case DT_INT64:
        return DType.INT64;
      case DT_UINT8:
        return DType.UINT8;
      case DT_UINT16:
        return DType.UINT16;
      case DT_BOOL:
        return DType.BOOL;
      default:
        return null;
    }
  }
}
