package dev.initkit.internal.hdf5;

import static dev.initkit.internal.hdf5.Hdf5.check;
import static org.bytedeco.hdf5.global.hdf5.*;

import dev.initkit.model.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;

/**
 * An open dataset. Reads and writes move raw bytes in the file's own datatype (no conversion), so
 * an untouched tensor is copied bit for bit whatever its dtype.
 */
public final class H5Dataset extends H5Node {
  private final long[] dims;
  private final long elementSize;
  private final byte[] encodedType;
  private final DType dtype;

  /** Created by this process (its bytes were written here), not opened from the file. */
  private final boolean created;

  H5Dataset(long id, String path, H5File owner) throws H5Exception {
    this(id, path, owner, false);
  }

  H5Dataset(long id, String path, H5File owner, boolean created) throws H5Exception {
    super(id, path, owner);
    this.created = created;
    long space = check(H5Dget_space(id), "H5Dget_space " + path);
    long type = -1;
    try {
      type = check(H5Dget_type(id), "H5Dget_type " + path);
      int spaceClass = H5Sget_simple_extent_type(space);
      if (spaceClass == H5S_SCALAR) {
        dims = new long[0];
      } else if (spaceClass == H5S_NULL) {
        throw new H5Exception("dataset " + path + " has no data (null dataspace)");
      } else if (spaceClass == H5S_SIMPLE) {
        int rank =
            (int) check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims " + path);
        dims = new long[rank];
        check(
            H5Sget_simple_extent_dims(space, dims, (long[]) null),
            "H5Sget_simple_extent_dims " + path);
      } else {
        throw new H5Exception("dataset " + path + " has an unknown dataspace class " + spaceClass);
      }
      // HDF5 dimensions are unsigned 64-bit: a corrupt file can declare ones no long holds
      long n = 1;
      for (long d : dims) {
        if (d < 0) {
          throw new H5Exception(
              "dataset "
                  + path
                  + " declares dimensions "
                  + java.util.Arrays.toString(dims)
                  + " beyond any size a file can hold");
        }
        n = multiplyOrFail(n, d, path);
      }
      elementSize = check(H5Tget_size(type), "H5Tget_size " + path);
      if (elementSize <= 0) {
        throw new H5Exception(
            "dataset " + path + " has an element size of " + elementSize + " bytes");
      }
      multiplyOrFail(n, elementSize, path);
      encodedType = H5Types.encode(type);
      boolean bf16 = false;
      if (H5Aexists(id, "dtype") > 0) {
        AttrValue tag = attribute("dtype");
        bf16 = "bfloat16".equals(tag.asString());
      }
      dtype = H5Types.toDType(type, bf16);
      if (dtype.size() != elementSize) {
        throw new H5Exception(
            "dataset "
                + path
                + " stores "
                + elementSize
                + "-byte elements, but is tagged "
                + dtype.kerasName()
                + " ("
                + dtype.size()
                + " bytes)");
      }
    } finally {
      if (type >= 0) H5Tclose(type);
      H5Sclose(space);
    }
  }

  private static long multiplyOrFail(long a, long b, String path) throws H5Exception {
    long r = a * b;
    if (a != 0 && (r / a != b || r < 0)) {
      throw new H5Exception("dataset " + path + " declares more elements than a file can hold");
    }
    return r;
  }

  /** Largest chunk initkit lets HDF5 allocate and inflate in one piece (HDF5 allows 4 GiB). */
  public static final long MAX_CHUNK_BYTES = 64L << 20;

  /** Deflate expands at most 1032:1; a filtered dataset declaring more than this is not real. */
  static final long MAX_FILTER_RATIO = 1100;

  /** Where a dataset's raw data is, as its creation property list says. */
  public enum Storage {
    /** In this file (compact, contiguous or chunked). */
    IN_FILE,
    /** In raw external files named by the dataset. */
    EXTERNAL_FILES,
    /** A virtual dataset: a view of datasets in (possibly) other files. */
    VIRTUAL
  }

  /** Where this dataset's data is kept; reads only its creation property list. */
  public Storage storage() throws H5Exception {
    Hdf5.lock();
    long dcpl = -1;
    try {
      dcpl = check(H5Dget_create_plist(id()), "H5Dget_create_plist " + path());
      if (H5Pget_external_count(dcpl) > 0) {
        return Storage.EXTERNAL_FILES;
      }
      return H5Pget_layout(dcpl) == H5D_VIRTUAL ? Storage.VIRTUAL : Storage.IN_FILE;
    } finally {
      if (dcpl >= 0) H5Pclose(dcpl);
      Hdf5.unlock();
    }
  }

