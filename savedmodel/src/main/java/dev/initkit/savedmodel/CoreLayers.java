package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.Weight;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Dense, normalizations, Embedding and the activation layers. */
final class CoreLayers {
  private final ExportContext cx;
  private final Ops tf;
  private final Activations act;

  CoreLayers(ExportContext cx, Activations act) {
    this.cx = cx;
    this.tf = cx.tf;
    this.act = act;
  }

  GraphValue dense(LayerCall e, GraphValue x, List<Weight> ws) throws UnsupportedModelException {
    Operand<TFloat32> kernel = cx.variable(e, ws, 0);
    long units = ws.get(0).shape().dim(1);
    GraphValue flat = x.rank() == 2 ? x : cx.reshape(x, new long[] {-1, x.last()});
    Operand<TFloat32> y = tf.linalg.matMul(flat.op(), kernel);
    if (e.config().path("use_bias").asBoolean(true)) {
      y = tf.nn.biasAdd(y, cx.variable(e, ws, 1));
    }
    long[] shape = x.shape();
    shape[shape.length - 1] = units;
    GraphValue out = new GraphValue(y, new long[] {-1, units});
    if (x.rank() != 2) {
      cx.checkStatic(e, x);
      out = cx.reshape(out, shape);
    }
    return act.apply(e, out);
  }

  private long lastAxisOnly(LayerCall e, GraphValue x) throws UnsupportedModelException {
    JsonNode axis = e.config().path("axis");
    long a =
        axis.isArray()
            ? (axis.size() == 1 ? axis.get(0).asLong() : Long.MIN_VALUE)
            : axis.asLong(-1);
    if (a != -1 && a != x.rank() - 1) {
      throw cx.unsupported(
          e.name(), e.className() + " over axis " + axis + " (only the last axis)");
    }
    return a;
  }

  GraphValue batchNorm(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    lastAxisOnly(e, x);
    boolean scale = c.path("scale").asBoolean(true);
    boolean center = c.path("center").asBoolean(true);
    int i = 0;
    Operand<TFloat32> gamma = scale ? cx.variable(e, ws, i++) : null;
    Operand<TFloat32> beta = center ? cx.variable(e, ws, i++) : null;
    Operand<TFloat32> mean = cx.variable(e, ws, i++);
    Operand<TFloat32> var = cx.variable(e, ws, i);
    float eps = (float) c.path("epsilon").asDouble(1e-3);
    if (cx.training != null && c.path("trainable").asBoolean(true)) {
      // Keras 3's moments (tf.nn.moments: the mean of (x - mean)^2, the mean's gradient stopped
      // there) over every axis but the channels, selected when training; the moving statistics
      // follow with the layer's momentum
      int[] axes = new int[x.rank() - 1];
      for (int a = 0; a < axes.length; a++) {
        axes[a] = a;
      }
      Operand<TInt32> over = tf.constant(axes);
      Operand<TFloat32> batchMean = tf.math.mean(x.op(), over);
      Operand<TFloat32> batchVar =
          tf.math.mean(tf.math.squaredDifference(x.op(), tf.stopGradient(batchMean)), over);
      float momentum = (float) c.path("momentum").asDouble(0.99);
      cx.updates.add(moveToward(mean, batchMean, momentum));
      cx.updates.add(moveToward(var, batchVar, momentum));
      mean = tf.select(cx.training, batchMean, mean);
      var = tf.select(cx.training, batchVar, var);
    }
    Operand<TFloat32> inv = tf.math.rsqrt(tf.math.add(var, tf.constant(eps)));
    if (gamma != null) {
      inv = tf.math.mul(inv, gamma);
    }
    Operand<TFloat32> y = tf.math.mul(tf.math.sub(x.op(), mean), inv);
    if (beta != null) {
      y = tf.math.add(y, beta);
    }
    return new GraphValue(y, x.shape());
  }

