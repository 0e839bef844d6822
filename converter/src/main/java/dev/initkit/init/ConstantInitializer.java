package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;

/** Zeros, Ones and Constant. */
final class ConstantInitializer extends BaseInitializer {
  private final double value;

  ConstantInitializer(InitializerSpec.Fixed spec) {
    super(spec);
    this.value = spec.value();
  }

  @Override
  void fillChecked(
      Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long first, long count) {
    DTypeCodec.fillConstant(value, count, dtype, dst);
  }
}
