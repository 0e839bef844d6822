package dev.initkit.internal.hdf5;

import static dev.initkit.internal.hdf5.Hdf5.check;
import static org.bytedeco.hdf5.global.hdf5.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * An open HDF5 object (group or dataset) that carries attributes. Closing it is idempotent; use
 * after close throws {@link IllegalStateException}. Not thread-safe, but every native call holds
 * the process-wide HDF5 lock, so different nodes may be used from different threads.
 */
public abstract class H5Node implements AutoCloseable {
  private long id;
  private final String path;

  /** The file this object lives in. */
  final H5File owner;

  /** The file's bytes as Java reads them (null for files initkit creates). */
  final H5Raw raw;

  H5Node(long id, String path, H5File owner) {
    this.id = id;
    this.path = path;
    this.owner = owner;
    this.raw = owner.raw();
  }

  /** The file this object belongs to. */
  H5File owner() {
    return owner;
  }

  /** Records a failed write on the file (see {@link H5File#close()}) and returns the error. */
  H5Exception writeFailed(H5Exception e) {
    owner.markWriteFailed();
    return e;
  }

  /** The absolute path of this object inside its file, e.g. {@code /model_weights/dense}. */
  public String path() {
    return path;
  }

  long id() {
    if (id < 0) {
      throw new IllegalStateException("HDF5 object " + path + " is closed");
    }
    return id;
  }

  /** True once closed. */
  boolean closed() {
    return id < 0;
  }

  String childPath(String name) {
    return path.endsWith("/") ? path + name : path + "/" + name;
  }

  /** True when the attribute exists. */
  public boolean hasAttribute(String name) throws H5Exception {
    Hdf5.lock();
    try {
      return check(H5Aexists(id(), name), "H5Aexists " + path + "@" + name) > 0;
    } finally {
      Hdf5.unlock();
    }
  }