  /**
   * Checks, before anything reads it, that this dataset's declared size is backed by its own file:
   * no raw data in other files (external storage, virtual datasets), contiguous data inside the
   * file, chunks no larger than {@link #MAX_CHUNK_BYTES}, and a declared size that the file could
   * hold (for compressed chunks: at most {@link #MAX_FILTER_RATIO} times the file). An untrusted
   * file that declares terabytes in a few kilobytes is refused here rather than handed to HDF5,
   * which would allocate, inflate or copy whatever the header says.
   *
   * @throws H5Exception naming the dataset and what is wrong
   */
  public void checkStorage() throws H5Exception {
    Hdf5.lock();
    long dcpl = -1;
    long fid = -1;
    try {
      String where = "dataset " + path();
      fid = check(H5Iget_file_id(id()), "H5Iget_file_id " + path());
      long[] size = new long[1];
      check(H5Fget_filesize(fid, size), "H5Fget_filesize");
      long fileSize = size[0];
      long bytes = byteSize();
      dcpl = check(H5Dget_create_plist(id()), "H5Dget_create_plist " + path());
      if (H5Pget_external_count(dcpl) > 0) {
        throw new H5Exception(
            where + " keeps its data in external files: initkit reads only the model file itself");
      }
      int layout = H5Pget_layout(dcpl);
      switch (layout) {
        case H5D_COMPACT:
          if (bytes > 65536) {
            throw new H5Exception(where + " is compact but declares " + bytes + " bytes");
          }
          break;
        case H5D_CONTIGUOUS:
          {
            if (bytes > fileSize) {
              throw new H5Exception(
                  where
                      + " declares "
                      + bytes
                      + " bytes of data in a file of "
                      + fileSize
                      + " bytes");
            }
            long offset = H5Dget_offset(id());
            if (offset >= 0 && bytes > 0 && (offset > fileSize || bytes > fileSize - offset)) {
              throw new H5Exception(
                  where
                      + " declares "
                      + bytes
                      + " bytes at offset "
                      + offset
                      + ", past the end of the "
                      + fileSize
                      + "-byte file");
            }
            // the layout's own size must be what the dataspace and type say: HDF5 copies by it
            long stored = H5Dget_storage_size(id());
            if (offset >= 0 && stored != bytes) {
              throw new H5Exception(
                  where
                      + " stores "
                      + stored
                      + " bytes for a "
                      + java.util.Arrays.toString(dims)
                      + " array of "
                      + elementSize
                      + "-byte elements ("
                      + bytes
                      + " bytes)");
            }
            break;
          }
        case H5D_CHUNKED:
          {
            int rank = dims.length;
            long[] chunk = new long[Math.max(1, rank)];
            int crank =
                (int) check(H5Pget_chunk(dcpl, chunk.length, chunk), "H5Pget_chunk " + path());
            long chunkBytes = elementSize;
            for (int i = 0; i < Math.min(crank, chunk.length); i++) {
              if (chunk[i] <= 0) {
                throw new H5Exception(where + " has a chunk dimension of " + chunk[i]);
              }
              chunkBytes =
                  chunk[i] > MAX_CHUNK_BYTES
                      ? Long.MAX_VALUE
                      : Math.min(Long.MAX_VALUE / 2, chunkBytes * chunk[i]);
            }
            if (chunkBytes > MAX_CHUNK_BYTES) {
              throw new H5Exception(
                  where
                      + " has chunks of "
                      + (chunkBytes == Long.MAX_VALUE ? "more than 2^63" : chunkBytes)
                      + " bytes (initkit reads chunks of up to "
                      + MAX_CHUNK_BYTES
                      + ")");
            }
            boolean filtered = H5Pget_nfilters(dcpl) > 0;
            long limit = chunkedDataLimit(fileSize, filtered);
            if (bytes > limit + chunkBytes) {
              throw new H5Exception(
                  where
                      + " declares "
                      + bytes
                      + " bytes of data in a file of "
                      + fileSize
                      + " bytes"
                      + (filtered ? " (more than any compression gives)" : ""));
            }
            break;
          }
        default:
          throw new H5Exception(
              where
                  + " has storage layout "
                  + layout
                  + " (virtual or unknown): initkit reads only datasets stored in the file itself");
      }
      // a copy carries every attribute along (copyFrom): each must read soundly first
      for (String a : attributeNames()) {
        attribute(a);
      }
    } finally {
      if (dcpl >= 0) H5Pclose(dcpl);
      if (fid >= 0) H5Fclose(fid);
      Hdf5.unlock();
    }
  }

