package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import dev.initkit.model.Weight;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.op.nn.Conv3d;
import org.tensorflow.op.nn.DepthwiseConv2dNative;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Convolutions (1D/2D/3D, transposed, depthwise, separable) and pooling, channels_last. 1D layers
 * run as 2D ones over a height of 1, as Keras's TensorFlow backend does.
 */
final class ConvolutionLayers {
  private final ExportContext cx;
  private final Ops tf;
  private final Activations act;

  ConvolutionLayers(ExportContext cx, Activations act) {
    this.cx = cx;
    this.tf = cx.tf;
    this.act = act;
  }

  private static int spatial(String cls) {
    return cls.contains("1D") ? 1 : cls.contains("3D") ? 3 : 2;
  }

  private static List<Long> five(long[] v, int n) {
    List<Long> out = new ArrayList<>(List.of(1L));
    for (int i = 0; i < n; i++) {
      out.add(v[i]);
    }
    out.add(1L);
    return out;
  }

  /** A channels_last convolution over n (1, 2, 3) spatial axes of any operand, no bias. */
  Operand<TFloat32> convolve(
      Operand<TFloat32> in, Operand<TFloat32> kernel, int n, long[] s, long[] d, String padding) {
    if (n == 3) {
      return tf.nn.conv3d(in, kernel, five(s, 3), padding, Conv3d.dilations(five(d, 3)));
    }
    long[] s2 = n == 1 ? new long[] {1, s[0]} : s;
    long[] d2 = n == 1 ? new long[] {1, d[0]} : d;
    if (n == 1) {
      in = tf.expandDims(in, tf.constant(1));
      kernel = tf.expandDims(kernel, tf.constant(0));
    }
    Operand<TFloat32> y =
        tf.nn.conv2d(in, kernel, five(s2, 2), padding, Conv2d.dilations(five(d2, 2)));
    return n == 1 ? tf.squeeze(y, Squeeze.axis(List.of(1L))) : y;
  }

  /** Conv1D/2D/3D. */
  GraphValue conv(LayerCall e, GraphValue x, List<Weight> ws) throws UnsupportedModelException {
    JsonNode c = e.config();
    cx.checkChannelsLast(e);
    if (c.path("groups").asInt(1) != 1) {
      throw cx.unsupported(e.name(), "grouped convolution");
    }
    int n = spatial(e.className());
    String padding = cx.padding(e);
    long[] k = ExportContext.longs(c.path("kernel_size"), n);
    long[] s = ExportContext.longs(c.path("strides"), n);
    long[] d = ExportContext.longs(c.path("dilation_rate"), n);
    if (!ws.isEmpty() && ws.get(0).shape().rank() != n + 2) {
      // Keras 1's Convolution1D kept a 4-d kernel (filter_length, 1, input_dim, nb_filter)
      throw cx.unsupported(
          e.name(),
          "a kernel of rank "
              + ws.get(0).shape().rank()
              + " for "
              + e.className()
              + " (Keras 2+ writes rank "
              + (n + 2)
              + "; Keras 1's layout)");
    }
    Operand<TFloat32> kernel = cx.variable(e, ws, 0);
    Operand<TFloat32> in = x.op();
    Operand<TFloat32> y;
    if (n == 3) {
      y = tf.nn.conv3d(in, kernel, five(s, 3), padding, Conv3d.dilations(five(d, 3)));
    } else {
      Operand<TInt64> batch =
          tf.slice(
              tf.shape(in, TInt64.class), tf.constant(new long[] {0}), tf.constant(new long[] {1}));
      long[] s2 = n == 1 ? new long[] {1, s[0]} : s;
      long[] d2 = n == 1 ? new long[] {1, d[0]} : d;
      if (n == 1) {
        in = tf.expandDims(in, tf.constant(1));
        kernel = tf.expandDims(kernel, tf.constant(0));
      }
      y = tf.nn.conv2d(in, kernel, five(s2, 2), padding, Conv2d.dilations(five(d2, 2)));
      if (n == 1) {
        y = tf.squeeze(y, Squeeze.axis(List.of(1L)));
      }
    }
    if (c.path("use_bias").asBoolean(true)) {
      y = tf.nn.biasAdd(y, cx.variable(e, ws, 1));
    }
    long filters = ws.get(0).shape().dim(ws.get(0).shape().rank() - 1);
    long[] shape = new long[n + 2];
    shape[0] = -1;
    for (int i = 0; i < n; i++) {
      shape[i + 1] = ExportContext.outLength(x.dim(i + 1), k[i], s[i], d[i], padding);
    }
    shape[n + 1] = filters;
    return act.apply(e, new GraphValue(y, shape));
  }

