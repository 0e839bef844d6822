package dev.initkit.internal.hdf5;

import static dev.initkit.internal.hdf5.Hdf5.check;
import static org.bytedeco.hdf5.global.hdf5.*;

import dev.initkit.model.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;

/**
 * An open dataset. Reads and writes move raw bytes in the file's own datatype (no conversion), so an
 * untouched tensor is copied bit for bit whatever its dtype.
 */
public final class H5Dataset extends H5Node {
  private final long[] dims;
  private final long elementSize;
  private final byte[] encodedType;
  private final DType dtype;

  H5Dataset(long id, String path) throws H5Exception {
    super(id, path);
    long space = check(H5Dget_space(id), "H5Dget_space " + path);
    long type = check(H5Dget_type(id), "H5Dget_type " + path);
    try {
      int spaceClass = H5Sget_simple_extent_type(space);
      if (spaceClass == H5S_SCALAR) {
        dims = new long[0];
      } else if (spaceClass == H5S_NULL) {
        throw new H5Exception("dataset " + path + " has no data (null dataspace)");
      } else {
        int rank = H5Sget_simple_extent_ndims(space);
        dims = new long[rank];
        H5Sget_simple_extent_dims(space, dims, (long[]) null);
      }
      elementSize = H5Tget_size(type);
      encodedType = H5Types.encode(type);
      boolean bf16 = false;
      if (H5Aexists(id, "dtype") > 0) {
        AttrValue tag = attribute("dtype");
        bf16 = "bfloat16".equals(tag.asString());
      }
      dtype = H5Types.toDType(type, bf16);
    } finally {
      H5Tclose(type);
      H5Sclose(space);
    }
  }

  /** The dataset's dimensions (empty for a scalar). */
  public long[] dims() {
    return dims.clone();
  }

  /** The element type. */
  public DType dtype() {
    return dtype;
  }

  /** Bytes per element in the file. */
  public long elementSize() {
    return elementSize;
  }

  /** The file datatype, serialized (to create an identical dataset elsewhere). */
  public byte[] encodedType() {
    return encodedType.clone();
  }

  /** Number of elements. */
  public long elementCount() {
    long n = 1;
    for (long d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Bytes of data the dataset holds. */
  public long byteSize() {
    return Math.multiplyExact(elementCount(), elementSize);
  }

  /** Bytes the file actually stores for this dataset (less than {@link #byteSize()} if truncated). */
  public long storageSize() {
    Hdf5.lock();
    try {
      return H5Dget_storage_size(id());
    } finally {
      Hdf5.unlock();
    }
  }

  /** Byte order of the stored elements (HDF5 types from Keras files are little-endian). */
  public ByteOrder byteOrder() throws H5Exception {
    Hdf5.lock();
    long type = -1;
    try {
      type = check(H5Dget_type(id()), "H5Dget_type " + path());
      return H5Tget_order(type) == H5T_ORDER_BE ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    } finally {
      if (type >= 0) H5Tclose(type);
      Hdf5.unlock();
    }
  }

  /**
   * Reads rows {@code [firstRow, firstRow + rows)} of the leading dimension into {@code dst} at its
   * position, raw, and advances the position. A scalar has one row.
   */
  public void readRows(long firstRow, long rows, ByteBuffer dst) throws H5Exception {
    transferRows(firstRow, rows, dst, false);
  }

  /** Writes rows {@code [firstRow, firstRow + rows)} from {@code src} at its position, raw. */
  public void writeRows(long firstRow, long rows, ByteBuffer src) throws H5Exception {
    transferRows(firstRow, rows, src, true);
  }

  /** Bytes in one row of the leading dimension. */
  public long rowBytes() {
    long n = elementSize;
    for (int i = 1; i < dims.length; i++) {
      n = Math.multiplyExact(n, dims[i]);
    }
    return n;
  }

  /** Rows in the leading dimension (1 for a scalar). */
  public long rows() {
    return dims.length == 0 ? 1 : dims[0];
  }

  private void transferRows(long firstRow, long rows, ByteBuffer buf, boolean write) throws H5Exception {
    long bytes = Math.multiplyExact(rows, rowBytes());
    if (buf.remaining() < bytes) {
      throw new IllegalArgumentException("buffer has " + buf.remaining() + " bytes, need " + bytes);
    }
    if (rows == 0 || bytes == 0) {
      return;
    }
    if (!buf.isDirect()) {
      throw new IllegalArgumentException("HDF5 transfers need a direct buffer");
    }
    Hdf5.lock();
    long type = -1;
    long fspace = -1;
    long mspace = -1;
    try (BytePointer ptr = new BytePointer(buf)) {
      ptr.position(buf.position());
      type = check(H5Dget_type(id()), "H5Dget_type " + path());
      long fs = H5S_ALL;
      long ms = H5S_ALL;
      if (dims.length > 0 && (firstRow != 0 || rows != dims[0])) {
        fspace = check(H5Dget_space(id()), "H5Dget_space " + path());
        long[] start = new long[dims.length];
        long[] count = dims.clone();
        start[0] = firstRow;
        count[0] = rows;
        check(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, null, count, (long[]) null), "hyperslab " + path());
        mspace = check(H5Screate_simple(dims.length, count, null), "H5Screate_simple");
        fs = fspace;
        ms = mspace;
      }
      Hdf5.check(
          write ? H5Dwrite(id(), type, ms, fs, H5P_DEFAULT, ptr) : H5Dread(id(), type, ms, fs, H5P_DEFAULT, ptr),
          (write ? "H5Dwrite " : "H5Dread ") + path());
      buf.position((int) (buf.position() + bytes));
    } finally {
      if (mspace >= 0) H5Sclose(mspace);
      if (fspace >= 0) H5Sclose(fspace);
      if (type >= 0) H5Tclose(type);
      Hdf5.unlock();
    }
  }
}
