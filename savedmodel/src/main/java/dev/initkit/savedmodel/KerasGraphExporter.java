package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.format.ConfigLayers;
import dev.initkit.format.UnsupportedModelException;
import dev.initkit.model.DType;
import dev.initkit.model.Layer;
import dev.initkit.model.LoadedModel;
import dev.initkit.model.Model;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * Writes a Keras model (from {@code .h5}/{@code .keras}) as a serving SavedModel: its forward pass
 * built as a TensorFlow graph with TensorFlow Java ops, its weights as resource variables saved
 * with {@code SaveV2}, restored on load through the {@code SaverDef}, and one {@code
 * serving_default} signature (TF1 layout: what TensorFlow Serving, {@code tf.saved_model.load}
 * and TensorFlow Java load). Layers: Dense, Conv1D/2D, pooling, BatchNormalization, activations,
 * Dropout-like, Flatten, Reshape, Embedding, SimpleRNN, LSTM, GRU; anything else is an
 * {@link UnsupportedModelException} naming the layer. Inference only: dropout and noise are
 * identities, normalization uses the moving statistics.
 */
final class KerasGraphExporter {
  private static final Set<String> IDENTITY = Set.of("Dropout", "SpatialDropout1D", "SpatialDropout2D",
      "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization");
  private static final Set<String> MERGES = Set.of("Add", "Subtract", "Multiply", "Average", "Maximum",
      "Minimum", "Concatenate");

  private final Model model;
  private final TensorSource tensors;
  private final Path file;
  private final Graph g;
  private final Ops tf;
  private final List<Variable> variables = new ArrayList<>();

  /** A graph tensor with its static shape ({@code -1} = unknown, the batch at least). */
  private record T(Operand<TFloat32> op, long[] shape) {
    int rank() {
      return shape.length;
    }

    long last() {
      return shape[shape.length - 1];
    }
  }

  private record Variable(String name, VarHandleOp handle, Weight weight) {}

  private KerasGraphExporter(Model model, TensorSource tensors, Graph g) {
    this.model = model;
    this.tensors = tensors;
    this.file = Path.of(model.source().isEmpty() ? "." : model.source());
    this.g = g;
    this.tf = Ops.create(g);
  }

  /** Builds the graph and writes the SavedModel into the (empty) directory {@code dir}. */
  static void export(LoadedModel loaded, Path dir, Consumer<String> notes) throws IOException {
    Model model = loaded.model();
    if (model.config().isEmpty()) {
      throw new UnsupportedModelException(Path.of(model.source()), "",
          "a serving SavedModel needs the Keras config to build the graph, and this file has none");
    }
    try (Graph g = new Graph()) {
      KerasGraphExporter x = new KerasGraphExporter(model, loaded.tensors(), g);
      x.write(dir, notes);
    } catch (org.tensorflow.exceptions.TensorFlowException | IllegalArgumentException e) {
      // TensorFlow refuses the graph (shapes of the config and the weights disagree, ...)
      throw new dev.initkit.format.MalformedModelException(Path.of(model.source()), "",
          "TensorFlow cannot build the serving graph: " + firstLine(e.getMessage()), e);
    }
  }

