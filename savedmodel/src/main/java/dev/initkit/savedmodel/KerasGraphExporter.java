package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.MalformedModelException;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.ConfigLayers;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * Lowers a Keras model (from {@code .h5}/{@code .keras}) to a TensorFlow graph, once for both of
 * its uses: {@link #export} writes it as a serving SavedModel, {@link #lower} leaves it in a graph
 * for {@link ModelGraph} (analysis and training in this JVM).
 *
 * <p>The serving SavedModel: its forward pass built as a TensorFlow graph with TensorFlow Java ops,
 * its weights as resource variables (in the file's dtype) saved with {@code SaveV2}, restored on
 * load through the {@code SaverDef}, and one {@code serving_default} signature with an input per
 * model input and an output per model output, keyed by Keras's input and output layer names (TF1
 * layout: what TensorFlow Serving, {@code tf.saved_model.load} and TensorFlow Java load).
 *
 * <p>This class walks the topology (Sequential, Functional, nested models, shared layers called at
 * several nodes, TimeDistributed); the layer families build the ops. Anything else is an {@link
 * UnsupportedModelException} naming the layer, thrown before anything is written. Inference only:
 * dropout and noise are identities, normalization uses the moving statistics, and every layer
 * computes in float32 whatever its dtype policy.
 */
final class KerasGraphExporter {
  private static final Set<String> IDENTITY =
      Set.of(
          "Dropout",
          "SpatialDropout1D",
          "SpatialDropout2D",
          "SpatialDropout3D",
          "GaussianNoise",
          "GaussianDropout",
          "AlphaDropout",
          "ActivityRegularization",
          "Identity");
  private static final Set<String> SHAPES =
      Set.of(
          "Flatten",
          "Reshape",
          "Permute",
          "RepeatVector",
          "ZeroPadding1D",
          "ZeroPadding2D",
          "ZeroPadding3D",
          "Cropping1D",
          "Cropping2D",
          "Cropping3D",
          "UpSampling1D",
          "UpSampling2D",
          "UpSampling3D");
  private static final Set<String> POOLS =
      Set.of(
          "MaxPooling1D",
          "MaxPooling2D",
          "MaxPooling3D",
          "AveragePooling1D",
          "AveragePooling2D",
          "AveragePooling3D",
          "MaxPool1D",
          "MaxPool2D",
          "MaxPool3D",
          "AvgPool1D",
          "AvgPool2D",
          "AvgPool3D");
  private static final Set<String> ACTIVATIONS =
      Set.of("Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU", "ThresholdedReLU");
  private static final String SUPPORTED =
      "serving SavedModels support Dense, Conv1D/2D/3D and their"
          + " Transpose, DepthwiseConv1D/2D, SeparableConv1D/2D, pooling, BatchNormalization,"
          + " LayerNormalization, GroupNormalization, RMSNormalization, activations, Dropout, shape layers,"
          + " Embedding, SimpleRNN, LSTM, GRU, RNN of their cells, Bidirectional, TimeDistributed, EinsumDense,"
          + " attention layers, ConvLSTM, SpectralNormalization, LocallyConnected, merges and nested models";

  private final Model model;
  private final LoadedModel loaded;
  private final Path file;
  private final Graph g;
  private final Ops tf;
  private final ExportContext cx;
  private final CoreLayers core;
  private final ConvolutionLayers conv;
  private final ShapeLayers shapes;
  private final RecurrentLayers rnn;
  private final MergeLayers merges;
  private final AttentionLayers attention;
  private final WrapperLayers wrappers;

  /** Each layer call's first output by layer path (first call of a shared layer), in call order. */
  private final Map<String, GraphValue> layerOutputs = new LinkedHashMap<>();

  private KerasGraphExporter(LoadedModel loaded, Graph g, String purpose) {
    this.loaded = loaded;
    this.model = loaded.model();
    this.file = Path.of(model.source().isEmpty() ? "." : model.source());
    this.g = g;
    this.tf = Ops.create(g);
    this.cx = new ExportContext(tf, file, purpose);
    Activations act = new Activations(cx, model.kerasVersion().orElse(""));
    this.core = new CoreLayers(cx, act);
    this.conv = new ConvolutionLayers(cx, act);
    this.shapes = new ShapeLayers(cx);
    this.rnn = new RecurrentLayers(cx, act);
    this.merges = new MergeLayers(cx);
    this.attention = new AttentionLayers(cx, act);
    this.wrappers = new WrapperLayers(cx, this::layer);
  }

  /** Builds the graph and writes the SavedModel into the (empty) directory {@code dir}. */
  static void export(LoadedModel loaded, Path dir, Consumer<String> notes) throws IOException {
    Model model = loaded.model();
    if (model.config().isEmpty()) {
      throw new UnsupportedModelException(
          Path.of(model.source()),
          "",
          "a serving SavedModel needs the Keras config to build the graph, and this file has none");
    }
    try (Graph g = new Graph()) {
      new KerasGraphExporter(loaded, g, "cannot write a serving SavedModel").write(dir, notes);
    } catch (org.tensorflow.exceptions.TensorFlowException | IllegalArgumentException e) {
      // TensorFlow refuses the graph (shapes of the config and the weights disagree, ...)
      throw new MalformedModelException(
          Path.of(model.source()),
          "",
          "TensorFlow cannot build the serving graph: " + firstLine(e.getMessage()),
          e);
    }
  }

  /**
   * The signature's input and output keys, in the model's order: Keras's input layer names and
   * output layer names (a name output twice gets its position appended).
   */
  static List<List<String>> signatureKeys(JsonNode modelConfig) {
    List<String> ins = new ArrayList<>();
    List<String> outs = new ArrayList<>();
    if (ConfigLayers.isSequential(modelConfig)) {
      List<ConfigLayers.Entry> es = ConfigLayers.entries(modelConfig);
      ins.add(es.get(0).className().equals("InputLayer") ? es.get(0).name() : "input");
      outs.add(es.get(es.size() - 1).name());
    } else {
      JsonNode c = modelConfig.path("config");
      refs(c.path("input_layers")).forEach(r -> ins.add(r.name()));
      refs(c.path("output_layers")).forEach(r -> outs.add(r.name()));
    }
    return List.of(List.copyOf(ins), unique(outs));
  }

  private static List<String> unique(List<String> names) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      out.add(names.indexOf(n) != names.lastIndexOf(n) ? n + "_" + i : n);
    }
    return out;
  }

  /**
   * The graph as built: input placeholders and output identities keyed as the signature keys them,
   * the variables (not yet initialized) and each layer's output by layer path.
   */
  record Lowered(
      List<ServingBundleWriter.Port> inputs,
      List<ServingBundleWriter.Port> outputs,
      List<ExportContext.Variable> variables,
      Map<String, GraphValue> layerOutputs,
      List<List<String>> keys,
      org.tensorflow.Operand<org.tensorflow.types.TBool> training,
      List<org.tensorflow.op.Op> updates,
      Map<String, org.tensorflow.Operand<TFloat32>> projections) {}

  /**
   * Builds the forward graph of {@code loaded} into {@code g} (inference mode, as in {@link
   * #export}); {@code purpose} opens the refusals ("TensorFlow cannot run this model").
   */
  static Lowered lower(LoadedModel loaded, Graph g, String purpose) throws IOException {
    return lower(loaded, g, purpose, false);
  }

  /**
   * {@link #lower(LoadedModel, Graph, String)}; with {@code training}, the graph also runs as
   * Keras's {@code fit} does when its boolean placeholder {@code initkit_training} (default false)
   * is fed true: BatchNormalization on the batch's statistics, Dropout dropping; {@link
   * Lowered#updates()} move the moving statistics.
   */
  static Lowered lower(LoadedModel loaded, Graph g, String purpose, boolean training)
      throws IOException {
    Model model = loaded.model();
    if (model.config().isEmpty()) {
      throw new UnsupportedModelException(
          Path.of(model.source()), "", purpose + ": the file has no Keras config to build from");
    }
    try {
      KerasGraphExporter x = new KerasGraphExporter(loaded, g, purpose);
      if (training) {
        x.cx.training =
            x.tf
                .withName("initkit_training")
                .placeholderWithDefault(
                    x.tf.constant(false), org.tensorflow.ndarray.Shape.scalar());
      }
      return x.build();
    } catch (org.tensorflow.exceptions.TensorFlowException | IllegalArgumentException e) {
      throw new MalformedModelException(
          Path.of(model.source()),
          "",
          "TensorFlow cannot build the model's graph: " + firstLine(e.getMessage()),
          e);
    }
  }

  private void write(Path dir, Consumer<String> notes) throws IOException {
    Lowered l = build();
    List<List<String>> keys = l.keys();
    ServingBundleWriter.write(
        g, tf, cx.variables(), loaded.tensors(), l.inputs(), l.outputs(), dir);
    notes.accept(
        "serving SavedModel (inference graph built by initkit: "
            + cx.variables().size()
            + " variables, signature serving_default, inputs "
            + keys.get(0)
            + ", outputs "
            + keys.get(1)
            + "); no Keras metadata");
  }

  private Lowered build() throws IOException {
    JsonNode config = model.config().get();
    String cls = ConfigLayers.modelClass(config);
    if (!Layer.isModelClass(cls)) {
      throw cx.unsupported("", "model class " + cls);
    }
    List<List<String>> keys;
    List<ConfigLayers.Entry> entries;
    try {
      keys = signatureKeys(config);
      entries = ConfigLayers.entries(config);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      throw cx.unsupported("model_config", "this model config (" + e.getMessage() + ")");
    }
    Map<String, ConfigLayers.Entry> byName = new HashMap<>();
    entries.forEach(e -> byName.put(e.name(), e));
    List<ServingBundleWriter.Port> inputs = new ArrayList<>();
    List<GraphValue> inValues = new ArrayList<>();
    if (ConfigLayers.isSequential(config)) {
      ConfigLayers.Entry first = entries.get(0);
      input(first, keys.get(0).get(0), inputs, inValues);
    } else {
      for (String name : keys.get(0)) {
        ConfigLayers.Entry e = byName.get(name);
        if (e == null) {
          throw cx.unsupported(name, "an input that is not an InputLayer of the model");
        }
        input(e, name, inputs, inValues);
      }
    }
    List<GraphValue> results = callModel(config, layersOf(model.layers()), "", inValues);
    List<ServingBundleWriter.Port> outputs = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      String key = keys.get(1).get(i);
      // under their own scope: an output named like an op the layers made (reshape, ...) would
      // clash
      Operand<TFloat32> y =
          tf.withSubScope("outputs").withName(key.replace('/', '_')).identity(results.get(i).op());
      outputs.add(new ServingBundleWriter.Port(key, y, DataType.DT_FLOAT, results.get(i).shape()));
    }
    return new Lowered(
        inputs,
        outputs,
        cx.variables(),
        layerOutputs,
        keys,
        cx.training,
        List.copyOf(cx.updates),
        java.util.Collections.unmodifiableMap(cx.projections));
  }

  /** A placeholder in the input's dtype, and its value as float32 for the layers. */
  private void input(
      ConfigLayers.Entry e,
      String key,
      List<ServingBundleWriter.Port> ports,
      List<GraphValue> values)
      throws UnsupportedModelException {
    long[] shape = batchShape(e);
    JsonNode d = e.config().path("dtype");
    String dtype = d.isTextual() ? d.asText() : d.path("config").path("name").asText("float32");
    Class<? extends TType> type;
    DataType dt;
    if (dtype.startsWith("int") || dtype.startsWith("uint")) {
      type = TInt32.class;
      dt = DataType.DT_INT32;
    } else if (dtype.equals("float64")) {
      type = TFloat64.class;
      dt = DataType.DT_DOUBLE;
    } else if (dtype.equals("float16")) {
      type = TFloat16.class;
      dt = DataType.DT_HALF;
    } else if (dtype.equals("bfloat16")) {
      type = TBfloat16.class;
      dt = DataType.DT_BFLOAT16;
    } else if (dtype.equals("float32") || dtype.startsWith("mixed")) {
      type = TFloat32.class;
      dt = DataType.DT_FLOAT;
    } else {
      throw cx.unsupported(e.name(), "an input of dtype " + dtype);
    }
    Placeholder<? extends TType> p =
        tf.withName(key).placeholder(type, Placeholder.shape(Shape.of(shape)));
    ports.add(new ServingBundleWriter.Port(key, p, dt, shape));
    values.add(
        new GraphValue(
            type == TFloat32.class ? asFloat(p) : tf.dtypes.cast(p, TFloat32.class), shape));
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> asFloat(Operand<? extends TType> p) {
    return (Operand<TFloat32>) p;
  }

  private static Map<String, Layer> layersOf(List<Layer> layers) {
    Map<String, Layer> out = new HashMap<>();
    layers.forEach(l -> out.put(l.name(), l));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // topology

  /** A tensor reference in a config: the layer, its call (node) and which of its outputs. */
  private record Ref(String name, int node, int tensor) {}

  /**
   * Input_layers/output_layers: one {@code [name, node, tensor]} (Keras 3, one tensor) or a list of
   * them.
   */
  private static List<Ref> refs(JsonNode n) {
    List<Ref> out = new ArrayList<>();
    if (n.isArray() && n.size() > 0 && n.get(0).isTextual()) {
      out.add(new Ref(n.get(0).asText(), n.path(1).asInt(0), n.path(2).asInt(0)));
    } else {
      n.forEach(r -> out.add(new Ref(r.get(0).asText(), r.path(1).asInt(0), r.path(2).asInt(0))));
    }
    return out;
  }

  /** Runs a Sequential or Functional config on {@code inputs}; its outputs in order. */
  private List<GraphValue> callModel(
      JsonNode modelConfig, Map<String, Layer> layers, String scope, List<GraphValue> inputs)
      throws IOException {
    List<ConfigLayers.Entry> entries;
    try {
      entries = ConfigLayers.entries(modelConfig);
    } catch (IllegalArgumentException e) {
      throw cx.unsupported(scope, "this model config (" + e.getMessage() + ")");
    }
    if (ConfigLayers.isSequential(modelConfig)) {
      if (inputs.size() != 1) {
        throw cx.unsupported(scope, "a Sequential called on " + inputs.size() + " inputs");
      }
      GraphValue x = inputs.get(0);
      for (ConfigLayers.Entry e : entries) {
        if (!e.className().equals("InputLayer")) {
          x = single(e, callLayer(e, layers.get(e.name()), scope, List.of(x)));
        }
      }
      return List.of(x);
    }
    Map<String, ConfigLayers.Entry> byName = new HashMap<>();
    entries.forEach(e -> byName.put(e.name(), e));
    JsonNode c = modelConfig.path("config");
    List<Ref> ins = refs(c.path("input_layers"));
    if (ins.size() != inputs.size()) {
      throw cx.unsupported(
          scope, "a model of " + ins.size() + " inputs called on " + inputs.size());
    }
    Map<String, List<GraphValue>> done = new HashMap<>();
    for (int i = 0; i < ins.size(); i++) {
      done.put(ins.get(i).name() + "#0", List.of(inputs.get(i)));
    }
    List<GraphValue> out = new ArrayList<>();
    for (Ref r : refs(c.path("output_layers"))) {
      out.add(tensor(r, byName, layers, scope, done));
    }
    return out;
  }

  private GraphValue tensor(
      Ref r,
      Map<String, ConfigLayers.Entry> byName,
      Map<String, Layer> layers,
      String scope,
      Map<String, List<GraphValue>> done)
      throws IOException {
    List<GraphValue> outs = node(r.name(), r.node(), byName, layers, scope, done);
    if (r.tensor() >= outs.size()) {
      throw cx.unsupported(r.name(), "output " + r.tensor() + " of a layer with " + outs.size());
    }
    return outs.get(r.tensor());
  }

  /** The outputs of one call of a layer, built once (a shared layer's calls are separate nodes). */
  private List<GraphValue> node(
      String name,
      int node,
      Map<String, ConfigLayers.Entry> byName,
      Map<String, Layer> layers,
      String scope,
      Map<String, List<GraphValue>> done)
      throws IOException {
    String key = name + "#" + node;
    List<GraphValue> known = done.get(key);
    if (known != null) {
      return known;
    }
    ConfigLayers.Entry e = byName.get(name);
    if (e == null) {
      throw cx.unsupported(name, "a reference to a layer the model does not list");
    }
    JsonNode nodes = e.raw().path("inbound_nodes");
    if (node == nodes.size()
        && node > 0
        && Layer.isModelClass(e.className())
        && nodes.get(0).isArray()) {
      // tf-keras counts a nested model's own construction as its node 0, which it does not list
      node--;
    }
    if (node >= nodes.size()) {
      throw cx.unsupported(name, "call " + node + " of a layer called " + nodes.size() + " times");
    }
    done.put(key, List.of()); // a cycle finds an empty list and fails below
    List<GraphValue> ins = new ArrayList<>();
    for (Ref r : inbound(e, nodes.get(node))) {
      ins.add(tensor(r, byName, layers, scope, done));
    }
    List<GraphValue> out = callLayer(e, layers.get(name), scope, ins);
    done.put(key, out);
    return out;
  }

  /**
   * The tensors a call takes, in order: positional ones, then keyword ones (Keras 3's {@code
   * {"args", "kwargs"}} with {@code keras_history}, or tf-keras's {@code [name, node, tensor,
   * kwargs]} lists). Any other keyword tensor (a mask, ...) is refused.
   */
  private List<Ref> inbound(ConfigLayers.Entry e, JsonNode n) throws UnsupportedModelException {
    List<Ref> out = new ArrayList<>();
    if (n.isArray()) {
      for (JsonNode x : n) {
        out.add(new Ref(x.get(0).asText(), x.path(1).asInt(0), x.path(2).asInt(0)));
        keywordTensors(e, x.path(3), out);
      }
    } else {
      history(n.path("args"), out);
      keywordTensors(e, n.path("kwargs"), out);
    }
    if (out.isEmpty()) {
      throw cx.unsupported(e.name(), e.className() + " without inputs");
    }
    return out;
  }

  /** Keyword tensors the attention layers take (value, then key); any other one is refused. */
  private void keywordTensors(ConfigLayers.Entry e, JsonNode kwargs, List<Ref> out)
      throws UnsupportedModelException {
    Map<String, Ref> found = new HashMap<>();
    var it = kwargs.fields();
    while (it.hasNext()) {
      var f = it.next();
      List<Ref> refs = new ArrayList<>();
      history(f.getValue(), refs);
      JsonNode v = f.getValue();
      if (refs.isEmpty()
          && v.isArray()
          && v.size() >= 3
          && v.get(0).isTextual()
          && v.get(1).isNumber()) {
        refs.add(new Ref(v.get(0).asText(), v.get(1).asInt(), v.get(2).asInt()));
      }
      if (refs.isEmpty()) {
        if (f.getKey().equals("use_causal_mask") && v.asBoolean(false)) {
          throw cx.unsupported(e.name(), e.className() + " with use_causal_mask");
        }
        continue;
      }
      if (!(f.getKey().equals("value") || f.getKey().equals("key"))
          || refs.size() != 1
          || !AttentionLayers.CLASSES.contains(e.className())) {
        throw cx.unsupported(
            e.name(), e.className() + " called with the tensor argument " + f.getKey());
      }
      found.put(f.getKey(), refs.get(0));
    }
    if (found.containsKey("value")) {
      out.add(found.get("value"));
    }
    if (found.containsKey("key")) {
      if (!found.containsKey("value")) {
        throw cx.unsupported(e.name(), e.className() + " called with a key but no value");
      }
      out.add(found.get("key"));
    }
  }

  private static void history(JsonNode a, List<Ref> out) {
    if (a.isArray()) {
      a.forEach(x -> history(x, out));
    } else if (a.path("class_name").asText().equals("__keras_tensor__")) {
      JsonNode h = a.path("config").path("keras_history");
      out.add(new Ref(h.path(0).asText(), h.path(1).asInt(0), h.path(2).asInt(0)));
    }
  }

  private GraphValue single(ConfigLayers.Entry e, List<GraphValue> outs)
      throws UnsupportedModelException {
    if (outs.size() != 1) {
      throw cx.unsupported(
          e.name(), e.className() + " with " + outs.size() + " outputs inside a Sequential");
    }
    return outs.get(0);
  }

  // ---------------------------------------------------------------------------------------------
  // layers

  private List<GraphValue> callLayer(
      ConfigLayers.Entry e, Layer layer, String scope, List<GraphValue> ins) throws IOException {
    String path = scope.isEmpty() ? e.name() : scope + "/" + e.name();
    if (Layer.isModelClass(e.className())) {
      return callModel(e.raw(), layer == null ? Map.of() : layersOf(layer.children()), path, ins);
    }
    List<GraphValue> out = callPlainLayer(e, layer, path, ins);
    layerOutputs.putIfAbsent(path, out.get(0));
    return out;
  }

  private List<GraphValue> callPlainLayer(
      ConfigLayers.Entry e, Layer layer, String path, List<GraphValue> ins) throws IOException {
    JsonNode policy = e.config().path("dtype");
    if (policy.path("class_name").asText().startsWith("Quantized")) {
      // quantized layers compute with their scales (int8/int4 codes, float8 fake-quantization)
      throw cx.unsupported(
          e.name(), "a quantized layer (" + policy.path("class_name").asText() + ")");
    }
    LayerCall call = ExportContext.call(e, path);
    if (MergeLayers.CLASSES.contains(e.className())) {
      return List.of(merges.merge(call, ins));
    }
    if (AttentionLayers.CLASSES.contains(e.className())) {
      return List.of(attention.apply(call, ins, layer == null ? List.of() : layer.weights()));
    }
    if (ins.size() != 1) {
      throw cx.unsupported(e.name(), e.className() + " with " + ins.size() + " inputs");
    }
    return List.of(layer(call, ins.get(0), layer == null ? List.of() : layer.weights()));
  }

  private GraphValue layer(LayerCall e, GraphValue x, List<Weight> ws) throws IOException {
    String cls = e.className();
    if (cls.equals("Dropout")) {
      return core.dropout(e, x);
    }
    if (IDENTITY.contains(cls)) {
      return x;
    }
    if (SHAPES.contains(cls)) {
      return shapes.apply(e, x);
    }
    if (POOLS.contains(cls)) {
      return conv.pool(e, x);
    }
    if (ACTIVATIONS.contains(cls)) {
      return core.activationLayer(e, x, ws);
    }
    if (RecurrentLayers.CLASSES.contains(cls)) {
      return rnn.recurrent(e, x, ws);
    }
    switch (cls) {
      case "Dense":
        return core.dense(e, x, ws);
      case "Conv1D":
      case "Conv2D":
      case "Conv3D":
      case "Convolution1D":
      case "Convolution2D":
      case "Convolution3D":
        return conv.conv(e, x, ws);
      case "Conv1DTranspose":
      case "Conv2DTranspose":
      case "Conv3DTranspose":
        return conv.convTranspose(e, x, ws);
      case "DepthwiseConv1D":
      case "DepthwiseConv2D":
      case "SeparableConv1D":
      case "SeparableConv2D":
        return conv.separable(e, x, ws);
      case "GlobalAveragePooling1D":
      case "GlobalAveragePooling2D":
      case "GlobalAveragePooling3D":
      case "GlobalMaxPooling1D":
      case "GlobalMaxPooling2D":
      case "GlobalMaxPooling3D":
        return conv.globalPool(e, x);
      case "BatchNormalization":
        return core.batchNorm(e, x, ws);
      case "LayerNormalization":
        return core.layerNorm(e, x, ws);
      case "GroupNormalization":
        return core.groupNorm(e, x, ws);
      case "RMSNormalization":
        return core.rmsNorm(e, x, ws);
      case "Embedding":
        return core.embedding(e, x, ws);
      case "Normalization":
        return core.normalization(e, x, ws);
      case "Rescaling":
        return core.rescaling(e, x);
      case "UnitNormalization":
        return core.unitNorm(e, x);
      case "EinsumDense":
        return attention.einsumDense(e, x, ws);
      case "ReversibleEmbedding":
        if (e.config().path("logit_soft_cap").isNumber()) {
          throw cx.unsupported(e.name(), "ReversibleEmbedding with logit_soft_cap");
        }
        return core.embedding(
            e, x, ws); // called forward it is an Embedding (the reverse is another call)
      case "RNN":
        return rnn.cells(e, x, ws);
      case "ConvLSTM1D":
      case "ConvLSTM2D":
      case "ConvLSTM3D":
        return rnn.convLstm(e, x, ws, conv);
      case "LocallyConnected1D":
      case "LocallyConnected2D":
        return conv.locallyConnected(e, x, ws);
      case "SpectralNormalization":
        return wrappers.spectralNormalization(e, x, ws);
      case "Bidirectional":
        return rnn.bidirectional(e, x, ws);
      case "TimeDistributed":
        return wrappers.timeDistributed(e, x, ws);
      default:
        throw cx.unsupported(e.name(), "layer class " + cls + " (" + SUPPORTED + ")");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private long[] batchShape(ConfigLayers.Entry e) throws UnsupportedModelException {
    JsonNode c = e.config();
    JsonNode s = c.has("batch_input_shape") ? c.get("batch_input_shape") : c.get("batch_shape");
    if (s == null || !s.isArray() || s.size() < 2) {
      throw cx.unsupported(e.name(), "the model's input shape is not in the config");
    }
    long[] out = new long[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.get(i).isNull() ? -1 : s.get(i).asLong();
    }
    out[0] = -1;
    return out;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
