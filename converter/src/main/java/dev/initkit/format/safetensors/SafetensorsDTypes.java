package dev.initkit.format.safetensors;

import dev.initkit.model.DType;
import dev.initkit.model.StoredType;
import java.util.Map;

/**
 * The safetensors dtype codes ({@code "F32"}, {@code "BF16"}...) and initkit's {@link DType}s.
 *
 * <p>Every code of the format's {@code Dtype} enum (the reference library 0.8.0) is read. Those
 * with a {@link DType} are read as it. The low-precision float codes ({@code F8_E4M3}, {@code
 * F8_E5M2}, their {@code FNUZ} forms, {@code F8_E8M0}, {@code F4}, {@code F6_E2M3}, {@code
 * F6_E3M2}) are read as float32, each value decoded exactly ({@link MiniFloats}); the weight keeps
 * the code as its {@link StoredType}. {@code C64} (complex64) is listed with its shape, but has no
 * Keras weight dtype: reading its values is refused.
 */
final class SafetensorsDTypes {
  private static final Map<String, DType> BY_CODE =
      Map.ofEntries(
          Map.entry("BOOL", DType.BOOL),
          Map.entry("U8", DType.UINT8),
          Map.entry("I8", DType.INT8),
          Map.entry("U16", DType.UINT16),
          Map.entry("I16", DType.INT16),
          Map.entry("U32", DType.UINT32),
          Map.entry("I32", DType.INT32),
          Map.entry("U64", DType.UINT64),
          Map.entry("I64", DType.INT64),
          Map.entry("F16", DType.FLOAT16),
          Map.entry("BF16", DType.BFLOAT16),
          Map.entry("F32", DType.FLOAT32),
          Map.entry("F64", DType.FLOAT64));

  /** The codes without a {@link DType}, by code: bit width and ml_dtypes/numpy name. */
  private static final Map<String, StoredType> STORED =
      Map.ofEntries(
          stored("F8_E4M3", "float8_e4m3fn", 8),
          stored("F8_E5M2", "float8_e5m2", 8),
          stored("F8_E4M3FNUZ", "float8_e4m3fnuz", 8),
          stored("F8_E5M2FNUZ", "float8_e5m2fnuz", 8),
          stored("F8_E8M0", "float8_e8m0fnu", 8),
          stored("F4", "float4_e2m1fn", 4),
          stored("F6_E2M3", "float6_e2m3fn", 6),
          stored("F6_E3M2", "float6_e3m2fn", 6),
          Map.entry("C64", new StoredType("C64", "complex64", 64, false)));

  private static Map.Entry<String, StoredType> stored(String code, String name, int bits) {
    return Map.entry(code, new StoredType(code, name, bits, true));
  }

  private SafetensorsDTypes() {}

  /**
   * What a code is read as: its {@link DType} and, for a code without one, the {@link StoredType}
   * (its values are float32; C64's are not read).
   *
   * @param dtype the dtype the values are read as
   * @param stored the file's own type, or null when it is {@code dtype}
   */
  record Read(DType dtype, StoredType stored) {
    /** Bits one element takes in the file. */
    int bits() {
      return stored == null ? dtype.size() * 8 : stored.bits();
    }
  }

  /** How a code is read, or null for a code the format does not define. */
  static Read of(String code) {
    DType d = BY_CODE.get(code);
    if (d != null) {
      return new Read(d, null);
    }
    StoredType s = STORED.get(code);
    // C64 too gets float32 as its dtype: a placeholder, since its values are never read
    return s == null ? null : new Read(DType.FLOAT32, s);
  }

  /** The code of a {@link DType}; every {@link DType} has one. */
  static String code(DType dtype) {
    switch (dtype) {
      case BOOL:
        return "BOOL";
      case UINT8:
        return "U8";
      case INT8:
        return "I8";
      case UINT16:
        return "U16";
      case INT16:
        return "I16";
      case UINT32:
        return "U32";
      case INT32:
        return "I32";
      case UINT64:
        return "U64";
      case INT64:
        return "I64";
      case FLOAT16:
        return "F16";
      case BFLOAT16:
        return "BF16";
      case FLOAT32:
        return "F32";
      case FLOAT64:
        return "F64";
      default:
        throw new IllegalArgumentException("no safetensors code for dtype " + dtype);
    }
  }
}
