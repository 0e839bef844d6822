package dev.initkit.model;

import java.util.Locale;

/** Element types of stored tensors, named as Keras/numpy name them. */
public enum DType {
  FLOAT16(2),
  BFLOAT16(2),
  FLOAT32(4),
  FLOAT64(8),
  INT8(1),
  INT16(2),
  INT32(4),
  INT64(8),
  UINT8(1),
  UINT16(2),
  UINT32(4),
  UINT64(8),
  BOOL(1);

  private final int size;

  DType(int size) {
    this.size = size;
  }

  /** Bytes per element. */
  public int size() {
    return size;
  }

  /** The numpy/Keras name, e.g. {@code float32}. */
  public String kerasName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** True for the floating-point types, the only ones initializers draw. */
  public boolean isFloating() {
    return this == FLOAT16 || this == BFLOAT16 || this == FLOAT32 || this == FLOAT64;
  }

  /** Parses a numpy/Keras dtype name such as {@code float32}. */
  public static DType fromKerasName(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown dtype '" + name + "'", e);
    }
  }

  @Override
  public String toString() {
    return kerasName();
  }
}
