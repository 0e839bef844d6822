package dev.initkit.transplant;

import dev.initkit.init.DTypeCodec;
import dev.initkit.model.DType;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Casts a weight of the target's shape from one floating-point dtype to another, as Keras's {@code
 * load_weights} does when a float16 checkpoint meets a float32 model (and back): widening casts are
 * exact, narrowing ones round each value to nearest, ties to even (numpy's {@code astype}).
 */
public record DTypeAdapter(DType from, DType to) implements Adapter {
  /**
   * @throws IllegalArgumentException unless both dtypes are floating-point and they differ
   */
  public DTypeAdapter {
    if (!from.isFloating() || !to.isFloating() || from == to) {
      throw new IllegalArgumentException("no floating-point cast from " + from + " to " + to);
    }
  }

  /** True when every value of {@code from} is exactly representable in {@code to}. */
  public boolean exact() {
    return to == DType.FLOAT64 || (to == DType.FLOAT32 && from != DType.FLOAT64);
  }

  @Override
  public String describe() {
    return "dtype " + from + " -> " + to + (exact() ? " (exact)" : " (rounded to nearest)");
  }

  @Override
  public String kind() {
    return "dtype";
  }

  @Override
  public boolean usesFresh() {
    return false;
  }

  @Override
  public void readRows(
      TensorSource source,
      Weight fromWeight,
      TensorSource fresh,
      Weight toWeight,
      long firstRow,
      long rows,
      ByteBuffer dst)
      throws IOException {
    long bytes = rows * fromWeight.shape().elementsPerRow() * from.size();
    ByteBuffer buf =
        ByteBuffer.wrap(OverlapAdapter.read(source, fromWeight, firstRow, rows, bytes))
            .order(ByteOrder.LITTLE_ENDIAN);
    double[] values = DTypeCodec.decodeAll(buf, from);
    DTypeCodec.encode(values, 0, values.length, to, dst);
  }
}
