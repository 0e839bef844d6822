package dev.initkit.savedmodel;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/** A float32 graph tensor with its static shape ({@code -1} = unknown, the batch at least). */
record GraphValue(Operand<TFloat32> op, long[] shape) {
  GraphValue {
    shape = shape.clone();
  }

  int rank() {
    return shape.length;
  }

  long last() {
    return shape[shape.length - 1];
  }

  /** The static shape, a copy. */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  long dim(int i) {
    return shape[i < 0 ? shape.length + i : i];
  }
}
