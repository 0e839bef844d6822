package dev.initkit.savedmodel;

import dev.initkit.UnsupportedModelException;
import dev.initkit.model.Layer;
import java.util.Locale;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Keras's activation functions as TensorFlow ops. */
final class Activations {
  private final ExportContext cx;
  private final Ops tf;
  private final String kerasVersion;

  /** {@code kerasVersion}: the version that wrote the file ("" when unknown), for hard_sigmoid. */
  Activations(ExportContext cx, String kerasVersion) {
    this.cx = cx;
    this.tf = cx.tf;
    this.kerasVersion = kerasVersion;
  }

  /** The layer's own {@code activation} applied to its output. */
  GraphValue apply(LayerCall e, GraphValue x) throws UnsupportedModelException {
    String a = Layer.activationOf(e.config());
    return a == null ? x : new GraphValue(apply(e, a, x.op()), x.shape());
  }

  Operand<TFloat32> apply(LayerCall e, String name, Operand<TFloat32> x)
      throws UnsupportedModelException {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "linear":
        return x;
      case "relu":
        return tf.nn.relu(x);
      case "relu6":
        return tf.nn.relu6(x);
      case "sigmoid":
        return tf.math.sigmoid(x);
      case "tanh":
        return tf.math.tanh(x);
      case "softmax":
        return tf.nn.softmax(x);
      case "elu":
        return tf.nn.elu(x);
      case "selu":
        return tf.nn.selu(x);
      case "softplus":
        return tf.math.softplus(x);
      case "softsign":
        return tf.nn.softsign(x);
      case "swish":
      case "silu":
        return tf.math.mul(x, tf.math.sigmoid(x));
      case "gelu": // Keras's default, exact form: x * Phi(x)
        return tf.math.mul(
            tf.math.mul(x, tf.constant(0.5f)),
            tf.math.add(
                tf.constant(1f),
                tf.math.erf(tf.math.mul(x, tf.constant((float) (1 / Math.sqrt(2)))))));
      case "exponential":
        return tf.math.exp(x);
      case "hard_sigmoid":
        // tf-keras and Keras 1/2 clip 0.2x + 0.5; Keras 3 computes relu6(x + 3) / 6
        if (kerasVersion.startsWith("3")) {
          return tf.math.div(tf.nn.relu6(tf.math.add(x, tf.constant(3f))), tf.constant(6f));
        }
        if (kerasVersion.startsWith("2") || kerasVersion.startsWith("1")) {
          return tf.clipByValue(
              tf.math.add(tf.math.mul(x, tf.constant(0.2f)), tf.constant(0.5f)),
              tf.constant(0f),
              tf.constant(1f));
        }
        throw cx.unsupported(e.name(), "activation hard_sigmoid from a file without keras_version");
      default:
        throw cx.unsupported(e.name(), "activation " + name);
    }
  }
}
