package dev.initkit.model;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where weight values come from, one tensor (or one block of rows) at a time, so that models larger
 * than memory stream through. Values are raw little-endian bytes of the weight's {@link DType}.
 *
 * <p>Implementations that hold native handles are closed by whoever opened them (see {@link
 * LoadedModel}). Implementations are safe for use from several threads unless they say otherwise.
 */
public interface TensorSource {

  /**
   * Reads rows {@code [firstRow, firstRow + rows)} of the weight's leading dimension into {@code
   * dst} at its position and advances it. A scalar has a single row.
   *
   * @throws IndexOutOfBoundsException when the rows are not all the weight's (the caller's mistake,
   *     not the file's: checked before the file is touched, see {@link #checkRows})
   * @throws IOException when the stored data cannot be read (the message names file and tensor)
   */
  void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException;

  /**
   * Checks a {@link #readRows} request against the weight's shape: rows {@code [firstRow, firstRow
   * + rows)} of its leading dimension (a scalar has one row).
   *
   * @throws IndexOutOfBoundsException naming the weight, the rows asked and the rows there are
   */
  static void checkRows(Weight weight, long firstRow, long rows) {
    long there = weight.shape().rank() == 0 ? 1 : weight.shape().dim(0);
    if (firstRow < 0 || rows < 0 || firstRow > there || rows > there - firstRow) {
      throw new IndexOutOfBoundsException(
          "weight "
              + weight.name()
              + ": rows ["
              + firstRow
              + ", "
              + (firstRow + rows)
              + ") asked ("
              + rows
              + " from row "
              + firstRow
              + "), it has "
              + there
              + (there == 1 ? " row" : " rows")
              + " "
              + weight.shape());
    }
  }

  /**
   * The source whose stored bytes this weight's values are, unchanged; writers use it to copy a
   * tensor natively instead of through Java. A source that computes values returns itself.
   */
  default TensorSource origin(Weight weight) {
    return this;
  }

  /**
   * The weight's stored bytes (its little-endian values, row-major) mapped read-only where they
   * lie, in consecutive buffers of {@code chunk} bytes (the last one shorter), for a reader that
   * wants random access without copying the tensor; null when this source does not keep them as one
   * plain run in a file (the caller then reads rows). The buffers stay valid after the source is
   * closed and release their pages when collected.
   *
   * @param chunk the size of every buffer but the last, a power of two of at most 2^30
   * @throws IOException when the file cannot be mapped
   */
  default ByteBuffer[] storedBytes(Weight weight, long chunk) throws IOException {
    return null;
  }
}
