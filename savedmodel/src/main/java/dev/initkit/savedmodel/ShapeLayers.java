package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Layers that move values without arithmetic: Flatten, Reshape, Permute, RepeatVector, ZeroPadding,
 * Cropping and nearest UpSampling (1D/2D/3D, channels_last).
 */
final class ShapeLayers {
  private final ExportContext cx;
  private final Ops tf;

  ShapeLayers(ExportContext cx) {
    this.cx = cx;
    this.tf = cx.tf;
  }

  GraphValue apply(LayerCall e, GraphValue x) throws UnsupportedModelException {
    JsonNode c = e.config();
    String cls = e.className();
    switch (cls) {
      case "Flatten":
        {
          cx.checkStatic(e, x);
          long n = 1;
          for (int i = 1; i < x.rank(); i++) {
            n *= x.dim(i);
          }
          return cx.reshape(x, new long[] {-1, n});
        }
      case "Reshape":
        {
          List<Long> dims = new ArrayList<>(List.of(-1L));
          c.path("target_shape").forEach(d -> dims.add(d.asLong()));
          if (dims.stream().skip(1).anyMatch(d -> d < 0)) {
            cx.checkStatic(e, x);
            long known = 1;
            for (long d : dims.subList(1, dims.size())) {
              known *= d < 0 ? 1 : d;
            }
            long all = 1;
            for (int i = 1; i < x.rank(); i++) {
              all *= x.dim(i);
            }
            for (int i = 1; i < dims.size(); i++) {
              if (dims.get(i) < 0) {
                dims.set(i, all / known);
              }
            }
          }
          return cx.reshape(x, dims.stream().mapToLong(Long::longValue).toArray());
        }
      case "Permute":
        {
          int[] perm = new int[x.rank()];
          long[] shape = new long[x.rank()];
          shape[0] = -1;
          for (int i = 1; i < perm.length; i++) {
            perm[i] = c.path("dims").get(i - 1).asInt();
            shape[i] = x.dim(perm[i]);
          }
          return new GraphValue(tf.linalg.transpose(x.op(), tf.constant(perm)), shape);
        }
      case "RepeatVector":
        {
          long n = c.path("n").asLong();
          Operand<TFloat32> y =
              tf.tile(
                  tf.expandDims(x.op(), tf.constant(1)),
                  tf.constant(new int[] {1, Math.toIntExact(n), 1}));
          return new GraphValue(y, new long[] {-1, n, x.last()});
        }
      default:
        break;
    }
    cx.checkChannelsLast(e);
    int n = x.rank() - 2;
    if (cls.startsWith("ZeroPadding") || cls.startsWith("Cropping")) {
      long[][] p = pairs(e, c.path(cls.startsWith("Zero") ? "padding" : "cropping"), n);
      return cls.startsWith("Zero") ? pad(x, p) : crop(e, x, p);
    }
    // UpSampling: nearest neighbour, each spatial axis repeated
    if (cls.equals("UpSampling2D")
        && !c.path("interpolation").asText("nearest").equals("nearest")) {
      throw cx.unsupported(
          e.name(), "UpSampling2D interpolation " + c.path("interpolation").asText());
    }
    cx.checkStatic(e, x);
    long[] size = ExportContext.longs(c.path(c.has("size") ? "size" : "length"), n);
    GraphValue y = x;
    for (int i = 0; i < n; i++) {
      y = repeat(y, i + 1, size[i]);
    }
    return y;
  }

  /**
   * Padding or cropping amounts per spatial axis from any of Keras's forms (n, (a, b), ((a, b),
   * ...)).
   */
  private long[][] pairs(LayerCall e, JsonNode v, int n) throws UnsupportedModelException {
    long[][] out = new long[n][2];
    for (int i = 0; i < n; i++) {
      if (v.isNumber()) {
        out[i] = new long[] {v.asLong(), v.asLong()};
      } else if (n == 1 && v.isArray() && v.size() == 2 && v.get(0).isNumber()) {
        out[i] = new long[] {v.get(0).asLong(), v.get(1).asLong()};
      } else if (v.isArray() && v.size() == n && v.get(i).isNumber()) {
        out[i] = new long[] {v.get(i).asLong(), v.get(i).asLong()};
      } else if (v.isArray() && v.size() == n && v.get(i).isArray() && v.get(i).size() == 2) {
        out[i] = new long[] {v.get(i).get(0).asLong(), v.get(i).get(1).asLong()};
      } else {
        throw cx.unsupported(e.name(), e.className() + " amounts " + v);
      }
    }
    return out;
  }

  private GraphValue pad(GraphValue x, long[][] p) {
    long[][] all = new long[x.rank()][2];
    long[] shape = x.shape();
    for (int i = 0; i < p.length; i++) {
      all[i + 1] = p[i];
      shape[i + 1] = shape[i + 1] < 0 ? -1 : shape[i + 1] + p[i][0] + p[i][1];
    }
    return new GraphValue(tf.pad(x.op(), tf.constant(ints(all)), tf.constant(0f)), shape);
  }

  private GraphValue crop(LayerCall e, GraphValue x, long[][] p) throws UnsupportedModelException {
    cx.checkStatic(e, x);
    long[] begin = new long[x.rank()];
    long[] size = x.shape();
    for (int i = 0; i < p.length; i++) {
      begin[i + 1] = p[i][0];
      size[i + 1] = x.dim(i + 1) - p[i][0] - p[i][1];
    }
    return new GraphValue(
        tf.slice(x.op(), tf.constant(ints(begin)), tf.constant(ints(size))), size);
  }

  /** Each element along {@code axis} repeated {@code times} times in place (nearest upsampling). */
  private GraphValue repeat(GraphValue x, int axis, long times) {
    long[] tiles = new long[x.rank() + 1];
    java.util.Arrays.fill(tiles, 1);
    tiles[axis + 1] = times;
    Operand<TFloat32> y =
        tf.tile(tf.expandDims(x.op(), tf.constant(axis + 1)), tf.constant(ints(tiles)));
    long[] shape = x.shape();
    shape[axis] *= times;
    return cx.reshape(new GraphValue(y, shape), shape);
  }

  /**
   * Int32 operands: the same values as the int64 ones, but TensorFlow's C++ gradients of Pad, Slice
   * and Tile combine their operands with int32 shapes and fail on int64.
   */
  private static int[] ints(long[] a) {
    int[] out = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = Math.toIntExact(a[i]);
    }
    return out;
  }

  private static int[][] ints(long[][] a) {
    int[][] out = new int[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = ints(a[i]);
    }
    return out;
  }
}
