package dev.initkit.format;

import dev.initkit.format.h5.H5Store;
import dev.initkit.internal.hdf5.H5Dataset;
import dev.initkit.internal.hdf5.H5Group;
import dev.initkit.model.TensorSource;
import dev.initkit.model.Weight;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Moves one tensor into an HDF5 dataset being written. A tensor still stored unchanged in an HDF5
 * source is copied natively ({@code H5Ocopy}, which streams in blocks); anything else streams through
 * a bounded direct buffer, block of rows by block of rows, so memory stays flat whatever the size.
 */
public final class TensorCopier {
  /** Upper bound of the transfer buffer; a single row larger than this gets a buffer of its own. */
  static final int BLOCK_BYTES = 8 * 1024 * 1024;

  private static final ThreadLocal<ByteBuffer> BUFFER =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN));

  private TensorCopier() {}

  /** Writes {@code w}'s values from {@code tensors} as dataset {@code name} of {@code dst}. */
  public static void copy(Weight w, TensorSource tensors, H5Group dst, String name) throws IOException {
    TensorSource origin = tensors.origin(w);
    if (origin instanceof H5Store store) {
      store.copyTo(w, dst, name);
      return;
    }
    try (H5Dataset ds = dst.createDataset(name, w.dtype(), w.shape().dims())) {
      stream(w, tensors, ds);
    }
  }

  private static void stream(Weight w, TensorSource tensors, H5Dataset ds) throws IOException {
    long rows = ds.rows();
    long rowBytes = ds.rowBytes();
    if (rows == 0 || rowBytes == 0) {
      return;
    }
    ByteBuffer buf = BUFFER.get();
    if (rowBytes > buf.capacity()) {
      if (rowBytes > Integer.MAX_VALUE) {
        throw new UnsupportedModelException(null, w.key(), "a single row of " + rowBytes + " bytes is too large to stream");
      }
      buf = ByteBuffer.allocateDirect((int) rowBytes).order(ByteOrder.LITTLE_ENDIAN);
    }
    long perBlock = Math.max(1, buf.capacity() / rowBytes);
    for (long r = 0; r < rows; r += perBlock) {
      long n = Math.min(perBlock, rows - r);
      buf.clear();
      tensors.readRows(w, r, n, buf);
      buf.flip();
      ds.writeRows(r, n, buf);
      if (Thread.interrupted()) {
        throw new java.io.InterruptedIOException("interrupted while writing " + w.name());
      }
    }
  }
}
