package dev.initkit.format.safetensors;

import dev.initkit.model.DType;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors dtype codes ({@code "F32"}, {@code "BF16"}...) and initkit's {@link DType}s.
 *
 * <p>Every code of the format as the reference library 0.8.0 writes it is known here. The float8
 * ({@code F8_E4M3}, {@code F8_E5M2}, their {@code FNUZ} forms, {@code F8_E8M0}), float4 ({@code
 * F4}, two values a byte), float6 and complex ({@code C64}) codes have no {@link DType}: adding one
 * would reach every writer and codec that switches over {@link DType}, so a file holding them is
 * refused, naming the tensor and the code, instead of being read with a wrong element size.
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

  /** Codes the format defines that initkit does not read (see the class comment). */
  static final Set<String> UNSUPPORTED =
      Set.of(
          "F8_E4M3",
          "F8_E5M2",
          "F8_E4M3FNUZ",
          "F8_E5M2FNUZ",
          "F8_E8M0",
          "F4",
          "F6_E2M3",
          "F6_E3M2",
          "C64");

  private SafetensorsDTypes() {}

  /** The {@link DType} of a code, or null when initkit has none (unsupported or unknown). */
  static DType of(String code) {
    return BY_CODE.get(code);
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
