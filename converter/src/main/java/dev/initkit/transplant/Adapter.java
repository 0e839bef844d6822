package dev.initkit.transplant;

import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Computes a target weight from a source weight of another shape, block of rows by block of rows
 * (rows of the target's leading dimension), so adapted tensors stream like any other.
 */
public sealed interface Adapter
    permits DTypeAdapter, InputChannelAdapter, MappedAdapter, OverlapAdapter {
  /** One line for reports: how the values are computed. */
  String describe();

  /** The kind, as the command line names the adaptation that chose this adapter. */
  String kind();

  /** True when some values come from the fresh (initialized) target tensor. */
  boolean usesFresh();

  /**
   * Writes target rows {@code [firstRow, firstRow + rows)} into {@code dst} at its position and
   * advances it.
   *
   * @param source the source model's tensors
   * @param from the source weight
   * @param fresh the target's freshly drawn values (read only when {@link #usesFresh()})
   * @param to the target weight
   */
  void readRows(
      TensorSource source,
      Weight from,
      TensorSource fresh,
      Weight to,
      long firstRow,
      long rows,
      ByteBuffer dst)
      throws IOException;
}
