package dev.initkit.internal.hdf5;

import static org.bytedeco.hdf5.global.hdf5.*;

import dev.initkit.model.DType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.SizeTPointer;

/** HDF5 datatype helpers: serialization for faithful copies and mapping to {@link DType}. */
final class H5Types {
  private H5Types() {}

  /** Serializes a datatype (caller holds the lock). */
  static byte[] encode(long type) throws H5Exception {
    try (SizeTPointer sz = new SizeTPointer(1)) {
      Hdf5.check(H5Tencode(type, null, sz), "H5Tencode");
      long n = sz.get();
      try (BytePointer buf = new BytePointer(n)) {
        Hdf5.check(H5Tencode(type, buf, sz), "H5Tencode");
        byte[] out = new byte[(int) n];
        buf.get(out);
        return out;
      }
    }
  }

  /** Deserializes a datatype; the caller closes the returned id (caller holds the lock). */
  static long decode(byte[] encoded) throws H5Exception {
    try (BytePointer buf = new BytePointer(encoded.length)) {
      buf.put(encoded);
      return Hdf5.check(H5Tdecode(buf), "H5Tdecode");
    }
  }

  /** The model dtype of an HDF5 file type; {@code bfloat16Attr} marks Keras 3's bfloat16 tag. */
  static DType toDType(long type, boolean bfloat16Attr) throws H5Exception {
    int cls = H5Tget_class(type);
    long size = H5Tget_size(type);
    if (cls == H5T_FLOAT) {
      if (size == 2) {
        // h5py has no bfloat16: Keras 3 stores the raw 16 bits and tags the dataset
        return bfloat16Attr ? DType.BFLOAT16 : DType.FLOAT16;
      }
      if (size == 4) return DType.FLOAT32;
      if (size == 8) return DType.FLOAT64;
    } else if (cls == H5T_INTEGER) {
      boolean signed = H5Tget_sign(type) != H5T_SGN_NONE;
      if (size == 1) return bfloat16Attr ? DType.BFLOAT16 : signed ? DType.INT8 : DType.UINT8;
      if (size == 2) return bfloat16Attr ? DType.BFLOAT16 : signed ? DType.INT16 : DType.UINT16;
      if (size == 4) return signed ? DType.INT32 : DType.UINT32;
      if (size == 8) return signed ? DType.INT64 : DType.UINT64;
    } else if (cls == H5T_ENUM && size == 1) {
      return DType.BOOL; // h5py's bool is an int8 enum {FALSE, TRUE}
    } else if (cls == H5T_OPAQUE && size == 2) {
      // Keras 3 (3.12 to 3.15 measured) stores bfloat16 through ml_dtypes as h5py's 2-byte void
      // ("|V2", an untagged opaque type): in .keras and .weights.h5 with a "dtype" attribute, in
      // legacy .h5 without; no other 2-byte opaque type occurs in Keras files
      return DType.BFLOAT16;
    }
    throw new H5Exception("unsupported HDF5 datatype (class " + cls + ", " + size + " bytes)");
  }

  /**
   * A new little-endian file type for a dtype, as h5py would write it; the caller closes it (caller
   * holds the lock).
   */
  static long forDType(DType dtype) throws H5Exception {
    switch (dtype) {
      case FLOAT16:
        {
          // IEEE half, little-endian: h5py's float16 layout
          long t = H5Tcopy(H5T_IEEE_F32LE_g());
          H5Tset_fields(t, 15, 10, 5, 0, 10);
          H5Tset_size(t, 2);
          H5Tset_ebias(t, 15);
          return t;
        }
      case BFLOAT16:
        return Hdf5.check(
            H5Tcreate(H5T_OPAQUE, 2), "H5Tcreate opaque"); // Keras's own form (see toDType)
      case FLOAT32:
        return H5Tcopy(H5T_IEEE_F32LE_g());
      case FLOAT64:
        return H5Tcopy(H5T_IEEE_F64LE_g());
      case INT8:
        return H5Tcopy(H5T_STD_I8LE_g());
      case INT16:
        return H5Tcopy(H5T_STD_I16LE_g());
      case INT32:
        return H5Tcopy(H5T_STD_I32LE_g());
      case INT64:
        return H5Tcopy(H5T_STD_I64LE_g());
      case UINT8:
        return H5Tcopy(H5T_STD_U8LE_g());
      case UINT16:
        return H5Tcopy(H5T_STD_U16LE_g());
      case UINT32:
        return H5Tcopy(H5T_STD_U32LE_g());
      case UINT64:
        return H5Tcopy(H5T_STD_U64LE_g());
      default:
        throw new H5Exception("cannot create an HDF5 type for " + dtype);
    }
  }
}
