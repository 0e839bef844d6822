package dev.initkit.init;

import dev.initkit.model.Shape;
import java.util.Objects;

/**
 * Fan-in and fan-out of a weight shape, exactly as Keras 3 {@code compute_fans} and tf.keras 2.x
 * {@code _compute_fans} compute them: rank 0 gives (1, 1); rank 1 {@code (n,)} gives (n, n); rank 2
 * {@code (a, b)} gives (a, b); rank 3 and more gives {@code rf = prod(shape[:-2])}, fan_in = {@code
 * shape[-2] * rf}, fan_out = {@code shape[-1] * rf}. Keras kernels are laid out {@code (..., in,
 * out)}; Keras applies this rule to every layer, including transposed and depthwise convolutions,
 * where it does not match the layer's real connectivity (it is what Keras draws with, so initkit
 * matches it).
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

  /**
   * The fans Keras 3.15 and later compute when the initializer names its axes ({@code input_axes},
   * {@code output_axes}, as {@code EinsumDense} sets them from its equation): the product of the
   * dimensions on each list. Negative axes count from the end, as in Python.
   */
  public static Fans of(
      Shape shape, java.util.List<Integer> inputAxes, java.util.List<Integer> outputAxes) {
    Objects.requireNonNull(shape, "shape");
    if (inputAxes == null || outputAxes == null) {
      return of(shape);
    }
    return new Fans(product(shape, inputAxes), product(shape, outputAxes));
  }

  private static long product(Shape shape, java.util.List<Integer> axes) {
    long n = 1;
    for (int a : axes) {
      int i = a < 0 ? shape.rank() + a : a;
      if (i < 0 || i >= shape.rank()) {
        throw new IllegalArgumentException("fan axis " + a + " outside shape " + shape);
      }
      n = Math.multiplyExact(n, shape.dim(i));
    }
    return n;
  }

  /** {@code (fan_in + fan_out) / 2}, as Keras's {@code fan_avg} mode computes it (a float). */
  public double fanAvg() {
    return (fanIn + (double) fanOut) / 2.0;
  }
}
