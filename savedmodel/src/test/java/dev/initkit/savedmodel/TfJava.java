package dev.initkit.savedmodel;

import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Loads a SavedModel with TensorFlow Java and runs its serving signature on a fixed input. */
final class TfJava {
  private TfJava() {}

  /** One raw little-endian array: the signature key, its numpy dtype name, shape and file. */
  record Feed(String key, String dtype, long[] shape, java.nio.file.Path file) {}

  /**
   * The serving_default outputs for the given inputs, each as doubles, in the order of {@code
   * outputKeys}.
   */
  static java.util.List<double[]> serve(
      Path dir, java.util.List<Feed> inputs, java.util.List<String> outputKeys)
      throws java.io.IOException {
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve")) {
      SessionFunction f = b.function(Signature.DEFAULT_KEY);
      Map<String, Tensor> feeds = new java.util.LinkedHashMap<>();
      try {
        for (Feed in : inputs) {
          Class<? extends org.tensorflow.types.family.TType> type;
          switch (in.dtype()) {
            case "float32":
              type = TFloat32.class;
              break;
            case "float64":
              type = org.tensorflow.types.TFloat64.class;
              break;
            case "float16":
              type = org.tensorflow.types.TFloat16.class;
              break;
            case "int32":
              type = TInt32.class;
              break;
            default:
              throw new AssertionError("input dtype " + in.dtype());
          }
          byte[] raw = java.nio.file.Files.readAllBytes(in.file());
          feeds.put(
              in.key(),
              Tensor.of(
                  type,
                  Shape.of(in.shape()),
                  org.tensorflow.ndarray.buffer.DataBuffers.of(raw, true, false)));
        }
        try (Result r = f.call(feeds)) {
          java.util.List<double[]> out = new java.util.ArrayList<>();
          for (String k : outputKeys) {
            Tensor t = r.get(k).orElseThrow(() -> new AssertionError("no output " + k));
            double[] d = new double[(int) t.size()];
            if (t instanceof org.tensorflow.types.TFloat64 y) {
              y.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(d, false, false));
            } else if (t instanceof org.tensorflow.ndarray.FloatNdArray y) {
              // float32, and float16/bfloat16 outputs read as floats
              float[] v = new float[d.length];
              y.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(v, false, false));
              for (int i = 0; i < v.length; i++) {
                d[i] = v[i];
              }
            } else {
              throw new AssertionError("output " + k + " of " + t.dataType());
            }
            out.add(d);
          }
          return out;
        }
      } finally {
        feeds.values().forEach(Tensor::close);
      }
    }
  }

  /** The numpy dtype name of each serving_default input ({@code float32}, {@code int32}...). */
  static Map<String, String> inputDtypes(Path dir) {
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve")) {
      Map<String, String> out = new java.util.TreeMap<>();
      b.function(Signature.DEFAULT_KEY)
          .signature()
          .getInputs()
          .forEach(
              (k, d) ->
                  out.put(
                      k,
                      switch (d.dataType) {
                        case DT_FLOAT -> "float32";
                        case DT_DOUBLE -> "float64";
                        case DT_HALF -> "float16";
                        case DT_INT32 -> "int32";
                        default -> d.dataType.name();
                      }));
      return out;
    }
  }

  /**
   * The serving_default output for a deterministic input batch of 2 (ints below 20 for int inputs).
   */
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
      try (x;
          Result r = f.call(Map.of(e.getKey(), x))) {
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