  private void write(Path dir, Consumer<String> notes) throws IOException {
    JsonNode config = model.config().get();
    String cls = ConfigLayers.modelClass(config);
    if (!cls.equals("Sequential") && !cls.equals("Functional") && !cls.equals("Model")) {
      throw unsupported("", "model class " + cls);
    }
    List<ConfigLayers.Entry> entries;
    try {
      entries = ConfigLayers.entries(config);
    } catch (IllegalArgumentException e) {
      throw unsupported("model_config", e.getMessage());
    }
    Map<String, Layer> byName = new HashMap<>();
    for (Layer l : model.layers()) {
      byName.put(l.name(), l);
    }
    Map<String, T> outputs = new HashMap<>();
    Placeholder<?> input = null;
    String inputName = null;
    DataType inputType = DataType.DT_FLOAT;
    long[] inputShape = null;
    T previous = null;
    boolean sequential = cls.equals("Sequential");
    for (ConfigLayers.Entry e : entries) {
      JsonNode c = e.config();
      T in;
      if (e.className().equals("InputLayer") || (sequential && previous == null)) {
        if (input != null) {
          throw unsupported(e.name(), "a model with several inputs");
        }
        inputShape = batchShape(e);
        inputName = e.className().equals("InputLayer") ? e.name() : "input";
        String dtype = c.path("dtype").isTextual() ? c.path("dtype").asText() : "float32";
        inputType = dtype.startsWith("int") ? DataType.DT_INT32 : DataType.DT_FLOAT;
        input = inputType == DataType.DT_INT32
            ? tf.withName(inputName).placeholder(TInt32.class, Placeholder.shape(Shape.of(inputShape)))
            : tf.withName(inputName).placeholder(TFloat32.class, Placeholder.shape(Shape.of(inputShape)));
        in = inputType == DataType.DT_INT32
            ? new T(tf.dtypes.cast(input, TFloat32.class), inputShape)
            : new T(floatOf(input), inputShape);
        if (e.className().equals("InputLayer")) {
          outputs.put(e.name(), in);
          previous = in;
          continue;
        }
      } else if (sequential) {
        in = previous;
      } else {
        List<String> names = inboundNames(e);
        List<T> ins = new ArrayList<>();
        for (String n : names) {
          T t = outputs.get(n);
          if (t == null) {
            throw unsupported(e.name(), "its input " + n + " is not built before it");
          }
          ins.add(t);
        }
        if (MERGES.contains(e.className())) {
          T merged = merge(e, ins);
          outputs.put(e.name(), merged);
          previous = merged;
          continue;
        }
        if (ins.size() != 1) {
          throw unsupported(e.name(), e.className() + " with " + ins.size() + " inputs");
        }
        in = ins.get(0);
      }
      Layer layer = byName.get(e.name());
      List<Weight> ws = layer == null ? List.of() : layer.weights();
      T out = layer(e, in, ws, inputType == DataType.DT_INT32 ? input : null);
      outputs.put(e.name(), out);
      previous = out;
    }
    T result = previous;
    if (!sequential) {
      JsonNode outs = config.path("config").path("output_layers");
      if (outs.size() != 1 && !(outs.isArray() && outs.size() == 3 && outs.get(0).isTextual())) {
        throw unsupported("output_layers", "a model with several outputs");
      }
      String name = outs.get(0).isTextual() ? outs.get(0).asText() : outs.get(0).get(0).asText();
      result = outputs.get(name);
    }
    Operand<TFloat32> output = tf.withName("output_0").identity(result.op());
    saveModel(dir, inputName, inputType, inputShape, output, result.shape(), notes);
  }

  // ---------------------------------------------------------------------------------------------
  // layers

  @SuppressWarnings("unchecked")
  private Operand<TFloat32> floatOf(Placeholder<?> p) {
    return (Operand<TFloat32>) p;
  }

  private T layer(ConfigLayers.Entry e, T x, List<Weight> ws, Placeholder<?> intInput) throws IOException {
    JsonNode c = e.config();
    String cls = e.className();
    if (IDENTITY.contains(cls)) {
      return x;
    }
    switch (cls) {
      case "Dense":
        return activation(e, dense(e, x, ws));
      case "Conv1D":
      case "Conv2D":
        return activation(e, conv(e, x, ws, cls.equals("Conv1D")));
      case "MaxPooling1D":
      case "MaxPooling2D":
      case "AveragePooling1D":
      case "AveragePooling2D":
      case "MaxPool1D":
      case "MaxPool2D":
      case "AvgPool1D":
      case "AvgPool2D":
        return pool(e, x, cls.startsWith("Max"), cls.contains("1D"));
      case "GlobalAveragePooling1D":
      case "GlobalAveragePooling2D":
      case "GlobalMaxPooling1D":
      case "GlobalMaxPooling2D":
        return globalPool(e, x, cls.contains("Max"));
      case "BatchNormalization":
        return batchNorm(e, x, ws);
      case "LayerNormalization":
        return layerNorm(e, x, ws);
      case "DepthwiseConv2D":
      case "SeparableConv2D":
        return activation(e, separable(e, x, ws, cls.equals("SeparableConv2D")));
      case "Activation":
        return new T(activation(e, c.path("activation").asText(Layer.activationOf(c)), x.op()), x.shape());
      case "ReLU":
        if (!c.path("max_value").isNull() && c.has("max_value") || c.path("threshold").asDouble(0) != 0
            || c.path("negative_slope").asDouble(0) != 0) {
          throw unsupported(e.name(), "ReLU with max_value, threshold or negative_slope");
        }
        return new T(tf.nn.relu(x.op()), x.shape());
      case "Softmax":
        return new T(tf.nn.softmax(x.op()), x.shape());
      case "Flatten": {
        long n = staticElements(e, x);
        return reshape(x, new long[] {-1, n});
      }
      case "Reshape": {
        List<Long> dims = new ArrayList<>(List.of(-1L));
        c.path("target_shape").forEach(d -> dims.add(d.asLong()));
        return reshape(x, dims.stream().mapToLong(Long::longValue).toArray());
      }
      case "Embedding":
        return embedding(e, x, ws, intInput);
      case "SimpleRNN":
      case "LSTM":
      case "GRU":
        return recurrent(e, x, ws);
      default:
        throw unsupported(e.name(), "layer class " + cls + " (serving SavedModels support Dense, Conv1D/2D,"
            + " DepthwiseConv2D, SeparableConv2D, pooling, BatchNormalization, LayerNormalization, activations, Dropout,"
            + " Flatten, Reshape, Embedding, SimpleRNN, LSTM, GRU, merges)");
    }
  }

