package dev.initkit.savedmodel;

import dev.initkit.format.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate. */
final class MergeLayers {
  static final Set<String> CLASSES = Set.of("Add", "Subtract", "Multiply", "Average", "Maximum",
      "Minimum", "Concatenate");

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