  /**
   * The most data a chunked dataset of a {@code fileSize}-byte file can really hold, one chunk
   * aside: the file itself, or {@link #MAX_FILTER_RATIO} times it when its chunks are filtered
   * (compressed). Shared with the scanner's pure-Java walk, which applies the same limits.
   */
  public static long chunkedDataLimit(long fileSize, boolean filtered) {
    return filtered ? saturatedMultiply(fileSize, MAX_FILTER_RATIO) : fileSize;
  }

  private static long saturatedMultiply(long a, long b) {
    long r = a * b;
    return a != 0 && (r / a != b || r < 0) ? Long.MAX_VALUE : r;
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

  /**
   * Bytes the file actually stores for this dataset (less than {@link #byteSize()} if truncated).
   */
  public long storageSize() {
    Hdf5.lock();
    try {
      return H5Dget_storage_size(id());
    } finally {
      Hdf5.unlock();
    }
  }

  /**
   * The absolute file offset of this dataset's bytes when they are stored as one plain run in the
   * file itself (contiguous layout, allocated, no external files, integer or float elements, which
   * hold no references into the file); -1 otherwise.
   */
  long contiguousOffset() throws H5Exception {
    Hdf5.lock();
    long dcpl = -1;
    long type = -1;
    try {
      dcpl = check(H5Dget_create_plist(id()), "H5Dget_create_plist " + path());
      if (H5Pget_layout(dcpl) != H5D_CONTIGUOUS
          || H5Pget_external_count(dcpl) != 0
          || H5Pget_nfilters(dcpl) != 0) {
        return -1;
      }
      type = check(H5Dget_type(id()), "H5Dget_type " + path());
      int cls = H5Tget_class(type);
      if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        return -1;
      }
      long offset = H5Dget_offset(id());
      return offset < 0 ? -1 : offset;
    } finally {
      if (type >= 0) H5Tclose(type);
      if (dcpl >= 0) H5Pclose(dcpl);
      Hdf5.unlock();
    }
  }

  /**
   * Closes the dataset; one this process created tells its file's {@link H5File.WrittenRegions}
   * where its bytes are, now that HDF5 has flushed them (closing flushes the dataset's sieve
   * buffer; HDF5 never rewrites raw data it holds no cache of).
   */
  @Override
  public void close() {
    H5File.WrittenRegions listener = created && !closed() ? owner.writtenRegions() : null;
    long offset = -1;
    long length = 0;
    if (listener != null) {
      try {
        offset = contiguousOffset();
        length = storageSize();
      } catch (H5Exception | RuntimeException e) {
        offset = -1; // not a plain run of bytes: the listener is not told
      }
    }
    super.close();
    if (offset >= 0 && length > 0) {
      listener.written(offset, length);
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

  private void transferRows(long firstRow, long rows, ByteBuffer buf, boolean write)
      throws H5Exception {
    long there = rows();
    if (firstRow < 0 || rows < 0 || firstRow > there || rows > there - firstRow) {
      throw new IndexOutOfBoundsException(
          path()
              + ": rows ["
              + firstRow
              + ", "
              + (firstRow + rows)
              + ") asked, the dataset has "
              + there);
    }
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
        check(
            H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, null, count, (long[]) null),
            "hyperslab " + path());
        mspace = check(H5Screate_simple(dims.length, count, null), "H5Screate_simple");
        fs = fspace;
        ms = mspace;
      }
      try {
        Hdf5.check(
            write
                ? H5Dwrite(id(), type, ms, fs, H5P_DEFAULT, ptr)
                : H5Dread(id(), type, ms, fs, H5P_DEFAULT, ptr),
            (write ? "H5Dwrite " : "H5Dread ") + path());
      } catch (H5Exception e) {
        throw write ? writeFailed(e) : e;
      }
      if (write) {
        owner().checkWrites(); // the driver swallowed a failed write: stop now, not at close
      }
      buf.position((int) (buf.position() + bytes));
    } finally {
      if (mspace >= 0) H5Sclose(mspace);
      if (fspace >= 0) H5Sclose(fspace);
      if (type >= 0) H5Tclose(type);
      Hdf5.unlock();
    }
  }
}
