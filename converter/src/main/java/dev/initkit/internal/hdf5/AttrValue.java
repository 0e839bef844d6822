package dev.initkit.internal.hdf5;

import java.util.Arrays;
import java.util.List;

/**
 * The value of an HDF5 attribute, with enough of its storage form to write it back the way it was.
 *
 * <p>Keras (through h5py) writes scalar strings as variable-length strings and arrays of names as
 * fixed-length, null-padded string arrays; readers such as older Keras and DL4J expect exactly
 * that, so the form is part of the value.
 */
public sealed interface AttrValue permits AttrValue.Str, AttrValue.StrArray, AttrValue.Raw {

  /** Character set of a string attribute as HDF5 records it. */
  enum Charset {
    ASCII,
    UTF8
  }

  /** A scalar string. */
  record Str(String value, boolean variableLength, Charset charset) implements AttrValue {
    /** A variable-length string as h5py writes Python {@code bytes}: Keras's model_config form. */
    public static Str vlenAscii(String value) {
      return new Str(value, true, Charset.ASCII);
    }

    /** A variable-length UTF-8 string as h5py writes Python {@code str}. */
    public static Str vlenUtf8(String value) {
      return new Str(value, true, Charset.UTF8);
    }
  }

  /** A one-dimensional array of strings (possibly empty). */
  record StrArray(List<String> values, boolean variableLength, Charset charset)
      implements AttrValue {
    public StrArray {
      values = List.copyOf(values);
    }

    /**
     * A fixed-length null-padded array as h5py writes a numpy {@code S} array: Keras's name lists.
     */
    public static StrArray fixed(List<String> values) {
      return new StrArray(values, false, Charset.ASCII);
    }
  }

  /**
   * Any other attribute, kept as HDF5's serialized datatype plus raw bytes so it can be copied
   * unchanged. {@code dims} is null for a scalar and {@code nullSpace} marks an empty dataspace.
   */
  record Raw(byte[] encodedType, long[] dims, boolean nullSpace, byte[] data) implements AttrValue {
    public Raw {
      encodedType = encodedType.clone();
      dims = dims == null ? null : dims.clone();
      data = data.clone();
    }

    @Override
    public byte[] encodedType() {
      return encodedType.clone();
    }

    @Override
    public long[] dims() {
      return dims == null ? null : dims.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Raw r
          && Arrays.equals(encodedType, r.encodedType)
          && Arrays.equals(dims, r.dims)
          && nullSpace == r.nullSpace
          && Arrays.equals(data, r.data);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(data) * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
      return "Raw[" + data.length + " bytes, dims=" + Arrays.toString(dims) + "]";
    }
  }

  /** The value as text when it is a string or an array holding one string; else null. */
  default String asString() {
    if (this instanceof Str s) {
      return s.value();
    }
    if (this instanceof StrArray a && a.values().size() == 1) {
      return a.values().get(0);
    }
    return null;
  }

  /** The value as a list of strings when it is a string array or a scalar string; else null. */
  default List<String> asStrings() {
    if (this instanceof StrArray a) {
      return a.values();
    }
    if (this instanceof Str s) {
      return List.of(s.value());
    }
    return null;
  }
}