  /** Attribute names in HDF5's name order. */
  public List<String> attributeNames() throws H5Exception {
    Hdf5.lock();
    try {
      long n = H5Oget_info_num_attrs();
      List<String> names = new ArrayList<>();
      for (long i = 0; i < n; i++) {
        long len =
            check(
                H5Aget_name_by_idx(
                    id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, (byte[]) null, 0, H5P_DEFAULT),
                "H5Aget_name_by_idx " + path);
        byte[] buf = new byte[(int) len + 1];
        H5Aget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, buf.length, H5P_DEFAULT);
        names.add(new String(buf, 0, (int) len, StandardCharsets.UTF_8));
      }
      return names;
    } finally {
      Hdf5.unlock();
    }
  }

  /** The file address of this object's header (caller holds the lock). */
  private long headerAddress(String where) throws H5Exception {
    org.bytedeco.hdf5.H5O_info2_t info = new org.bytedeco.hdf5.H5O_info2_t();
    try {
      check(H5Oget_info3(id(), info, H5O_INFO_BASIC), "H5Oget_info " + where);
      // the native VOL's token is the header address, little-endian
      long addr = 0;
      for (int i = 7; i >= 0; i--) {
        addr = (addr << 8) | (info.token().__data(i) & 0xff);
      }
      return addr;
    } finally {
      info.close();
    }
  }

  private long H5Oget_info_num_attrs() throws H5Exception {
    org.bytedeco.hdf5.H5O_info2_t info = new org.bytedeco.hdf5.H5O_info2_t();
    try {
      check(H5Oget_info3(id(), info, H5O_INFO_NUM_ATTRS), "H5Oget_info " + path);
      return info.num_attrs();
    } finally {
      info.close();
    }
  }

  /** All attributes, by name. */
  public Map<String, AttrValue> attributes() throws H5Exception {
    Map<String, AttrValue> out = new LinkedHashMap<>();
    for (String n : attributeNames()) {
      out.put(n, attribute(n));
    }
    return out;
  }

  /** Reads one attribute. */
  public AttrValue attribute(String name) throws H5Exception {
    Hdf5.lock();
    long attr = -1;
    long ftype = -1;
    long space = -1;
    try {
      String where = path + "@" + name;
      attr = check(H5Aopen(id(), name, H5P_DEFAULT), "H5Aopen " + where);
      ftype = check(H5Aget_type(attr), "H5Aget_type " + where);
      space = check(H5Aget_space(attr), "H5Aget_space " + where);
      int spaceClass = H5Sget_simple_extent_type(space);
      boolean nullSpace = spaceClass == H5S_NULL;
      long n = nullSpace ? 0 : check(H5Sget_simple_extent_npoints(space), "npoints " + where);
      int rank = nullSpace ? 0 : (int) check(H5Sget_simple_extent_ndims(space), "ndims " + where);
      long[] dims = null;
      if (spaceClass == H5S_SIMPLE) {
        dims = new long[rank];
        check(H5Sget_simple_extent_dims(space, dims, (long[]) null), "dims " + where);
      }
      long size = check(H5Tget_size(ftype), "H5Tget_size " + where);
      checkAttributeSize(n, size, where);
      if (H5Tget_class(ftype) == H5T_STRING) {
        AttrValue.Charset cs =
            H5Tget_cset(ftype) == H5T_CSET_UTF8 ? AttrValue.Charset.UTF8 : AttrValue.Charset.ASCII;
        boolean vlen = H5Tis_variable_str(ftype) > 0;
        List<String> values = null;
        if (vlen && raw != null) {
          // read in Java, every heap reference checked: HDF5 1.14.3 trusts them (see H5Raw)
          values = raw.vlenStrings(headerAddress(where), name, n);
          if (values == H5Raw.DENSE) {
            values = null; // dense attribute storage, which Keras never writes: HDF5 reads it
          }
        }
        if (values == null) {
          values =
              vlen
                  ? readVlenStrings(attr, ftype, space, n, where)
                  : readFixedStrings(attr, ftype, n, where);
        }
        if (dims == null && !nullSpace) {
          return new AttrValue.Str(values.get(0), vlen, cs);
        }
        return new AttrValue.StrArray(values, vlen, cs);
      }
      return readRaw(attr, ftype, space, dims, nullSpace, where);
    } finally {
      if (space >= 0) H5Sclose(space);
      if (ftype >= 0) H5Tclose(ftype);
      if (attr >= 0) H5Aclose(attr);
      Hdf5.unlock();
    }
  }

  /** Largest attribute initkit reads: the largest config it parses (see {@code Json}). */
  public static final long MAX_ATTRIBUTE_BYTES = 64L << 20;

  /**
   * Refuses attributes whose declared element count or byte size no Keras file has, before anything
   * is allocated for them (a corrupt header can declare 2^64 elements).
   */
  private static void checkAttributeSize(long n, long size, String where) throws H5Exception {
    if (n < 0 || size < 0 || (n > 0 && size > MAX_ATTRIBUTE_BYTES / n)) {
      throw new H5Exception(
          "attribute "
              + where
              + " declares "
              + Long.toUnsignedString(n)
              + " elements of "
              + size
              + " bytes, more than the "
              + MAX_ATTRIBUTE_BYTES
              + " bytes initkit reads");
    }
  }

  private static List<String> readVlenStrings(
      long attr, long ftype, long space, long n, String where) throws H5Exception {
    List<String> out = new ArrayList<>();
    if (n == 0) {
      return out;
    }
    long mtype = H5Tcopy(H5T_C_S1_g());
    try (PointerPointer<BytePointer> ptrs = new PointerPointer<>(n)) {
      H5Tset_size(mtype, H5T_VARIABLE);
      H5Tset_cset(mtype, H5Tget_cset(ftype));
      check(H5Aread(attr, mtype, ptrs), "H5Aread " + where);
      try {
        long total = 0;
        for (long i = 0; i < n; i++) {
          BytePointer p = ptrs.get(BytePointer.class, i);
          long len = p == null || p.isNull() ? 0 : BytePointer.strlen(p);
          total += len;
          if (total > MAX_ATTRIBUTE_BYTES) {
            throw new H5Exception(
                "attribute "
                    + where
                    + " holds strings of more than the "
                    + MAX_ATTRIBUTE_BYTES
                    + " bytes initkit reads");
          }
          out.add(len == 0 ? "" : p.getString(StandardCharsets.UTF_8));
        }
      } finally {
        H5Treclaim(mtype, space, H5P_DEFAULT, ptrs);
      }
    } finally {
      H5Tclose(mtype);
    }
    return out;
  }

  private static List<String> readFixedStrings(long attr, long ftype, long n, String where)
      throws H5Exception {
    List<String> out = new ArrayList<>();
    long size = H5Tget_size(ftype);
    if (n == 0 || size == 0) {
      return out;
    }
    checkAttributeSize(n, size, where);
    byte[] bytes = new byte[(int) (n * size)];
    try (BytePointer buf = new BytePointer(n * size)) {
      check(H5Aread(attr, ftype, buf), "H5Aread " + where);
      buf.get(bytes);
    }
    for (long i = 0; i < n; i++) {
      int start = (int) (i * size);
      int end = start;
      while (end < start + size && bytes[end] != 0) {
        end++;
      }
      out.add(new String(bytes, start, end - start, StandardCharsets.UTF_8));
    }
    return out;
  }

  private static AttrValue readRaw(
      long attr, long ftype, long space, long[] dims, boolean nullSpace, String where)
      throws H5Exception {
    long n = nullSpace ? 0 : H5Sget_simple_extent_npoints(space);
    long size = H5Tget_size(ftype);
    if (H5Tdetect_class(ftype, H5T_VLEN) > 0 || H5Tdetect_class(ftype, H5T_REFERENCE) > 0) {
      throw new H5Exception(
          "attribute " + where + " has a variable-length or reference type initkit does not copy");
    }
    checkAttributeSize(n, size, where);
    byte[] data = new byte[(int) (n * size)];
    if (n > 0) {
      try (BytePointer buf = new BytePointer(n * size)) {
        check(H5Aread(attr, ftype, buf), "H5Aread " + where);
        buf.get(data);
      }
    }
    return new AttrValue.Raw(H5Types.encode(ftype), dims, nullSpace, data);
  }

  /** Writes (or replaces) an attribute. */
  public void setAttribute(String name, AttrValue value) throws H5Exception {
    Hdf5.lock();
    long type = -1;
    long space = -1;
    long attr = -1;
    List<Pointer> keep = new ArrayList<>();
    try {
      String where = path + "@" + name;
      if (H5Aexists(id(), name) > 0) {
        check(H5Adelete(id(), name), "H5Adelete " + where);
      }
      Pointer data;
      if (value instanceof AttrValue.Str s) {
        type = stringType(s.variableLength(), s.charset(), List.of(s.value()));
        space = H5Screate(H5S_SCALAR);
        data = stringData(s.variableLength(), List.of(s.value()), H5Tget_size(type), keep);
      } else if (value instanceof AttrValue.StrArray a) {
        type = stringType(a.variableLength(), a.charset(), a.values());
        space = H5Screate_simple(1, new long[] {a.values().size()}, null);
        data =
            a.values().isEmpty()
                ? null
                : stringData(a.variableLength(), a.values(), H5Tget_size(type), keep);
      } else {
        AttrValue.Raw r = (AttrValue.Raw) value;
        type = H5Types.decode(r.encodedType());
        if (r.nullSpace()) {
          space = H5Screate(H5S_NULL);
        } else if (r.dims() == null) {
          space = H5Screate(H5S_SCALAR);
        } else {
          space = H5Screate_simple(r.dims().length, r.dims(), null);
        }
        byte[] bytes = r.data();
        BytePointer bp = new BytePointer(Math.max(1, bytes.length));
        bp.put(bytes);
        keep.add(bp);
        data = bytes.length == 0 ? null : bp;
      }
      check(space, "H5Screate " + where);
      attr =
          check(
              H5Acreate2(id(), name, type, space, H5P_DEFAULT, H5P_DEFAULT), "H5Acreate " + where);
      if (data != null) {
        check(H5Awrite(attr, type, data), "H5Awrite " + where);
      }
    } catch (H5Exception e) {
      throw writeFailed(e);
    } finally {
      if (attr >= 0) H5Aclose(attr);
      if (space >= 0) H5Sclose(space);
      if (type >= 0) H5Tclose(type);
      for (Pointer p : keep) p.close();
      Hdf5.unlock();
    }
  }

  /**
   * Writes an empty list the way h5py stores {@code np.asarray([])}: a float64 attribute with a
   * zero-length simple dataspace. Keras writes {@code weight_names} of weightless layers so, and
   * DL4J fails to open a file where that attribute is missing.
   */
  public void setEmptyList(String name) throws H5Exception {
    Hdf5.lock();
    long space = -1;
    long attr = -1;
    try {
      String where = path + "@" + name;
      if (H5Aexists(id(), name) > 0) {
        check(H5Adelete(id(), name), "H5Adelete " + where);
      }
      space = check(H5Screate_simple(1, new long[] {0}, null), "H5Screate " + where);
      attr =
          check(
              H5Acreate2(id(), name, H5T_IEEE_F64LE_g(), space, H5P_DEFAULT, H5P_DEFAULT),
              "H5Acreate " + where);
    } catch (H5Exception e) {
      throw writeFailed(e);
    } finally {
      if (attr >= 0) H5Aclose(attr);
      if (space >= 0) H5Sclose(space);
      Hdf5.unlock();
    }
  }

  private static long stringType(boolean vlen, AttrValue.Charset cs, List<String> values) {
    long type = H5Tcopy(H5T_C_S1_g());
    if (vlen) {
      H5Tset_size(type, H5T_VARIABLE);
      H5Tset_strpad(type, H5T_STR_NULLTERM);
    } else {
      int max = 1;
      for (String v : values) {
        max = Math.max(max, v.getBytes(StandardCharsets.UTF_8).length);
      }
      H5Tset_size(type, max);
      H5Tset_strpad(type, H5T_STR_NULLPAD);
    }
    H5Tset_cset(type, cs == AttrValue.Charset.UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    return type;
  }

  private static Pointer stringData(
      boolean vlen, List<String> values, long size, List<Pointer> keep) {
    if (vlen) {
      PointerPointer<BytePointer> ptrs = new PointerPointer<>(values.size());
      keep.add(ptrs);
      for (int i = 0; i < values.size(); i++) {
        BytePointer s = new BytePointer(values.get(i), StandardCharsets.UTF_8);
        keep.add(s);
        ptrs.put(i, s);
      }
      return ptrs;
    }
    byte[] all = new byte[(int) (values.size() * size)];
    for (int i = 0; i < values.size(); i++) {
      byte[] b = values.get(i).getBytes(StandardCharsets.UTF_8);
      System.arraycopy(b, 0, all, (int) (i * size), b.length);
    }
    BytePointer bp = new BytePointer(all.length);
    bp.put(all);
    keep.add(bp);
    return bp;
  }

  /** Closes the native handle; a second call does nothing. */
  @Override
  public void close() {
    if (id < 0) {
      return;
    }
    Hdf5.lock();
    try {
      H5Oclose(id);
    } finally {
      id = -1;
      Hdf5.unlock();
    }
  }

  static long encodeSize(long type) {
    try (SizeTPointer sz = new SizeTPointer(1)) {
      H5Tencode(type, null, sz);
      return sz.get();
    }
  }
}
