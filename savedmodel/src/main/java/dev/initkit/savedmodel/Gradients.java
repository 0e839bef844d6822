package dev.initkit.savedmodel;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.Conv3d;
import org.tensorflow.op.nn.Conv3dBackpropFilter;
import org.tensorflow.op.nn.Conv3dBackpropInput;
import org.tensorflow.types.TFloat32;

/**
 * Gradients TensorFlow's C++ registry lacks for ops the lowering emits, registered once per process
 * through TF Java's custom gradients: Conv3D's, built as TensorFlow's Python {@code _Conv3DGrad}
 * builds it (Conv3DBackpropInputV2 for the input, Conv3DBackpropFilterV2 for the filter, with the
 * forward op's strides, padding, dilations and data format) and Conv3DBackpropInputV2's (how
 * Conv3DTranspose is lowered), as {@code _Conv3DBackpropInputGrad} builds it:
 * Conv3DBackpropFilterV2 for the filter, Conv3D for the output gradient (zeros for the int32 sizes,
 * which Python leaves without a gradient).
 */
final class Gradients {
  private static boolean registered;

  private Gradients() {}

  /** Registers the missing gradients (once; later calls do nothing). */
  static synchronized void register() {
    if (registered) {
      return;
    }
    registered = true;
    TensorFlow.registerCustomGradient(
        Conv3d.OP_NAME,
        (tf, op, grads) -> {
          Conv3d.Inputs<TFloat32> in = new Conv3d.Inputs<>(op);
          Operand<TFloat32> dy = grads.get(0).expect(TFloat32.class);
          return conv3d(tf, in, dy);
        });
    TensorFlow.registerCustomGradient(
        Conv3dBackpropInput.OP_NAME,
        (tf, op, grads) -> {
          Conv3dBackpropInput.Inputs<TFloat32> in = new Conv3dBackpropInput.Inputs<>(op);
          Operand<TFloat32> dy = grads.get(0).expect(TFloat32.class);
          List<Long> strides = list(in.strides);
          List<Long> dilations = list(in.dilations);
          List<Operand<?>> out = new ArrayList<>();
          out.add(tf.zerosLike(in.inputSizes));
          out.add(
              tf.nn.conv3dBackpropFilter(
                  dy,
                  tf.shape(in.filter),
                  in.outBackprop,
                  strides,
                  in.padding,
                  Conv3dBackpropFilter.dilations(dilations),
                  Conv3dBackpropFilter.dataFormat(in.dataFormat)));
          out.add(
              tf.nn.conv3d(
                  dy,
                  in.filter,
                  strides,
                  in.padding,
                  Conv3d.dilations(dilations),
                  Conv3d.dataFormat(in.dataFormat)));
          return out;
        });
  }

  private static List<Operand<?>> conv3d(Ops tf, Conv3d.Inputs<TFloat32> in, Operand<TFloat32> dy) {
    List<Long> strides = list(in.strides);
    List<Long> dilations = list(in.dilations);
    Operand<TFloat32> dx =
        tf.nn.conv3dBackpropInput(
            tf.shape(in.input),
            in.filter,
            dy,
            strides,
            in.padding,
            Conv3dBackpropInput.dilations(dilations),
            Conv3dBackpropInput.dataFormat(in.dataFormat));
    Operand<TFloat32> dw =
        tf.nn.conv3dBackpropFilter(
            in.input,
            tf.shape(in.filter),
            dy,
            strides,
            in.padding,
            Conv3dBackpropFilter.dilations(dilations),
            Conv3dBackpropFilter.dataFormat(in.dataFormat));
    List<Operand<?>> out = new ArrayList<>();
    out.add(dx);
    out.add(dw);
    return out;
  }

  private static List<Long> list(long[] a) {
    List<Long> l = new ArrayList<>();
    for (long v : a) {
      l.add(v);
    }
    return l;
  }
}