  /** moving = moving * momentum + batch * (1 - momentum), Keras's update of a moving statistic. */
  private org.tensorflow.op.Op moveToward(
      Operand<TFloat32> moving, Operand<TFloat32> batch, float momentum) {
    ExportContext.Variable v = cx.of(moving);
    Operand<TFloat32> next =
        tf.math.add(
            tf.math.mul(moving, tf.constant(momentum)),
            tf.math.mul(batch, tf.constant(1f - momentum)));
    @SuppressWarnings({"unchecked", "rawtypes"})
    Operand<?> stored = v.type() == TFloat32.class ? next : tf.dtypes.cast(next, (Class) v.type());
    return tf.assignVariableOp(v.handle(), stored);
  }

  /**
   * Keras's Dropout when training (the graph's training flag fed true): each value kept with
   * probability 1 - rate and scaled by 1 / (1 - rate); the identity otherwise, and always for a
   * {@code noise_shape} (not lowered).
   */
  GraphValue dropout(LayerCall e, GraphValue x) {
    double rate = e.config().path("rate").asDouble(0);
    if (cx.training == null
        || rate <= 0
        || rate >= 1
        || !e.config().path("noise_shape").isNull()
            && !e.config().path("noise_shape").isMissingNode()) {
      return x;
    }
    Operand<TFloat32> u = tf.random.randomUniform(tf.shape(x.op()), TFloat32.class);
    Operand<TFloat32> keep =
        tf.dtypes.cast(tf.math.greaterEqual(u, tf.constant((float) rate)), TFloat32.class);
    Operand<TFloat32> dropped =
        tf.math.mul(tf.math.mul(x.op(), keep), tf.constant((float) (1 / (1 - rate))));
    return new GraphValue(tf.select(cx.training, dropped, x.op()), x.shape());
  }

  GraphValue layerNorm(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    lastAxisOnly(e, x);
    if (c.path("rms_scaling").asBoolean(false)) {
      throw cx.unsupported(e.name(), "LayerNormalization with rms_scaling");
    }
    boolean scale = c.path("scale").asBoolean(true);
    boolean center = c.path("center").asBoolean(true);
    int i = 0;
    Operand<TFloat32> gamma = scale ? cx.variable(e, ws, i++) : null;
    Operand<TFloat32> beta = center ? cx.variable(e, ws, i) : null;
    float eps = (float) c.path("epsilon").asDouble(1e-3);
    Operand<TInt32> last = tf.constant(new int[] {-1});
    Operand<TFloat32> mean = tf.math.mean(x.op(), last, Mean.keepDims(true));
    Operand<TFloat32> var =
        tf.math.mean(tf.math.squaredDifference(x.op(), mean), last, Mean.keepDims(true));
    Operand<TFloat32> y =
        tf.math.mul(tf.math.sub(x.op(), mean), tf.math.rsqrt(tf.math.add(var, tf.constant(eps))));
    return affine(y, gamma, beta, x.shape());
  }

  /** Keras 3's RMSNormalization: x / sqrt(mean(x^2) + epsilon) * scale over the last axis. */
  GraphValue rmsNorm(LayerCall e, GraphValue x, List<Weight> ws) throws UnsupportedModelException {
    lastAxisOnly(e, x);
    float eps = (float) e.config().path("epsilon").asDouble(1e-6);
    Operand<TFloat32> ms =
        tf.math.mean(tf.math.square(x.op()), tf.constant(new int[] {-1}), Mean.keepDims(true));
    Operand<TFloat32> y = tf.math.mul(x.op(), tf.math.rsqrt(tf.math.add(ms, tf.constant(eps))));
    return new GraphValue(tf.math.mul(y, cx.variable(e, ws, 0)), x.shape());
  }

