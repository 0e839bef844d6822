package dev.initkit.analysis;

import dev.initkit.init.DTypeCodec;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Objects;

/**
 * A tensor source whose selected weights (by {@link Weight#key()}) are another's times a factor.
 */
final class ScaledTensors implements TensorSource {
  private final TensorSource base;
  private final Map<String, Double> factors;

  ScaledTensors(TensorSource base, Map<String, Double> factors) {
    this.base = Objects.requireNonNull(base, "base");
    this.factors = Map.copyOf(factors);
  }

  @Override
  public void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException {
    int start = dst.position();
    base.readRows(weight, firstRow, rows, dst);
    Double f = factors.get(weight.key());
    if (f == null) {
      return;
    }
    int bytes = dst.position() - start;
    int n = bytes / weight.dtype().size();
    ByteBuffer region =
        dst.duplicate().position(start).limit(start + bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
    double[] v = new double[n];
    DTypeCodec.decode(region.duplicate().order(ByteOrder.LITTLE_ENDIAN), weight.dtype(), v, 0, n);
    for (int i = 0; i < n; i++) {
      v[i] *= f;
    }
    DTypeCodec.encode(v, 0, n, weight.dtype(), region.duplicate().order(ByteOrder.LITTLE_ENDIAN));
  }

  @Override
  public TensorSource origin(Weight weight) {
    return factors.containsKey(weight.key()) ? this : base.origin(weight);
  }
}
