package dev.initkit.savedmodel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.EagerSession;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * A TensorFlow checkpoint ({@code variables/variables}) written with {@code SaveV2} through
 * TensorFlow Java. This is the only class that runs TensorFlow ops, so TensorFlow's native library
 * loads only when a SavedModel is written; reads are plain Java ({@link CheckpointData}).
 *
 * <p>Not {@code SavedModelBundle.exporter}: it silently drops resource variables, which every Keras
 * SavedModel uses (DEPENDENCIES.md).
 */
final class Checkpoint {
  private Checkpoint() {}

  /** The TensorFlow Java type of a dtype, or null when TF Java has none. */
  static Class<? extends TType> typeOf(DataType dt) {
    switch (dt) {
      case DT_FLOAT:
        return TFloat32.class;
      case DT_DOUBLE:
        return TFloat64.class;
      case DT_HALF:
        return TFloat16.class;
      case DT_BFLOAT16:
        return TBfloat16.class;
      case DT_INT32:
        return TInt32.class;
      case DT_INT64:
        return TInt64.class;
      case DT_UINT8:
        return TUint8.class;
      case DT_UINT16:
        return TUint16.class;
      case DT_BOOL:
        return TBool.class;
      case DT_STRING:
        return TString.class;
      default:
        return null;
    }
  }

  /**
   * Writes a new checkpoint holding every entry of {@code index}: the values from {@code
   * oldPrefix}, except the keys of {@code replaced}, which take the given raw bytes (same dtype and
   * shape as the entry). Restored values flow from {@code RestoreV2} into {@code SaveV2} inside the
   * graph, never through Java.
   */
  static void rewrite(
      String oldPrefix, BundleIndex index, Map<String, byte[]> replaced, String newPrefix) {
    List<String> keys = new ArrayList<>(index.entries().keySet());
    List<Class<? extends TType>> types = new ArrayList<>();
    for (String k : keys) {
      types.add(typeOf(index.entries().get(k).getDtype()));
    }
    List<Tensor> fed = new ArrayList<>();
    // eagerly, not in a graph session: a session's first run goes through TensorFlow's graph
    // optimization passes, whose Abseil log line no setting silences
    try (EagerSession es = EagerSession.create()) {
      Ops tf = Ops.create(es);
      Restore r =
          tf.train.restore(
              tf.constant(oldPrefix),
              tf.constant(StandardCharsets.UTF_8, keys.toArray(new String[0])),
              tf.constant(StandardCharsets.UTF_8, blanks(keys.size())),
              types);
      List<Operand<?>> values = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        byte[] bytes = replaced.get(keys.get(i));
        if (bytes == null) {
          values.add(r.tensors().get(i));
          continue;
        }
        BundleEntryProto e = index.entries().get(keys.get(i));
        TType t = Tensor.of(types.get(i), shapeOf(e), DataBuffers.of(bytes, true, false));
        fed.add(t);
        values.add(tf.constantOf(t));
      }
      tf.train.save(
          tf.constant(newPrefix),
          tf.constant(StandardCharsets.UTF_8, keys.toArray(new String[0])),
          tf.constant(StandardCharsets.UTF_8, blanks(keys.size())),
          values);
    } finally {
      for (Tensor t : fed) {
        t.close();
      }
    }
  }

  static Shape shapeOf(BundleEntryProto e) {
    long[] dims = new long[e.getShape().getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = e.getShape().getDim(i).getSize();
    }
    return Shape.of(dims);
  }

  private static String[] blanks(int n) {
    String[] out = new String[n];
    java.util.Arrays.fill(out, "");
    return out;
  }
}
