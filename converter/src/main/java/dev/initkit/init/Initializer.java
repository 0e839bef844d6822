package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import dev.initkit.model.WeightRole;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Fills tensors with the values of an {@link InitializerSpec}, deterministically from a stream seed
 * (see {@link SeedContract}), a range of elements at a time so that a huge tensor can be streamed.
 *
 * <p>Elements are numbered in row-major (C) order of the Keras shape (kernels {@code (..., in,
 * out)}). Values are written little-endian in the dtype's format (float16 and bfloat16 rounded to
 * nearest-even from double; see {@link DTypeCodec}) at the buffer's position, which advances. The
 * bytes of element {@code e} depend only on the spec, shape, dtype, stream seed and {@code e}: not
 * on how the tensor is cut into ranges or how many threads fill it. Ranges that start on a multiple
 * of {@link SeedContract#BLOCK_SIZE} are the cheapest: a range starting inside a block regenerates
 * that block's earlier draws.
 *
 * <p>Whole-tensor initializers (Orthogonal) compute the full tensor on the first call for a (shape,
 * seed) and serve later ranges from a one-entry cache; they refuse tensors above a documented size.
 * Identity and Sinusoidal compute each element directly (Sinusoidal computes its normalisation once
 * per shape).
 *
 * <p>Implementations are immutable apart from such caches and are safe for concurrent use.
 */
public interface Initializer {

  /**
   * The largest tensor Orthogonal fills (2^24 elements, e.g. 4096 x 4096): it computes a
   * Householder QR in memory (about three tensors of doubles) in O(max(r, c) * min(r, c)^2) time.
   */
  long MAX_ORTHOGONAL_ELEMENTS = 1L << 24;

  /** The spec this initializer draws. */
  InitializerSpec spec();

  /**
   * Writes elements {@code [firstElement, firstElement + count)} of a tensor of {@code shape} into
   * {@code dst} at its position, little-endian, and advances the position by {@code count *
   * dtype.size()}.
   *
   * @param streamSeed the weight's stream seed ({@link SeedContract#streamSeed}); ignored by
   *     deterministic kinds
   * @throws IllegalArgumentException if the dtype is not floating, the range is outside the tensor,
   *     or the initializer refuses the shape (see {@link #check})
   * @throws java.nio.BufferOverflowException if {@code dst} has too little room (nothing written)
   */
  void fill(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long firstElement, long count);

  /** Writes the whole tensor: {@code fill(shape, dtype, streamSeed, dst, 0, elementCount)}. */
  default void fill(Shape shape, DType dtype, long streamSeed, ByteBuffer dst) {
    fill(shape, dtype, streamSeed, dst, 0, shape.elementCount());
  }

  /**
   * Checks that this initializer can fill a tensor of {@code shape}, without drawing anything.
   *
   * @throws IllegalArgumentException naming the shape when it cannot (Identity needs rank 2;
   *     Orthogonal rank >= 2 and at most {@link #MAX_ORTHOGONAL_ELEMENTS} elements; an unknown spec
   *     never can)
   */
  void check(Shape shape);

  /** True when the whole tensor is computed at once (and cached) rather than element-wise. */
  default boolean wholeTensor() {
    return false;
  }

  /** The initializer for a spec, with Keras kernel layout. */
  static Initializer of(InitializerSpec spec) {
    return of(spec, WeightRole.KERNEL);
  }

  /**
   * The initializer for a spec and the role of the weight it fills. The role matters only for
   * Sinusoidal, whose reference implementation works on PyTorch layouts: a {@link
   * WeightRole#DEPTHWISE_KERNEL} {@code (kh, kw, in, dm)} maps to PyTorch's {@code (in*dm, 1, kh,
   * kw)}; every other kernel {@code (k..., in, out)} to {@code (out, in, k...)}.
   *
   * @throws IllegalArgumentException for a {@link InitializerSpec.Custom} spec (a custom
   *     initializer initkit cannot draw)
   */
  static Initializer of(InitializerSpec spec, WeightRole role) {
    Objects.requireNonNull(spec, "spec");
    if (spec instanceof InitializerSpec.Fixed f) {
      return new ConstantInitializer(f);
    } else if (spec instanceof InitializerSpec.Orthogonal o) {
      return new Orthogonal(o);
    } else if (spec instanceof InitializerSpec.Seeded) {
      return new RandomInitializer(
          spec); // RandomUniform/Normal, TruncatedNormal, VarianceScaling, SmallSign
    } else if (spec instanceof InitializerSpec.Identity i) {
      return new IdentityInitializer(i);
    } else if (spec instanceof InitializerSpec.Sinusoidal) {
      return new Sinusoidal(spec, role == WeightRole.DEPTHWISE_KERNEL);
    }
    throw new IllegalArgumentException(
        "initkit cannot draw "
            + spec.describe()
            + ": it is a custom initializer; choose a built-in one for this weight");
  }

  /**
   * Keras's LSTM bias with {@code unit_forget_bias=True}: for a bias of shape {@code (4u,)} (gate
   * order i, f, c, o), the first {@code u} values come from {@code inner} drawn as shape {@code
   * (u,)}, the next {@code u} are ones (forget gate) and the last {@code 2u} come from {@code
   * inner} drawn as shape {@code (2u,)}, exactly as Keras's {@code LSTMCell.build} concatenates
   * them. With the default Zeros inner this is {@code [0]*u + [1]*u + [0]*2u}.
   */
  static Initializer lstmUnitForgetBias(Initializer inner) {
    return new LstmBiasInitializer(inner);
  }
}
