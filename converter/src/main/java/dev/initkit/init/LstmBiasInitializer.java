package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;
import java.util.Objects;

/** See {@link Initializer#lstmUnitForgetBias}. */
final class LstmBiasInitializer implements Initializer {
  private final Initializer inner;

  LstmBiasInitializer(Initializer inner) {
    this.inner = Objects.requireNonNull(inner, "inner");
  }

  @Override
  public InitializerSpec spec() {
    return inner.spec();
  }

  @Override
  public void check(Shape shape) {
    if (shape.rank() != 1 || shape.dim(0) % 4 != 0) {
      throw new IllegalArgumentException(
          "an LSTM bias with unit_forget_bias has shape (4 * units,), not " + shape);
    }
    long u = shape.dim(0) / 4;
    inner.check(Shape.of(u));
    inner.check(Shape.of(2 * u));
  }

  @Override
  public void fill(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long firstElement, long count) {
    check(shape);
    long n = shape.elementCount();
    if (firstElement < 0 || count < 0 || firstElement > n - count) {
      throw new IllegalArgumentException(
          "element range ["
              + firstElement
              + ", "
              + firstElement
              + " + "
              + count
              + ") is outside a tensor of shape "
              + shape);
    }
    long u = n / 4;
    long end = firstElement + count;
    // segments: [0, u) inner as (u,); [u, 2u) ones; [2u, 4u) inner as (2u,)
    long[][] segments = {{0, u}, {u, 2 * u}, {2 * u, 4 * u}};
    for (int s = 0; s < 3; s++) {
      long lo = Math.max(firstElement, segments[s][0]);
      long hi = Math.min(end, segments[s][1]);
      if (lo >= hi) {
        continue;
      }
      if (s == 1) {
        DTypeCodec.fillConstant(1.0, hi - lo, dtype, dst);
      } else {
        long base = segments[s][0];
        Shape part = Shape.of(segments[s][1] - base);
        inner.fill(part, dtype, SeedContract.subStream(streamSeed, s), dst, lo - base, hi - lo);
      }
    }
  }
}