  /** GroupNormalization over the last axis: statistics per sample and group of channels. */
  GraphValue groupNorm(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    lastAxisOnly(e, x);
    cx.checkStatic(e, x);
    long channels = x.last();
    long groups = c.path("groups").asLong(32);
    if (groups <= 0 || channels % groups != 0) {
      throw cx.unsupported(
          e.name(), "GroupNormalization of " + channels + " channels in " + groups + " groups");
    }
    long[] grouped = Arrays.copyOf(x.shape(), x.rank() + 1);
    grouped[x.rank() - 1] = groups;
    grouped[x.rank()] = channels / groups;
    Operand<TFloat32> g = tf.reshape(x.op(), tf.constant(grouped));
    int[] axes = new int[x.rank() - 1]; // every axis but the batch and the group
    for (int i = 1, j = 0; i <= x.rank(); i++) {
      if (i != x.rank() - 1) {
        axes[j++] = i;
      }
    }
    Operand<TInt32> ax = tf.constant(axes);
    Operand<TFloat32> mean = tf.math.mean(g, ax, Mean.keepDims(true));
    Operand<TFloat32> var =
        tf.math.mean(tf.math.squaredDifference(g, mean), ax, Mean.keepDims(true));
    float eps = (float) c.path("epsilon").asDouble(1e-3);
    Operand<TFloat32> y =
        tf.math.mul(tf.math.sub(g, mean), tf.math.rsqrt(tf.math.add(var, tf.constant(eps))));
    y = tf.reshape(y, tf.constant(x.shape()));
    int i = 0;
    Operand<TFloat32> gamma = c.path("scale").asBoolean(true) ? cx.variable(e, ws, i++) : null;
    Operand<TFloat32> beta = c.path("center").asBoolean(true) ? cx.variable(e, ws, i) : null;
    return affine(y, gamma, beta, x.shape());
  }

  private GraphValue affine(
      Operand<TFloat32> y, Operand<TFloat32> gamma, Operand<TFloat32> beta, long[] shape) {
    if (gamma != null) {
      y = tf.math.mul(y, gamma);
    }
    if (beta != null) {
      y = tf.math.add(y, beta);
    }
    return new GraphValue(y, shape);
  }

  GraphValue embedding(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    if (e.config().path("mask_zero").asBoolean(false)) {
      throw cx.unsupported(e.name(), "Embedding with mask_zero=True (masking is not exported)");
    }
    Operand<TFloat32> table = cx.variable(e, ws, 0);
    // ids arrive as float32 (exact below 2^24) and are cast back for the lookup
    Operand<TInt32> ids = tf.dtypes.cast(x.op(), TInt32.class);
    long dim = ws.get(0).shape().dim(1);
    long[] shape = Arrays.copyOf(x.shape(), x.rank() + 1);
    shape[x.rank()] = dim;
    return new GraphValue(tf.gather(table, ids, tf.constant(0)), shape);
  }

  /**
   * Normalization (adapted mean and variance; weights mean, variance, count): (x - mean) /
   * max(sqrt(variance), 1e-7), or its inverse, as Keras computes it.
   */
  GraphValue normalization(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    lastAxisOnly(e, x);
    if (ws.size() < 2 || ws.get(0).shape().rank() > 1 && ws.get(0).shape().rank() != x.rank() - 1) {
      throw cx.unsupported(
          e.name(),
          "Normalization with statistics of shape " + (ws.isEmpty() ? "none" : ws.get(0).shape()));
    }
    Operand<TFloat32> mean = cx.variable(e, ws, 0);
    if (ws.size() > 2) {
      cx.variable(
          e, ws, 2); // count: unused for inference, kept so the checkpoint holds every weight
    }
    Operand<TFloat32> sd = tf.math.maximum(tf.math.sqrt(cx.variable(e, ws, 1)), tf.constant(1e-7f));
    Operand<TFloat32> y =
        e.config().path("invert").asBoolean(false)
            ? tf.math.add(mean, tf.math.mul(x.op(), sd))
            : tf.math.div(tf.math.sub(x.op(), mean), sd);
    return new GraphValue(y, x.shape());
  }

  /** Rescaling: x * scale + offset (numbers, or one value per channel). */
  GraphValue rescaling(LayerCall e, GraphValue x) throws UnsupportedModelException {
    Operand<TFloat32> y =
        tf.math.add(
            tf.math.mul(x.op(), constant(e, e.config().path("scale"), 1)),
            constant(e, e.config().path("offset"), 0));
    return new GraphValue(y, x.shape());
  }

