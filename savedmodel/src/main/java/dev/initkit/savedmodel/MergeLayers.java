package dev.initkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.initkit.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate. */
final class MergeLayers {
  static final Set<String> CLASSES =
      Set.of("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot");

  private final ExportContext cx;
  private final Ops tf;

  MergeLayers(ExportContext cx) {
    this.cx = cx;
    this.tf = cx.tf;
  }

  GraphValue merge(LayerCall e, List<GraphValue> ins) throws UnsupportedModelException {
    if (ins.size() < 2) {
      throw cx.unsupported(e.name(), e.className() + " with " + ins.size() + " input");
    }
    if (e.className().equals("Dot")) {
      return dot(e, ins);
    }
    if (e.className().equals("Concatenate")) {
      int rank = ins.get(0).rank();
      int axis = e.config().path("axis").asInt(-1);
      int a = axis < 0 ? rank + axis : axis;
      long[] shape = ins.get(0).shape();
      long sum = 0;
      List<Operand<TFloat32>> ops = new ArrayList<>();
      for (GraphValue t : ins) {
        if (t.rank() != rank) {
          throw cx.unsupported(e.name(), "Concatenate of tensors of different ranks");
        }
        sum = sum < 0 || t.dim(a) < 0 ? -1 : sum + t.dim(a);
        ops.add(t.op());
      }
      shape[a] = sum;
      return new GraphValue(tf.concat(ops, tf.constant(a)), shape);
    }
    if (e.className().equals("Subtract") && ins.size() != 2) {
      throw cx.unsupported(e.name(), "Subtract of " + ins.size() + " inputs");
    }
    Operand<TFloat32> y = ins.get(0).op();
    long[] shape = ins.get(0).shape();
    for (int i = 1; i < ins.size(); i++) {
      Operand<TFloat32> b = ins.get(i).op();
      shape = broadcast(shape, ins.get(i).shape());
      switch (e.className()) {
        case "Add":
        case "Average":
          y = tf.math.add(y, b);
          break;
        case "Subtract":
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
    return new GraphValue(y, shape);
  }

  /**
   * Dot of two rank-2 or rank-3 tensors over one axis each (Keras's batch_dot; rank 2 gives (batch,
   * 1)), the inputs l2-normalized along those axes first when normalize is set.
   */
  private GraphValue dot(LayerCall e, List<GraphValue> ins) throws UnsupportedModelException {
    JsonNode axes = e.config().path("axes");
    if (ins.size() != 2) {
      throw cx.unsupported(e.name(), "Dot of " + ins.size() + " inputs");
    }
    GraphValue a = ins.get(0);
    GraphValue b = ins.get(1);
    int r = a.rank();
    int ax = axes.isArray() ? axes.get(0).asInt() : axes.asInt();
    int bx = axes.isArray() ? axes.get(1).asInt() : axes.asInt();
    ax = ax < 0 ? ax + r : ax;
    bx = bx < 0 ? bx + b.rank() : bx;
    if (r != b.rank() || r < 2 || r > 3 || ax < 1 || bx < 1 || ax >= r || bx >= r) {
      throw cx.unsupported(
          e.name(), "Dot of ranks " + r + " and " + b.rank() + " over axes " + axes);
    }
    Operand<TFloat32> x = a.op();
    Operand<TFloat32> y = b.op();
    if (e.config().path("normalize").asBoolean(false)) {
      Operand<TFloat32> sx =
          tf.sum(
              tf.math.square(x),
              tf.constant(new int[] {ax}),
              org.tensorflow.op.core.Sum.keepDims(true));
      Operand<TFloat32> sy =
          tf.sum(
              tf.math.square(y),
              tf.constant(new int[] {bx}),
              org.tensorflow.op.core.Sum.keepDims(true));
      x = tf.math.mul(x, tf.math.rsqrt(tf.math.maximum(sx, tf.constant(1e-12f))));
      y = tf.math.mul(y, tf.math.rsqrt(tf.math.maximum(sy, tf.constant(1e-12f))));
    }
    if (r == 2) {
      Operand<TFloat32> s =
          tf.sum(
              tf.math.mul(x, y),
              tf.constant(new int[] {1}),
              org.tensorflow.op.core.Sum.keepDims(true));
      return new GraphValue(s, new long[] {-1, 1});
    }
    String la = ax == 1 ? "zi" : "iz";
    String lb = bx == 1 ? "zj" : "jz";
    Operand<TFloat32> s = tf.linalg.einsum(List.of(x, y), "b" + la + ",b" + lb + "->bij");
    return new GraphValue(s, new long[] {-1, a.dim(3 - ax), b.dim(3 - bx)});
  }

  private static long[] broadcast(long[] a, long[] b) {
    if (a.length != b.length) {
      return a.length >= b.length ? a : b;
    }
    long[] out = a.clone();
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] == 1 ? b[i] : a[i];
    }
    return out;
  }
}
