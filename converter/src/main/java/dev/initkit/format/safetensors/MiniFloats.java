package dev.initkit.format.safetensors;

import java.util.Map;

/**
 * The values of the safetensors low-precision float codes as float32, one table per code indexed by
 * the element's bits. Every value of these formats is exactly a float32 (their exponents and
 * fractions are narrower), so a table is the whole, exact decode; tables are built once from each
 * format's parameters, as ml_dtypes defines them:
 *
 * <ul>
 *   <li>{@code F8_E5M2} (float8_e5m2): IEEE-like, bias 15, an all-ones exponent is infinity or NaN.
 *   <li>{@code F8_E4M3} (float8_e4m3fn): bias 7, no infinity, only S.1111.111 is NaN.
 *   <li>{@code F8_E4M3FNUZ}, {@code F8_E5M2FNUZ}: bias 8 and 16, no infinity, no negative zero:
 *       0x80 is the only NaN.
 *   <li>{@code F8_E8M0} (float8_e8m0fnu): unsigned, exponent only, 2^(bits - 127); 0xFF is NaN.
 *   <li>{@code F4} (float4_e2m1fn), {@code F6_E2M3} (float6_e2m3fn), {@code F6_E3M2}
 *       (float6_e3m2fn): biases 1, 1 and 3, no infinity, no NaN.
 * </ul>
 *
 * <p>Sub-byte elements are one little-endian bit stream over the tensor, first element in the
 * lowest bits: an {@code F4} byte holds element 2i in bits 0-3 and 2i+1 in bits 4-7 (PyTorch's
 * float4_e2m1fn_x2, the OCP MX and ONNX order), and three {@code F6} bytes hold four elements in
 * bits 0-5, 6-11, 12-17, 18-23 of their little-endian 24-bit value. The format itself sizes them
 * only ({@code bitsize}); this is the order the writers of these codes use.
 */
final class MiniFloats {
  private enum Special {
    /** All-ones exponent: infinity (zero fraction) or NaN. */
    IEEE,
    /** Only the all-ones pattern (both signs) is NaN; no infinity. */
    FN,
    /** Only the negative-zero pattern is NaN; no infinity, no -0. */
    FNUZ,
    /** Every pattern is a finite number. */
    NONE
  }

  private static final Map<String, float[]> TABLES =
      Map.of(
          "F8_E5M2", table(5, 2, 15, Special.IEEE),
          "F8_E4M3", table(4, 3, 7, Special.FN),
          "F8_E4M3FNUZ", table(4, 3, 8, Special.FNUZ),
          "F8_E5M2FNUZ", table(5, 2, 16, Special.FNUZ),
          "F8_E8M0", e8m0(),
          "F4", table(2, 1, 1, Special.NONE),
          "F6_E2M3", table(2, 3, 1, Special.NONE),
          "F6_E3M2", table(3, 2, 3, Special.NONE));

  private MiniFloats() {}

  /** The float32 value of every bit pattern of {@code code}, or null for a code without one. */
  static float[] table(String code) {
    return TABLES.get(code);
  }

  private static float[] table(int expBits, int fracBits, int bias, Special special) {
    int width = 1 + expBits + fracBits;
    int expMax = (1 << expBits) - 1;
    int fracMax = (1 << fracBits) - 1;
    float[] t = new float[1 << width];
    for (int c = 0; c < t.length; c++) {
      boolean negative = (c >>> (width - 1)) != 0;
      int e = (c >>> fracBits) & expMax;
      int f = c & fracMax;
      // subnormal: f * 2^(1 - bias - fracBits); normal: (2^fracBits + f) * 2^(e - bias - fracBits)
      double magnitude =
          e == 0
              ? Math.scalb((double) f, 1 - bias - fracBits)
              : Math.scalb((double) ((1 << fracBits) + f), e - bias - fracBits);
      float v = (float) (negative ? -magnitude : magnitude);
      switch (special) {
        case IEEE:
          if (e == expMax) {
            v =
                f == 0
                    ? (negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY)
                    : nan(negative);
          }
          break;
        case FN:
          if (e == expMax && f == fracMax) {
            v = nan(negative);
          }
          break;
        case FNUZ:
          if (c == 1 << (width - 1)) {
            v = nan(false);
          }
          break;
        default:
          break;
      }
      t[c] = v;
    }
    return t;
  }

  private static float[] e8m0() {
    float[] t = new float[256];
    for (int c = 0; c < 255; c++) {
      t[c] = (float) Math.scalb(1.0, c - 127); // 2^-127 is a float32 subnormal, still exact
    }
    t[255] = nan(false);
    return t;
  }

  private static float nan(boolean negative) {
    return Float.intBitsToFloat((negative ? 0x80000000 : 0) | 0x7fc00000);
  }

  /**
   * Decodes elements {@code [first, first + n)} of a stream of {@code bits}-wide elements into
   * {@code out[0, n)}, where {@code bytes} holds the stream from bit {@code base} on.
   */
  static void decode(
      byte[] bytes, long base, long first, int n, int bits, float[] table, float[] out) {
    if (bits == 4) {
      int nibble = (int) (first * 4 - base); // 0 or 4: where element first starts
      for (int k = 0; k < n; k++, nibble += 4) {
        out[k] = table[(bytes[nibble >>> 3] >>> (nibble & 4)) & 0xf];
      }
      return;
    }
    for (int k = 0; k < n; k++) {
      out[k] = table[element(bytes, base, first + k, bits)];
    }
  }

  /**
   * The bits of element {@code i} of a stream of {@code bits}-wide elements, where {@code bytes}
   * holds the stream from bit {@code base} on (byte 0's lowest bit is stream bit {@code base}).
   */
  static int element(byte[] bytes, long base, long i, int bits) {
    long bit = i * bits - base;
    int at = (int) (bit >>> 3);
    int shift = (int) (bit & 7);
    int word = bytes[at] & 0xff;
    if (shift + bits > 8) {
      word |= (bytes[at + 1] & 0xff) << 8;
    }
    return (word >>> shift) & ((1 << bits) - 1);
  }
}
