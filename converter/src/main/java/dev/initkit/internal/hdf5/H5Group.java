package dev.initkit.internal.hdf5;

import static dev.initkit.internal.hdf5.Hdf5.check;
import static org.bytedeco.hdf5.global.hdf5.*;

import dev.initkit.model.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.hdf5.H5G_info_t;
import org.bytedeco.hdf5.H5L_info2_t;
import org.bytedeco.hdf5.H5O_info2_t;

/** An open group: children, sub-groups and datasets. */
public final class H5Group extends H5Node {

  H5Group(long id, String path, H5File owner) {
    super(id, path, owner);
  }

  /** Names of the direct children, in name order (h5py does not track creation order). */
  public List<String> childNames() throws H5Exception {
    Hdf5.lock();
    try (H5G_info_t info = new H5G_info_t()) {
      check(H5Gget_info(id(), info), "H5Gget_info " + path());
      List<String> names = new ArrayList<>();
      for (long i = 0; i < info.nlinks(); i++) {
        long len =
            check(
                H5Lget_name_by_idx(
                    id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, (byte[]) null, 0, H5P_DEFAULT),
                "H5Lget_name_by_idx " + path());
        byte[] buf = new byte[(int) len + 1];
        H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, buf.length, H5P_DEFAULT);
        names.add(new String(buf, 0, (int) len, StandardCharsets.UTF_8));
      }
      return names;
    } finally {
      Hdf5.unlock();
    }
  }

  /** What a (possibly nested, slash-separated) name points at. */
  public enum Kind {
    MISSING,
    GROUP,
    DATASET,
    OTHER
  }

  /**
   * The kind of object at a relative path; MISSING if any component is absent, OTHER if any
   * component is a soft, external or user-defined link. Links are never followed: an external link
   * would open another file, which initkit never reads (Keras writes hard links only).
   */
  public Kind kind(String relPath) throws H5Exception {
    Hdf5.lock();
    try (H5L_info2_t link = new H5L_info2_t()) {
      // check each component: H5Oget_info_by_name fails (not "false") on a missing intermediate
      String[] parts = relPath.split("/");
      StringBuilder sb = new StringBuilder(relPath.startsWith("/") ? "/" : "");
      boolean any = false;
      for (String p : parts) {
        if (p.isEmpty()) {
          continue;
        }
        if (any) {
          sb.append('/');
        }
        sb.append(p);
        any = true;
        String prefix = sb.toString();
        if (H5Lexists(id(), prefix, H5P_DEFAULT) <= 0) {
          return Kind.MISSING;
        }
        if (H5Lget_info2(id(), prefix, link, H5P_DEFAULT) < 0) {
          return Kind.MISSING;
        }
        if (link.type() != H5L_TYPE_HARD) {
          return Kind.OTHER;
        }
      }
      try (H5O_info2_t info = new H5O_info2_t()) {
        if (H5Oget_info_by_name3(id(), relPath, info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
          return Kind.MISSING;
        }
        int t = info.type();
        return t == H5O_TYPE_GROUP ? Kind.GROUP : t == H5O_TYPE_DATASET ? Kind.DATASET : Kind.OTHER;
      }
    } finally {
      Hdf5.unlock();
    }
  }

  /** What kind of link a direct child's name is; links are inspected, never followed. */
  public enum LinkType {
    HARD,
    SOFT,
    EXTERNAL,
    USER_DEFINED
  }

  /**
   * The kind of link {@code name} (a direct child) is, read from the link itself: an external link
   * names another file, which this never opens.
   */
  public LinkType linkType(String name) throws H5Exception {
    Hdf5.lock();
    try (H5L_info2_t link = new H5L_info2_t()) {
      check(H5Lget_info2(id(), name, link, H5P_DEFAULT), "H5Lget_info " + childPath(name));
      int t = link.type();
      return t == H5L_TYPE_HARD
          ? LinkType.HARD
          : t == H5L_TYPE_SOFT
              ? LinkType.SOFT
              : t == H5L_TYPE_EXTERNAL ? LinkType.EXTERNAL : LinkType.USER_DEFINED;
    } finally {
      Hdf5.unlock();
    }
  }

  /**
   * How many hard links point at the object a relative path names (1 for everything Keras writes;
   * more means the same object appears under several paths, or a cycle).
   */
  public int hardLinkCount(String relPath) throws H5Exception {
    Hdf5.lock();
    try (H5O_info2_t info = new H5O_info2_t()) {
      check(
          H5Oget_info_by_name3(id(), relPath, info, H5O_INFO_BASIC, H5P_DEFAULT),
          "H5Oget_info " + childPath(relPath));
      return info.rc();
    } finally {
      Hdf5.unlock();
    }
  }

  /** Opens a sub-group (relative path). */
  public H5Group openGroup(String relPath) throws H5Exception {
    Hdf5.lock();
    try {
      return new H5Group(
          check(H5Gopen2(id(), relPath, H5P_DEFAULT), "open group " + childPath(relPath)),
          childPath(relPath),
          owner);
    } finally {
      Hdf5.unlock();
    }
  }

  /** Opens a dataset (relative path). */
  public H5Dataset openDataset(String relPath) throws H5Exception {
    Hdf5.lock();
    try {
      long id = check(H5Dopen2(id(), relPath, H5P_DEFAULT), "open dataset " + childPath(relPath));
      try {
        return new H5Dataset(id, childPath(relPath), owner);
      } catch (H5Exception | RuntimeException e) {
        H5Dclose(id);
        throw e;
      }
    } finally {
      Hdf5.unlock();
    }
  }

  /** Creates a sub-group, and any missing intermediate groups of a slash-separated path. */
  public H5Group createGroup(String relPath) throws H5Exception {
    Hdf5.lock();
    long lcpl = -1;
    long gcpl = -1;
    try {
      lcpl = intermediateGroups();
      gcpl = check(H5Pcreate(H5P_CLS_GROUP_CREATE_ID_g()), "H5Pcreate gcpl");
      H5Pset_obj_track_times(gcpl, false);
      return new H5Group(
          check(
              H5Gcreate2(id(), relPath, lcpl, gcpl, H5P_DEFAULT),
              "create group " + childPath(relPath)),
          childPath(relPath),
          owner);
    } catch (H5Exception e) {
      throw writeFailed(e);
    } finally {
      if (gcpl >= 0) H5Pclose(gcpl);
      if (lcpl >= 0) H5Pclose(lcpl);
      Hdf5.unlock();
    }
  }

  /** Opens the group if it exists, else creates it. */
  public H5Group openOrCreateGroup(String relPath) throws H5Exception {
    return kind(relPath) == Kind.GROUP ? openGroup(relPath) : createGroup(relPath);
  }

  /**
   * Creates a contiguous dataset (h5py's default layout) with the given datatype and shape; missing
   * intermediate groups of a slash-separated name are created.
   */
  public H5Dataset createDataset(String relPath, byte[] encodedType, long[] dims)
      throws H5Exception {
    Hdf5.lock();
    long type = -1;
    try {
      type = H5Types.decode(encodedType);
      return createDataset(relPath, type, dims);
    } finally {
      if (type >= 0) H5Tclose(type);
      Hdf5.unlock();
    }
  }

  /** Creates a dataset of a model dtype, as h5py would store it. */
  public H5Dataset createDataset(String relPath, DType dtype, long[] dims) throws H5Exception {
    Hdf5.lock();
    long type = -1;
    try {
      type = H5Types.forDType(dtype);
      H5Dataset ds = createDataset(relPath, type, dims);
      if (dtype == DType.BFLOAT16) {
        ds.setAttribute("dtype", AttrValue.Str.vlenUtf8("bfloat16"));
      }
      return ds;
    } finally {
      if (type >= 0) H5Tclose(type);
      Hdf5.unlock();
    }
  }

  private H5Dataset createDataset(String relPath, long type, long[] dims) throws H5Exception {
    long space = -1;
    long lcpl = -1;
    long dcpl = -1;
    try {
      space = dims.length == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(dims.length, dims, null);
      check(space, "H5Screate " + childPath(relPath));
      lcpl = intermediateGroups();
      // no object timestamps: the same model written twice gives identical bytes (h5py does the
      // same)
      dcpl = check(H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g()), "H5Pcreate dcpl");
      H5Pset_obj_track_times(dcpl, false);
      long id =
          check(
              H5Dcreate2(id(), relPath, type, space, lcpl, dcpl, H5P_DEFAULT),
              "create dataset " + childPath(relPath));
      return new H5Dataset(id, childPath(relPath), owner, true);
    } catch (H5Exception e) {
      throw writeFailed(e);
    } finally {
      if (dcpl >= 0) H5Pclose(dcpl);
      if (lcpl >= 0) H5Pclose(lcpl);
      if (space >= 0) H5Sclose(space);
    }
  }

  /**
   * Upper bound of the buffer a copy streams through (one larger row gets its own). 1 MiB, as
   * {@code H5Ocopy} uses: with 8 MiB writes the kernel spent 3x the system time copying the same
   * bytes into the page cache (convert of a 1 GiB model: 2.2 s of sys instead of 0.7 s).
   */
  static final int COPY_BLOCK_BYTES = 1024 * 1024;

  private static final ThreadLocal<ByteBuffer> COPY_BUFFER =
      ThreadLocal.withInitial(
          () -> ByteBuffer.allocateDirect(COPY_BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN));

  /**
   * Copies a dataset from another (or the same) file: the same datatype (raw, bit for bit), shape
   * and attributes, the data streamed block of rows by block of rows through one bounded direct
   * buffer, never a Java array; missing intermediate groups are created. The copy is contiguous
   * whatever the source's layout.
   *
   * <p>Not {@code H5Ocopy}: HDF5 1.14.3 crashes the process (SIGSEGV in {@code H5T_close_real})
   * when a native copy fails half way, on a damaged source or a full disk alike. Here a failure is
   * an {@link H5Exception}, and the source's storage is checked ({@link H5Dataset#checkStorage()})
   * before anything is read.
   */
  public void copyFrom(H5Group srcParent, String srcName, String dstName) throws H5Exception {
    copyFrom(srcParent, srcName, dstName, RAW_COPY);
  }

  /**
   * {@link #copyFrom(H5Group, String, String)}, kernel-side for large plain datasets only if {@code
   * raw}.
   */
  void copyFrom(H5Group srcParent, String srcName, String dstName, boolean raw) throws H5Exception {
    try (H5Dataset src = srcParent.openDataset(srcName)) {
      src.checkStorage();
      try (H5Dataset dst = createDataset(dstName, src.encodedType(), src.dims())) {
        for (java.util.Map.Entry<String, AttrValue> a : src.attributes().entrySet()) {
          dst.setAttribute(a.getKey(), a.getValue());
        }
        long rows = src.rows();
        long rowBytes = src.rowBytes();
        if (rows == 0 || rowBytes == 0) {
          return;
        }
        ByteBuffer buf = COPY_BUFFER.get();
        if (rowBytes > buf.capacity()) {
          if (rowBytes > Integer.MAX_VALUE - 8) {
            throw new H5Exception(
                "dataset " + src.path() + " has rows of " + rowBytes + " bytes, too large to copy");
          }
          buf = ByteBuffer.allocateDirect((int) rowBytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        long perBlock = Math.max(1, buf.capacity() / rowBytes);
        long first = Math.min(rows, perBlock);
        // the first block through HDF5 (it allocates the destination's storage), the rest
        // kernel-side when both sides are plain contiguous bytes (see copyRawBytes)
        if (raw && rows > first && copyRawBytes(src, dst, first * rowBytes, buf)) {
          return;
        }
        for (long r = 0; r < rows; r += perBlock) {
          long n = Math.min(perBlock, rows - r);
          buf.clear();
          src.readRows(r, n, buf);
          buf.flip();
          dst.writeRows(r, n, buf);
        }
      }
    }
  }

  /**
   * Smallest dataset copied kernel-side ({@link #copyRawBytes}): below it the saving is smaller
   * than the extra system calls.
   */
  static final long RAW_COPY_MIN_BYTES = 8L * COPY_BLOCK_BYTES;

  /**
   * Copies a contiguous, allocated source dataset's bytes into the new contiguous destination
   * without passing them through user space ({@code sendfile} through {@link
   * FileChannel#transferTo}): the first {@code headBytes} go through {@code H5Dwrite} as before,
   * which allocates the destination's storage exactly where the streamed copy would, then the rest
   * is copied file to file at the two datasets' offsets. The destination's bytes are the same as
   * the streamed copy's (a raw copy of the same type, the same HDF5 calls for allocation); HDF5
   * keeps no cached raw data of a dataset written in blocks above its 64 KiB sieve buffer. Holds
   * the HDF5 lock throughout, so no HDF5 call touches either file meanwhile.
   *
   * @return false (nothing written) when the fast path does not apply; the caller streams instead
   */
  private static boolean copyRawBytes(H5Dataset src, H5Dataset dst, long headBytes, ByteBuffer buf)
      throws H5Exception {
    long total = src.byteSize();
    if (total < RAW_COPY_MIN_BYTES || src.raw == null || dst.raw != null) {
      return false;
    }
    Hdf5.lock();
    try {
      long srcOffset = src.contiguousOffset();
      if (srcOffset < 0 || src.storageSize() != total) {
        return false;
      }
      FileChannel in = src.raw.channel();
      long inSize;
      try {
        inSize = Math.min(in.size(), src.raw.channelEnd());
      } catch (IOException e) {
        return false;
      }
      srcOffset = src.raw.channelOffset(srcOffset);
      if (srcOffset > inSize || total > inSize - srcOffset) {
        return false;
      }
      long headRows = headBytes / src.rowBytes();
      buf.clear();
      src.readRows(0, headRows, buf);
      buf.flip();
      dst.writeRows(0, headRows, buf);
      long dstOffset = dst.contiguousOffset();
      if (dstOffset < 0) {
        throw new H5Exception(
            "dataset " + dst.path() + ": no storage allocated after the first write");
      }
      try (FileChannel out = FileChannel.open(dst.owner.path(), StandardOpenOption.WRITE)) {
        long done = headBytes;
        while (done < total) {
          out.position(dstOffset + done);
          long n = in.transferTo(srcOffset + done, total - done, out);
          if (n <= 0) {
            throw new H5Exception(
                "copy of dataset " + src.path() + " stopped at byte " + done + " of " + total);
          }
          done += n;
        }
        RAW_COPIED_BYTES.addAndGet(total - headBytes);
      } catch (IOException e) {
        throw dst.writeFailed(
            new H5Exception("write dataset " + dst.path() + " failed: " + e.getMessage()));
      }
      return true;
    } finally {
      Hdf5.unlock();
    }
  }

  /** Bytes copied kernel-side so far (tests check that the fast path was taken). */
  static final java.util.concurrent.atomic.AtomicLong RAW_COPIED_BYTES =
      new java.util.concurrent.atomic.AtomicLong();

  /** {@code -Dinitkit.rawCopy=false} streams every copy through HDF5 (to compare). */
  private static final boolean RAW_COPY =
      Boolean.parseBoolean(System.getProperty("initkit.rawCopy", "true"));

  private static long intermediateGroups() throws H5Exception {
    long lcpl = check(H5Pcreate(H5P_CLS_LINK_CREATE_ID_g()), "H5Pcreate lcpl");
    H5Pset_create_intermediate_group(lcpl, 1);
    return lcpl;
  }

  /** Removes a link (dataset or group) from this group. */
  public void delete(String relPath) throws H5Exception {
    Hdf5.lock();
    try {
      check(H5Ldelete(id(), relPath, H5P_DEFAULT), "delete " + childPath(relPath));
    } finally {
      Hdf5.unlock();
    }
  }
}