  private T dense(ConfigLayers.Entry e, T x, List<Weight> ws) throws IOException {
    Operand<TFloat32> kernel = variable(e, ws, 0);
    long units = ws.get(0).shape().dim(1);
    T flat = x.rank() == 2 ? x : reshape(x, new long[] {-1, x.last()});
    Operand<TFloat32> y = tf.linalg.matMul(flat.op(), kernel);
    if (e.config().path("use_bias").asBoolean(true)) {
      y = tf.nn.biasAdd(y, variable(e, ws, 1));
    }
    long[] shape = x.shape().clone();
    shape[shape.length - 1] = units;
    T out = new T(y, new long[] {-1, units});
    return x.rank() == 2 ? out : reshape(out, shape);
  }

  private T conv(ConfigLayers.Entry e, T x, List<Weight> ws, boolean oneD) throws IOException {
    JsonNode c = e.config();
    checkChannelsLast(e);
    if (c.path("groups").asInt(1) != 1) {
      throw unsupported(e.name(), "grouped convolution");
    }
    String padding = padding(e);
    long[] k = longs(c.path("kernel_size"));
    long[] s = longs(c.path("strides"));
    long[] d = longs(c.path("dilation_rate"));
    Operand<TFloat32> kernel = variable(e, ws, 0);
    Operand<TFloat32> in = x.op();
    if (oneD) {
      in = tf.expandDims(in, tf.constant(1));
      kernel = tf.expandDims(kernel, tf.constant(0));
      k = new long[] {1, k[0]};
      s = new long[] {1, s[0]};
      d = new long[] {1, d.length == 0 ? 1 : d[0]};
    }
    if (d.length == 1) {
      d = new long[] {d[0], d[0]};
    }
    Operand<TFloat32> y = tf.nn.conv2d(in, kernel, List.of(1L, s[0], s[1], 1L), padding,
        Conv2d.dilations(List.of(1L, d[0], d[1], 1L)));
    if (c.path("use_bias").asBoolean(true)) {
      y = tf.nn.biasAdd(y, variable(e, ws, 1));
    }
    long filters = ws.get(0).shape().dim(ws.get(0).shape().rank() - 1);
    long[] shape;
    if (oneD) {
      y = tf.squeeze(y, org.tensorflow.op.core.Squeeze.axis(List.of(1L)));
      shape = new long[] {-1, outLength(x.shape()[1], k[1], s[1], d[1], padding), filters};
    } else {
      shape = new long[] {-1, outLength(x.shape()[1], k[0], s[0], d[0], padding),
          outLength(x.shape()[2], k[1], s[1], d[1], padding), filters};
    }
    return new T(y, shape);
  }

  private T pool(ConfigLayers.Entry e, T x, boolean max, boolean oneD) throws UnsupportedModelException {
    checkChannelsLast(e);
    JsonNode c = e.config();
    String padding = padding(e);
    long[] p = longs(c.path("pool_size"));
    long[] s = c.path("strides").isNull() || !c.has("strides") ? p : longs(c.path("strides"));
    Operand<TFloat32> in = x.op();
    if (oneD) {
      in = tf.expandDims(in, tf.constant(1));
      p = new long[] {1, p[0]};
      s = new long[] {1, s[0]};
    }
    Operand<TFloat32> y = max
        ? tf.nn.maxPool(in, tf.constant(new int[] {1, (int) p[0], (int) p[1], 1}),
            tf.constant(new int[] {1, (int) s[0], (int) s[1], 1}), padding)
        : tf.nn.avgPool(in, List.of(1L, p[0], p[1], 1L), List.of(1L, s[0], s[1], 1L), padding);
    long[] shape;
    if (oneD) {
      y = tf.squeeze(y, org.tensorflow.op.core.Squeeze.axis(List.of(1L)));
      shape = new long[] {-1, outLength(x.shape()[1], p[1], s[1], 1, padding), x.last()};
    } else {
      shape = new long[] {-1, outLength(x.shape()[1], p[0], s[0], 1, padding),
          outLength(x.shape()[2], p[1], s[1], 1, padding), x.last()};
    }
    return new T(y, shape);
  }

  private T globalPool(ConfigLayers.Entry e, T x, boolean max) throws UnsupportedModelException {
    checkChannelsLast(e);
    if (e.config().path("keepdims").asBoolean(false)) {
      throw unsupported(e.name(), "keepdims=True");
    }
    int[] axes = new int[x.rank() - 2];
    for (int i = 0; i < axes.length; i++) {
      axes[i] = i + 1;
    }
    Operand<TFloat32> y = max ? tf.max(x.op(), tf.constant(axes)) : tf.math.mean(x.op(), tf.constant(axes));
    return new T(y, new long[] {-1, x.last()});
  }

