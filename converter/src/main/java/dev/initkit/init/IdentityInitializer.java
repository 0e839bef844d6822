package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;

/** Keras {@code Identity(gain)}: {@code gain * eye(rows, cols)}, rank 2, rectangular allowed. */
final class IdentityInitializer extends BaseInitializer {
  private final double gain;

  IdentityInitializer(InitializerSpec.Identity spec) {
    super(spec);
    this.gain = spec.gain();
  }

  @Override
  void fillChecked(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long first, long count) {
    long cols = shape.dim(1);
    fillFromFunction(e -> e / cols == e % cols ? gain : 0.0, dtype, dst, first, count);
  }
}