  private Operand<TFloat32> constant(LayerCall e, JsonNode v, double missing)
      throws UnsupportedModelException {
    if (v.isMissingNode() || v.isNull()) {
      return tf.constant((float) missing);
    }
    if (v.isNumber()) {
      return tf.constant((float) v.asDouble());
    }
    if (v.isArray()) {
      float[] f = new float[v.size()];
      for (int i = 0; i < f.length; i++) {
        if (!v.get(i).isNumber()) {
          throw cx.unsupported(e.name(), "Rescaling by " + v);
        }
        f[i] = (float) v.get(i).asDouble();
      }
      return tf.constant(f);
    }
    throw cx.unsupported(e.name(), "Rescaling by " + v);
  }

  /** UnitNormalization over the last axis: x / sqrt(max(sum(x^2), 1e-12)). */
  GraphValue unitNorm(LayerCall e, GraphValue x) throws UnsupportedModelException {
    lastAxisOnly(e, x);
    return new GraphValue(l2Normalize(x.op(), -1), x.shape());
  }

  Operand<TFloat32> l2Normalize(Operand<TFloat32> x, int axis) {
    Operand<TFloat32> ss =
        tf.sum(
            tf.math.square(x),
            tf.constant(new int[] {axis}),
            org.tensorflow.op.core.Sum.keepDims(true));
    return tf.math.mul(x, tf.math.rsqrt(tf.math.maximum(ss, tf.constant(1e-12f))));
  }

  /** ReLU, LeakyReLU, ELU, PReLU, Softmax and Activation layers. */
  GraphValue activationLayer(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    Operand<TFloat32> y;
    switch (e.className()) {
      case "Activation":
        y = act.apply(e, c.path("activation").asText("linear"), x.op());
        break;
      case "ReLU":
        if (c.hasNonNull("max_value")
            || c.path("threshold").asDouble(0) != 0
            || c.path("negative_slope").asDouble(0) != 0) {
          throw cx.unsupported(e.name(), "ReLU with max_value, threshold or negative_slope");
        }
        y = tf.nn.relu(x.op());
        break;
      case "Softmax":
        {
          JsonNode axis = c.path("axis");
          if (!(axis.isMissingNode() || axis.asInt(-1) == -1 || axis.asInt() == x.rank() - 1)
              || axis.isArray() && axis.size() != 1) {
            throw cx.unsupported(e.name(), "Softmax over axis " + axis);
          }
          y = tf.nn.softmax(x.op());
          break;
        }
      case "LeakyReLU":
        {
          // Keras 3 names it negative_slope, tf-keras alpha; both default to 0.3
          float a =
              (float) c.path(c.has("negative_slope") ? "negative_slope" : "alpha").asDouble(0.3);
          y = tf.math.maximum(x.op(), tf.math.mul(x.op(), tf.constant(a)));
          if (a > 1) {
            y = tf.math.minimum(x.op(), tf.math.mul(x.op(), tf.constant(a)));
          }
          break;
        }
      case "ELU":
        {
          float a = (float) c.path("alpha").asDouble(1.0);
          y =
              a == 1f
                  ? tf.nn.elu(x.op())
                  : tf.select(
                      tf.math.greater(x.op(), tf.constant(0f)),
                      x.op(),
                      tf.math.mul(tf.constant(a), tf.nn.elu(x.op())));
          break;
        }
      case "ThresholdedReLU":
        { // tf-keras: x where x > theta, else 0
          float theta = (float) c.path("theta").asDouble(1.0);
          y =
              tf.math.mul(
                  x.op(),
                  tf.dtypes.cast(tf.math.greater(x.op(), tf.constant(theta)), TFloat32.class));
          break;
        }
      default:
        { // PReLU: relu(x) - alpha * relu(-x)
          Operand<TFloat32> alpha = cx.variable(e, ws, 0);
          y = tf.math.sub(tf.nn.relu(x.op()), tf.math.mul(alpha, tf.nn.relu(tf.math.neg(x.op()))));
          break;
        }
    }
    return new GraphValue(y, x.shape());
  }
}
