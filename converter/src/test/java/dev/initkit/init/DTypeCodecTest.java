package dev.initkit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.initkit.model.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DTypeCodecTest {

  /** All finite non-negative binary16 values, ascending (bit patterns 0x0000..0x7bff). */
  private static final double[] HALVES = new double[0x7c00];

  static {
    for (int h = 0; h < 0x7c00; h++) {
      int e = h >>> 10;
      int m = h & 0x3ff;
      HALVES[h] = e == 0 ? m * Math.pow(2, -24) : (1 + m / 1024.0) * Math.pow(2, e - 15);
    }
  }

  /**
   * Reference binary16 rounding by search: nearest value, ties to the even pattern, overflow at
   * 65520.
   */
  private static int referenceHalf(double v) {
    int sign = (v < 0 || (v == 0 && 1 / v < 0)) ? 0x8000 : 0;
    double a = Math.abs(v);
    if (a >= 65520) {
      return sign | 0x7c00;
    }
    int i = Arrays.binarySearch(HALVES, a);
    if (i >= 0) {
      return sign | i;
    }
    int hi = -i - 1;
    int lo = hi - 1;
    double dlo = a - HALVES[lo];
    double dhi = hi < HALVES.length ? HALVES[hi] - a : Double.POSITIVE_INFINITY;
    int pick = dlo < dhi ? lo : dhi < dlo ? hi : ((lo & 1) == 0 ? lo : hi);
    return sign | pick;
  }

  @Test
  void float16DecodesEveryPatternAndRoundTrips() {
    for (int h = 0; h < 0x10000; h++) {
      double v = DTypeCodec.fromFloat16((short) h);
      int e = (h >>> 10) & 0x1f;
      if (e == 31 && (h & 0x3ff) != 0) {
        assertTrue(Double.isNaN(v));
        continue;
      }
      if (e < 31) {
        assertEquals(
            HALVES[h & 0x7fff] * ((h & 0x8000) != 0 ? -1 : 1), v, 0, Integer.toHexString(h));
      }
      assertEquals(h, DTypeCodec.toFloat16(v) & 0xffff, "pattern 0x" + Integer.toHexString(h));
    }
  }

  @Test
  void float16RoundsToNearestEvenLikeTheReference() {
    // every midpoint between neighbours, and points just beside it
    for (int h = 0; h < 0x7bff; h++) {
      double mid = (HALVES[h] + HALVES[h + 1]) / 2;
      for (double v : new double[] {mid, Math.nextDown(mid), Math.nextUp(mid), -mid}) {
        assertEquals(referenceHalf(v), DTypeCodec.toFloat16(v) & 0xffff, "v=" + v);
      }
    }
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 200_000; i++) {
      double v = r.nextGaussian() * Math.pow(2, r.nextInt(-30, 18));
      assertEquals(referenceHalf(v), DTypeCodec.toFloat16(v) & 0xffff, "v=" + v);
    }
    assertEquals(0x3c00, DTypeCodec.toFloat16(1.0));
    assertEquals(0x7bff, DTypeCodec.toFloat16(65519.99));
    assertEquals(0x7c00, DTypeCodec.toFloat16(65520));
    assertEquals(
        0x0000, DTypeCodec.toFloat16(Math.pow(2, -25)), "tie between 0 and 2^-24 goes to even 0");
    assertEquals(0x0001, DTypeCodec.toFloat16(Math.nextUp(Math.pow(2, -25))));
    assertEquals(0x8000, DTypeCodec.toFloat16(-0.0) & 0xffff);
    assertEquals(0x7e00, DTypeCodec.toFloat16(Double.NaN));
  }

  /** bfloat16 from a float: the usual bit trick (round to nearest even on the upper 16 bits). */
  private static int referenceBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
  }

  @Test
  void bfloat16RoundsToNearestEven() {
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 0; i < 500_000; i++) {
      float f = Float.intBitsToFloat(r.nextInt());
      if (Float.isNaN(f)) {
        continue;
      }
      assertEquals(referenceBf16(f), DTypeCodec.toBFloat16(f) & 0xffff, "f=" + f);
      short b = DTypeCodec.toBFloat16(f);
      assertEquals(b, DTypeCodec.toBFloat16(DTypeCodec.fromBFloat16(b)));
    }
    // Direct rounding from double avoids double rounding through float32:
    double v = 1 + Math.pow(2, -8) + Math.pow(2, -40); // just above a bfloat16 midpoint
    assertEquals(0x3f81, DTypeCodec.toBFloat16(v));
    assertEquals(0x3f80, referenceBf16((float) v), "through float32 it would round down");
    assertEquals(0x7f80, DTypeCodec.toBFloat16(Float.MAX_VALUE));
  }

  @Test
  void encodingIsLittleEndianWhateverTheBufferOrder() {
    ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN);
    DTypeCodec.encode(new double[] {1.0}, 0, 1, DType.FLOAT32, b);
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f}, b.array());
    assertEquals(4, b.position());
    ByteBuffer h = ByteBuffer.allocate(2);
    DTypeCodec.encode(new double[] {1.0}, 0, 1, DType.FLOAT16, h);
    assertArrayEquals(new byte[] {0, 0x3c}, h.array());
    double[] values = {0.1, -2.5, 1e-3, 65504, 3.0e38};
    for (DType t : new DType[] {DType.FLOAT16, DType.BFLOAT16, DType.FLOAT32, DType.FLOAT64}) {
      ByteBuffer buf = ByteBuffer.allocateDirect(values.length * t.size());
      DTypeCodec.encode(values, 0, values.length, t, buf);
      buf.flip();
      double[] back = DTypeCodec.decodeAll(buf, t);
      for (int i = 0; i < values.length; i++) {
        assertEquals(DTypeCodec.round(values[i], t), back[i], 0, t + " " + values[i]);
      }
    }
  }
}
