package dev.initkit.init;

import dev.initkit.model.Shape;
import java.util.Objects;

/**
 * Fan-in and fan-out of a weight shape, exactly as Keras 3 {@code compute_fans} and tf.keras 2.x
 * {@code _compute_fans} compute them: rank 0 gives (1, 1); rank 1 {@code (n,)} gives (n, n); rank
 * 2 {@code (a, b)} gives (a, b); rank 3 and more gives {@code rf = prod(shape[:-2])}, fan_in =
 * {@code shape[-2] * rf}, fan_out = {@code shape[-1] * rf}. Keras kernels are laid out {@code
 * (..., in, out)}; Keras applies this rule to every layer, including transposed and depthwise
 * convolutions, where it does not match the layer's real connectivity (it is what Keras draws
 * with, so initkit matches it).
 *
 * @param fanIn Keras's fan_in
 * @param fanOut Keras's fan_out
 */
public record Fans(long fanIn, long fanOut) {

  /** The fans Keras computes for {@code shape}. */
  public static Fans of(Shape shape) {
    Objects.requireNonNull(shape, "shape");
    int rank = shape.rank();
    if (rank == 0) {
      return new Fans(1, 1);
    }
    if (rank == 1) {
      return new Fans(shape.dim(0), shape.dim(0));
    }
    if (rank == 2) {
      return new Fans(shape.dim(0), shape.dim(1));
    }
    long rf = 1;
    for (int i = 0; i < rank - 2; i++) {
      rf = Math.multiplyExact(rf, shape.dim(i));
    }
    return new Fans(Math.multiplyExact(shape.dim(-2), rf), Math.multiplyExact(shape.dim(-1), rf));
  }

  /** {@code (fan_in + fan_out) / 2}, as Keras's {@code fan_avg} mode computes it (a float). */
  public double fanAvg() {
    return (fanIn + (double) fanOut) / 2.0;
  }
}
