package dev.initkit.ops;

import dev.initkit.init.Initializer;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A tensor source that draws fresh values for some weights and passes the others through from the
 * source underneath. Values are computed when a writer asks for them, block of rows by block of rows,
 * so a reinitialized model streams like any other.
 */
public final class GeneratedTensors implements TensorSource {
  /** How one weight is drawn. */
  public record Draw(Initializer initializer, long streamSeed) {}

  private final TensorSource base;
  private final Map<String, Draw> draws;

  /**
   * @param draws by {@link Weight#key()}
   */
  public GeneratedTensors(TensorSource base, Map<String, Draw> draws) {
    this.base = base;
    this.draws = Map.copyOf(draws);
  }

  @Override
  public void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException {
    Draw d = draws.get(weight.key());
    if (d == null) {
      base.readRows(weight, firstRow, rows, dst);
      return;
    }
    long perRow = weight.shape().rank() == 0 ? 1 : weight.shape().elementCount() / Math.max(1, weight.shape().dim(0));
    d.initializer().fill(weight.shape(), weight.dtype(), d.streamSeed(), dst, firstRow * perRow, rows * perRow);
  }

  @Override
  public TensorSource origin(Weight weight) {
    return draws.containsKey(weight.key()) ? this : base.origin(weight);
  }
}
