package dev.initkit.savedmodel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * The test oracle for {@link CheckpointData}: the same entries restored by TensorFlow's {@code
 * RestoreV2}.
 */
final class TfRestore {
  private TfRestore() {}

  /**
   * Restores tensors. Numeric values come back as their raw little-endian bytes; a string tensor as
   * the bytes of its first element (the object graph is a scalar string).
   *
   * @param prefix the checkpoint prefix ({@code <dir>/variables/variables})
   */
  static List<byte[]> restore(String prefix, List<String> keys, List<DataType> dtypes) {
    List<Class<? extends TType>> types = new ArrayList<>();
    for (DataType dt : dtypes) {
      types.add(Checkpoint.typeOf(dt));
    }
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Restore r =
          tf.train.restore(
              tf.constant(prefix),
              tf.constant(StandardCharsets.UTF_8, keys.toArray(new String[0])),
              tf.constant(StandardCharsets.UTF_8, blanks(keys.size())),
              types);
      Session.Runner runner = s.runner();
      for (var out : r.tensors()) {
        runner.fetch(out);
      }
      List<byte[]> values = new ArrayList<>();
      try (Result result = runner.run()) {
        for (int i = 0; i < keys.size(); i++) {
          Tensor t = result.get(i);
          if (t instanceof TString str) {
            values.add(
                str.asBytes()
                    .getObject(
                        str.shape().isScalar()
                            ? new long[0]
                            : new long[str.shape().numDimensions()]));
          } else {
            byte[] bytes = new byte[(int) t.numBytes()];
            t.asRawTensor().data().read(bytes);
            values.add(bytes);
          }
        }
      }
      return values;
    }
  }

  private static String[] blanks(int n) {
    String[] out = new String[n];
    java.util.Arrays.fill(out, "");
    return out;
  }
}
