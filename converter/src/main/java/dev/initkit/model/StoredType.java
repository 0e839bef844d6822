package dev.initkit.model;

import java.util.Objects;

/**
 * A source file's own element type when it is not a {@link DType}: the safetensors low-precision
 * float codes ({@code F8_E4M3}, {@code F4}...) and {@code C64}. A weight that has one says what its
 * file holds; its {@link Weight#dtype()} is what initkit reads it as.
 *
 * <p>Why not more {@link DType}s: {@code F4} and {@code F6} are 4 and 6 bits wide, below the byte
 * that {@link DType#size()} and every codec and writer count in, and Keras has no weight dtype for
 * most of these (Keras 3 knows float8_e4m3fn and float8_e5m2 only, as a quantization policy's
 * storage). Every value of the float codes is exactly a float32, so the reader decodes them to
 * {@link DType#FLOAT32} and nothing downstream changes.
 *
 * @param code the file's name for it, e.g. {@code F8_E4M3}
 * @param name its ml_dtypes/numpy name, e.g. {@code float8_e4m3fn}, {@code complex64}
 * @param bits bits per element (4, 6, 8 or 64)
 * @param decoded true when the values are read, decoded exactly to the weight's dtype; false when
 *     initkit reads no values of this type ({@code C64}: no Keras weight is complex), and reading
 *     one raises {@link dev.initkit.UnsupportedModelException}
 */
public record StoredType(String code, String name, int bits, boolean decoded) {
  public StoredType {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(name, "name");
    if (bits <= 0) {
      throw new IllegalArgumentException("bits " + bits);
    }
  }

  /** Bytes that {@code elements} values take in the file (whole bytes: the file has no partial). */
  public long bytes(long elements) {
    return Math.multiplyExact(elements, (long) bits) / 8;
  }
}
