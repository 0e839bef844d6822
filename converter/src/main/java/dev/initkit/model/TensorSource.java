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
   * @throws IOException when the stored data cannot be read (the message names file and tensor)
   */
  void readRows(Weight weight, long firstRow, long rows, ByteBuffer dst) throws IOException;

  /**
   * The source whose stored bytes this weight's values are, unchanged; writers use it to copy a
   * tensor natively instead of through Java. A source that computes values returns itself.
   */
  default TensorSource origin(Weight weight) {
    return this;
  }
}
