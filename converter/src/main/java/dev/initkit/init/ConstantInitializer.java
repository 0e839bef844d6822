package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.Shape;
import java.nio.ByteBuffer;

/** Zeros, Ones and Constant. */
final class ConstantInitializer extends BaseInitializer {
  ConstantInitializer(InitializerSpec spec) {
    super(spec);
  }

  @Override
  void fillChecked(Shape shape, DType dtype, long streamSeed, ByteBuffer dst, long first, long count) {
    DTypeCodec.fillConstant(spec.value(), count, dtype, dst);
  }
}
