package dev.initkit.init;

import dev.initkit.model.DType;
import dev.initkit.model.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Converts values to and from the little-endian bytes of the floating-point {@link DType}s.
 *
 * <p>Every conversion from {@code double} rounds once, to nearest with ties to even, directly to
 * the target format (no double rounding through {@code float}); overflow gives infinity, NaN stays
 * NaN. {@code float16} is IEEE 754 binary16 (5-bit exponent, 10-bit fraction, subnormals kept) and
 * {@code bfloat16} is the upper half of a binary32 (8-bit exponent, 7-bit fraction, subnormals
 * kept). Byte buffers are read and written little-endian whatever their own {@link ByteOrder}, at
 * their position, which advances. Thread-safe (scratch space is per thread).
 */
public final class DTypeCodec {
  private static final int CHUNK = 4096;
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final class Scratch {
    final float[] floats = new float[CHUNK];
    final short[] shorts = new short[CHUNK];
  }

  private DTypeCodec() {}

  /** The binary16 bits nearest to {@code v} (ties to even). */
  public static short toFloat16(double v) {
    if (Double.isNaN(v)) {
      return (short) 0x7e00;
    }
    int sign = v < 0 || (v == 0 && 1 / v < 0) ? 0x8000 : 0;
    double a = Math.abs(v);
    if (a >= 65520.0) { // half-way between 65504 (max) and 65536 rounds to even = infinity
      return (short) (sign | 0x7c00);
    }
    if (a < 0x1p-14) { // subnormal: multiples of 2^-24; 1024 * 2^-24 is the smallest normal
      return (short) (sign | (int) Math.rint(a * 0x1p24));
    }
    int e = Math.getExponent(a);
    int m = (int) Math.rint(Math.scalb(a, 10 - e)); // in [1024, 2048]; 2048 carries into e
    return (short) (sign | (((e + 15) << 10) + (m - 1024)));
  }

  /** The value of binary16 bits {@code h}. */
  public static double fromFloat16(short h) {
    return HalfFloats.fromFloat16(h);
  }

  /** The bfloat16 bits nearest to {@code v} (ties to even). */
  public static short toBFloat16(double v) {
    if (Double.isNaN(v)) {
      return (short) 0x7fc0;
    }
    int sign = v < 0 || (v == 0 && 1 / v < 0) ? 0x8000 : 0;
    double a = Math.abs(v);
    if (a >= Math.scalb(2.0 - 0x1p-8, 127)) { // half-way past the largest finite value
      return (short) (sign | 0x7f80);
    }
    if (a < 0x1p-126) { // subnormal: multiples of 2^-133
      return (short) (sign | (int) Math.rint(a * 0x1p133));
    }
    int e = Math.getExponent(a);
    int m = (int) Math.rint(Math.scalb(a, 7 - e)); // in [128, 256]
    return (short) (sign | (((e + 127) << 7) + (m - 128)));
  }

  /** The value of bfloat16 bits {@code h}. */
  public static double fromBFloat16(short h) {
    return HalfFloats.fromBFloat16(h);
  }

  /** {@code v} rounded to the dtype, as a double. */
  public static double round(double v, DType dtype) {
    switch (dtype) {
      case FLOAT64:
        return v;
      case FLOAT32:
        return (float) v;
      case FLOAT16:
        return fromFloat16(toFloat16(v));
      case BFLOAT16:
        return fromBFloat16(toBFloat16(v));
      default:
        throw notFloating(dtype);
    }
  }

  /**
   * Writes {@code src[off, off+len)} as little-endian {@code dtype} values at {@code dst}'s
   * position and advances it.
   *
   * @throws IllegalArgumentException if {@code dtype} is not floating
   * @throws java.nio.BufferOverflowException if {@code dst} has too little room
   */
  public static void encode(double[] src, int off, int len, DType dtype, ByteBuffer dst) {
    encode(src, off, len, dtype, dst, Double.NaN);
  }