  /**
   * Conv1D/2D/3DTranspose as the gradient of a convolution (the kernel is (k..., out, in), the
   * layout TensorFlow's backprop ops take). Output lengths as Keras's deconv_output_length.
   */
  GraphValue convTranspose(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    cx.checkChannelsLast(e);
    cx.checkStatic(e, x);
    int n = spatial(e.className());
    String padding = cx.padding(e);
    long[] k = ExportContext.longs(c.path("kernel_size"), n);
    long[] s = ExportContext.longs(c.path("strides"), n);
    long[] d = ExportContext.longs(c.path("dilation_rate"), n);
    if (c.hasNonNull("output_padding")) {
      throw cx.unsupported(e.name(), e.className() + " with output_padding");
    }
    for (long v : d) {
      if (v != 1) {
        throw cx.unsupported(e.name(), e.className() + " with dilation");
      }
    }
    long filters = ws.get(0).shape().dim(ws.get(0).shape().rank() - 2);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] =
          padding.equals("SAME")
              ? x.dim(i + 1) * s[i]
              : x.dim(i + 1) * s[i] + Math.max(k[i] - s[i], 0);
    }
    Operand<TFloat32> kernel = cx.variable(e, ws, 0);
    Operand<TFloat32> in = x.op();
    Operand<TFloat32> y;
    if (n == 3) {
      // int32 sizes (the same values): the gradient initkit registers for Conv3DBackpropInputV2
      // flows zeros back through them, and TensorFlow's C++ Slice gradient takes int32 only
      Operand<org.tensorflow.types.TInt32> batch32 =
          tf.slice(tf.shape(in), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
      Operand<org.tensorflow.types.TInt32> size =
          tf.concat(
              List.of(
                  batch32,
                  tf.constant(
                      new int[] {
                        Math.toIntExact(out[0]),
                        Math.toIntExact(out[1]),
                        Math.toIntExact(out[2]),
                        Math.toIntExact(filters)
                      })),
              tf.constant(0));
      y = tf.nn.conv3dBackpropInput(size, kernel, in, five(s, 3), padding);
    } else {
      Operand<TInt64> batch =
          tf.slice(
              tf.shape(in, TInt64.class), tf.constant(new long[] {0}), tf.constant(new long[] {1}));
      long[] s2 = n == 1 ? new long[] {1, s[0]} : s;
      long[] o2 = n == 1 ? new long[] {1, out[0]} : out;
      if (n == 1) {
        in = tf.expandDims(in, tf.constant(1));
        kernel = tf.expandDims(kernel, tf.constant(0));
      }
      Operand<TInt64> size =
          tf.concat(
              List.of(batch, tf.constant(new long[] {o2[0], o2[1], filters})), tf.constant(0));
      y =
          tf.nn.conv2dBackpropInput(
              tf.dtypes.cast(size, org.tensorflow.types.TInt32.class),
              kernel,
              in,
              five(s2, 2),
              padding);
      if (n == 1) {
        y = tf.squeeze(y, Squeeze.axis(List.of(1L)));
      }
    }
    if (c.path("use_bias").asBoolean(true)) {
      y = tf.nn.biasAdd(y, cx.variable(e, ws, 1));
    }
    long[] shape = new long[n + 2];
    shape[0] = -1;
    System.arraycopy(out, 0, shape, 1, n);
    shape[n + 1] = filters;
    return act.apply(e, new GraphValue(y, shape));
  }

  /** DepthwiseConv1D/2D, and SeparableConv1D/2D as a depthwise then a pointwise convolution. */
  GraphValue separable(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    cx.checkChannelsLast(e);
    boolean pointwise = e.className().startsWith("Separable");
    int n = spatial(e.className());
    String padding = cx.padding(e);
    long[] k = ExportContext.longs(c.path("kernel_size"), n);
    long[] s = ExportContext.longs(c.path("strides"), n);
    long[] d = ExportContext.longs(c.path("dilation_rate"), n);
    long[] s2 = n == 1 ? new long[] {1, s[0]} : s;
    long[] d2 = n == 1 ? new long[] {1, d[0]} : d;
    if ((s2[0] > 1 || s2[1] > 1) && (d2[0] > 1 || d2[1] > 1)) {
      throw cx.unsupported(e.name(), "strides and dilation together");
    }
    Operand<TFloat32> in = x.op();
    Operand<TFloat32> depth = cx.variable(e, ws, 0);
    if (n == 1) {
      in = tf.expandDims(in, tf.constant(1));
      depth = tf.expandDims(depth, tf.constant(0));
    }
    Operand<TFloat32> y =
        tf.nn.depthwiseConv2dNative(
            in, depth, five(s2, 2), padding, DepthwiseConv2dNative.dilations(five(d2, 2)));
    Weight dw = ws.get(0);
    long channels = dw.shape().dim(dw.shape().rank() - 2) * dw.shape().dim(dw.shape().rank() - 1);
    int next = 1;
    if (pointwise) {
      Operand<TFloat32> pw = cx.variable(e, ws, next++);
      if (n == 1) {
        pw = tf.expandDims(pw, tf.constant(0));
      }
      y = tf.nn.conv2d(y, pw, List.of(1L, 1L, 1L, 1L), "VALID");
      channels = ws.get(1).shape().dim(ws.get(1).shape().rank() - 1);
    }
    if (n == 1) {
      y = tf.squeeze(y, Squeeze.axis(List.of(1L)));
    }
    if (c.path("use_bias").asBoolean(true)) {
      y = tf.nn.biasAdd(y, cx.variable(e, ws, next));
    }
    long[] shape = new long[n + 2];
    shape[0] = -1;
    for (int i = 0; i < n; i++) {
      shape[i + 1] = ExportContext.outLength(x.dim(i + 1), k[i], s[i], d[i], padding);
    }
    shape[n + 1] = channels;
    return act.apply(e, new GraphValue(y, shape));
  }

  /**
   * tf-keras's LocallyConnected1D/2D (implementation 1, valid padding): every output position has
   * its own kernel, applied to its patch flattened as (rows, cols, channels), patches row-major.
   */
  GraphValue locallyConnected(LayerCall e, GraphValue x, List<Weight> ws)
      throws UnsupportedModelException {
    JsonNode c = e.config();
    cx.checkChannelsLast(e);
    cx.checkStatic(e, x);
    if (c.path("implementation").asInt(1) != 1 || !cx.padding(e).equals("VALID")) {
      throw cx.unsupported(
          e.name(), e.className() + " other than implementation 1 with valid padding");
    }
    int n = x.rank() - 2;
    long[] k = ExportContext.longs(c.path("kernel_size"), n);
    long[] s = ExportContext.longs(c.path("strides"), n);
    long[] out = new long[n];
    long positions = 1;
    for (int i = 0; i < n; i++) {
      out[i] = ExportContext.outLength(x.dim(i + 1), k[i], s[i], 1, "VALID");
      positions *= out[i];
    }
    long patch = x.last();
    for (long v : k) {
      patch *= v;
    }
    List<Operand<TFloat32>> patches = new ArrayList<>();
    for (long p = 0; p < positions; p++) {
      long[] begin = new long[x.rank()];
      long[] size = x.shape();
      size[0] = -1;
      long rest = p;
      for (int i = n - 1; i >= 0; i--) {
        begin[i + 1] = (rest % out[i]) * s[i];
        size[i + 1] = k[i];
        rest /= out[i];
      }
      patches.add(
          tf.reshape(
              tf.slice(x.op(), tf.constant(begin), tf.constant(size)),
              tf.constant(new long[] {-1, patch})));
    }
    Operand<TFloat32> all = tf.stack(patches, org.tensorflow.op.core.Stack.axis(1L));
    Operand<TFloat32> y = tf.linalg.einsum(List.of(all, cx.variable(e, ws, 0)), "blk,lkf->blf");
    long filters = ws.get(0).shape().dim(2);
    long[] shape = new long[n + 2];
    shape[0] = -1;
    System.arraycopy(out, 0, shape, 1, n);
    shape[n + 1] = filters;
    y = tf.reshape(y, tf.constant(shape));
    if (c.path("use_bias").asBoolean(true)) {
      y = tf.math.add(y, cx.variable(e, ws, 1));
    }
    return act.apply(e, new GraphValue(y, shape));
  }

  /** MaxPooling and AveragePooling 1D/2D/3D. */
  GraphValue pool(LayerCall e, GraphValue x) throws UnsupportedModelException {
    cx.checkChannelsLast(e);
    JsonNode c = e.config();
    String cls = e.className();
    boolean max = cls.startsWith("Max");
    int n = spatial(cls);
    String padding = cx.padding(e);
    long[] p = ExportContext.longs(c.path("pool_size"), n);
    long[] s = c.hasNonNull("strides") ? ExportContext.longs(c.path("strides"), n) : p;
    Operand<TFloat32> in = x.op();
    Operand<TFloat32> y;
    if (n == 3) {
      y =
          max
              ? tf.nn.maxPool3d(in, five(p, 3), five(s, 3), padding)
              : tf.nn.avgPool3d(in, five(p, 3), five(s, 3), padding);
    } else {
      long[] p2 = n == 1 ? new long[] {1, p[0]} : p;
      Operand<TInt64> batch =
          tf.slice(
              tf.shape(in, TInt64.class), tf.constant(new long[] {0}), tf.constant(new long[] {1}));
      long[] s2 = n == 1 ? new long[] {1, s[0]} : s;
      if (n == 1) {
        in = tf.expandDims(in, tf.constant(1));
      }
      y =
          max
              ? tf.nn.maxPool(
                  in,
                  tf.constant(new int[] {1, (int) p2[0], (int) p2[1], 1}),
                  tf.constant(new int[] {1, (int) s2[0], (int) s2[1], 1}),
                  padding)
              : tf.nn.avgPool(in, five(p2, 2), five(s2, 2), padding);
      if (n == 1) {
        y = tf.squeeze(y, Squeeze.axis(List.of(1L)));
      }
    }
    long[] shape = x.shape();
    for (int i = 0; i < n; i++) {
      shape[i + 1] = ExportContext.outLength(x.dim(i + 1), p[i], s[i], 1, padding);
    }
    return new GraphValue(y, shape);
  }

  GraphValue globalPool(LayerCall e, GraphValue x) throws UnsupportedModelException {
    cx.checkChannelsLast(e);
    boolean keep = e.config().path("keepdims").asBoolean(false);
    int[] axes = new int[x.rank() - 2];
    for (int i = 0; i < axes.length; i++) {
      axes[i] = i + 1;
    }
    Operand<TFloat32> y =
        e.className().contains("Max")
            ? tf.max(x.op(), tf.constant(axes), org.tensorflow.op.core.Max.keepDims(keep))
            : tf.math.mean(x.op(), tf.constant(axes), org.tensorflow.op.math.Mean.keepDims(keep));
    long[] shape = x.shape();
    if (keep) {
      for (int a : axes) {
        shape[a] = 1;
      }
      return new GraphValue(y, shape);
    }
    return new GraphValue(y, new long[] {-1, x.last()});
  }
}
