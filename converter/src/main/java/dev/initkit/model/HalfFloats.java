package dev.initkit.model;

/**
 * The 16-bit floating-point formats Keras stores (IEEE binary16 and bfloat16), decoded without a
 * dependency: Java 17 has no {@code Float.float16ToFloat}.
 */
public final class HalfFloats {
  private HalfFloats() {}

  /** The value of binary16 bits {@code h}. */
  public static double fromFloat16(short h) {
    int bits = h & 0xffff;
    int e = (bits >>> 10) & 0x1f;
    int m = bits & 0x3ff;
    double v;
    if (e == 0) {
      v = m * 0x1p-24;
    } else if (e == 31) {
      v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else {
      v = Math.scalb((double) (1024 + m), e - 25);
    }
    return (bits & 0x8000) != 0 ? -v : v;
  }

  /** The value of bfloat16 bits {@code h}: the upper half of a float32. */
  public static double fromBFloat16(short h) {
    return Float.intBitsToFloat((h & 0xffff) << 16);
  }
}
