package dev.initkit.savedmodel;

import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;
import org.tensorflow.SessionFunction;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Loads a SavedModel with TensorFlow Java and runs its serving signature on a fixed input. */
final class TfJava {
  private TfJava() {}

  /** The serving_default output for a deterministic input batch of 2 (ints below 20 for int inputs). */
  static float[] serve(Path dir) {
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve")) {
      SessionFunction f = b.function(Signature.DEFAULT_KEY);
      Map<String, Signature.TensorDescription> in = f.signature().getInputs();
      if (in.size() != 1) {
        throw new AssertionError("expected one input: " + in.keySet());
      }
      var e = in.entrySet().iterator().next();
      long[] dims = e.getValue().shape.asArray();
      for (int i = 0; i < dims.length; i++) {
        dims[i] = dims[i] < 0 ? 2 : dims[i]; // the batch and any unknown dimension
      }
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      Tensor x;
      if (e.getValue().dataType == DataType.DT_INT32) {
        TInt32 t = TInt32.tensorOf(Shape.of(dims));
        for (long i = 0; i < n; i++) {
          t.asRawTensor().data().asInts().setInt((int) ((i * 7) % 5), i);
        }
        x = t;
      } else {
        TFloat32 t = TFloat32.tensorOf(Shape.of(dims));
        for (long i = 0; i < n; i++) {
          t.asRawTensor().data().asFloats().setFloat((float) Math.sin(i * 0.37), i);
        }
        x = t;
      }
      try (x; Result r = f.call(Map.of(e.getKey(), x))) {
        if (r.size() != 1) {
          throw new AssertionError("expected one output");
        }
        TFloat32 y = (TFloat32) r.get(0);
        float[] out = new float[(int) y.size()];
        y.asRawTensor().data().asFloats().read(out);
        return out;
      }
    }
  }
}