  private T batchNorm(ConfigLayers.Entry e, T x, List<Weight> ws) throws IOException {
    JsonNode c = e.config();
    JsonNode axis = c.path("axis");
    long a = axis.isArray() ? (axis.size() == 1 ? axis.get(0).asLong() : Long.MIN_VALUE) : axis.asLong(-1);
    if (a != -1 && a != x.rank() - 1) {
      throw unsupported(e.name(), "BatchNormalization over axis " + axis + " (only the last axis)");
    }
    boolean scale = c.path("scale").asBoolean(true);
    boolean center = c.path("center").asBoolean(true);
    int i = 0;
    Operand<TFloat32> gamma = scale ? variable(e, ws, i++) : null;
    Operand<TFloat32> beta = center ? variable(e, ws, i++) : null;
    Operand<TFloat32> mean = variable(e, ws, i++);
    Operand<TFloat32> var = variable(e, ws, i);
    float eps = (float) c.path("epsilon").asDouble(1e-3);
    Operand<TFloat32> inv = tf.math.rsqrt(tf.math.add(var, tf.constant(eps)));
    if (gamma != null) {
      inv = tf.math.mul(inv, gamma);
    }
    Operand<TFloat32> y = tf.math.mul(tf.math.sub(x.op(), mean), inv);
    if (beta != null) {
      y = tf.math.add(y, beta);
    }
    return new T(y, x.shape());
  }

  private T layerNorm(ConfigLayers.Entry e, T x, List<Weight> ws) throws IOException {
    JsonNode c = e.config();
    JsonNode axis = c.path("axis");
    long a = axis.isArray() ? (axis.size() == 1 ? axis.get(0).asLong() : Long.MIN_VALUE) : axis.asLong(-1);
    if (a != -1 && a != x.rank() - 1) {
      throw unsupported(e.name(), "LayerNormalization over axis " + axis + " (only the last axis)");
    }
    if (c.path("rms_scaling").asBoolean(false)) {
      throw unsupported(e.name(), "LayerNormalization with rms_scaling");
    }
    boolean scale = c.path("scale").asBoolean(true);
    boolean center = c.path("center").asBoolean(true);
    int i = 0;
    Operand<TFloat32> gamma = scale ? variable(e, ws, i++) : null;
    Operand<TFloat32> beta = center ? variable(e, ws, i) : null;
    float eps = (float) c.path("epsilon").asDouble(1e-3);
    Operand<TInt32> last = tf.constant(new int[] {-1});
    Operand<TFloat32> mean = tf.math.mean(x.op(), last, org.tensorflow.op.math.Mean.keepDims(true));
    Operand<TFloat32> var = tf.math.mean(tf.math.squaredDifference(x.op(), mean), last,
        org.tensorflow.op.math.Mean.keepDims(true));
    Operand<TFloat32> y = tf.math.mul(tf.math.sub(x.op(), mean), tf.math.rsqrt(tf.math.add(var, tf.constant(eps))));
    if (gamma != null) {
      y = tf.math.mul(y, gamma);
    }
    if (beta != null) {
      y = tf.math.add(y, beta);
    }
    return new T(y, x.shape());
  }

