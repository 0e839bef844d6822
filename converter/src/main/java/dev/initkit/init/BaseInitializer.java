package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.Objects;

/** Argument checks shared by the initializers; subclasses implement {@link #fillChecked}. */
abstract class BaseInitializer implements Initializer {
  /** Per-thread block of doubles, one generator block long. */
  static final ThreadLocal<double[]> BLOCK =
      ThreadLocal.withInitial(() -> new double[SeedContract.BLOCK_SIZE]);

  final InitializerSpec spec;

  BaseInitializer(InitializerSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  @Override
  public InitializerSpec spec() {
    return spec;
  }

  @Override
  public void check(Shape shape) {
    SpecStatistics.sampling(spec, shape);
  }

  @Override
  public final void fill(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long firstElement, long count) {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(dst, "dst");
    if (!dtype.isFloating()) {
      throw DTypeCodec.notFloating(dtype);
    }
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
              + shape
              + " ("
              + n
              + " elements)");
    }
    if (dst.remaining() < Math.multiplyExact(count, (long) dtype.size())) {
      throw new BufferOverflowException();
    }
    check(shape);
    if (count == 0) {
      return;
    }
    fillChecked(shape, dtype, streamSeed, dst, firstElement, count);
  }

  /** Fills a range already checked to be inside the tensor, with room in {@code dst}. */
  abstract void fillChecked(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long first, long count);

  /** Fills a range from a per-element function, in chunks of one block, for deterministic kinds. */
  interface ElementFunction {
    double at(long element);
  }

  static void fillFromFunction(
      ElementFunction f, DType dtype, ByteBuffer dst, long first, long count) {
    double[] buf = BLOCK.get();
    long end = first + count;
    for (long e = first; e < end; ) {
      int n = (int) Math.min(buf.length, end - e);
      for (int i = 0; i < n; i++) {
        buf[i] = f.at(e + i);
      }
      DTypeCodec.encode(buf, 0, n, dtype, dst);
      e += n;
    }
  }
}