  /**
   * As {@link #encode(double[], int, int, DType, ByteBuffer)}, but a value that rounds up to or
   * above {@code exclusiveMax} (NaN for none) is replaced by the next smaller value of the dtype,
   * so that a uniform draw in {@code [min, max)} stays below {@code max} after rounding.
   */
  static void encode(
      double[] src, int off, int len, DType dtype, ByteBuffer dst, double exclusiveMax) {
    int bytes = Math.multiplyExact(len, dtype.size());
    if (dst.remaining() < bytes) {
      throw new java.nio.BufferOverflowException();
    }
    ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    boolean clamp = !Double.isNaN(exclusiveMax);
    switch (dtype) {
      case FLOAT64:
        {
          DoubleBuffer db = le.asDoubleBuffer();
          if (!clamp) {
            db.put(src, off, len);
          } else {
            for (int i = 0; i < len; i++) {
              double v = src[off + i];
              db.put(v >= exclusiveMax ? Math.nextDown(exclusiveMax) : v);
            }
          }
          break;
        }
      case FLOAT32:
        {
          FloatBuffer fb = le.asFloatBuffer();
          float[] tmp = SCRATCH.get().floats;
          for (int done = 0; done < len; ) {
            int n = Math.min(CHUNK, len - done);
            int base = off + done;
            if (clamp) {
              for (int i = 0; i < n; i++) {
                float f = (float) src[base + i];
                tmp[i] = f >= exclusiveMax ? Math.nextDown(f) : f;
              }
            } else {
              for (int i = 0; i < n; i++) {
                tmp[i] = (float) src[base + i];
              }
            }
            fb.put(tmp, 0, n);
            done += n;
          }
          break;
        }
      case FLOAT16:
      case BFLOAT16:
        {
          boolean half = dtype == DType.FLOAT16;
          ShortBuffer sb = le.asShortBuffer();
          short[] tmp = SCRATCH.get().shorts;
          for (int done = 0; done < len; ) {
            int n = Math.min(CHUNK, len - done);
            for (int i = 0; i < n; i++) {
              double v = src[off + done + i];
              short h = half ? toFloat16(v) : toBFloat16(v);
              if (clamp && (half ? fromFloat16(h) : fromBFloat16(h)) >= exclusiveMax) {
                h = nextDown16(h);
              }
              tmp[i] = h;
            }
            sb.put(tmp, 0, n);
            done += n;
          }
          break;
        }
      default:
        throw notFloating(dtype);
    }
    dst.position(dst.position() + bytes);
  }

  /**
   * Writes {@code count} copies of {@code value} (rounded to the dtype) and advances {@code dst}.
   */
  public static void fillConstant(double value, long count, DType dtype, ByteBuffer dst) {
    if (!dtype.isFloating()) {
      throw notFloating(dtype);
    }
    long bytes = Math.multiplyExact(count, (long) dtype.size());
    if (dst.remaining() < bytes) {
      throw new java.nio.BufferOverflowException();
    }
    ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int p = dst.position();
    int end = Math.toIntExact(p + bytes);
    if (value == 0 && 1 / value > 0) {
      // +0.0 is all-zero bytes in every format
      byte[] zeros = new byte[Math.min(1 << 16, end - p)];
      while (p < end) {
        int n = Math.min(zeros.length, end - p);
        le.put(p, zeros, 0, n);
        p += n;
      }
    } else {
      switch (dtype) {
        case FLOAT64:
          for (; p < end; p += 8) {
            le.putDouble(p, value);
          }
          break;
        case FLOAT32:
          {
            float f = (float) value;
            for (; p < end; p += 4) {
              le.putFloat(p, f);
            }
            break;
          }
        default:
          {
            short h = dtype == DType.FLOAT16 ? toFloat16(value) : toBFloat16(value);
            for (; p < end; p += 2) {
              le.putShort(p, h);
            }
          }
      }
    }
    dst.position(end);
  }

  /**
   * Reads {@code len} little-endian {@code dtype} values at {@code src}'s position into {@code
   * dst[off, off+len)} and advances {@code src}.
   *
   * @throws IllegalArgumentException if {@code dtype} is not floating
   */
  public static void decode(ByteBuffer src, DType dtype, double[] dst, int off, int len) {
    ByteBuffer le = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int p = src.position();
    switch (dtype) {
      case FLOAT64:
        for (int i = 0; i < len; i++, p += 8) {
          dst[off + i] = le.getDouble(p);
        }
        break;
      case FLOAT32:
        for (int i = 0; i < len; i++, p += 4) {
          dst[off + i] = le.getFloat(p);
        }
        break;
      case FLOAT16:
        for (int i = 0; i < len; i++, p += 2) {
          dst[off + i] = fromFloat16(le.getShort(p));
        }
        break;
      case BFLOAT16:
        for (int i = 0; i < len; i++, p += 2) {
          dst[off + i] = fromBFloat16(le.getShort(p));
        }
        break;
      default:
        throw notFloating(dtype);
    }
    src.position(p);
  }

  /** Decodes a whole buffer (from its position to its limit) of {@code dtype} values. */
  public static double[] decodeAll(ByteBuffer src, DType dtype) {
    int n = src.remaining() / dtype.size();
    double[] out = new double[n];
    decode(src, dtype, out, 0, n);
    return out;
  }

  private static short nextDown16(short h) {
    int b = h & 0xffff;
    if (b == 0) {
      return (short) 0x8001;
    }
    return (short) ((b & 0x8000) == 0 ? b - 1 : b + 1);
  }

  static IllegalArgumentException notFloating(DType dtype) {
    return new IllegalArgumentException(
        "initializers write floating-point tensors (float16, bfloat16, float32, float64), not "
            + dtype);
  }
}