  /** DepthwiseConv2D, and SeparableConv2D as a depthwise then a 1x1 pointwise convolution. */
  private T separable(ConfigLayers.Entry e, T x, List<Weight> ws, boolean pointwise) throws IOException {
    JsonNode c = e.config();
    checkChannelsLast(e);
    String padding = padding(e);
    long[] k = longs(c.path("kernel_size"));
    long[] s = longs(c.path("strides"));
    long[] d = longs(c.path("dilation_rate"));
    if (s.length == 1) {
      s = new long[] {s[0], s[0]};
    }
    if (d.length <= 1) {
      long v = d.length == 0 ? 1 : d[0];
      d = new long[] {v, v};
    }
    if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) {
      throw unsupported(e.name(), "strides and dilation together");
    }
    Operand<TFloat32> y = tf.nn.depthwiseConv2dNative(x.op(), variable(e, ws, 0), List.of(1L, s[0], s[1], 1L), padding,
        org.tensorflow.op.nn.DepthwiseConv2dNative.dilations(List.of(1L, d[0], d[1], 1L)));
    long channels = ws.get(0).shape().dim(2) * ws.get(0).shape().dim(3);
    int next = 1;
    if (pointwise) {
      y = tf.nn.conv2d(y, variable(e, ws, next++), List.of(1L, 1L, 1L, 1L), "VALID");
      channels = ws.get(1).shape().dim(3);
    }
    if (c.path("use_bias").asBoolean(true)) {
      y = tf.nn.biasAdd(y, variable(e, ws, next));
    }
    return new T(y, new long[] {-1, outLength(x.shape()[1], k[0], s[0], d[0], padding),
        outLength(x.shape()[2], k.length > 1 ? k[1] : k[0], s[1], d[1], padding), channels});
  }

  private T embedding(ConfigLayers.Entry e, T x, List<Weight> ws, Placeholder<?> intInput) throws IOException {
    if (e.config().path("mask_zero").asBoolean(false)) {
      throw unsupported(e.name(), "Embedding with mask_zero=True (masking is not exported)");
    }
    Operand<TFloat32> table = variable(e, ws, 0);
    Operand<TInt32> ids = tf.dtypes.cast(x.op(), TInt32.class);
    long dim = ws.get(0).shape().dim(1);
    long[] shape = Arrays.copyOf(x.shape(), x.rank() + 1);
    shape[x.rank()] = dim;
    return new T(tf.gather(table, ids, tf.constant(0)), shape);
  }

  private T recurrent(ConfigLayers.Entry e, T x, List<Weight> ws) throws IOException {
    JsonNode c = e.config();
    String cls = e.className();
    if (x.rank() != 3 || x.shape()[1] < 0) {
      throw unsupported(e.name(), cls + " over a sequence of unknown length (the graph unrolls time steps)");
    }
    if (c.path("return_state").asBoolean(false) || c.path("stateful").asBoolean(false)
        || c.path("time_major").asBoolean(false)) {
      throw unsupported(e.name(), cls + " with return_state, stateful or time_major");
    }
    long steps = x.shape()[1];
    Operand<TFloat32> kernel = variable(e, ws, 0);
    Operand<TFloat32> rec = variable(e, ws, 1);
    boolean bias = c.path("use_bias").asBoolean(true);
    Operand<TFloat32> b = bias ? variable(e, ws, 2) : null;
    long units = ws.get(1).shape().dim(0);
    String act = c.path("activation").asText("tanh");
    String recAct = c.path("recurrent_activation").asText("sigmoid");
    List<Operand<TFloat32>> xs = new ArrayList<>();
    for (var t : tf.unstack(x.op(), steps, org.tensorflow.op.core.Unstack.axis(1L)).output()) {
      xs.add(t);
    }
    if (c.path("go_backwards").asBoolean(false)) {
      java.util.Collections.reverse(xs);
    }
    // the zero state, shaped from the batch: x_0 * 0 (batch, in) times a zero (in, units) matrix
    long features = x.last();
    if (features < 0 || features * units > Integer.MAX_VALUE) {
      throw unsupported(e.name(), cls + " over inputs of unknown width");
    }
    Operand<TFloat32> zeros = tf.reshape(tf.constant(new float[(int) (features * units)]),
        tf.constant(new long[] {features, units}));
    Operand<TFloat32> zero = tf.linalg.matMul(tf.math.mul(xs.get(0), tf.constant(0f)), zeros);
    Operand<TFloat32> h = zero;
    Operand<TFloat32> cell = zero;
    boolean resetAfter = cls.equals("GRU") && c.path("reset_after").asBoolean(true);
    List<Operand<TFloat32>> hs = new ArrayList<>();
    for (Operand<TFloat32> xt : xs) {
      switch (cls) {
        case "SimpleRNN": {
          Operand<TFloat32> z = tf.math.add(tf.linalg.matMul(xt, kernel), tf.linalg.matMul(h, rec));
          if (b != null) {
            z = tf.nn.biasAdd(z, b);
          }
          h = activation(e, act, z);
          break;
        }
        case "LSTM": {
          Operand<TFloat32> z = tf.math.add(tf.linalg.matMul(xt, kernel), tf.linalg.matMul(h, rec));
          if (b != null) {
            z = tf.nn.biasAdd(z, b);
          }
          List<Operand<TFloat32>> gates = split(z, 4);
          Operand<TFloat32> i = activation(e, recAct, gates.get(0));
          Operand<TFloat32> f = activation(e, recAct, gates.get(1));
          Operand<TFloat32> cc = activation(e, act, gates.get(2));
          Operand<TFloat32> o = activation(e, recAct, gates.get(3));
          cell = tf.math.add(tf.math.mul(f, cell), tf.math.mul(i, cc));
          h = tf.math.mul(o, activation(e, act, cell));
          break;
        }
        default: { // GRU, gates z, r, h
          Operand<TFloat32> inBias = null;
          Operand<TFloat32> recBias = null;
          if (b != null) {
            if (resetAfter) {
              List<Operand<TFloat32>> bb = new ArrayList<>(tf.unstack(b, 2L).output());
              inBias = bb.get(0);
              recBias = bb.get(1);
            } else {
              inBias = b;
            }
          }
          Operand<TFloat32> xz = tf.linalg.matMul(xt, kernel);
          if (inBias != null) {
            xz = tf.nn.biasAdd(xz, inBias);
          }
          List<Operand<TFloat32>> xg = split(xz, 3);
          Operand<TFloat32> hh;
          Operand<TFloat32> zg;
          if (resetAfter) {
            Operand<TFloat32> hz = tf.linalg.matMul(h, rec);
            if (recBias != null) {
              hz = tf.nn.biasAdd(hz, recBias);
            }
            List<Operand<TFloat32>> hg = split(hz, 3);
            zg = activation(e, recAct, tf.math.add(xg.get(0), hg.get(0)));
            Operand<TFloat32> r = activation(e, recAct, tf.math.add(xg.get(1), hg.get(1)));
            hh = activation(e, act, tf.math.add(xg.get(2), tf.math.mul(r, hg.get(2))));
          } else {
            List<Operand<TFloat32>> u = split(rec, 3);
            zg = activation(e, recAct, tf.math.add(xg.get(0), tf.linalg.matMul(h, u.get(0))));
            Operand<TFloat32> r = activation(e, recAct, tf.math.add(xg.get(1), tf.linalg.matMul(h, u.get(1))));
            hh = activation(e, act, tf.math.add(xg.get(2), tf.linalg.matMul(tf.math.mul(r, h), u.get(2))));
          }
          h = tf.math.add(tf.math.mul(zg, h), tf.math.mul(tf.math.sub(tf.constant(1f), zg), hh));
          break;
        }
      }
      hs.add(h);
    }
    if (c.path("return_sequences").asBoolean(false)) {
      return new T(tf.stack(hs, org.tensorflow.op.core.Stack.axis(1L)), new long[] {-1, steps, units});
    }
    return new T(h, new long[] {-1, units});
  }

  /** Splits the last axis into n equal parts (Keras's gate order). */
  private List<Operand<TFloat32>> split(Operand<TFloat32> z, int n) {
    return new ArrayList<>(tf.split(tf.constant(-1), z, (long) n).output());
  }

  // ---------------------------------------------------------------------------------------------
  // activations

  private T activation(ConfigLayers.Entry e, T x) throws UnsupportedModelException {
    String a = Layer.activationOf(e.config());
    return a == null ? x : new T(activation(e, a, x.op()), x.shape());
  }

  private Operand<TFloat32> activation(ConfigLayers.Entry e, String name, Operand<TFloat32> x)
      throws UnsupportedModelException {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "linear":
        return x;
      case "relu":
        return tf.nn.relu(x);
      case "relu6":
        return tf.nn.relu6(x);
      case "sigmoid":
        return tf.math.sigmoid(x);
      case "tanh":
        return tf.math.tanh(x);
      case "softmax":
        return tf.nn.softmax(x);
      case "elu":
        return tf.nn.elu(x);
      case "selu":
        return tf.nn.selu(x);
      case "softplus":
        return tf.math.softplus(x);
      case "softsign":
        return tf.nn.softsign(x);
      case "swish":
      case "silu":
        return tf.math.mul(x, tf.math.sigmoid(x));
      case "gelu": // Keras's default, exact form: x * Phi(x)
        return tf.math.mul(tf.math.mul(x, tf.constant(0.5f)),
            tf.math.add(tf.constant(1f), tf.math.erf(tf.math.mul(x, tf.constant((float) (1 / Math.sqrt(2)))))));
      case "exponential":
        return tf.math.exp(x);
      default:
        throw unsupported(e.name(), "activation " + name);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // variables and saving

  /** The weight {@code i} of a layer as a resource variable, read in the forward pass. */
  private Operand<TFloat32> variable(ConfigLayers.Entry e, List<Weight> ws, int i) throws UnsupportedModelException {
    if (i >= ws.size()) {
      throw unsupported(e.name(), "expected weight " + (i + 1) + " of " + e.className() + ", the file holds " + ws.size());
    }
    Weight w = ws.get(i);
    if (w.dtype() != DType.FLOAT32) {
      throw unsupported(e.name(), "weights of dtype " + w.dtype() + " (serving SavedModels are float32)");
    }
    String shortName = w.shortName() + (ws.stream().filter(x -> x.shortName().equals(w.shortName())).count() > 1 ? "_" + i : "");
    String name = e.name() + "/" + shortName;
    VarHandleOp h = tf.withSubScope(e.name()).withName(shortName).varHandleOp(TFloat32.class,
        Shape.of(w.shape().dims()), VarHandleOp.sharedName(name));
    variables.add(new Variable(name, h, w));
    return tf.readVariableOp(h, TFloat32.class);
  }

  private void saveModel(Path dir, String inputName, DataType inputType, long[] inputShape,
      Operand<TFloat32> output, long[] outputShape, Consumer<String> notes) throws IOException {
    String[] names = variables.stream().map(Variable::name).toArray(String[]::new);
    String[] blanks = new String[names.length];
    Arrays.fill(blanks, "");
    Ops s = tf.withSubScope("save");
    Operand<org.tensorflow.types.TString> filename =
        s.withName("Const").placeholderWithDefault(s.constant("model"), Shape.scalar());
    List<Operand<?>> reads = new ArrayList<>();
    List<Class<? extends TType>> types = new ArrayList<>();
    for (Variable v : variables) {
      reads.add(s.readVariableOp(v.handle(), TFloat32.class));
      types.add(TFloat32.class);
    }
    var save = s.withName("SaveV2").train.save(filename, s.constant(StandardCharsets.UTF_8, names),
        s.constant(StandardCharsets.UTF_8, blanks), reads);
    var saveDone = s.withName("control_dependency").withControlDependencies(save).identity(filename);
    Restore restore = s.withName("RestoreV2").train.restore(filename, s.constant(StandardCharsets.UTF_8, names),
        s.constant(StandardCharsets.UTF_8, blanks), types);
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < variables.size(); i++) {
      assigns.add(s.assignVariableOp(variables.get(i).handle(), restore.tensors().get(i)));
    }
    var restoreAll = s.withName("restore_all").withControlDependencies(assigns).noOp();

    // initial values: fed into placeholders once, then saved with the same SaveV2 the loader mirrors
    Ops init = tf.withSubScope("initkit_init");
    List<Tensor> fed = new ArrayList<>();
    Files.createDirectories(dir.resolve("variables"));
    try (Session session = new Session(g)) {
      Session.Runner r = session.runner();
      for (Variable v : variables) {
        Placeholder<TFloat32> p = init.placeholder(TFloat32.class);
        Tensor t = Tensor.of(TFloat32.class, Shape.of(v.weight().shape().dims()), DataBuffers.of(values(v.weight()), true, false));
        fed.add(t);
        r.feed(p, t);
        r.addTarget(init.assignVariableOp(v.handle(), p));
      }
      if (!variables.isEmpty()) {
        r.run().close();
      }
      try (Tensor prefix = org.tensorflow.types.TString.scalarOf(dir.resolve("variables").resolve("variables").toString())) {
        session.runner().feed(filename, prefix).addTarget(save).run().close();
      }
    } finally {
      fed.forEach(Tensor::close);
    }
    SignatureDef sig = SignatureDef.newBuilder()
        .putInputs(inputName, TensorInfo.newBuilder().setName(inputName + ":0").setDtype(inputType).setTensorShape(shape(inputShape)).build())
        .putOutputs("output_0", TensorInfo.newBuilder().setName(output.asOutput().op().name() + ":0").setDtype(DataType.DT_FLOAT).setTensorShape(shape(outputShape)).build())
        .setMethodName("tensorflow/serving/predict")
        .build();
    SaverDef saver = SaverDef.newBuilder()
        .setFilenameTensorName(filename.asOutput().op().name() + ":0")
        .setSaveTensorName(saveDone.asOutput().op().name() + ":0")
        .setRestoreOpName(restoreAll.op().name())
        .setVersion(SaverDef.CheckpointFormatVersion.V2)
        .build();
    MetaGraphDef mg = MetaGraphDef.newBuilder()
        .setMetaInfoDef(MetaGraphDef.MetaInfoDef.newBuilder().addTags("serve").setTensorflowVersion(org.tensorflow.TensorFlow.version()).setTensorflowGitVersion("initkit"))
        .setGraphDef(g.toGraphDef())
        .setSaverDef(saver)
        .putSignatureDef("serving_default", sig)
        .build();
    SavedModel sm = SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(mg).build();
    Files.write(dir.resolve("saved_model.pb"), sm.toByteArray());
    notes.accept("serving SavedModel (inference graph built by initkit: " + variables.size()
        + " variables, signature serving_default, input '" + inputName + "'); no Keras metadata");
  }

  private byte[] values(Weight w) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect((int) w.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    long rows = w.shape().rank() == 0 ? 1 : w.shape().dim(0);
    if (rows > 0) {
      tensors.readRows(w, 0, rows, buf);
    }
    byte[] out = new byte[(int) w.byteSize()];
    buf.flip().get(out);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private static TensorShapeProto shape(long[] dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  private T reshape(T x, long[] shape) {
    return new T(tf.reshape(x.op(), tf.constant(shape)), shape);
  }

  private long staticElements(ConfigLayers.Entry e, T x) throws UnsupportedModelException {
    long n = 1;
    for (int i = 1; i < x.rank(); i++) {
      if (x.shape()[i] < 0) {
        throw unsupported(e.name(), "Flatten of an input with unknown dimensions");
      }
      n *= x.shape()[i];
    }
    return n;
  }

  private long[] batchShape(ConfigLayers.Entry e) throws UnsupportedModelException {
    JsonNode c = e.config();
    JsonNode s = c.has("batch_input_shape") ? c.get("batch_input_shape") : c.get("batch_shape");
    if (s == null || !s.isArray() || s.size() < 2) {
      throw unsupported(e.name(), "the model's input shape is not in the config");
    }
    long[] out = new long[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.get(i).isNull() ? -1 : s.get(i).asLong();
    }
    out[0] = -1;
    return out;
  }

  /** The layers feeding a Functional layer's only call (Keras 2 or Keras 3 inbound_nodes). */
  private List<String> inboundNames(ConfigLayers.Entry e) throws UnsupportedModelException {
    JsonNode nodes = e.raw().path("inbound_nodes");
    if (nodes.size() != 1) {
      throw unsupported(e.name(), "a layer called " + nodes.size() + " times");
    }
    JsonNode n = nodes.get(0);
    List<String> names = new ArrayList<>();
    if (n.isArray()) {
      n.forEach(x -> names.add(x.get(0).asText()));
    } else {
      n.path("args").forEach(a -> {
        if (a.isArray()) {
          a.forEach(x -> names.add(x.path("config").path("keras_history").path(0).asText()));
        } else {
          names.add(a.path("config").path("keras_history").path(0).asText());
        }
      });
    }
    if (names.isEmpty()) {
      throw unsupported(e.name(), e.className() + " without inputs");
    }
    return names;
  }

  private T merge(ConfigLayers.Entry e, List<T> ins) throws UnsupportedModelException {
    if (ins.size() < 2) {
      throw unsupported(e.name(), e.className() + " with " + ins.size() + " input");
    }
    if (e.className().equals("Concatenate")) {
      int rank = ins.get(0).rank();
      int axis = e.config().path("axis").asInt(-1);
      int a = axis < 0 ? rank + axis : axis;
      long[] shape = ins.get(0).shape().clone();
      long sum = 0;
      List<Operand<TFloat32>> ops = new ArrayList<>();
      for (T t : ins) {
        if (t.rank() != rank) {
          throw unsupported(e.name(), "Concatenate of tensors of different ranks");
        }
        sum = sum < 0 || t.shape()[a] < 0 ? -1 : sum + t.shape()[a];
        ops.add(t.op());
      }
      shape[a] = sum;
      return new T(tf.concat(ops, tf.constant(a)), shape);
    }
    Operand<TFloat32> y = ins.get(0).op();
    for (int i = 1; i < ins.size(); i++) {
      Operand<TFloat32> b = ins.get(i).op();
      switch (e.className()) {
        case "Add":
        case "Average":
          y = tf.math.add(y, b);
          break;
        case "Subtract":
          if (ins.size() != 2) {
            throw unsupported(e.name(), "Subtract of " + ins.size() + " inputs");
          }
          y = tf.math.sub(y, b);
          break;
        case "Multiply":
          y = tf.math.mul(y, b);
          break;
        case "Maximum":
          y = tf.math.maximum(y, b);
          break;
        default: // Minimum
          y = tf.math.minimum(y, b);
          break;
      }
    }
    if (e.className().equals("Average")) {
      y = tf.math.mul(y, tf.constant(1f / ins.size()));
    }
    return new T(y, ins.get(0).shape());
  }

  private void checkChannelsLast(ConfigLayers.Entry e) throws UnsupportedModelException {
    String f = e.config().path("data_format").asText("channels_last");
    if (!f.equals("channels_last")) {
      throw unsupported(e.name(), "data_format " + f);
    }
  }

  private String padding(ConfigLayers.Entry e) throws UnsupportedModelException {
    String p = e.config().path("padding").asText("valid").toLowerCase(Locale.ROOT);
    if (!p.equals("valid") && !p.equals("same")) {
      throw unsupported(e.name(), "padding " + p);
    }
    return p.toUpperCase(Locale.ROOT);
  }

  private static long[] longs(JsonNode n) {
    if (n.isNumber()) {
      return new long[] {n.asLong()};
    }
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }

  private static long outLength(long in, long k, long s, long d, String padding) {
    if (in < 0) {
      return -1;
    }
    return padding.equals("SAME") ? (in + s - 1) / s : (in - (k - 1) * d - 1) / s + 1;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  private UnsupportedModelException unsupported(String layer, String what) {
    return new UnsupportedModelException(file, layer.isEmpty() ? "" : "layer " + layer,
        "cannot write a serving SavedModel: " + what + " is not supported");
  }
}
