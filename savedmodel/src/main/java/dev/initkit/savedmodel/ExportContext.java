package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.format.ConfigLayers;
import dev.initkit.model.DType;
import dev.initkit.model.Weight;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * What the layer families share while one graph is built: the ops, the variables made so far (one
 * per weight, however often a shared layer is called) and the refusal every family raises.
 */
final class ExportContext {
  /**
   * A weight held as a resource variable, in the dtype the file stores: its name ({@code
   * scope/short}), the layer path it belongs to and its value as the forward pass reads it
   * (float32).
   */
  record Variable(
      String name,
      String layer,
      VarHandleOp handle,
      Weight weight,
      Class<? extends TType> type,
      Operand<TFloat32> read) {}

  final Ops tf;
  private final Path file;
  private final List<Variable> variables = new ArrayList<>();
  private final Map<String, Operand<TFloat32>> reads = new HashMap<>();

  /** What the graph is for, as refusals say it ("cannot write a serving SavedModel"). */
  private final String purpose;

  /**
   * A graph that can also run as Keras's {@code fit} does: true fed to it makes BatchNormalization
   * normalize with the batch's statistics and Dropout drop; null in the serving graph (inference
   * only).
   */
  org.tensorflow.Operand<org.tensorflow.types.TBool> training;

  /**
   * Each recurrent layer's input projection (its input, every time step, times its kernel) by layer
   * path; built with {@link #training} only (the analysis graph), fetched by LSUV only.
   */
  final java.util.Map<String, Operand<TFloat32>> projections = new java.util.LinkedHashMap<>();

  /** The ops that move BatchNormalization's moving statistics toward a training batch's. */
  final List<org.tensorflow.op.Op> updates = new ArrayList<>();

  ExportContext(Ops tf, Path file, String purpose) {
    this.tf = tf;
    this.file = file;
    this.purpose = purpose;
  }

  /** The variable whose float32 read is {@code read}, or null. */
  Variable of(Operand<TFloat32> read) {
    for (Variable v : variables) {
      if (v.read() == read) {
        return v;
      }
    }
    return null;
  }

  List<Variable> variables() {
    return List.copyOf(variables);
  }

  /**
   * The weight {@code i} of a layer as a resource variable, read as float32 in the forward pass.
   * Variables keep the file's dtype (float16, bfloat16, float64 weights are not rounded on disk).
   */
  Operand<TFloat32> variable(LayerCall e, List<Weight> ws, int i) throws UnsupportedModelException {
    if (i >= ws.size()) {
      throw unsupported(
          e.name(),
          "expected weight " + (i + 1) + " of " + e.className() + ", the file holds " + ws.size());
    }
    Weight w = ws.get(i);
    String shortName =
        w.shortName()
            + (ws.stream().filter(x -> x.shortName().equals(w.shortName())).count() > 1
                ? "_" + i
                : "");
    String name = e.scope() + "/" + shortName;
    Operand<TFloat32> known = reads.get(name);
    if (known != null) {
      return known; // a shared layer called again
    }
    Class<? extends TType> type = typeOf(e, w.dtype());
    Ops scoped = tf;
    for (String part : e.scope().split("/")) {
      scoped =
          scoped.withSubScope(
              part); // one sub-scope per nesting level ('/' is not a name character)
    }
    VarHandleOp h =
        scoped
            .withName(shortName)
            .varHandleOp(type, Shape.of(w.shape().dims()), VarHandleOp.sharedName(name));
    Operand<? extends TType> read = tf.readVariableOp(h, type);
    Operand<TFloat32> out =
        type == TFloat32.class ? cast32(read) : tf.dtypes.cast(read, TFloat32.class);
    variables.add(new Variable(name, e.scope(), h, w, type, out));
    reads.put(name, out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> cast32(Operand<? extends TType> o) {
    return (Operand<TFloat32>) o;
  }

  private Class<? extends TType> typeOf(LayerCall e, DType d) throws UnsupportedModelException {
    switch (d) {
      case FLOAT32:
        return TFloat32.class;
      case FLOAT16:
        return TFloat16.class;
      case BFLOAT16:
        return TBfloat16.class;
      case FLOAT64:
        return TFloat64.class;
      case INT64: // Normalization's count: kept, never read
        return org.tensorflow.types.TInt64.class;
      default:
        throw unsupported(e.name(), "weights of dtype " + d + " (quantized or integer weights)");
    }
  }

  GraphValue reshape(GraphValue x, long[] shape) {
    return new GraphValue(tf.reshape(x.op(), tf.constant(shape)), shape);
  }

  void checkChannelsLast(LayerCall e) throws UnsupportedModelException {
    String f = e.config().path("data_format").asText("channels_last");
    if (!f.equals("channels_last")) {
      throw unsupported(e.name(), "data_format " + f);
    }
  }

  String padding(LayerCall e) throws UnsupportedModelException {
    String p = e.config().path("padding").asText("valid").toLowerCase(Locale.ROOT);
    if (!p.equals("valid") && !p.equals("same")) {
      throw unsupported(e.name(), "padding " + p);
    }
    return p.toUpperCase(Locale.ROOT);
  }

  /** Every dimension but the batch, known statically (reshapes and unrolled loops need them). */
  void checkStatic(LayerCall e, GraphValue x) throws UnsupportedModelException {
    for (int i = 1; i < x.rank(); i++) {
      if (x.dim(i) < 0) {
        throw unsupported(e.name(), e.className() + " of an input with unknown dimensions");
      }
    }
  }

  /** A number or a list in a config, as {@code n} values (a single number repeated). */
  static long[] longs(JsonNode n, int count) {
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = n.isArray() ? n.get(Math.min(i, n.size() - 1)).asLong() : n.asLong(1);
    }
    return out;
  }

  static long outLength(long in, long k, long s, long d, String padding) {
    if (in < 0) {
      return -1;
    }
    return padding.equals("SAME") ? (in + s - 1) / s : (in - (k - 1) * d - 1) / s + 1;
  }

  UnsupportedModelException unsupported(String layer, String what) {
    return new UnsupportedModelException(
        file, layer.isEmpty() ? "" : "layer " + layer, purpose + ": " + what + " is not supported");
  }

  /** A layer entry seen from outside the topology: its config and the scope of its variables. */
  static LayerCall call(ConfigLayers.Entry e, String scope) {
    return new LayerCall(e.name(), e.className(), e.config(), scope);
  }
}
